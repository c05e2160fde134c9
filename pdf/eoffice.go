package pdf

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// This file holds the e-office flows of Vietnamese agencies (Decree
// 30/2020/ND-CP on clerical work, and the flows web e-office systems ask
// of the Government CA's desktop agent) as one call each. Every flow is an
// ordinary PAdES signature in its own incremental update — a new signature
// field whose widgets show what the flow writes — so any PAdES verifier
// checks it and nothing signed earlier changes.

// Anchor places a box relative to text printed on a page: the first (or,
// with Last, the last) occurrence of Text found by FindText.
type Anchor struct {
	// Text to find ("GIÁM ĐỐC", "Số:", "ngày", "Nơi nhận").
	Text string
	// Page limits the search to one page (from 1, -1 the last); 0 searches
	// every page.
	Page int
	// Last takes the last occurrence instead of the first.
	Last bool
	// Where puts the box relative to the text.
	Where Placement
	// Gap is the distance between the text and the box, in points.
	Gap float64
}

// Placement says where a box goes relative to an anchor's text.
type Placement int

const (
	// PlaceBelow: under the text, centred on it.
	PlaceBelow Placement = iota
	// PlaceRight: right of the text, on its line (a number after "Số:").
	PlaceRight
	// PlaceAbove: over the text, centred on it.
	PlaceAbove
	// PlaceBelowLeft: under the text, left-aligned with it.
	PlaceBelowLeft
)

// ErrAnchorNotFound: the text an Anchor names is not on the page.
var ErrAnchorNotFound = fmt.Errorf("%w: anchor text not found", ErrBadOptions)

// Locate finds the anchor's text in the document and returns a w x h box
// placed as it says, with the page it is on.
func (a Anchor) Locate(r io.ReaderAt, size int64, password string, w, h float64) (int, Rect, error) {
	ts, err := newTextSearch(r, size, password)
	if err != nil {
		return 0, Rect{}, err
	}
	return a.locate(ts, w, h)
}

// locate is Locate on an opened document.
func (a Anchor) locate(ts *textSearch, w, h float64) (int, Rect, error) {
	o := &FindOptions{}
	if a.Page != 0 {
		o.Pages = []int{a.Page}
	}
	ms, err := ts.find(a.Text, o)
	if err != nil {
		return 0, Rect{}, err
	}
	if len(ms) == 0 {
		return 0, Rect{}, fmt.Errorf("%w: %q", ErrAnchorNotFound, a.Text)
	}
	m := ms[0]
	if a.Last {
		m = ms[len(ms)-1]
	}
	switch a.Where {
	case PlaceBelow:
		return m.Page, m.CentredBelow(w, h, a.Gap), nil
	case PlaceRight:
		// On the text's line: its baseline area, vertically centred.
		r := m.RightOf(w, h, a.Gap)
		r.Y = m.Rect.Y + (m.Rect.H-h)/2
		return m.Page, r, nil
	case PlaceAbove:
		return m.Page, Rect{X: m.Rect.X + (m.Rect.W-w)/2, Y: m.Rect.Y + m.Rect.H + a.Gap, W: w, H: h}, nil
	case PlaceBelowLeft:
		return m.Page, m.Below(w, h, a.Gap), nil
	}
	return 0, Rect{}, fmt.Errorf("%w: unknown placement %d", ErrBadOptions, a.Where)
}

// ApprovalOptions are the options of Approve.
type ApprovalOptions struct {
	// Options are the signature's own options. Appearance, when nil, is
	// the Vietnamese template with Image (the handwritten signature)
	// above it; its Rect is set from Anchor.
	Options
	// Anchor is the signer's printed title or name ("GIÁM ĐỐC"); the box
	// goes under it (PlaceBelow) unless it says otherwise.
	Anchor Anchor
	// Width and Height of the box (default 180 x 110 pt).
	Width, Height float64
	// Image is the handwritten signature (PNG or JPEG), optional.
	Image []byte
}

// Approve is the approving signature of the person with authority
// ("ký duyệt"): their visible signature placed by text, under their
// printed title or name.
func Approve(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, o *ApprovalOptions) error {
	return signPlanned(ctx, w, r, size, s, o)
}

// Plan returns the signing options Approve uses for the document (to
// sign with SignFile or two-phase Prepare instead).
func (o *ApprovalOptions) Plan(r io.ReaderAt, size int64, s signer.Signer) (*Options, error) {
	if o == nil {
		return nil, fmt.Errorf("%w: no approval options", ErrBadOptions)
	}
	opts := o.Options
	page, ap, err := o.place(r, size)
	if err != nil {
		return nil, err
	}
	opts.Appearance, opts.Page = ap, page
	return &opts, nil
}

