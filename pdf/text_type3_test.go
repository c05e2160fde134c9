package pdf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextType3FontMatrix: a Type3 font's glyph widths are in its
// glyph space, which its /FontMatrix maps to text space (not always the
// 1/1000 of other fonts): with [0.01 0 0 0.01 0 0] a width of 50 is half
// the font size, and the text after it moves by that much.
func TestFindTextType3FontMatrix(t *testing.T) {
	widths := strings.TrimSpace(strings.Repeat("50 ", 37)) // codes 32..68
	content := "BT /T3 10 Tf 1 0 0 1 100 700 Tm (AB CD) Tj ET"
	doc := textPage{content: content, name: "T3",
		font: "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 50 70] /FontMatrix [0.01 0 0 0.01 0 0] /CharProcs << /A 6 0 R /B 6 0 R /C 6 0 R /D 6 0 R /space 6 0 R >> /Encoding << /Type /Encoding /Differences [32 /space 65 /A /B /C /D] >> /FirstChar 32 /LastChar 68 /Widths [" + widths + "] /Resources << >> >>",
		more: map[int]string{6: streamObj("", "50 0 d0 0 0 40 70 re f")},
	}.pdf()
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "CD", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	// A, B and the space are 5 pt each: "CD" runs from 115 to 125.
	require.InDelta(t, 115, ms[0].Rect.X, 0.5, "%+v", ms[0].Rect)
	require.InDelta(t, 10, ms[0].Rect.W, 0.5, "%+v", ms[0].Rect)
}
