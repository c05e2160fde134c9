package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"

	"github.com/go-fonts/liberation/liberationmonoregular"
	"github.com/go-fonts/liberation/liberationsansbold"
	"github.com/go-fonts/liberation/liberationsansregular"
	"github.com/go-fonts/liberation/liberationserifbold"

	"golang.org/x/text/unicode/norm"
)

// TextMatch is one place where FindText found the text it was asked for.
type TextMatch struct {
	// Page is the page number, from 1.
	Page int
	// Rect is the box of the matched text, in points, in the page's
	// displayed orientation (the same space as Appearance.Rect).
	Rect Rect
	// Line is the whole line of text the match is part of.
	Line string
}

// Below returns a w x h box whose top edge is gap points under the match,
// left-aligned with it: where a signature goes under a signer's printed
// title or name.
func (m TextMatch) Below(w, h, gap float64) Rect {
	return Rect{X: m.Rect.X, Y: m.Rect.Y - gap - h, W: w, H: h}
}

// Above returns a w x h box gap points over the match, left-aligned.
func (m TextMatch) Above(w, h, gap float64) Rect {
	return Rect{X: m.Rect.X, Y: m.Rect.Y + m.Rect.H + gap, W: w, H: h}
}

// RightOf returns a w x h box starting gap points right of the match,
// sharing its baseline area (bottom-aligned): where a clerk's number goes
// after "Số:".
func (m TextMatch) RightOf(w, h, gap float64) Rect {
	return Rect{X: m.Rect.X + m.Rect.W + gap, Y: m.Rect.Y, W: w, H: h}
}

// CentredBelow returns a w x h box gap points under the match, centred on
// it horizontally.
func (m TextMatch) CentredBelow(w, h, gap float64) Rect {
	return Rect{X: m.Rect.X + (m.Rect.W-w)/2, Y: m.Rect.Y - gap - h, W: w, H: h}
}

// FindOptions tunes FindText.
type FindOptions struct {
	// Password opens an encrypted document.
	Password string
	// Pages limits the search to these pages (from 1; -1 is the last).
	// Nil searches every page.
	Pages []int
	// MatchCase makes the search case-sensitive; by default "số:" finds
	// "Số:".
	MatchCase bool
}

// Text extraction bounds: content beyond them is hostile or absurd.
const (
	maxContentOps   = 2_000_000 // operators interpreted per page
	maxFormDepth    = 8         // nested form XObjects
	maxGlyphsOnPage = 1_000_000
	maxCMapWork     = 1 << 18 // code mappings read from one ToUnicode map or /W array
	// maxFontWork bounds the code mappings read from all the ToUnicode
	// maps and /W arrays of one document (each font and each ToUnicode
	// stream is read once, however often it is selected).
	maxFontWork = 1 << 22
)

// FindText finds text on the pages of a PDF by reading their content
// streams (text drawn by Tj, TJ, ' and " through simple and composite
// fonts, with their ToUnicode maps or encodings; form XObjects included),
// so that a signature or a stamp can be placed relative to printed text
// — the signer's name, "Số:", "ngày", "Nơi nhận" — without coordinates.
// Matching ignores differences of Unicode normalisation and of runs of
// spaces, and of case unless opts.MatchCase. Matches come in page order,
// then top to bottom. Text drawn as images or outlines cannot be found,
// nor text in annotations (earlier visible signatures, stamps). A page's
// text ends at the first syntax error in its content, as viewers stop
// drawing there.
func FindText(r io.ReaderAt, size int64, text string, opts *FindOptions) ([]TextMatch, error) {
	if opts == nil {
		opts = &FindOptions{}
	}
	if len(normaliseForSearch(text, false)) == 0 {
		return nil, fmt.Errorf("%w: empty search text", ErrBadOptions)
	}
	ts, err := newTextSearch(r, size, opts.Password)
	if err != nil {
		return nil, err
	}
	return ts.find(text, opts)
}

// textSearch searches one opened document, extracting each page's text
// once however many searches are made (a flow placing several anchors).
type textSearch struct {
	d     *document
	pages []pageInfo
	lines map[int][]textLineRun // page index → its lines, once extracted
}

func newTextSearch(r io.ReaderAt, size int64, password string) (*textSearch, error) {
	d, err := open(r, size, []byte(password))
	if err != nil {
		return nil, err
	}
	pages, err := d.allPages()
	if err != nil {
		return nil, err
	}
	return &textSearch{d: d, pages: pages, lines: map[int][]textLineRun{}}, nil
}

// find is FindText on the opened document (opts.Password is not used).
func (ts *textSearch) find(text string, opts *FindOptions) ([]TextMatch, error) {
	needle := normaliseForSearch(text, !opts.MatchCase)
	if len(needle) == 0 {
		return nil, fmt.Errorf("%w: empty search text", ErrBadOptions)
	}
	pages := ts.pages
	want := map[int]bool{}
	for _, n := range opts.Pages {
		if n == -1 {
			n = len(pages)
		}
		if n < 1 || n > len(pages) {
			return nil, fmt.Errorf("%w: page %d of %d", ErrBadOptions, n, len(pages))
		}
		want[n] = true
	}
	var out []TextMatch
	for i, pg := range pages {
		if len(want) > 0 && !want[i+1] {
			continue
		}
		lines, ok := ts.lines[i]
		if !ok {
			var err error
			if lines, err = ts.d.pageLines(pg); err != nil {
				return nil, fmt.Errorf("pdf: reading the text of page %d: %w", i+1, err)
			}
			ts.lines[i] = lines
		}
		var onPage []TextMatch
		for _, l := range lines {
			for _, box := range l.find(needle, !opts.MatchCase) {
				onPage = append(onPage, TextMatch{Page: i + 1, Rect: fromUserSpace(pg, box), Line: l.String()})
			}
		}
		// Top to bottom as displayed; left to right on one line (boxes
		// whose vertical middles are within half a box height).
		sort.SliceStable(onPage, func(a, b int) bool {
			ra, rb := onPage[a].Rect, onPage[b].Rect
			ma, mb := ra.Y+ra.H/2, rb.Y+rb.H/2
			if math.Abs(ma-mb) > math.Min(ra.H, rb.H)/2 {
				return ma > mb
			}
			return ra.X < rb.X
		})
		out = append(out, onPage...)
	}
	return out, nil
}