// planner is a flow's options: they turn into signing options for a
// document.
type planner interface {
	Plan(r io.ReaderAt, size int64, s signer.Signer) (*Options, error)
}

func signPlanned(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, p planner) error {
	if s == nil {
		return fmt.Errorf("pdf: sign: %w", signer.ErrNoKey)
	}
	opts, err := p.Plan(r, size, s)
	if err != nil {
		return err
	}
	return Sign(ctx, w, r, size, s, opts)
}

// Place returns where Approve draws the signature: the page, the box and,
// when there is an image, the image's box on the page — what
// IssueOptions.LeaderImage wants.
func (o *ApprovalOptions) Place(r io.ReaderAt, size int64) (page int, box, image Rect, err error) {
	page, ap, err := o.place(r, size)
	if err != nil {
		return 0, Rect{}, Rect{}, err
	}
	if ap.Image != nil && ap.ImageLayout != TextOnly {
		l, err := PlanAppearance(ap, nil, time.Time{})
		if err != nil {
			return 0, Rect{}, Rect{}, err
		}
		b := l.ImageBox
		image = Rect{X: ap.Rect.X + b[0], Y: ap.Rect.Y + b[1], W: b[2] - b[0], H: b[3] - b[1]}
	}
	return page, ap.Rect, image, nil
}

func (o *ApprovalOptions) place(r io.ReaderAt, size int64) (int, *Appearance, error) {
	if o == nil || o.Anchor.Text == "" {
		return 0, nil, fmt.Errorf("%w: approval needs the anchor text (the signer's title or name)", ErrBadOptions)
	}
	bw, bh := o.Width, o.Height
	if bw == 0 {
		bw = 180
	}
	if bh == 0 {
		bh = 110
	}
	a := o.Anchor
	if a.Gap == 0 {
		a.Gap = 4
	}
	page, rect, err := a.Locate(r, size, o.Password, bw, bh)
	if err != nil {
		return 0, nil, err
	}
	ap := &Appearance{}
	if o.Appearance != nil {
		c := *o.Appearance
		ap = &c
	} else if o.Image != nil {
		ap.Image, ap.ImageLayout = o.Image, ImageAbove
	} else {
		ap.ImageLayout = TextOnly
	}
	ap.Rect = rect
	return page, ap, nil
}

// IssueOptions are the options of Issue.
type IssueOptions struct {
	// Options are the signature's own options (reason, time-stamping,
	// level, …). Its Appearance is the agency's seal box; when nil, the
	// seal is placed with SealRect over the left third of LeaderImage.
	Options
	// Number is the document's number and symbol ("123/QĐ-UBND"), written
	// right of NumberAnchor (default: "Số:" on page 1).
	Number       string
	NumberAnchor *Anchor
	// Date is the issuing date, written right of DateAnchor (default: the
	// place-name-and-date line's "ngày" on page 1) as "dd tháng mm năm
	// yyyy" after an anchor that ends in "ngày", else as "ngày dd tháng mm
	// năm yyyy" — zero means the signing date. DateText replaces the
	// words when set.
	Date       time.Time
	DateText   string
	DateAnchor *Anchor
	// Seal is the agency's seal image (PNG with transparency), drawn
	// SealSize points across (default 36 mm).
	Seal     []byte
	SealSize float64
	// LeaderImage is where the leader's handwritten-signature image is on
	// page LeaderPage (see ApprovalOptions.Place); the seal covers its
	// left third, per Decree 30/2020 Art. 33. LeaderPage 0 means the
	// last page, where signature blocks usually are.
	LeaderImage Rect
	LeaderPage  int
	// FontSize of the number and date (default 13, as the form's text).
	FontSize float64
}

// Issue is the clerk's issuing signature ("ký số phát hành"): the
// document's number and date are written at their places in the header
// and the agency's signature is shown as its seal over the leader's
// signature — all as widgets of one new signature of the agency.
func Issue(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, o *IssueOptions) error {
	return signPlanned(ctx, w, r, size, s, o)
}

