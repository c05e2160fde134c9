package pdf

import (
	"bytes"
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
	doc := textPage{content: page, font: helvetica, res: " /XObject << /X1 6 0 R >>", more: map[int]string{
		6: streamObj("/Type /XObject /Subtype /Form /BBox [0 0 595 842]", form),
	}}.pdf()
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "Hello", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.InDelta(t, 100, ms[0].Rect.X, 0.5)
}