// normaliseForSearch is NFC with runs of white space made one space, and
// lower case when fold.
func normaliseForSearch(s string, fold bool) []rune {
	s = strings.Join(strings.Fields(norm.NFC.String(s)), " ")
	rs := []rune(s)
	if fold {
		for i, r := range rs {
			rs[i] = unicode.ToLower(r)
		}
	}
	return rs
}

// fromUserSpace converts corners in default user space into a Rect in the
// page's displayed orientation (the inverse of Rect.toUserSpace).
func fromUserSpace(pg pageInfo, c [4]float64) Rect {
	x0, y0, pw, ph := pg.viewBox()
	llx, lly, w, h := c[0]-x0, c[1]-y0, c[2]-c[0], c[3]-c[1]
	switch pg.rotate {
	case 90:
		return Rect{X: lly, Y: pw - llx - w, W: h, H: w}
	case 180:
		return Rect{X: pw - llx - w, Y: ph - lly - h, W: w, H: h}
	case 270:
		return Rect{X: ph - lly - h, Y: llx, W: h, H: w}
	}
	return Rect{X: llx, Y: lly, W: w, H: h}
}

// glyph is one drawn character code: its text and its box in user space.
type glyph struct {
	text string
	box  [4]float64 // llx lly urx ury
	// baseline origin and direction, for grouping into lines
	x, y, size float64
	// nx, ny is where the next glyph's origin is after this one's
	// advance with its character and word spacing: a gap beyond it is a
	// word break, spacing within it is not.
	nx, ny float64
	// dir is the baseline's direction in user space, in quarter turns
	// counter-clockwise (1: text running up, as on a page with /Rotate
	// 90 whose content is turned to read upright).
	dir int
}

// turn rotates the point (x, y) by k quarter turns clockwise: into the
// frame where text of direction k runs left to right.
func turn(k int, x, y float64) (float64, float64) {
	switch k & 3 {
	case 1:
		return y, -x
	case 2:
		return -x, -y
	case 3:
		return -y, x
	}
	return x, y
}

// turnBox rotates a box by k quarter turns clockwise.
func turnBox(k int, b [4]float64) [4]float64 {
	x0, y0 := turn(k, b[0], b[1])
	x1, y1 := turn(k, b[2], b[3])
	return [4]float64{min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)}
}

// textLine is glyphs on one baseline, in drawing order, with the spaces
// between words that were drawn as gaps rather than characters. Its boxes
// are in the frame where its text runs left to right (user space turned
// by dir quarter turns clockwise).
type textLineRun struct {
	cells []cell
	dir   int
}

type cell struct {
	r   rune
	box [4]float64
}

func (l textLineRun) String() string {
	var b strings.Builder
	for _, c := range l.cells {
		b.WriteRune(c.r)
	}
	return strings.TrimSpace(b.String())
}