// Plan returns the signing options Issue uses for the document.
func (o *IssueOptions) Plan(r io.ReaderAt, size int64, s signer.Signer) (*Options, error) {
	if o == nil || o.Number == "" {
		return nil, fmt.Errorf("%w: issuing needs the document number", ErrBadOptions)
	}
	opts := o.Options
	if opts.SigningTime.IsZero() {
		opts.SigningTime = time.Now()
	}
	fs := o.FontSize
	if fs == 0 {
		fs = 13
	}
	if opts.Appearance == nil {
		if o.Seal == nil || o.LeaderImage == (Rect{}) {
			return nil, fmt.Errorf("%w: issuing needs the seal image and the leader's signature image box (or an Appearance)", ErrBadOptions)
		}
		d := o.SealSize
		if d == 0 {
			d = MM(36)
		}
		opts.Appearance = &Appearance{Rect: SealRect(o.LeaderImage, d), Image: o.Seal, ImageLayout: ImageOnly, ImageWidth: d}
		opts.Page = o.LeaderPage
		if opts.Page == 0 {
			opts.Page = -1
		}
	}
	// Both anchors are searched in one reading of the document.
	ts, err := newTextSearch(r, size, opts.Password)
	if err != nil {
		return nil, err
	}
	tt, err := defaultTrueType()
	if err != nil {
		return nil, err
	}
	textWidget := func(a *Anchor, def Anchor, text string) (Widget, error) {
		if a == nil {
			a = &def
		}
		w := textWidth(ttMeasurer{tt}, text)*fs/1000 + 6
		h := fs*lineGap + 4
		page, rect, err := a.locate(ts, w, h)
		if err != nil {
			return Widget{}, err
		}
		return Widget{Page: page, Appearance: &Appearance{Rect: rect, Lines: []string{text}, FontSize: fs, ImageLayout: TextOnly}}, nil
	}
	nw, err := textWidget(o.NumberAnchor, Anchor{Text: "Số:", Page: 1, Where: PlaceRight, Gap: 2}, o.Number)
	if err != nil {
		return nil, fmt.Errorf("pdf: placing the document number: %w", err)
	}
	dateAnchor := Anchor{Text: "ngày", Page: 1, Where: PlaceRight, Gap: 2}
	if o.DateAnchor != nil {
		dateAnchor = *o.DateAnchor
	}
	date := o.DateText
	if date == "" {
		t := o.Date
		if t.IsZero() {
			t = opts.SigningTime
		}
		date = dateWords(t)
		// After a printed "ngày" the words go on from it.
		if a := string(normaliseForSearch(dateAnchor.Text, true)); dateAnchor.Where != PlaceRight || !strings.HasSuffix(a, "ngày") {
			date = "ngày " + date
		}
	}
	dw, err := textWidget(&dateAnchor, dateAnchor, date)
	if err != nil {
		return nil, fmt.Errorf("pdf: placing the date: %w", err)
	}
	opts.Widgets = append(append([]Widget(nil), opts.Widgets...), nw, dw)
	return &opts, nil
}

// StampOptions are the options of a stamped text block (incoming stamp,
// certified copy, appendix signature).
type StampOptions struct {
	// Options are the signature's own options; Appearance, when set,
	// overrides the block drawn by the flow.
	Options
	// Rect places the block; when zero, Anchor (or the flow's default
	// place) does.
	Rect   Rect
	Anchor *Anchor
}

// IncomingOptions describe the incoming-document stamp ("ĐẾN").
type IncomingOptions struct {
	StampOptions
	// Agency receiving the document, its incoming number ("Số đến") and
	// date (zero: the signing time).
	Agency string
	Number string
	Date   time.Time
	// Transfer is who the document goes to ("Chuyển"), optional.
	Transfer string
}

// StampIncoming is the receiving agency's incoming stamp: a signature whose
// box reads "ĐẾN", the incoming number, the date and time of arrival and
// where it goes, by default in the top-left corner of the first page
// (Decree 30/2020 Appendix III).
func StampIncoming(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, o *IncomingOptions) error {
	return signPlanned(ctx, w, r, size, s, o)
}

// Plan returns the signing options StampIncoming uses for the document.
func (o *IncomingOptions) Plan(r io.ReaderAt, size int64, _ signer.Signer) (*Options, error) {
	if o == nil || o.Number == "" {
		return nil, fmt.Errorf("%w: the incoming stamp needs the incoming number", ErrBadOptions)
	}
	so := o.timed()
	t := o.Date
	if t.IsZero() {
		t = so.SigningTime
	}
	t = t.In(vietnamTime())
	lines := []string{}
	if o.Agency != "" {
		lines = append(lines, o.Agency)
	}
	lines = append(lines, "ĐẾN  Số: "+o.Number, "Ngày: "+t.Format("02/01/2006")+"  Giờ: "+t.Format("15:04"))
	if o.Transfer != "" {
		lines = append(lines, "Chuyển: "+o.Transfer)
	}
	return so.place(r, size, lines, Rect{X: 40, Y: -100, W: 190, H: 70}, 1)
}

