package main

import (
	"github.com/kyso-vn/kyso/pdf"
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/verify"
)

func TestEOffice(t *testing.T) {
	res, _ := testutil.RunExample(t, run, t.TempDir())

	require.Len(t, res.Report.Signatures, 2)
	for _, s := range res.Report.Signatures {
		assert.Equal(t, verify.TotalPassed, s.Indication, s.ID)
		assert.Equal(t, verify.TimeFromTimestamp, s.TimeSource, s.ID)
	}
	assert.Equal(t, "Lê Văn Hùng", res.Report.Signatures[0].Signer.Name)
	assert.Equal(t, agency, res.Report.Signatures[1].Signer.Name)
	assert.False(t, res.Report.Signatures[0].Coverage.WholeDocument, "the leader signed revision 1 of 2")
	assert.True(t, res.Report.Signatures[1].Coverage.WholeDocument)

	pdfsig := check.PDFSig(t, res.Final, 2)
	assert.Contains(t, pdfsig, "Signature Field Name: LanhDao")
	assert.Contains(t, pdfsig, "Signature Field Name: CoQuan")

	// Render the page: the seal is red where it was placed, and the
	// leader's text is drawn to the right of it.
	img := check.Render(t, res.Final, 1)
	toPx := func(r pdf.Rect) image.Rectangle { return check.Area(img, r.X, r.Y, r.W, r.H) }
	count := func(area image.Rectangle, pred func(r, g, b uint32) bool) int { return check.Count(img, area, pred) }
	im := res.LeaderImage
	sealRect := res.Seal // the seal is the right part of the agency's box
	sealRect.X, sealRect.W = sealRect.X+sealRect.W-pdf.MM(36), pdf.MM(36)
	red := count(toPx(sealRect), func(r, g, b uint32) bool { return r > 150 && g < 110 && b < 110 })
	// The seal covers the left third of the leader's signature image
	// (Decree 30/2020 Art. 33): its right edge is a third of the way in,
	// and it is 36 mm across.
	assert.InDelta(t, im.X+im.W/3, sealRect.X+sealRect.W, 0.01)
	assert.InDelta(t, pdf.MM(36), sealRect.W, 0.01)
	right := res.Leader // the part of the leader's box the seal leaves free
	right.X, right.W = sealRect.X+sealRect.W, res.Leader.X+res.Leader.W-(sealRect.X+sealRect.W)
	dark := count(toPx(right), func(r, g, b uint32) bool { return r < 160 && g < 160 && b < 160 && b < r+40 })
	blue := count(toPx(right), func(r, g, b uint32) bool { return b > 120 && r < 90 })
	assert.Greater(t, blue, 50, "the handwritten signature shows beside the seal")
	area := toPx(sealRect)
	assert.Greater(t, red, area.Dx()*area.Dy()/8, "seal drawn in red")
	assert.Greater(t, dark, 100, "leader's signature text drawn")
}