// find returns the boxes of every occurrence of needle in the line.
func (l textLineRun) find(needle []rune, fold bool) [][4]float64 {
	var out [][4]float64
	hay := make([]rune, len(l.cells))
	for i, c := range l.cells {
		hay[i] = c.r
		if fold {
			hay[i] = unicode.ToLower(c.r)
		}
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		match := true
		for j, r := range needle {
			if hay[i+j] != r {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		box := l.cells[i].box
		for _, c := range l.cells[i+1 : i+len(needle)] {
			box = unionBox(box, c.box)
		}
		out = append(out, turnBox(-l.dir, box))
		i += len(needle) - 1
	}
	return out
}

func unionBox(a, b [4]float64) [4]float64 {
	return [4]float64{math.Min(a[0], b[0]), math.Min(a[1], b[1]), math.Max(a[2], b[2]), math.Max(a[3], b[3])}
}

// contentSyntaxError is a syntax error in a content stream: the text of
// the page ends there (viewers stop drawing there too), and the search
// goes on.
type contentSyntaxError struct{ err error }

func (e contentSyntaxError) Error() string { return "content stream: " + e.err.Error() }
func (e contentSyntaxError) Unwrap() error { return e.err }

// pageLines extracts the text of a page as lines: up to the first syntax
// error of its content, if any.
func (d *document) pageLines(pg pageInfo) ([]textLineRun, error) {
	res, _ := d.resolve(pageAttr(d, pg.dict, "Resources")).(dict)
	data, err := d.contentBytes(pg.dict["Contents"])
	if err != nil {
		return nil, err
	}
	if d.textFonts == nil {
		d.textFonts = map[ref]*textFont{}
	}
	ex := &extractor{d: d, fonts: d.textFonts}
	if err := ex.run(data, res, identity, 0); err != nil && !errors.As(err, new(contentSyntaxError)) {
		return nil, err
	}
	return groupLines(ex.glyphs), nil
}

// pageAttr reads an attribute a page may inherit from its ancestors.
func pageAttr(d *document, page dict, key name) object {
	n := page
	for i := 0; n != nil && i < 64; i++ {
		if v, ok := n[key]; ok {
			return v
		}
		n, _ = d.resolve(n["Parent"]).(dict)
	}
	return nil
}

// contentBytes decodes a page's /Contents: one stream or an array of
// them, joined with white space.
func (d *document) contentBytes(o object) ([]byte, error) {
	var refs []object
	switch c := o.(type) {
	case nil:
		return nil, nil
	case array:
		refs = c
	case ref:
		if a, ok := d.resolve(c).(array); ok {
			refs = a
		} else {
			refs = []object{c}
		}
	default:
		return nil, fmt.Errorf("%w: page /Contents is neither a stream nor an array", ErrMalformed)
	}
	var out []byte
	for _, x := range refs {
		data, err := d.streamOf(x)
		if err != nil {
			return nil, err
		}
		if int64(len(out)+len(data)) > maxDecoded {
			return nil, fmt.Errorf("%w: page content over %d bytes", ErrUnsupported, maxDecoded)
		}
		out = append(append(out, data...), '\n')
	}
	return out, nil
}

// streamOf returns the decoded data of a stream given by reference.
func (d *document) streamOf(o object) ([]byte, error) {
	r, ok := o.(ref)
	if !ok {
		return nil, fmt.Errorf("%w: content stream is not an indirect object", ErrMalformed)
	}
	obj, err := d.fetch(r)
	if err != nil {
		return nil, err
	}
	s, ok := obj.(*stream)
	if !ok {
		return nil, fmt.Errorf("%w: object %v is not a stream", ErrMalformed, r)
	}
	data, err := d.streamData(s, r, true)
	if err != nil {
		return nil, err
	}
	d.parsed += int64(len(data))
	if err := d.overBudget(); err != nil {
		return nil, err
	}
	return data, nil
}

// matrix is [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

func (m matrix) mul(n matrix) matrix { // m × n
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

type gstate struct {
	ctm                          matrix
	font                         *textFont
	size, charSp, wordSp, hscale float64
	leading, rise                float64
}

type extractor struct {
	d      *document
	fonts  map[ref]*textFont
	glyphs []glyph
	ops    int
}

// run interprets a content stream for its text.
func (ex *extractor) run(data []byte, res dict, base matrix, depth int) error {
	return ex.runFrom(data, res, gstate{ctm: base, hscale: 1}, depth)
}

// runFrom interprets a content stream from the graphics state gs (a form
// XObject's is the one in effect where it is drawn, text state included).
func (ex *extractor) runFrom(data []byte, res dict, gs gstate, depth int) error {
	if depth > maxFormDepth {
		return fmt.Errorf("%w: form XObjects nested deeper than %d", ErrMalformed, maxFormDepth)
	}
	l := &lexer{buf: data, final: true}
	var stack []gstate
	var tm, tlm matrix
	var operands []object
	num := func(i int) float64 {
		if i >= len(operands) {
			return 0
		}
		v, _ := number(operands[i])
		return v
	}
	show := func(s []byte) {
		if gs.font == nil {
			return
		}
		for _, c := range gs.font.codes(s) {
			w0 := gs.font.width(c) * gs.font.wscale
			trm := matrix{gs.size * gs.hscale, 0, 0, gs.size, 0, gs.rise}.mul(tm).mul(gs.ctm)
			adv := w0 * gs.size
			if adv <= 0 {
				adv = 0.5 * gs.size
			}
			// The glyph's box: advance wide, from the descender to the
			// ascender, in glyph space scaled by the font size.
			x0, y0 := trm.apply(0, -0.22)
			x1, y1 := trm.apply(adv/math.Max(gs.size, 1e-9), 0.78)
			x2, y2 := trm.apply(0, 0.78)
			x3, y3 := trm.apply(adv/math.Max(gs.size, 1e-9), -0.22)
			box := [4]float64{min(x0, x1, x2, x3), min(y0, y1, y2, y3), max(x0, x1, x2, x3), max(y0, y1, y2, y3)}
			ox, oy := trm.apply(0, 0)
			sz := math.Hypot(trm[2], trm[3])
			dir := 0
			if a := math.Atan2(trm[1], trm[0]); !math.IsNaN(a) {
				dir = (int(math.Round(a/(math.Pi/2))) + 4) & 3
			}
			tx := (w0*gs.size + gs.charSp) * gs.hscale
			if len(c) == 1 && c[0] == ' ' {
				tx += gs.wordSp * gs.hscale
			}
			tm = matrix{1, 0, 0, 1, tx, 0}.mul(tm)
			nx, ny := matrix{1, 0, 0, 1, 0, gs.rise}.mul(tm).mul(gs.ctm).apply(0, 0)
			if len(ex.glyphs) < maxGlyphsOnPage {
				ex.glyphs = append(ex.glyphs, glyph{text: gs.font.unicode(c), box: box, x: ox, y: oy, nx: nx, ny: ny, size: sz, dir: dir})
			}
		}
	}
	for {
		t, err := l.next()
		if err != nil {
			return contentSyntaxError{err}
		}
		if t.kind == tokEOF {
			return nil
		}
		if t.kind != tokKeyword {
			l.unread(t)
			o, err := l.parseObject(0, nil)
			if err != nil {
				return contentSyntaxError{err}
			}
			if len(operands) < 64 {
				operands = append(operands, o)
			}
			continue
		}
		if ex.ops++; ex.ops > maxContentOps {
			return fmt.Errorf("%w: more than %d content operators", ErrUnsupported, maxContentOps)
		}
		switch op := string(t.s); op {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, gs)
			}
		case "Q":
			if n := len(stack); n > 0 {
				gs, stack = stack[n-1], stack[:n-1]
			}
		case "cm":
			gs.ctm = matrix{num(0), num(1), num(2), num(3), num(4), num(5)}.mul(gs.ctm)
		case "BT":
			tm, tlm = identity, identity
		case "Tm":
			tm = matrix{num(0), num(1), num(2), num(3), num(4), num(5)}
			tlm = tm
		case "Td":
			tlm = matrix{1, 0, 0, 1, num(0), num(1)}.mul(tlm)
			tm = tlm
		case "TD":
			gs.leading = -num(1)
			tlm = matrix{1, 0, 0, 1, num(0), num(1)}.mul(tlm)
			tm = tlm
		case "T*":
			tlm = matrix{1, 0, 0, 1, 0, -gs.leading}.mul(tlm)
			tm = tlm
		case "TL":
			gs.leading = num(0)
		case "Tc":
			gs.charSp = num(0)
		case "Tw":
			gs.wordSp = num(0)
		case "Tz":
			gs.hscale = num(0) / 100
		case "Ts":
			gs.rise = num(0)
		case "Tf":
			gs.size = num(1)
			gs.font = nil
			if len(operands) > 0 {
				if n, ok := operands[0].(name); ok {
					f, err := ex.font(res, n)
					if err != nil {
						return err
					}
					gs.font = f
				}
			}
		case "Tj":
			if s, ok := lastString(operands); ok {
				show(s)
			}
		case "'", "\"":
			if op == "\"" {
				gs.wordSp, gs.charSp = num(0), num(1)
			}
			tlm = matrix{1, 0, 0, 1, 0, -gs.leading}.mul(tlm)
			tm = tlm
			if s, ok := lastString(operands); ok {
				show(s)
			}
		case "TJ":
			if len(operands) > 0 {
				if a, ok := operands[len(operands)-1].(array); ok {
					for _, e := range a {
						if s, ok := e.(pdfString); ok {
							show(s)
						} else if adj, ok := number(e); ok {
							tm = matrix{1, 0, 0, 1, -adj / 1000 * gs.size * gs.hscale, 0}.mul(tm)
						}
					}
				}
			}
		case "Do":
			if len(operands) > 0 {
				if n, ok := operands[0].(name); ok {
					if err := ex.form(res, n, gs, depth); err != nil {
						return err
					}
				}
			}
		case "BI":
			if err := skipInlineImage(l); err != nil {
				return contentSyntaxError{err}
			}
		}
		operands = operands[:0]
	}
}

func lastString(ops []object) ([]byte, bool) {
	if len(ops) == 0 {
		return nil, false
	}
	s, ok := ops[len(ops)-1].(pdfString)
	return s, ok
}

// skipInlineImage moves past "… ID <data> EI" after BI.
func skipInlineImage(l *lexer) error {
	for {
		t, err := l.next()
		if err != nil {
			return err
		}
		if t.kind == tokEOF {
			return fmt.Errorf("%w: inline image without ID", ErrMalformed)
		}
		if t.kind == tokKeyword && string(t.s) == "ID" {
			break
		}
	}
	// The data ends at the first "EI" between white space.
	i := l.pos + 1
	for ; i+2 <= len(l.buf); i++ {
		if l.buf[i] == 'E' && i+1 < len(l.buf) && l.buf[i+1] == 'I' && isSpace(l.buf[i-1]) && (i+2 == len(l.buf) || isSpace(l.buf[i+2]) || isDelim(l.buf[i+2])) {
			l.pos = i + 2
			return nil
		}
	}
	return fmt.Errorf("%w: inline image without EI", ErrMalformed)
}

// form interprets a form XObject drawn with Do.
func (ex *extractor) form(res dict, n name, gs gstate, depth int) error {
	xo, _ := ex.d.resolve(res["XObject"]).(dict)
	r, ok := xo[n].(ref)
	if !ok {
		return nil
	}
	obj, err := ex.d.fetch(r)
	if err != nil {
		return err
	}
	s, ok := obj.(*stream)
	if !ok || s.hdr.name("Subtype") != "Form" {
		return nil
	}
	data, err := ex.d.streamOf(r)
	if err != nil {
		return err
	}
	m := identity
	if a, ok := ex.d.resolve(s.hdr["Matrix"]).(array); ok && len(a) == 6 {
		for i := range a {
			m[i], _ = ex.d.numOf(a[i])
		}
	}
	fres, ok := ex.d.resolve(s.hdr["Resources"]).(dict)
	if !ok {
		fres = res
	}
	gs.ctm = m.mul(gs.ctm)
	return ex.runFrom(data, fres, gs, depth+1)
}

// font returns the font named n in res, read once per document.
func (ex *extractor) font(res dict, n name) (*textFont, error) {
	fonts, _ := ex.d.resolve(res["Font"]).(dict)
	o := fonts[n]
	r, isRef := o.(ref)
	if isRef {
		if f, ok := ex.fonts[r]; ok {
			return f, nil
		}
	}
	fd, ok := ex.d.resolve(o).(dict)
	if !ok {
		return nil, nil
	}
	f, err := ex.d.readFont(fd)
	if err != nil {
		return nil, err
	}
	if isRef {
		ex.fonts[r] = f
	}
	return f, nil
}

// spendFontWork counts n code mappings read from fonts against the
// document's budget.
func (d *document) spendFontWork(n int) error {
	d.fontWork += n
	if d.fontWork > maxFontWork {
		return fmt.Errorf("%w: fonts ask for more than %d code mappings (ToUnicode maps and /W arrays)", ErrUnsupported, maxFontWork)
	}
	return nil
}

// textFont is what text extraction needs of a font: how its strings
// split into codes, each code's width and its text.
type textFont struct {
	// wscale turns a width into text space units: 1/1000, or a Type3
	// font's /FontMatrix scale.
	wscale  float64
	twoByte bool
	// codespace and cids are an embedded CMap's code ranges and its
	// code → CID map (Identity-H and -V have neither: codes are two
	// bytes and equal their CIDs).
	codespace []codeRange
	cids      map[int]int
	// cidsUnknown: a predefined CMap other than Identity, whose code →
	// CID table is not built in: widths are /DW. unicodeCodes: its codes
	// are UTF-16BE (the Uni…-UCS2 and -UTF16 CMaps), text without a
	// ToUnicode map.
	cidsUnknown, unicodeCodes bool
	widths                    map[int]float64
	dw                        float64
	toUni                     map[int]string
	enc                       [256]string // simple fonts: code → text from the encoding
}

func (f *textFont) codes(s []byte) [][]byte {
	var out [][]byte
	if len(f.codespace) > 0 {
		// An embedded CMap: the code at each position is the one whose
		// bytes fall in one of its codespace ranges; bytes in none take
		// the shortest code length (ISO 32000-1 §9.7.6.2).
		shortest := 4
		for _, r := range f.codespace {
			shortest = min(shortest, len(r.lo))
		}
		for i := 0; i < len(s); {
			n := 0
			for _, r := range f.codespace {
				if r.contains(s[i:]) {
					n = len(r.lo)
					break
				}
			}
			if n == 0 {
				n = shortest
			}
			if i+n > len(s) {
				break
			}
			out = append(out, s[i:i+n])
			i += n
		}
		return out
	}
	if f.twoByte {
		for i := 0; i+1 < len(s); i += 2 {
			out = append(out, s[i:i+2])
		}
		return out
	}
	for i := range s {
		out = append(out, s[i:i+1])
	}
	return out
}

func codeOf(c []byte) int {
	v := 0
	for _, b := range c {
		v = v<<8 | int(b)
	}
	return v
}

func (f *textFont) width(c []byte) float64 {
	if f.cidsUnknown {
		return f.dw
	}
	key := codeOf(c)
	if f.cids != nil {
		key = f.cids[key] // unmapped codes are CID 0
	}
	if w, ok := f.widths[key]; ok {
		return w
	}
	return f.dw
}

func (f *textFont) unicode(c []byte) string {
	if s, ok := f.toUni[codeOf(c)]; ok {
		return s
	}
	if f.unicodeCodes {
		return utf16Text(c)
	}
	if !f.twoByte {
		return f.enc[c[0]]
	}
	return ""
}

// readFont reads widths, code length and the Unicode mapping of a font.
func (d *document) readFont(fd dict) (*textFont, error) {
	f := &textFont{widths: map[int]float64{}, dw: 500, wscale: 0.001}
	if fd.name("Subtype") == "Type3" {
		// Widths are in glyph space, which /FontMatrix maps to text space.
		if m, ok := d.resolve(fd["FontMatrix"]).(array); ok && len(m) == 6 {
			if a, ok := d.numOf(m[0]); ok && a != 0 && !math.IsNaN(a) && !math.IsInf(a, 0) {
				f.wscale = math.Abs(a)
				f.dw = 0.5 / f.wscale // half an em, as for other fonts
			}
		}
	}
	if fd.name("Subtype") == "Type0" {
		f.twoByte = true
		f.dw = 1000
		if desc, ok := d.resolve(fd["DescendantFonts"]).(array); ok && len(desc) > 0 {
			if cid, ok := d.resolve(desc[0]).(dict); ok {
				if v, ok := d.numOf(cid["DW"]); ok {
					f.dw = v
				}
				if err := d.spendFontWork(d.readCIDWidths(f, cid["W"])); err != nil {
					return nil, err
				}
			}
		}
		if en, ok := d.resolve(fd["Encoding"]).(name); ok && en != "Identity-H" && en != "Identity-V" {
			f.cidsUnknown = true
			if e := string(en); strings.HasPrefix(e, "Uni") && strings.Contains(e, "-UCS2-") {
				f.unicodeCodes = true
			} else if strings.HasPrefix(e, "Uni") && strings.Contains(e, "-UTF16-") {
				// Two bytes, or four for a surrogate pair.
				f.unicodeCodes = true
				f.codespace = []codeRange{
					{lo: []byte{0xd8, 0x00, 0xdc, 0x00}, hi: []byte{0xdb, 0xff, 0xdf, 0xff}},
					{lo: []byte{0x00, 0x00}, hi: []byte{0xff, 0xff}},
				}
			}
		}
		if er, ok := fd["Encoding"].(ref); ok {
			if data, err := d.streamOf(er); err == nil {
				cs, cids, work := parseEncodingCMap(data)
				if err := d.spendFontWork(work); err != nil {
					return nil, err
				}
				if len(cs) > 0 {
					f.codespace, f.cids = cs, cids
				}
			}
		}
	} else {
		first, _ := d.intOf(fd["FirstChar"])
		if ws, ok := d.resolve(fd["Widths"]).(array); ok {
			for i, w := range ws {
				if i > 256 {
					break
				}
				if v, ok := d.numOf(w); ok {
					f.widths[int(first)+i] = v
				}
			}
		}
		if desc, ok := d.resolve(fd["FontDescriptor"]).(dict); ok {
			if v, ok := d.numOf(desc["MissingWidth"]); ok && v > 0 {
				f.dw = v
			}
		}
		f.enc = simpleEncoding(d, fd)
		if std := standardMetrics(string(fd.name("BaseFont"))); std != nil {
			// A standard 14 font drawn without /Widths: the widths of its
			// metric-compatible Liberation font.
			for c := 0; c < 256; c++ {
				if _, ok := f.widths[c]; ok || f.enc[c] == "" {
					continue
				}
				if w, ok := std.runeWidth([]rune(f.enc[c])[0]); ok {
					f.widths[c] = w
				}
			}
		}
	}
	if r, ok := fd["ToUnicode"].(ref); ok {
		if m, ok := d.toUnicode[r]; ok {
			f.toUni = m
		} else if data, err := d.streamOf(r); err == nil {
			var work int
			f.toUni, work = parseToUnicode(data)
			if err := d.spendFontWork(work); err != nil {
				return nil, err
			}
			if d.toUnicode == nil {
				d.toUnicode = map[ref]map[int]string{}
			}
			d.toUnicode[r] = f.toUni
		}
	}
	return f, nil
}

// readCIDWidths reads a CIDFont's /W array: "c [w1 w2 …]" and "c1 c2 w".
// It returns the work done (widths read).
func (d *document) readCIDWidths(f *textFont, o object) (work int) {
	w, _ := d.resolve(o).(array)
	for i := 0; i < len(w) && work < maxCMapWork; {
		c1, ok := d.intOf(w[i])
		if !ok || i+1 >= len(w) {
			return work
		}
		if list, ok := d.resolve(w[i+1]).(array); ok {
			for j, x := range list {
				if v, ok := d.numOf(x); ok && j < 65536 {
					f.widths[int(c1)+j] = v
				}
				work++
			}
			i += 2
			continue
		}
		c2, ok := d.intOf(w[i+1])
		if !ok || i+2 >= len(w) || c2 < c1 || c2-c1 > 65535 {
			return work
		}
		v, _ := d.numOf(w[i+2])
		for c := c1; c <= c2 && work < maxCMapWork; c++ {
			f.widths[int(c)] = v
			work++
		}
		i += 3
	}
	return work
}

// parseToUnicode reads the bfchar and bfrange sections of a ToUnicode
// CMap (codes map to UTF-16BE text) and returns the work done (mappings
// written).
func parseToUnicode(data []byte) (m map[int]string, work int) {
	m = map[int]string{}
	l := &lexer{buf: data, final: true}
	var pending []object
	// work counts mappings written, bounded whatever the ranges say.
	hexes := func(s []byte) int { return codeOf(s) }
	for {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			return m, work
		}
		switch {
		case t.kind == tokKeyword && string(t.s) == "endbfchar":
			for i := 0; i+1 < len(pending); i += 2 {
				src, ok1 := pending[i].(pdfString)
				dst, ok2 := pending[i+1].(pdfString)
				if work++; ok1 && ok2 && work < maxCMapWork {
					m[hexes(src)] = utf16Text(dst)
				}
			}
			pending = pending[:0]
		case t.kind == tokKeyword && string(t.s) == "endbfrange":
			for i := 0; i+2 < len(pending); i += 3 {
				lo, ok1 := pending[i].(pdfString)
				hi, ok2 := pending[i+1].(pdfString)
				if !ok1 || !ok2 {
					continue
				}
				a, b := hexes(lo), hexes(hi)
				if b < a || b-a > 65535 {
					continue
				}
				switch dst := pending[i+2].(type) {
				case pdfString:
					base := []byte(dst)
					for c := a; c <= b && work < maxCMapWork; c++ {
						work++
						m[c] = utf16Text(base)
						base = incrementLast(base)
					}
				case array:
					for j, x := range dst {
						if work++; work > maxCMapWork {
							break
						}
						if s, ok := x.(pdfString); ok && a+j <= b {
							m[a+j] = utf16Text(s)
						}
					}
				}
			}
			pending = pending[:0]
		case t.kind == tokKeyword:
			if s := string(t.s); s == "beginbfchar" || s == "beginbfrange" {
				pending = pending[:0]
			}
		case t.kind == tokString:
			pending = append(pending, pdfString(t.s))
		case t.kind == tokArrayOpen:
			l.unread(t)
			o, err := l.parseObject(0, nil)
			if err != nil {
				return m, work
			}
			pending = append(pending, o)
		}
		if len(pending) > 3*65536 || work >= maxCMapWork {
			return m, work
		}
	}
}