// CopyOptions describe a certified copy ("SAO Y").
type CopyOptions struct {
	StampOptions
	// Form is "SAO Y" (default), "SAO LỤC" or "TRÍCH SAO".
	Form string
	// Agency making the copy, the copy's number and the place.
	Agency, Number, Place string
	// Seal, when set, is drawn left of the text.
	Seal []byte
}

// CertifyCopy is a certified electronic copy ("bản sao y"): the agency's
// signature with the copy block (form, agency, number, place and date),
// by default at the bottom right of the last page.
func CertifyCopy(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, o *CopyOptions) error {
	return signPlanned(ctx, w, r, size, s, o)
}

// Plan returns the signing options CertifyCopy uses for the document.
func (o *CopyOptions) Plan(r io.ReaderAt, size int64, _ signer.Signer) (*Options, error) {
	if o == nil || o.Agency == "" {
		return nil, fmt.Errorf("%w: a certified copy needs the agency", ErrBadOptions)
	}
	form := o.Form
	if form == "" {
		form = "SAO Y"
	}
	so := o.timed()
	lines := []string{form, o.Agency}
	num := ""
	if o.Number != "" {
		num = "Số: " + o.Number + "  "
	}
	place := o.Place
	if place != "" {
		place += ", "
	}
	lines = append(lines, num+place+"ngày "+dateWords(so.SigningTime))
	// Bottom right of the last page (on A4 portrait, 300 pt from the left).
	opts, err := so.place(r, size, lines, Rect{X: -(595.28 - 300), Y: 40, W: 260, H: 90}, -1)
	if err != nil {
		return nil, err
	}
	if o.Seal != nil && o.Options.Appearance == nil {
		opts.Appearance.Image, opts.Appearance.ImageLayout = o.Seal, ImageLeft
	}
	return opts, nil
}

// AppendixOptions describe the agency's signature on an appendix or an
// attachment of the main document.
type AppendixOptions struct {
	StampOptions
	// Number is the main document's number and symbol; Agency the issuing
	// agency.
	Number, Agency string
}

// SignAppendix is the agency's signature on an attachment of a document
// (Decree 30/2020 Appendix I): no image, the main document's number, the
// signing time and the agency in the top-right corner of the first page.
func SignAppendix(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, o *AppendixOptions) error {
	return signPlanned(ctx, w, r, size, s, o)
}

// Plan returns the signing options SignAppendix uses for the document.
func (o *AppendixOptions) Plan(r io.ReaderAt, size int64, _ signer.Signer) (*Options, error) {
	if o == nil || o.Number == "" || o.Agency == "" {
		return nil, fmt.Errorf("%w: an appendix signature needs the document number and the agency", ErrBadOptions)
	}
	so := o.timed()
	t := so.SigningTime.In(vietnamTime())
	lines := []string{o.Number, t.Format("02/01/2006 15:04:05") + " (" + gmtOffset(t) + ")", o.Agency}
	opts, err := so.place(r, size, lines, Rect{X: -220, Y: -60, W: 200, H: 45}, 1)
	if err != nil {
		return nil, err
	}
	if o.Options.Appearance == nil {
		opts.Appearance.FontSize = 10
	}
	return opts, nil
}

// timed returns so with its signing time set (now, when zero): the time a
// stamp prints is then the signature's own.
func (so StampOptions) timed() StampOptions {
	if so.SigningTime.IsZero() {
		so.SigningTime = time.Now()
	}
	return so
}

// place fills Options.Appearance for a stamped block (lines written at
// so's signing time; see timed): the caller's Rect, else its Anchor, else
// def on page defPage (negative X/Y in def count from the right/top edge
// of the page as displayed).
func (so StampOptions) place(r io.ReaderAt, size int64, lines []string, def Rect, defPage int) (*Options, error) {
	opts := so.Options
	if opts.Appearance != nil {
		return &opts, nil
	}
	rect := so.Rect
	page := opts.Page
	switch {
	case rect != (Rect{}):
	case so.Anchor != nil:
		var err error
		if page, rect, err = so.Anchor.Locate(r, size, opts.Password, def.W, def.H); err != nil {
			return nil, err
		}
	default:
		if page == 0 {
			page = defPage
		}
		pw, ph, err := pageSize(r, size, opts.Password, page)
		if err != nil {
			return nil, err
		}
		rect = def
		if rect.X < 0 {
			rect.X += pw
		}
		if rect.Y < 0 {
			rect.Y += ph
		}
	}
	opts.Page = page
	opts.Appearance = &Appearance{Rect: rect, Lines: lines, ImageLayout: TextOnly}
	return &opts, nil
}

