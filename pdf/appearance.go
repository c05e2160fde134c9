package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"image/color"
	"image/png"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// buildAppearance adds the normal appearance of a visible signature (form
// XObject, font, image) to u and returns its reference. rect is the widget
// rectangle; rotate the page rotation, which the appearance undoes so the
// text reads upright.
func buildAppearance(u *update, ap *Appearance, rect [4]float64, rotate int, cert *x509.Certificate, t time.Time) (ref, error) {
	// Widgets of one signature that draw the same thing (initials on
	// every page) share one appearance, font subset included.
	key := appearanceKey(ap, rect, rotate)
	if sh, ok := u.appearances[key]; ok {
		if ap.OnLayout != nil {
			ap.OnLayout(sh.lay)
		}
		return sh.ref, nil
	}
	r, lay, err := drawAppearance(u, ap, rect, rotate, cert, t)
	if err != nil {
		return ref{}, err
	}
	if u.appearances == nil {
		u.appearances = map[string]sharedAppearance{}
	}
	u.appearances[key] = sharedAppearance{ref: r, lay: lay}
	return r, nil
}

// appearanceKey identifies what an appearance draws in a widget of the
// given rectangle on a page of the given rotation (the certificate and
// signing time are those of the one signature being made). Font and
// image are told apart by their backing arrays, not hashed: widgets made
// from copies of one Appearance share them.
func appearanceKey(ap *Appearance, rect [4]float64, rotate int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%g %g %d|%d %g %g %v|", rect[2]-rect[0], rect[3]-rect[1], rotate, ap.ImageLayout, ap.FontSize, ap.ImageWidth, ap.ShowEmail)
	fmt.Fprintf(&b, "%p/%d %p/%d|", ap.Font, len(ap.Font), ap.Image, len(ap.Image))
	if ap.TimeZone != nil {
		fmt.Fprintf(&b, "%p|", ap.TimeZone)
	}
	if ap.Lines == nil {
		b.WriteString("template")
	}
	for _, l := range ap.Lines {
		fmt.Fprintf(&b, "%q", l)
	}
	return b.String()
}