// codeRange is a codespace range of a CMap: codes of len(lo) bytes,
// each byte between those of lo and hi.
type codeRange struct{ lo, hi []byte }

func (r codeRange) contains(s []byte) bool {
	if len(s) < len(r.lo) {
		return false
	}
	for i := range r.lo {
		if s[i] < r.lo[i] || s[i] > r.hi[i] {
			return false
		}
	}
	return true
}

// parseEncodingCMap reads an embedded CMap used as a Type0 font's
// /Encoding: its codespace ranges and its cidrange and cidchar mappings.
// It returns the work done (mappings written), bounded by maxCMapWork.
func parseEncodingCMap(data []byte) (cs []codeRange, cids map[int]int, work int) {
	cids = map[int]int{}
	l := &lexer{buf: data, final: true}
	var pending []object
	for work < maxCMapWork && len(pending) <= 3*65536 {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			break
		}
		switch {
		case t.kind == tokKeyword && string(t.s) == "endcodespacerange":
			for i := 0; i+1 < len(pending) && len(cs) < 256; i += 2 {
				lo, ok1 := pending[i].(pdfString)
				hi, ok2 := pending[i+1].(pdfString)
				if ok1 && ok2 && len(lo) == len(hi) && len(lo) >= 1 && len(lo) <= 4 {
					cs = append(cs, codeRange{lo: []byte(lo), hi: []byte(hi)})
				}
			}
			pending = pending[:0]
		case t.kind == tokKeyword && string(t.s) == "endcidrange":
			for i := 0; i+2 < len(pending); i += 3 {
				lo, ok1 := pending[i].(pdfString)
				hi, ok2 := pending[i+1].(pdfString)
				cid, ok3 := pending[i+2].(int64)
				if !ok1 || !ok2 || !ok3 || len(lo) > 4 || len(hi) > 4 || cid < 0 {
					continue
				}
				a, b := codeOf(lo), codeOf(hi)
				if b < a || b-a > 65535 {
					continue
				}
				for c := a; c <= b && work < maxCMapWork; c++ {
					cids[c] = int(cid) + c - a
					work++
				}
			}
			pending = pending[:0]
		case t.kind == tokKeyword && string(t.s) == "endcidchar":
			for i := 0; i+1 < len(pending) && work < maxCMapWork; i += 2 {
				c, ok1 := pending[i].(pdfString)
				cid, ok2 := pending[i+1].(int64)
				if ok1 && ok2 && len(c) <= 4 && cid >= 0 {
					cids[codeOf(c)] = int(cid)
					work++
				}
			}
			pending = pending[:0]
		case t.kind == tokKeyword:
			if s := string(t.s); s == "begincodespacerange" || s == "begincidrange" || s == "begincidchar" {
				pending = pending[:0]
			}
		case t.kind == tokString:
			pending = append(pending, pdfString(t.s))
		case t.kind == tokInt:
			pending = append(pending, t.i)
		}
	}
	return cs, cids, work
}

