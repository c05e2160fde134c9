package pdf_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// croppedPage is a US Letter page shown through a half-inch /CropBox
// (displayed 540 x 720 pt), with "Noi nhan" printed at (100, 700).
func croppedPage(rotate int) []byte {
	content := "BT /F1 12 Tf 1 0 0 1 100 700 Tm (Noi nhan) Tj ET"
	return pdf.ClassicPDFForTest(map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 /CropBox [36 36 576 756] >>",
		3: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate %d /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>", rotate),
		4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	})
}

// TestRectMeasuredOnCropBox: "the page as it is displayed" is its
// /CropBox (inherited here from the page tree), which viewers and
// printers show: Rect and FindText measure from its lower-left corner,
// and a box outside it — on the page's media but cut off from view — is
// refused with ErrBadRect.
func TestRectMeasuredOnCropBox(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Trần Thị Bình", "075090001111"))
	doc := croppedPage(0)
	ms, err := pdf.FindText(bytes.NewReader(doc), int64(len(doc)), "Noi nhan", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.InDelta(t, 64, ms[0].Rect.X, 0.5, "x from the crop box's left edge: %+v", ms[0].Rect)

	sign := func(doc []byte, r pdf.Rect) ([]byte, error) {
		var out bytes.Buffer
		err := pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(),
			&pdf.Options{SigningTime: p.Now(), Appearance: &pdf.Appearance{Rect: r, Lines: []string{"Ký"}}})
		return out.Bytes(), err
	}
	// Inside the media box, outside the crop box: not visible.
	_, err = sign(doc, pdf.Rect{X: 550, Y: 740, W: 50, H: 30})
	require.Error(t, err)
	require.True(t, errors.Is(err, pdf.ErrBadRect), "%v", err)
	// The displayed lower-left corner is the crop box's.
	out, err := sign(doc, pdf.Rect{X: 0, Y: 0, W: 100, H: 50})
	require.NoError(t, err)
	m := regexp.MustCompile(`/Rect \[([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)\]`).FindAllSubmatch(out[len(doc):], -1)
	require.NotEmpty(t, m)
	var got [4]float64
	for i := range got {
		got[i], _ = strconv.ParseFloat(string(m[len(m)-1][i+1]), 64)
	}
	require.InDeltaSlice(t, []float64{36, 36, 136, 86}, got[:], 0.01)

	// Rotated 90: the displayed page is 720 wide and 540 high; the text's
	// box (user y from 697.4) starts 661.4 pt from the displayed left edge.
	doc = croppedPage(90)
	ms, err = pdf.FindText(bytes.NewReader(doc), int64(len(doc)), "Noi nhan", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.InDelta(t, 661.4, ms[0].Rect.X, 0.5, "%+v", ms[0].Rect)
	_, err = sign(doc, pdf.Rect{X: 600, Y: 500, W: 110, H: 30})
	require.NoError(t, err, "inside the 720 x 540 displayed page")
	_, err = sign(doc, pdf.Rect{X: 600, Y: 530, W: 110, H: 30})
	require.ErrorIs(t, err, pdf.ErrBadRect)
}
