package main

import (
	"github.com/kyso-vn/kyso/pdf"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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
	tool := testutil.Tool(t, "pdftoppm", "poppler-utils")
	prefix := filepath.Join(t.TempDir(), "page")
	const dpi = 72 // one pixel per point
	outb, err := exec.Command(tool, "-r", "72", "-png", "-singlefile", res.Final, prefix).CombinedOutput()
	require.NoError(t, err, string(outb))
	f, err := os.Open(prefix + ".png")
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	h := img.Bounds().Dy()
	toPx := func(r pdf.Rect) image.Rectangle { // PDF points → pixels (y flipped)
		return image.Rect(int(r.X*dpi/72), h-int((r.Y+r.H)*dpi/72), int((r.X+r.W)*dpi/72), h-int(r.Y*dpi/72))
	}
	count := func(area image.Rectangle, pred func(r, g, b uint32) bool) int {
		n := 0
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if pred(r>>8, g>>8, b>>8) {
					n++
				}
			}
		}
		return n
	}
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