// incrementLast returns a copy of b with its last byte incremented (the
// bfrange rule: only the last byte varies).
func incrementLast(b []byte) []byte {
	c := bytes.Clone(b)
	if len(c) > 0 {
		c[len(c)-1]++
	}
	return c
}

func utf16Text(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return string(utf16.Decode(u))
}

// simpleEncoding maps the codes of a simple font to text: WinAnsiEncoding
// whatever base encoding the font names, with /Differences applied by
// glyph name. (StandardEncoding and MacRomanEncoding are not told apart:
// their ASCII letters and digits agree with WinAnsi, but some of their
// punctuation and their codes above 0x7F are read as WinAnsi's.)
func simpleEncoding(d *document, fd dict) [256]string {
	var enc [256]string
	for c := 0x20; c < 0x7f; c++ {
		enc[c] = string(rune(c))
	}
	for c := 0xa0; c < 0x100; c++ {
		enc[c] = string(rune(c))
	}
	for i, r := range winAnsiHigh {
		if r != 0 {
			enc[0x80+i] = string(r)
		}
	}
	e := d.resolve(fd["Encoding"])
	if ed, ok := e.(dict); ok {
		if diffs, ok := d.resolve(ed["Differences"]).(array); ok {
			code := -1
			for _, x := range diffs {
				switch v := x.(type) {
				case int64:
					code = int(v)
				case name:
					if code >= 0 && code < 256 {
						if s := glyphNameText(string(v)); s != "" {
							enc[code] = s
						}
						code++
					}
				}
			}
		}
	}
	return enc
}

