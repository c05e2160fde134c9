package pdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"golang.org/x/image/font/sfnt"
)

// trueType is a parsed TrueType font, enough to lay out text and to embed a
// subset as a CIDFontType2 with Identity CID-to-GID mapping.
type trueType struct {
	data       []byte
	tables     map[string][]byte
	sfnt       *sfnt.Font
	unitsPerEm int
	numGlyphs  int
	longLoca   bool
	bbox       [4]int
	ascent     int
	descent    int
	capHeight  int
	italic     float64
	advances   []int // per glyph, font units
	psName     string
}

func parseTrueType(data []byte) (*trueType, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: font: "+format, append([]any{ErrBadOptions}, args...)...)
	}
	if len(data) < 12 {
		return nil, bad("too short")
	}
	switch v := binary.BigEndian.Uint32(data); v {
	case 0x00010000, 0x74727565: // 1.0, 'true'
	case 0x4F54544F: // 'OTTO'
		return nil, bad("CFF-flavoured OpenType is not supported; use a TrueType (glyf) font")
	case 0x74746366: // 'ttcf'
		return nil, bad("font collections (.ttc) are not supported; extract one font")
	default:
		return nil, bad("not a TrueType font")
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if 12+16*n > len(data) {
		return nil, bad("truncated table directory")
	}
	f := &trueType{data: data, tables: map[string][]byte{}}
	for i := 0; i < n; i++ {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off := int64(binary.BigEndian.Uint32(rec[8:]))
		l := int64(binary.BigEndian.Uint32(rec[12:]))
		if off+l > int64(len(data)) {
			return nil, bad("table %q outside the file", tag)
		}
		f.tables[tag] = data[off : off+l]
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "loca", "glyf", "cmap"} {
		if f.tables[t] == nil {
			return nil, bad("missing %q table", t)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, bad("short head/hhea/maxp table")
	}
	f.unitsPerEm = int(binary.BigEndian.Uint16(head[18:]))
	if f.unitsPerEm < 16 || f.unitsPerEm > 16384 {
		return nil, bad("bad unitsPerEm %d", f.unitsPerEm)
	}
	for i := 0; i < 4; i++ {
		f.bbox[i] = int(int16(binary.BigEndian.Uint16(head[36+2*i:])))
	}
	f.longLoca = binary.BigEndian.Uint16(head[50:]) == 1
	f.ascent = int(int16(binary.BigEndian.Uint16(hhea[4:])))
	f.descent = int(int16(binary.BigEndian.Uint16(hhea[6:])))
	f.capHeight = f.ascent
	if os2 := f.tables["OS/2"]; len(os2) >= 90 && binary.BigEndian.Uint16(os2) >= 2 {
		f.capHeight = int(int16(binary.BigEndian.Uint16(os2[88:])))
	}
	if post := f.tables["post"]; len(post) >= 8 {
		f.italic = float64(int32(binary.BigEndian.Uint32(post[4:]))) / 65536
	}
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	nh := int(binary.BigEndian.Uint16(hhea[34:]))
	hmtx := f.tables["hmtx"]
	if nh < 1 || nh > f.numGlyphs || len(hmtx) < 4*nh {
		return nil, bad("bad hmtx")
	}
	f.advances = make([]int, f.numGlyphs)
	for g := 0; g < f.numGlyphs; g++ {
		i := g
		if i >= nh {
			i = nh - 1
		}
		f.advances[g] = int(binary.BigEndian.Uint16(hmtx[4*i:]))
	}
	locaLen := 2 * (f.numGlyphs + 1)
	if f.longLoca {
		locaLen *= 2
	}
	if len(f.tables["loca"]) < locaLen {
		return nil, bad("short loca table")
	}
	sf, err := sfnt.Parse(data)
	if err != nil {
		return nil, bad("%v", err)
	}
	f.sfnt = sf
	var buf sfnt.Buffer
	if ps, err := sf.Name(&buf, sfnt.NameIDPostScript); err == nil && ps != "" {
		f.psName = sanitizePSName(ps)
	}
	if f.psName == "" {
		f.psName = "EmbeddedFont"
	}
	return f, nil
}

func sanitizePSName(s string) string {
	var b []byte
	for i := 0; i < len(s) && len(b) < 63; i++ {
		if c := s[i]; c > ' ' && c < 0x7f && !isDelim(c) && c != '#' {
			b = append(b, c)
		}
	}
	return string(b)
}

// glyph returns the glyph for r, or 0 when the font has none.
func (f *trueType) glyph(r rune) uint16 {
	var buf sfnt.Buffer
	g, err := f.sfnt.GlyphIndex(&buf, r)
	if err != nil {
		return 0
	}
	return uint16(g)
}

// width returns the advance of g in 1/1000 em.
func (f *trueType) width(g uint16) float64 {
	if int(g) >= len(f.advances) {
		return 0
	}
	return float64(f.advances[g]) * 1000 / float64(f.unitsPerEm)
}

func (f *trueType) glyphData(g int) []byte {
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	var a, b int
	if f.longLoca {
		a, b = int(binary.BigEndian.Uint32(loca[4*g:])), int(binary.BigEndian.Uint32(loca[4*g+4:]))
	} else {
		a, b = 2*int(binary.BigEndian.Uint16(loca[2*g:])), 2*int(binary.BigEndian.Uint16(loca[2*g+2:]))
	}
	if a < 0 || b < a || b > len(glyf) {
		return nil
	}
	return glyf[a:b]
}

// components returns the glyphs a composite glyph refers to.
func components(g []byte) []int {
	if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
		return nil
	}
	var out []int
	p := 10
	for p+4 <= len(g) {
		flags := binary.BigEndian.Uint16(g[p:])
		out = append(out, int(binary.BigEndian.Uint16(g[p+2:])))
		p += 4
		if flags&0x1 != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&0x8 != 0:
			p += 2
		case flags&0x40 != 0:
			p += 4
		case flags&0x80 != 0:
			p += 8
		}
		if flags&0x20 == 0 {
			break
		}
	}
	return out
}

