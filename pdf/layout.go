package pdf

import (
	"bytes"
	"image/png"

	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"github.com/go-fonts/liberation/liberationserifregular"
	"math"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Rect is a rectangle on a page, in points (1/72 inch): X and Y are its
// lower-left corner measured from the lower-left corner of the page as it
// is displayed (its /CropBox, else its /MediaBox, after the page's
// /Rotate), W and H its width and height. On an unrotated page whose
// boxes start at 0,0 this is the page's default user space.
type Rect struct {
	X, Y, W, H float64
}

// Corners returns the rectangle with lower-left corner (llx, lly) and
// upper-right corner (urx, ury), in either order.
func Corners(llx, lly, urx, ury float64) Rect {
	if llx > urx {
		llx, urx = urx, llx
	}
	if lly > ury {
		lly, ury = ury, lly
	}
	return Rect{X: llx, Y: lly, W: urx - llx, H: ury - lly}
}

// MM converts millimetres to points: a 36 mm seal is MM(36) points wide.
func MM(mm float64) float64 { return mm * 72 / 25.4 }

// check refuses rectangles that cannot be drawn: not finite, negative or
// smaller than one point.
func (r Rect) check() error {
	for _, v := range []float64{r.X, r.Y, r.W, r.H} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: rectangle %+v is not finite", ErrBadRect, r)
		}
	}
	if r.W < 1 || r.H < 1 {
		return fmt.Errorf("%w: rectangle %+v has a width or height under 1 pt (W and H are a size, not a corner)", ErrBadRect, r)
	}
	return nil
}

// SealRect is where Decree 30/2020 Art. 33 puts an agency's seal of the
// given diameter (in points; MM(36) for a 36 mm seal) beside the signature
// of the leader drawn in leader: over about one third of it, on its left,
// centred vertically on it.
func SealRect(leader Rect, diameter float64) Rect {
	right := leader.X + leader.W/3
	return Rect{X: right - diameter, Y: leader.Y + (leader.H-diameter)/2, W: diameter, H: diameter}
}