// winAnsiHigh is WinAnsiEncoding for codes 0x80–0x9F (ISO 32000-1 Annex
// D.2); 0 where undefined.
var winAnsiHigh = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// glyphNames are the glyph names of printable ASCII that are not the
// character itself.
var glyphNames = map[string]string{
	"space": " ", "exclam": "!", "quotedbl": "\"", "numbersign": "#", "dollar": "$", "percent": "%",
	"ampersand": "&", "quotesingle": "'", "quoteright": "’", "parenleft": "(", "parenright": ")", "asterisk": "*",
	"plus": "+", "comma": ",", "hyphen": "-", "period": ".", "slash": "/", "zero": "0", "one": "1", "two": "2",
	"three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "colon": ":",
	"semicolon": ";", "less": "<", "equal": "=", "greater": ">", "question": "?", "at": "@", "bracketleft": "[",
	"backslash": "\\", "bracketright": "]", "asciicircum": "^", "underscore": "_", "grave": "`", "quoteleft": "‘",
	"braceleft": "{", "bar": "|", "braceright": "}", "asciitilde": "~", "endash": "–", "emdash": "—",
	"Dcroat": "Đ", "dcroat": "đ", "Ohorn": "Ơ", "ohorn": "ơ", "Uhorn": "Ư", "uhorn": "ư",
}