// subset returns a TrueType font with the same glyph numbering in which all
// glyphs but used (and the components they need, and .notdef) are empty,
// and with only the tables a PDF viewer needs.
func (f *trueType) subset(used map[uint16]bool) []byte {
	keep := map[int]bool{0: true}
	var stack []int
	for g := range used {
		stack = append(stack, int(g))
	}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if g >= f.numGlyphs || keep[g] && g != 0 {
			continue
		}
		keep[g] = true
		for _, c := range components(f.glyphData(g)) {
			if !keep[c] {
				stack = append(stack, c)
			}
		}
	}
	var glyf bytes.Buffer
	loca := make([]byte, 4*(f.numGlyphs+1))
	for g := 0; g < f.numGlyphs; g++ {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(glyf.Len()))
		if keep[g] {
			glyf.Write(f.glyphData(g))
			for glyf.Len()%4 != 0 {
				glyf.WriteByte(0)
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*f.numGlyphs:], uint32(glyf.Len()))
	head := bytes.Clone(f.tables["head"])
	binary.BigEndian.PutUint16(head[50:], 1) // long loca
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	tables := map[string][]byte{
		"head": head,
		"hhea": f.tables["hhea"],
		"hmtx": f.tables["hmtx"],
		"maxp": f.tables["maxp"],
		"loca": loca,
		"glyf": glyf.Bytes(),
		"cmap": f.tables["cmap"],
	}
	for _, t := range []string{"cvt ", "fpgm", "prep", "OS/2", "name"} {
		if f.tables[t] != nil {
			tables[t] = f.tables[t]
		}
	}
	if post := f.tables["post"]; len(post) >= 32 {
		p := bytes.Clone(post[:32])
		binary.BigEndian.PutUint32(p, 0x00030000) // no glyph names
		tables["post"] = p
	}
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	var out bytes.Buffer
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	hdr := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(hdr, 0x00010000)
	binary.BigEndian.PutUint16(hdr[4:], uint16(n))
	binary.BigEndian.PutUint16(hdr[6:], uint16(16<<es))
	binary.BigEndian.PutUint16(hdr[8:], uint16(es))
	binary.BigEndian.PutUint16(hdr[10:], uint16(16*n-16<<es))
	off := len(hdr)
	var body bytes.Buffer
	headAt := 0
	for i, t := range tags {
		data := tables[t]
		rec := hdr[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[4:], checksum(data))
		binary.BigEndian.PutUint32(rec[8:], uint32(off+body.Len()))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(data)))
		if t == "head" {
			headAt = off + body.Len()
		}
		body.Write(data)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	out.Write(hdr)
	out.Write(body.Bytes())
	font := out.Bytes()
	binary.BigEndian.PutUint32(font[headAt+8:], 0xB1B0AFBA-checksum(font))
	return font
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