// toUserSpace converts a rectangle given in the page's displayed
// orientation into corners in the page's default user space and refuses
// one that does not lie on the page.
func (r Rect) toUserSpace(pg pageInfo) ([4]float64, error) {
	if err := r.check(); err != nil {
		return [4]float64{}, err
	}
	x0, y0, pw, ph := pg.viewBox()
	dw, dh := pg.displayedSize()
	const tol = 0.5
	if r.X < -tol || r.Y < -tol || r.X+r.W > dw+tol || r.Y+r.H > dh+tol {
		return [4]float64{}, fmt.Errorf("%w: rectangle %+v is not inside the page (%g x %g pt as displayed)", ErrBadRect, r, round2(dw), round2(dh))
	}
	var llx, lly, w, h float64
	switch pg.rotate {
	case 90:
		llx, lly, w, h = pw-r.Y-r.H, r.X, r.H, r.W
	case 180:
		llx, lly, w, h = pw-r.X-r.W, ph-r.Y-r.H, r.W, r.H
	case 270:
		llx, lly, w, h = r.Y, ph-r.X-r.W, r.H, r.W
	default:
		llx, lly, w, h = r.X, r.Y, r.W, r.H
	}
	return [4]float64{x0 + llx, y0 + lly, x0 + llx + w, y0 + lly + h}, nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// Minimum text sizes: text is never drawn smaller; lines that do not fit
// at these sizes are dropped instead (see AppearanceLayout.Dropped).
const (
	// MinFontSize is the smallest size text is drawn at in any box.
	MinFontSize = 6.0
	// MinFontSizeLarge is the smallest size in a text area of at least
	// 150 x 60 pt.
	MinFontSizeLarge = 7.0
	// defaultMaxFontSize is the largest size automatic fitting uses.
	defaultMaxFontSize = 10.0
	// comfortFontSize: automatic fitting keeps each line whole when it
	// can do so at this size or larger, and wraps otherwise.
	comfortFontSize = 8.0
	lineGap         = 1.2
)

// AppearanceLayout is what a visible signature's text area holds once
// laid out: the font size, the lines as drawn (wrapped) and the lines
// that did not fit at the minimum size and were left out. Sign reports it
// through Appearance.OnLayout; PlanAppearance computes it beforehand.
type AppearanceLayout struct {
	FontSize float64
	Lines    []string // the drawn lines, after wrapping
	Dropped  []string // whole input lines left out, lowest priority first
	// TextBox is the text area [llx lly urx ury] in the appearance's own
	// space (upright, origin at the box's lower-left corner).
	TextBox [4]float64
	// ImageBox is where the image is drawn, in the same space; zero when
	// there is no image.
	ImageBox [4]float64
}

// textLine is an input line with its priority: higher numbers are
// dropped first when the box is too small.
type textLine struct {
	text     string
	priority int
}

// appearanceText returns the lines of ap's text and, when there are any,
// the font they are set in: ap.Font, or the embedded default.
func appearanceText(ap *Appearance, cert *x509.Certificate, t time.Time) ([]textLine, *trueType, error) {
	lines := appearanceLines(ap, cert, t)
	if len(lines) == 0 {
		return lines, nil, nil
	}
	var tt *trueType
	var err error
	if ap.Font != nil {
		tt, err = parseTrueType(ap.Font)
	} else {
		tt, err = defaultTrueType()
	}
	if err != nil {
		return nil, nil, err
	}
	return lines, tt, nil
}

// appearanceLines returns the text lines of ap with their priorities.
func appearanceLines(ap *Appearance, cert *x509.Certificate, t time.Time) []textLine {
	if ap.ImageLayout == ImageOnly {
		return nil
	}
	if ap.Lines != nil {
		out := make([]textLine, len(ap.Lines))
		for i, l := range ap.Lines {
			out[i] = textLine{text: l, priority: i} // later lines go first
		}
		return out
	}
	return defaultLines(cert, t, ap.TimeZone, ap.ShowEmail)
}

// defaultLines is the Vietnamese template: signer, agency, e-mail (when
// asked) and signing time with its offset from GMT. The signer and the
// time are kept longest; the e-mail and then the agency go first.
func defaultLines(cert *x509.Certificate, t time.Time, tz *time.Location, email bool) []textLine {
	if tz == nil {
		tz = vietnamTime()
	}
	var lines []textLine
	if cert != nil {
		lines = append(lines, textLine{"Ký bởi: " + cert.Subject.CommonName, 0})
		// An organisation's own certificate names it twice (CN and O).
		if o := cert.Subject.Organization; len(o) > 0 && o[0] != "" && o[0] != cert.Subject.CommonName {
			lines = append(lines, textLine{"Cơ quan: " + o[0], 2})
		}
		if e := certEmail(cert); email && e != "" {
			lines = append(lines, textLine{"Email: " + e, 3})
		}
	}
	lt := t.In(tz)
	lines = append(lines, textLine{"Thời gian ký: " + lt.Format("02/01/2006 15:04:05") + " (" + gmtOffset(lt) + ")", 1})
	return lines
}

// gmtOffset formats the zone offset of t as "GMT+7", "GMT-3:30", "GMT".
func gmtOffset(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "GMT"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return fmt.Sprintf("GMT%s%d", sign, h)
	}
	return fmt.Sprintf("GMT%s%d:%02d", sign, h, m)
}