// glyphNameText turns a glyph name into text: a single letter, uniXXXX,
// uXXXX[XX], or one of the common names above.
func glyphNameText(n string) string {
	if base, _, ok := strings.Cut(n, "."); ok && base != "" {
		n = base
	}
	if len(n) == 1 {
		return n
	}
	if s, ok := glyphNames[n]; ok {
		return s
	}
	if strings.HasPrefix(n, "uni") && len(n) >= 7 {
		var b strings.Builder
		for i := 3; i+4 <= len(n); i += 4 {
			v, err := strconv.ParseUint(n[i:i+4], 16, 16)
			if err != nil {
				return ""
			}
			b.WriteRune(rune(v))
		}
		return b.String()
	}
	if strings.HasPrefix(n, "u") && len(n) >= 5 && len(n) <= 7 {
		if v, err := strconv.ParseUint(n[1:], 16, 32); err == nil && v <= unicode.MaxRune {
			return string(rune(v))
		}
	}
	return composedGlyphName(n)
}

// accentNames are the accent words of Latin glyph names, as combining
// marks. Vietnamese letters are named by stacking them after the base
// letter ("ecircumflexhookabove" is ể, "ohornacute" is ớ).
var accentNames = []struct {
	word string
	mark rune
}{
	{"circumflex", 0x302}, {"hookabove", 0x309}, {"dotbelow", 0x323}, {"dotaccent", 0x307},
	{"dieresis", 0x308}, {"cedilla", 0x327}, {"macron", 0x304}, {"ogonek", 0x328},
	{"acute", 0x301}, {"grave", 0x300}, {"tilde", 0x303}, {"breve", 0x306},
	{"horn", 0x31B}, {"caron", 0x30C}, {"ring", 0x30A},
}

