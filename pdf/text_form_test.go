package pdf

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextFormInheritsTextState: a form XObject starts from the
// graphics state in effect where it is drawn (ISO 32000-1 §8.10.1),
// text state included: text it shows with the font selected before the
// Do is found.
func TestFindTextFormInheritsTextState(t *testing.T) {
	page := "BT /F1 12 Tf ET /X1 Do"
	form := "BT 1 0 0 1 100 700 Tm (Hello) Tj ET"
	doc := classicPDF(map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>",
		4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(page), page),
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		6: fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Length %d >>\nstream\n%s\nendstream", len(form), form),
	})
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "Hello", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.InDelta(t, 100, ms[0].Rect.X, 0.5)
}