// dateWords writes the date of t in Vietnam as a document's date line has
// it after "ngày": "03 tháng 12 năm 2026".
func dateWords(t time.Time) string {
	t = t.In(vietnamTime())
	return fmt.Sprintf("%02d tháng %02d năm %d", t.Day(), int(t.Month()), t.Year())
}

// pageSize is a page's displayed width and height.
func pageSize(r io.ReaderAt, size int64, password string, n int) (float64, float64, error) {
	d, err := open(r, size, []byte(password))
	if err != nil {
		return 0, 0, err
	}
	if n == 0 {
		n = 1
	}
	pg, err := d.page(n)
	if err != nil {
		return 0, 0, err
	}
	w, h := pg.displayedSize()
	return w, h, nil
}

// InitialsOptions describe initials on every page.
type InitialsOptions struct {
	// Options are the signature's own options; Appearance is drawn on
	// each page (its Rect as on the first page), or the default: the
	// signer's name in a small box at the bottom right corner of each
	// page as displayed, measured on that page.
	Options
	// Pages to initial (from 1; -1 the last); nil means every page.
	Pages []int
}

// Initial is the initials on every page ("ký nháy"): one signature whose
// field has a widget on each page, so the whole document is approved page
// by page with a single signing operation.
func Initial(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, o *InitialsOptions) error {
	if o == nil {
		o = &InitialsOptions{}
	}
	return signPlanned(ctx, w, r, size, s, o)
}

// Plan returns the signing options Initial uses for the document (nil
// options: the defaults, as for Initial).
func (o *InitialsOptions) Plan(r io.ReaderAt, size int64, s signer.Signer) (*Options, error) {
	if o == nil {
		o = &InitialsOptions{}
	}
	d, err := open(r, size, []byte(o.Password))
	if err != nil {
		return nil, err
	}
	all, err := d.allPages()
	if err != nil {
		return nil, err
	}
	n := len(all)
	pages := o.Pages
	if pages == nil {
		for i := 1; i <= n; i++ {
			pages = append(pages, i)
		}
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: no page to initial", ErrBadOptions)
	}
	opts := o.Options
	given := opts.Appearance
	// Each page's appearance: the caller's, or the default box at the
	// bottom right of that page as displayed (pages may differ in size
	// and orientation).
	apOf := func(p int) (*Appearance, error) {
		if given != nil {
			c := *given
			return &c, nil
		}
		if p == -1 {
			p = n
		}
		if p < 1 || p > n {
			return nil, errPageRange(p, n)
		}
		name := ""
		if s != nil && s.Certificate() != nil {
			name = s.Certificate().Subject.CommonName
		}
		pw, _ := all[p-1].displayedSize()
		return &Appearance{Rect: Rect{X: pw - 130, Y: 15, W: 110, H: 24}, Lines: []string{name}, ImageLayout: TextOnly}, nil
	}
	ap, err := apOf(pages[0])
	if err != nil {
		return nil, err
	}
	opts.Page = pages[0]
	opts.Appearance = ap
	opts.Widgets = nil
	for _, p := range pages[1:] {
		c, err := apOf(p)
		if err != nil {
			return nil, err
		}
		opts.Widgets = append(opts.Widgets, Widget{Page: p, Appearance: c})
	}
	return &opts, nil
}

// FieldRect returns where the first widget of the form field named name
// (its fully qualified name, e.g. a leader's signature field) is drawn:
// its page and its box in the page's displayed orientation — what Issue's
// LeaderImage takes when the leader's signature image fills its box.
func FieldRect(r io.ReaderAt, size int64, password, fieldName string) (int, Rect, error) {
	d, err := open(r, size, []byte(password))
	if err != nil {
		return 0, Rect{}, err
	}
	fs, err := d.fields()
	if err != nil {
		return 0, Rect{}, err
	}
	for _, f := range fs {
		if f.fullName != fieldName {
			continue
		}
		wref, w := f.ref, f.dict
		if kids, ok := d.resolve(f.dict["Kids"]).(array); ok && len(kids) > 0 {
			if kr, ok := kids[0].(ref); ok {
				if kd := d.dictOf(kr); kd != nil {
					wref, w = kr, kd
				}
			}
		}
		page, pg, ok := d.pageOf(wref)
		if !ok {
			return 0, Rect{}, fmt.Errorf("%w: field %q has no widget on a page", ErrFieldNotFound, fieldName)
		}
		c, ok := d.rectOf(w["Rect"])
		if !ok {
			return 0, Rect{}, fmt.Errorf("%w: field %q has no /Rect", ErrMalformed, fieldName)
		}
		return page, fromUserSpace(pg, c), nil
	}
	return 0, Rect{}, fmt.Errorf("%w: %q", ErrFieldNotFound, fieldName)
}
