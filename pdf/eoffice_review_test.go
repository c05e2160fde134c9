package pdf_test

import (
	"bytes"
	"context"
	"testing"

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