// composedGlyphName reads a glyph name made of a base letter and accent
// words, composed to NFC; "" when the name is not of that form.
func composedGlyphName(n string) string {
	var base string
	switch {
	case strings.HasPrefix(n, "dcroat"), strings.HasPrefix(n, "Dcroat"):
		base, n = glyphNames[n[:6]], n[6:]
	case strings.HasPrefix(n, "dotlessi"):
		base, n = "ı", n[8:]
	case len(n) > 1 && (n[0] >= 'a' && n[0] <= 'z' || n[0] >= 'A' && n[0] <= 'Z'):
		base, n = n[:1], n[1:]
	default:
		return ""
	}
	out := base
	for n != "" {
		found := false
		for _, a := range accentNames {
			if strings.HasPrefix(n, a.word) {
				out += string(a.mark)
				n = n[len(a.word):]
				found = true
				break
			}
		}
		if !found {
			return ""
		}
	}
	return norm.NFC.String(out)
}

// groupLines puts glyphs that share a baseline into lines, in drawing
// order, inserting a space where a gap between two glyphs is wider than a
// quarter of the font size, and joining combining marks to their base.
func groupLines(gs []glyph) []textLineRun {
	var lines []textLineRun
	var cur *textLineRun
	var last glyph
	for _, g := range gs {
		if g.text == "" {
			continue
		}
		// In the frame where the glyph's text runs left to right.
		g.box = turnBox(g.dir, g.box)
		g.x, g.y = turn(g.dir, g.x, g.y)
		g.nx, g.ny = turn(g.dir, g.nx, g.ny)
		tol := math.Max(g.size, 1) * 0.5
		newLine := cur == nil || g.dir != last.dir || math.Abs(g.y-last.y) > tol || g.x < last.box[0]-tol
		if newLine {
			lines = append(lines, textLineRun{dir: g.dir})
			cur = &lines[len(lines)-1]
		} else if gap := g.box[0] - math.Max(last.box[2], last.nx); gap > math.Max(g.size, 1)*0.25 && len(cur.cells) > 0 && cur.cells[len(cur.cells)-1].r != ' ' && !strings.HasPrefix(g.text, " ") {
			cur.cells = append(cur.cells, cell{r: ' ', box: [4]float64{last.box[2], g.box[1], g.box[0], g.box[3]}})
		}
		text := norm.NFC.String(g.text)
		// Marks drawn as separate glyphs compose with the character before.
		if rs := []rune(text); len(cur.cells) > 0 && len(rs) > 0 && isMarks(rs) {
			prev := &cur.cells[len(cur.cells)-1]
			composed := []rune(norm.NFC.String(string(prev.r) + text))
			if len(composed) == 1 {
				prev.r = composed[0]
				prev.box = unionBox(prev.box, g.box)
				last = g
				continue
			}
		}
		for _, r := range text {
			if unicode.IsSpace(r) {
				r = ' '
				if n := len(cur.cells); n > 0 && cur.cells[n-1].r == ' ' {
					continue
				}
			}
			cur.cells = append(cur.cells, cell{r: r, box: g.box})
		}
		last = g
	}
	return lines
}

func isMarks(rs []rune) bool {
	for _, r := range rs {
		if !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// stdFonts parses each Liberation font standardMetrics names when first
// asked for, once per process ("serif" is also the appearances' default
// font; a parsed font is never modified).
var stdFonts = func() map[string]func() (*trueType, error) {
	m := map[string]func() (*trueType, error){}
	for k, data := range map[string][]byte{
		"sans": liberationsansregular.TTF, "sans-bold": liberationsansbold.TTF,
		"serif": defaultFont(), "serif-bold": liberationserifbold.TTF,
		"mono": liberationmonoregular.TTF, "mono-bold": liberationmonoregular.TTF,
	} {
		m[k] = sync.OnceValues(func() (*trueType, error) { return parseTrueType(data) })
	}
	return m
}()

// standardMetrics returns the metrics of the Liberation font that matches
// a standard 14 font's widths (Helvetica/Arial: Liberation Sans; Times:
// Liberation Serif; Courier: Liberation Mono), or nil for other fonts.
func standardMetrics(base string) measurer {
	if _, after, ok := strings.Cut(base, "+"); ok && len(base)-len(after) == 7 {
		base = after // subset tag
	}
	family := ""
	switch {
	case strings.HasPrefix(base, "Helvetica"), strings.HasPrefix(base, "Arial"):
		family = "sans"
	case strings.HasPrefix(base, "Times"):
		family = "serif"
	case strings.HasPrefix(base, "Courier"):
		family = "mono"
	default:
		return nil
	}
	if strings.Contains(base, "Bold") {
		family += "-bold"
	}
	if tt := stdFont(family); tt != nil {
		return ttMeasurer{tt}
	}
	return nil
}

// stdFont returns the Liberation font of a family in stdFonts, nil when
// it does not parse.
func stdFont(family string) *trueType {
	tt, err := stdFonts[family]()
	if err != nil {
		return nil
	}
	return tt
}
