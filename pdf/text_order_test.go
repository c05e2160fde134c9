package pdf

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextTopToBottom: matches on a page come top to bottom, then
// left to right, as FindText's documentation says, whatever order the
// content stream draws them in — Anchor's first and Last depend on it.
func TestFindTextTopToBottom(t *testing.T) {
	content := "BT /F1 11 Tf 1 0 0 1 72 100 Tm (ngay ky) Tj ET\n" +
		"BT /F1 11 Tf 1 0 0 1 330 750 Tm (ngay 3) Tj ET\n" +
		"BT /F1 11 Tf 1 0 0 1 72 750 Tm (ngay 1) Tj ET\n" +
		"BT /F1 11 Tf 1 0 0 1 72 400 Tm (ngay 2) Tj ET"
	doc := textPage{content: content, font: helvetica}.pdf()
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "ngay", nil)
	require.NoError(t, err)
	var lines []string
	for _, m := range ms {
		lines = append(lines, m.Line)
	}
	require.Equal(t, []string{"ngay 1", "ngay 3", "ngay 2", "ngay ky"}, lines)
}