var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// certEmail returns the certificate's e-mail address: the first
// rfc822Name of its subject alternative names, else the subject's
// emailAddress attribute.
func certEmail(cert *x509.Certificate) string {
	if len(cert.EmailAddresses) > 0 {
		return cert.EmailAddresses[0]
	}
	for _, n := range cert.Subject.Names {
		if n.Type.Equal(oidEmailAddress) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// measurer gives the width of text in a font, in thousandths of the font
// size, and says which runes it can draw.
type measurer interface {
	runeWidth(r rune) (float64, bool)
}

type ttMeasurer struct{ tt *trueType }

func (m ttMeasurer) runeWidth(r rune) (float64, bool) {
	g := m.tt.glyph(r)
	if g == 0 {
		return 0, false
	}
	return m.tt.width(g), true
}

// layoutText fits lines into a box of width w and height h: the largest
// size from maxSize down to the minimum (in half points) at which the
// wrapped lines fit; when none does, the lowest-priority line is dropped
// and fitting starts again. fixed > 0 uses that size only.
func layoutText(m measurer, lines []textLine, w, h, fixed float64) (AppearanceLayout, error) {
	minSize := MinFontSize
	if w >= 150-4 && h >= 60-4 { // the text area of a 150 x 60 box, less its margins
		minSize = MinFontSizeLarge
	}
	if fixed > 0 && fixed < MinFontSize {
		return AppearanceLayout{}, fmt.Errorf("%w: font size %g pt is under the %g pt minimum", ErrBadOptions, fixed, MinFontSize)
	}
	for i := range lines {
		lines[i].text = strings.Map(func(r rune) rune {
			switch {
			case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || unicode.In(r, unicode.Zl, unicode.Zp):
				return ' '
			case unicode.Is(unicode.Cf, r):
				// Invisible format characters (a byte order mark, zero
				// width spaces, direction marks): drawn when the font
				// has them, else left out.
				if _, ok := m.runeWidth(r); !ok {
					return -1
				}
			}
			return r
		}, norm.NFC.String(lines[i].text))
		for _, r := range lines[i].text {
			if _, ok := m.runeWidth(r); !ok && r != ' ' {
				return AppearanceLayout{}, fmt.Errorf("%w: the font has no glyph for %q", ErrBadOptions, r)
			}
		}
	}
	kept := append([]textLine(nil), lines...)
	var dropped []string
	for len(kept) > 0 {
		sizes := []float64{fixed}
		if fixed <= 0 {
			sizes = sizes[:0]
			for s := defaultMaxFontSize; s >= minSize-1e-9; s -= 0.5 {
				sizes = append(sizes, s)
			}
		}
		// Whole lines at a comfortable size first; then the largest size
		// at which the wrapped lines fit.
		for _, wrap := range []bool{false, true} {
			for _, s := range sizes {
				if !wrap && s < comfortFontSize && fixed <= 0 {
					break
				}
				var out []string
				for _, l := range kept {
					out = append(out, wrapLine(m, l.text, w*1000/s)...)
				}
				if (wrap || len(out) == len(kept)) && float64(len(out))*s*lineGap <= h+1e-9 {
					return AppearanceLayout{FontSize: s, Lines: out, Dropped: dropped}, nil
				}
			}
		}
		// Drop the lowest-priority line (the last of equal ones).
		worst := 0
		for i, l := range kept {
			if l.priority >= kept[worst].priority {
				worst = i
			}
		}
		dropped = append(dropped, kept[worst].text)
		kept = append(kept[:worst:worst], kept[worst+1:]...)
	}
	if len(lines) == 0 {
		return AppearanceLayout{}, nil
	}
	size := fixed
	if size <= 0 {
		size = minSize
	}
	return AppearanceLayout{}, fmt.Errorf("%w: a text area of %.0f x %.0f pt cannot hold one line of text at %g pt", ErrBadRect, w, h, size)
}

// wrapLine breaks text into lines at most width (in thousandths of the
// font size) wide, at spaces where it can and inside a word only when
// the word alone is wider than the line.
func wrapLine(m measurer, text string, width float64) []string {
	words := strings.FieldsFunc(text, unicode.IsSpace)
	if len(words) == 0 {
		return []string{""}
	}
	space, _ := m.runeWidth(' ')
	var out []string
	var cur strings.Builder
	curW := 0.0
	flush := func() {
		out = append(out, cur.String())
		cur.Reset()
		curW = 0
	}
	for _, word := range words {
		ww := textWidth(m, word)
		if cur.Len() > 0 && curW+space+ww <= width {
			cur.WriteByte(' ')
			cur.WriteString(word)
			curW += space + ww
			continue
		}
		if cur.Len() > 0 {
			flush()
		}
		if ww <= width {
			cur.WriteString(word)
			curW = ww
			continue
		}
		// A word wider than the line: break it between characters.
		for _, r := range word {
			rw, _ := m.runeWidth(r)
			if cur.Len() > 0 && curW+rw > width {
				flush()
			}
			cur.WriteRune(r)
			curW += rw
		}
	}
	if cur.Len() > 0 {
		flush()
	}
	return out
}

func textWidth(m measurer, s string) float64 {
	w := 0.0
	for _, r := range s {
		rw, _ := m.runeWidth(r)
		w += rw
	}
	return w
}

// planLayout places the image and lays out the text of an appearance box
// of w x h points (upright). aspect is the image's width/height, 0 for no
// image.
func planLayout(ap *Appearance, w, h float64, tt *trueType, lines []textLine, aspect float64) (AppearanceLayout, error) {
	var lay AppearanceLayout
	const margin = 2.0
	text := [4]float64{margin, margin, w - margin, h - margin}
	if ap.ImageLayout == ImageOnly && aspect == 0 {
		return lay, fmt.Errorf("%w: ImageOnly appearance without an image", ErrBadOptions)
	}
	if ap.ImageWidth < 0 || math.IsNaN(ap.ImageWidth) || math.IsInf(ap.ImageWidth, 0) {
		return lay, fmt.Errorf("%w: image width %g", ErrBadOptions, ap.ImageWidth)
	}
	if aspect > 0 {
		var slot [4]float64
		switch ap.ImageLayout {
		case ImageLeft, ImageRight:
			if len(lines) == 0 {
				slot = [4]float64{0, 0, w, h}
				break
			}
			iw := math.Min(h*aspect, w*0.4)
			if ap.ImageWidth > 0 {
				iw = ap.ImageWidth
			}
			if ap.ImageLayout == ImageLeft {
				slot = [4]float64{0, 0, iw, h}
				text[0] = iw + 4
			} else {
				slot = [4]float64{w - iw, 0, w, h}
				text[2] = w - iw - 4
			}
		case ImageAbove:
			if len(lines) == 0 {
				slot = [4]float64{0, 0, w, h}
			} else {
				ih := math.Min(w/aspect, h*0.5)
				if ap.ImageWidth > 0 {
					ih = ap.ImageWidth / aspect
				}
				slot = [4]float64{0, h - ih, w, h}
				text[3] = h - ih - margin
			}
		case ImageBackground, ImageOnly:
			slot = [4]float64{0, 0, w, h}
		default:
			return lay, fmt.Errorf("%w: unknown image layout %d", ErrBadOptions, ap.ImageLayout)
		}
		// Fit the image in its slot keeping its aspect ratio, centred; at
		// its real size when ImageWidth is given.
		sw, sh := slot[2]-slot[0], slot[3]-slot[1]
		dw, dh := sw, sw/aspect
		if dh > sh {
			dh, dw = sh, sh*aspect
		}
		if ap.ImageWidth > 0 {
			dw, dh = ap.ImageWidth, ap.ImageWidth/aspect
			if dw > sw+0.5 || dh > sh+0.5 {
				return lay, fmt.Errorf("%w: an image %.1f x %.1f pt (%.1f mm wide) does not fit in its %.1f x %.1f pt part of the box", ErrBadRect, dw, dh, dw*25.4/72, sw, sh)
			}
		}
		x, y := slot[0]+(sw-dw)/2, slot[1]+(sh-dh)/2
		lay.ImageBox = [4]float64{x, y, x + dw, y + dh}
	}
	if len(lines) == 0 {
		return lay, nil
	}
	tw, th := text[2]-text[0], text[3]-text[1]
	if tw < 4 || th < 4 {
		return lay, fmt.Errorf("%w: no room left for the text in a %.0f x %.0f pt box", ErrBadRect, w, h)
	}
	tl, err := layoutText(ttMeasurer{tt}, lines, tw, th, ap.FontSize)
	if err != nil {
		return lay, err
	}
	tl.TextBox, tl.ImageBox = text, lay.ImageBox
	return tl, nil
}

// PlanAppearance lays out ap for a box of ap.Rect's size as Sign would,
// without signing: the font size, the wrapped lines and the lines that do
// not fit. cert and t fill the default template (nil and the zero time
// are allowed when ap.Lines is set).
func PlanAppearance(ap *Appearance, cert *x509.Certificate, t time.Time) (AppearanceLayout, error) {
	if ap == nil {
		return AppearanceLayout{}, fmt.Errorf("%w: no appearance", ErrBadOptions)
	}
	if err := ap.Rect.check(); err != nil {
		return AppearanceLayout{}, err
	}
	lines, tt, err := appearanceText(ap, cert, t)
	if err != nil {
		return AppearanceLayout{}, err
	}
	aspect := 0.0
	if ap.Image != nil && ap.ImageLayout != TextOnly {
		w, h, err := imageSize(ap.Image)
		if err != nil {
			return AppearanceLayout{}, err
		}
		aspect = float64(w) / float64(h)
	}
	return planLayout(ap, ap.Rect.W, ap.Rect.H, tt, lines, aspect)
}

// imageSize reads the pixel size of a JPEG or PNG appearance image.
func imageSize(data []byte) (w, h int, err error) {
	if len(data) > 3 && data[0] == 0xff && data[1] == 0xd8 {
		w, h, _, _, err = jpegInfo(data)
		return w, h, err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 {
		return 0, 0, fmt.Errorf("%w: image is neither a JPEG nor a readable PNG", ErrBadOptions)
	}
	return cfg.Width, cfg.Height, nil
}

func defaultFont() []byte { return liberationserifregular.TTF }

// defaultTrueType is defaultFont parsed, once per process (it is
// standardMetrics' Times font too).
func defaultTrueType() (*trueType, error) { return stdFonts["serif"]() }