// drawAppearance writes a new appearance for buildAppearance.
func drawAppearance(u *update, ap *Appearance, rect [4]float64, rotate int, cert *x509.Certificate, t time.Time) (ref, AppearanceLayout, error) {
	w, h := rect[2]-rect[0], rect[3]-rect[1]
	var matrix array
	switch rotate {
	case 90:
		w, h = h, w
		matrix = array{int64(0), int64(1), int64(-1), int64(0), int64(0), int64(0)}
	case 180:
		matrix = array{int64(-1), int64(0), int64(0), int64(-1), int64(0), int64(0)}
	case 270:
		w, h = h, w
		matrix = array{int64(0), int64(-1), int64(1), int64(0), int64(0), int64(0)}
	}
	lines, tt, err := appearanceText(ap, cert, t)
	if err != nil {
		return ref{}, AppearanceLayout{}, err
	}
	var img embeddedImage
	aspect := 0.0
	if ap.Image != nil && ap.ImageLayout != TextOnly {
		var err error
		if img, err = embedImage(u, ap.Image); err != nil {
			return ref{}, AppearanceLayout{}, err
		}
		aspect = float64(img.w) / float64(img.h)
	}
	lay, err := planLayout(ap, w, h, tt, lines, aspect)
	if err != nil {
		return ref{}, AppearanceLayout{}, err
	}
	if ap.OnLayout != nil {
		ap.OnLayout(lay)
	}
	var content bytes.Buffer
	res := dict{}
	if aspect > 0 {
		res["XObject"] = dict{"Im1": img.ref}
		b := lay.ImageBox
		fmt.Fprintf(&content, "q %s 0 0 %s %s %s cm /Im1 Do Q\n", formatReal(b[2]-b[0]), formatReal(b[3]-b[1]), formatReal(b[0]), formatReal(b[1]))
	}
	if len(lay.Lines) > 0 {
		used := map[uint16]bool{}
		toUni := map[uint16][]rune{}
		glyphLines := make([][]uint16, len(lay.Lines))
		for i, l := range lay.Lines {
			for _, r := range l {
				g := tt.glyph(r)
				glyphLines[i] = append(glyphLines[i], g)
				used[g] = true
				if _, ok := toUni[g]; !ok {
					toUni[g] = []rune{r}
				}
			}
		}
		fontRef, err := embedFont(u, tt, used, toUni)
		if err != nil {
			return ref{}, AppearanceLayout{}, err
		}
		res["Font"] = dict{"F1": fontRef}
		size := lay.FontSize
		lead := size * lineGap
		tb := lay.TextBox
		block := lead * float64(len(lay.Lines))
		y := tb[1] + (tb[3]-tb[1]+block)/2 - size*float64(tt.ascent)/float64(tt.unitsPerEm)
		content.WriteString("BT 0 g\n")
		fmt.Fprintf(&content, "/F1 %s Tf\n", formatReal(size))
		for _, gl := range glyphLines {
			fmt.Fprintf(&content, "1 0 0 1 %s %s Tm <", formatReal(tb[0]), formatReal(y))
			for _, g := range gl {
				fmt.Fprintf(&content, "%04X", g)
			}
			content.WriteString("> Tj\n")
			y -= lead
		}
		content.WriteString("ET\n")
	}
	form := dict{
		"Type":      name("XObject"),
		"Subtype":   name("Form"),
		"BBox":      array{int64(0), int64(0), w, h},
		"Resources": res,
		"Filter":    name("FlateDecode"),
	}
	if matrix != nil {
		form["Matrix"] = matrix
	}
	return u.add(&stream{hdr: form, data: deflate(content.Bytes())}), lay, nil
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// embedFont writes the Type0 / CIDFontType2 font with Identity-H encoding,
// a subset font program, widths and a ToUnicode CMap.
func embedFont(u *update, tt *trueType, used map[uint16]bool, toUni map[uint16][]rune) (ref, error) {
	gids := make([]int, 0, len(used))
	for g := range used {
		gids = append(gids, int(g))
	}
	sort.Ints(gids)
	// Subset tag: six letters derived from the glyph set.
	hsum := sha256.New()
	for _, g := range gids {
		hsum.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := hsum.Sum(nil)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	baseName := name(string(tag) + "+" + tt.psName)
	program := tt.subset(used)
	fontFile := u.add(&stream{hdr: dict{"Length1": int64(len(program)), "Filter": name("FlateDecode")}, data: deflate(program)})
	scale := 1000 / float64(tt.unitsPerEm)
	desc := u.add(dict{
		"Type":        name("FontDescriptor"),
		"FontName":    baseName,
		"Flags":       int64(32),
		"FontBBox":    array{float64(tt.bbox[0]) * scale, float64(tt.bbox[1]) * scale, float64(tt.bbox[2]) * scale, float64(tt.bbox[3]) * scale},
		"ItalicAngle": tt.italic,
		"Ascent":      float64(tt.ascent) * scale,
		"Descent":     float64(tt.descent) * scale,
		"CapHeight":   float64(tt.capHeight) * scale,
		"StemV":       int64(80),
		"FontFile2":   fontFile,
	})
	var widths array
	for _, g := range gids {
		widths = append(widths, int64(g), array{tt.width(uint16(g))})
	}
	cid := u.add(dict{
		"Type":           name("Font"),
		"Subtype":        name("CIDFontType2"),
		"BaseFont":       baseName,
		"CIDSystemInfo":  dict{"Registry": pdfString("Adobe"), "Ordering": pdfString("Identity"), "Supplement": int64(0)},
		"FontDescriptor": desc,
		"W":              widths,
		"DW":             int64(1000),
		"CIDToGIDMap":    name("Identity"),
	})
	var cm strings.Builder
	cm.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n")
	cm.WriteString("/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n")
	cm.WriteString("/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n")
	cm.WriteString("1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		j := min(i+100, len(gids))
		fmt.Fprintf(&cm, "%d beginbfchar\n", j-i)
		for _, g := range gids[i:j] {
			fmt.Fprintf(&cm, "<%04X> <", g)
			for _, c := range utf16.Encode(toUni[uint16(g)]) {
				fmt.Fprintf(&cm, "%04X", c)
			}
			cm.WriteString(">\n")
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	toUnicode := u.add(&stream{hdr: dict{"Filter": name("FlateDecode")}, data: deflate([]byte(cm.String()))})
	return u.add(dict{
		"Type":            name("Font"),
		"Subtype":         name("Type0"),
		"BaseFont":        baseName,
		"Encoding":        name("Identity-H"),
		"DescendantFonts": array{cid},
		"ToUnicode":       toUnicode,
	}), nil
}

type embeddedImage struct {
	ref  ref
	w, h int
}

// embedImage writes a JPEG (passed through as DCTDecode) or a PNG (decoded;
// colour as Flate RGB or gray, alpha as an SMask) image XObject.
// maxImagePixels bounds a PNG appearance image (a seal or a scanned
// signature needs far fewer; 16 Mpx already decodes to about 130 MB).
const maxImagePixels = 16 << 20

func embedImage(u *update, data []byte) (embeddedImage, error) {
	if len(data) > 3 && data[0] == 0xff && data[1] == 0xd8 {
		w, h, comps, adobe, err := jpegInfo(data)
		if err != nil {
			return embeddedImage{}, err
		}
		cs := name("DeviceRGB")
		hdr := dict{"Type": name("XObject"), "Subtype": name("Image"), "Width": int64(w), "Height": int64(h),
			"BitsPerComponent": int64(8), "Filter": name("DCTDecode")}
		switch comps {
		case 1:
			cs = "DeviceGray"
		case 4:
			cs = "DeviceCMYK"
			if adobe {
				// Adobe (APP14) CMYK JPEGs store inverted values.
				hdr["Decode"] = array{int64(1), int64(0), int64(1), int64(0), int64(1), int64(0), int64(1), int64(0)}
			}
		}
		hdr["ColorSpace"] = cs
		return embeddedImage{ref: u.add(&stream{hdr: hdr, data: bytes.Clone(data)}), w: w, h: h}, nil
	}
	// Check the declared size before decoding: the decoder allocates the
	// whole image up front, whatever the file holds.
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return embeddedImage{}, fmt.Errorf("%w: image is neither a JPEG nor a readable PNG: %v", ErrBadOptions, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return embeddedImage{}, fmt.Errorf("%w: PNG image of %dx%d pixels (at most %d pixels)", ErrBadOptions, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return embeddedImage{}, fmt.Errorf("%w: image is neither a JPEG nor a readable PNG: %v", ErrBadOptions, err)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := true
	opaque := true
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model:
	default:
		gray = false
	}
	rgb := make([]byte, 0, w*h*3)
	alpha := make([]byte, 0, w*h)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if gray {
				rgb = append(rgb, c.R)
			} else {
				rgb = append(rgb, c.R, c.G, c.B)
			}
			alpha = append(alpha, c.A)
			if c.A != 0xff {
				opaque = false
			}
		}
	}
	hdr := dict{"Type": name("XObject"), "Subtype": name("Image"), "Width": int64(w), "Height": int64(h),
		"BitsPerComponent": int64(8), "ColorSpace": name("DeviceRGB"), "Filter": name("FlateDecode")}
	if gray {
		hdr["ColorSpace"] = name("DeviceGray")
	}
	if !opaque {
		hdr["SMask"] = u.add(&stream{hdr: dict{"Type": name("XObject"), "Subtype": name("Image"), "Width": int64(w), "Height": int64(h),
			"BitsPerComponent": int64(8), "ColorSpace": name("DeviceGray"), "Filter": name("FlateDecode")}, data: deflate(alpha)})
	}
	return embeddedImage{ref: u.add(&stream{hdr: hdr, data: deflate(rgb)}), w: w, h: h}, nil
}

// jpegInfo reads the frame header of a JPEG.
func jpegInfo(data []byte) (w, h, comps int, adobe bool, err error) {
	p := 2
	for p+4 <= len(data) {
		if data[p] != 0xff {
			return 0, 0, 0, false, fmt.Errorf("%w: corrupt JPEG", ErrBadOptions)
		}
		m := data[p+1]
		if m == 0xff {
			p++
			continue
		}
		if m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7) {
			p += 2
			continue
		}
		l := int(data[p+2])<<8 | int(data[p+3])
		if l < 2 || p+2+l > len(data) {
			break
		}
		if m == 0xee && l >= 7 && bytes.HasPrefix(data[p+4:], []byte("Adobe")) {
			adobe = true
		}
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			seg := data[p+4 : p+2+l]
			if len(seg) < 6 {
				break
			}
			h = int(seg[1])<<8 | int(seg[2])
			w = int(seg[3])<<8 | int(seg[4])
			comps = int(seg[5])
			if w < 1 || h < 1 || (comps != 1 && comps != 3 && comps != 4) {
				break
			}
			return w, h, comps, adobe, nil
		}
		p += 2 + l
	}
	return 0, 0, 0, false, fmt.Errorf("%w: no JPEG frame header", ErrBadOptions)
}
