package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/kyso-vn/kyso/pdf"
)

// appearanceFlags are the flags that shape a visible PDF signature beyond
// its place (--visible) and image (--image).
type appearanceFlags struct {
	layout   string
	sealMM   float64
	fontSize float64
	email    bool
	lines    multiFlag
}

var layouts = map[string]pdf.ImageLayout{
	"image-left":  pdf.ImageLeft,
	"image-right": pdf.ImageRight,
	"image-above": pdf.ImageAbove,
	"background":  pdf.ImageBackground,
	"image-only":  pdf.ImageOnly,
	"text-only":   pdf.TextOnly,
}

func (a *appearanceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.layout, "layout", "", "visible signature layout: image-left (default), image-right, image-above, background, image-only (a seal alone) or text-only")
	fs.Float64Var(&a.sealMM, "image-mm", 0, "draw the image at this real width in `MM` (a 36 mm seal: 36); default: fit the box")
	fs.Float64Var(&a.fontSize, "font-size", 0, "text size in points (default: the largest up to 10 pt that fits; never under 6 pt)")
	fs.BoolVar(&a.email, "email", false, "add the certificate's e-mail address to the visible text")
	fs.Var(&a.lines, "text", "a `LINE` of visible text instead of the Vietnamese template (repeatable, most important first)")
}

// apply sets the appearance options and warns on w about text lines the
// box is too small for.
func (a *appearanceFlags) apply(opts *pdf.Options, w io.Writer) error {
	set := a.layout != "" || a.sealMM != 0 || a.fontSize != 0 || a.email || len(a.lines) > 0
	if !set {
		if opts.Appearance != nil {
			opts.Appearance.OnLayout = dropWarning(w)
		}
		return nil
	}
	if opts.Appearance == nil {
		return usagef("--layout, --image-mm, --font-size, --email and --text need --visible PAGE:X,Y,W,H")
	}
	ap := opts.Appearance
	if a.layout != "" {
		l, ok := layouts[a.layout]
		if !ok {
			return usagef("--layout %q: want image-left, image-right, image-above, background, image-only or text-only", a.layout)
		}
		ap.ImageLayout = l
		if l != pdf.ImageLeft && l != pdf.TextOnly && ap.Image == nil {
			return usagef("--layout %s needs --image FILE", a.layout)
		}
	}
	if a.sealMM < 0 || a.sealMM > 500 {
		return usagef("--image-mm %g: want a width in millimetres", a.sealMM)
	}
	if a.sealMM > 0 && ap.Image == nil {
		return usagef("--image-mm needs --image FILE")
	}
	ap.ImageWidth = pdf.MM(a.sealMM)
	if a.fontSize != 0 && a.fontSize < pdf.MinFontSize {
		return usagef("--font-size %g: text is never drawn under %g pt", a.fontSize, pdf.MinFontSize)
	}
	ap.FontSize = a.fontSize
	ap.ShowEmail = a.email
	if len(a.lines) > 0 {
		ap.Lines = a.lines
	}
	ap.OnLayout = dropWarning(w)
	return nil
}

// dropWarning reports, in Vietnamese and English, the text lines that did
// not fit in the visible signature's box.
func dropWarning(w io.Writer) func(pdf.AppearanceLayout) {
	return func(l pdf.AppearanceLayout) {
		for _, d := range l.Dropped {
			fmt.Fprintf(w, "kyso: cảnh báo: khung chữ ký quá nhỏ, bỏ dòng %q / warning: the signature box is too small, line %q left out\n", d, d)
		}
	}
}
