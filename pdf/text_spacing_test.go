package pdf

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextLetterSpacing: character spacing (Tc, here scaled by Tz)
// belongs to the glyphs it separates — letter-spaced headings such as
// "C Ộ N G  H Ò A" drawn with Tc are words, not letters — while a gap made
// by moving the text position (a TJ adjustment) still separates words.
func TestFindTextLetterSpacing(t *testing.T) {
	for _, content := range []string{
		"BT /F1 12 Tf 4 Tc 1 0 0 1 100 700 Tm (CONG HOA) Tj ET",
		"BT /F1 12 Tf 200 Tz 2 Tc 1 0 0 1 100 700 Tm (CONG HOA) Tj ET",
		"BT /F1 12 Tf 1 0 0 1 100 700 Tm [(C) -50 (ONG) -3000 (HOA)] TJ ET",
	} {
		t.Run(content, func(t *testing.T) {
			doc := textPage{content: content, font: helvetica}.pdf()
			ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "cong hoa", nil)
			require.NoError(t, err)
			require.Len(t, ms, 1)
			require.InDelta(t, 100, ms[0].Rect.X, 0.5)
			require.Equal(t, "CONG HOA", ms[0].Line)
		})
	}
}
