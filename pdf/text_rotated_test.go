package pdf

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// rotatedTextPage is a page with the given /Rotate whose content is drawn
// through cm so that it reads upright as displayed — how producers write
// a landscape page on a portrait media box.
func rotatedTextPage(rotate int, cm string) []byte {
	content := "q " + cm + " cm BT /F1 12 Tf 1 0 0 1 100 300 Tm (Alpha Beta Gamma) Tj ET Q"
	return textPage{content: content, font: helvetica, page: fmt.Sprintf(" /Rotate %d", rotate)}.pdf()
}

// TestFindTextUprightOnRotatedPage: text drawn turned in user space (so
// that it reads upright on a page with /Rotate) is found, and its box is
// where it is displayed: "Beta" 134 pt from the left edge, its baseline
// 300 pt up, as poppler places it.
func TestFindTextUprightOnRotatedPage(t *testing.T) {
	for _, c := range []struct {
		rotate int
		cm     string
	}{
		{90, "0 1 -1 0 595 0"},
		{270, "0 -1 1 0 0 842"},
		{180, "-1 0 0 -1 595 842"},
	} {
		t.Run(fmt.Sprint(c.rotate), func(t *testing.T) {
			doc := rotatedTextPage(c.rotate, c.cm)
			ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "Beta", nil)
			require.NoError(t, err)
			require.Len(t, ms, 1)
			r := ms[0].Rect
			require.InDelta(t, 134, r.X, 1, "%+v", r)
			require.InDelta(t, 24.7, r.W, 1, "%+v", r)
			require.InDelta(t, 300-2.64, r.Y, 1, "%+v", r)
			require.InDelta(t, 12, r.H, 1, "%+v", r)
			require.Equal(t, "Alpha Beta Gamma", ms[0].Line)
		})
	}
}
