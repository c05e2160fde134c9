package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// mixedOrientation is a landscape page (a table) followed by an A4
// portrait page.
func mixedOrientation() []byte {
	return pdf.ClassicPDFForTest(map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 841.89 595.28] >>",
		4: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>",
	})
}

// TestInitialsOnPagesOfDifferentSizes: the default initials box sits at
// the bottom right of each page, measured on that page, so a document
// mixing landscape and portrait pages gets initials on all of them
// instead of a box placed off the narrower page (ErrBadRect).
func TestInitialsOnPagesOfDifferentSizes(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Trần Thị Bình", "075090001111"))
	doc := mixedOrientation()
	o := &pdf.InitialsOptions{Options: pdf.Options{SigningTime: p.Now()}}
	opts, err := o.Plan(bytes.NewReader(doc), int64(len(doc)), id.Signer())
	require.NoError(t, err)
	require.Len(t, opts.Widgets, 1)
	first, second := opts.Appearance.Rect, opts.Widgets[0].Appearance.Rect
	require.InDelta(t, 841.89-20, first.X+first.W, 1, "page 1: bottom right of the landscape page")
	require.InDelta(t, 595.28-20, second.X+second.W, 1, "page 2: bottom right of the portrait page")
	var out bytes.Buffer
	require.NoError(t, pdf.Initial(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(), o))
}

// TestInitialsPlanNil: a nil InitialsOptions means the defaults, for Plan
// as for Initial, rather than a nil dereference.
func TestInitialsPlanNil(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Trần Thị Bình", "075090001111"))
	doc := mixedOrientation()
	var o *pdf.InitialsOptions
	opts, err := o.Plan(bytes.NewReader(doc), int64(len(doc)), id.Signer())
	require.NoError(t, err)
	require.Equal(t, 1, opts.Page)
	require.Len(t, opts.Widgets, 1)
}

// TestIssueDefaultDateAfterNgay: by default the issuing date is written
// right after the printed "ngày" of the place-and-date line, so it must
// not say "ngày" again ("Đồng Nai, ngày ngày 03 tháng 12 năm 2026").
func TestIssueDefaultDateAfterNgay(t *testing.T) {
	p := pkitest.New(t)
	agency := p.MustIssue(pkitest.Organization("Ủy ban nhân dân tỉnh Đồng Nai", "3600100100"))
	doc := pdf.ClassicPDFForTest(map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		4: "<< /Length 96 >>\nstream\nBT /F1 11 Tf 90 750 Td (So:    /QD-UBND) Tj ET BT /F1 11 Tf 330 750 Td (Dong Nai, ng\\340y) Tj ET\nendstream",
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	})
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	o := &pdf.IssueOptions{Options: pdf.Options{SigningTime: at}, Number: "15",
		NumberAnchor: &pdf.Anchor{Text: "So:", Page: 1, Where: pdf.PlaceRight, Gap: 2},
		Seal:         pngOf(t, 60, 60, color.NRGBA{R: 0xd7, A: 0xff}, true), LeaderImage: pdf.Rect{X: 350, Y: 200, W: 150, H: 75}}
	opts, err := o.Plan(bytes.NewReader(doc), int64(len(doc)), agency.Signer())
	require.NoError(t, err)
	require.Len(t, opts.Widgets, 2)
	require.Equal(t, []string{"15"}, opts.Widgets[0].Appearance.Lines)
	require.Equal(t, []string{"03 tháng 12 năm 2026"}, opts.Widgets[1].Appearance.Lines)
}

// manyPages is a document of n empty A4 pages.
func manyPages(n int) []byte {
	objs := map[int]string{1: "<< /Type /Catalog /Pages 2 0 R >>"}
	var kids []string
	for i := 0; i < n; i++ {
		objs[3+i] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>"
		kids = append(kids, fmt.Sprintf("%d 0 R", 3+i))
	}
	objs[2] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	return pdf.ClassicPDFForTest(objs)
}

// TestInitialsShareOneAppearance: initials on every page of a long
// document draw the same box on each page; its appearance (form, font
// subset, ToUnicode map) is written once and shared by the widgets, not
// once per page (about 14 KB a page).
func TestInitialsShareOneAppearance(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Trần Thị Bình", "075090001111"))
	grow := func(n int) int {
		doc := manyPages(n)
		var out bytes.Buffer
		require.NoError(t, pdf.Initial(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(),
			&pdf.InitialsOptions{Options: pdf.Options{SigningTime: p.Now()}}))
		return out.Len() - len(doc)
	}
	one, fifty := grow(1), grow(50)
	// Each further page adds a widget and its page's /Annots (a few
	// hundred bytes), not another appearance.
	require.Less(t, fifty-one, 49*600, "one page: %d bytes added, fifty pages: %d", one, fifty)
}

// TestInitialsWorkLinearInPages: initialling every page walks the page
// tree a bounded number of times, not once per widget: twice the pages
// cost about twice the allocations, not four times.
func TestInitialsWorkLinearInPages(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Trần Thị Bình", "075090001111"))
	allocs := func(n int) float64 {
		doc := manyPages(n)
		return testing.AllocsPerRun(1, func() {
			var out bytes.Buffer
			require.NoError(t, pdf.Initial(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(),
				&pdf.InitialsOptions{Options: pdf.Options{SigningTime: p.Now()}}))
		})
	}
	small, large := allocs(500), allocs(1000)
	require.Less(t, large/small, 2.6, "500 pages: %.0f allocations, 1000 pages: %.0f", small, large)
}

// TestCertifyCopyDefaultBoxOnLandscapeLastPage: the certified-copy block
// goes at the bottom right of the last page, measured on that page: on a
// landscape last page it is at its right, not 300 pt from its left.
func TestCertifyCopyDefaultBoxOnLandscapeLastPage(t *testing.T) {
	p := pkitest.New(t)
	agency := p.MustIssue(pkitest.Organization("Sở Nội vụ tỉnh Đồng Nai", "3600100200"))
	doc := pdf.ClassicPDFForTest(map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>",
		4: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 841.89 595.28] >>",
	})
	o := &pdf.CopyOptions{StampOptions: pdf.StampOptions{Options: pdf.Options{SigningTime: p.Now()}}, Agency: "Sở Nội vụ tỉnh Đồng Nai"}
	opts, err := o.Plan(bytes.NewReader(doc), int64(len(doc)), agency.Signer())
	require.NoError(t, err)
	r := opts.Appearance.Rect
	require.InDelta(t, 841.89-35, r.X+r.W, 1, "%+v", r)
	// And on the portrait page of a one-page letter it is where it was.
	one := pdf.ClassicPDFForTest(map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>",
	})
	opts, err = o.Plan(bytes.NewReader(one), int64(len(one)), agency.Signer())
	require.NoError(t, err)
	require.InDelta(t, 300, opts.Appearance.Rect.X, 1)
}
