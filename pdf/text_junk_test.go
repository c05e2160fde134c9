package pdf

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextAfterContentSyntaxError: a syntax error in a page's content
// stream (a stray "]" or "}", a bad hex string) ends the reading of that
// page's text where it occurs, as viewers stop drawing there; the text
// before it and the other pages are still searched, instead of the whole
// search failing.
func TestFindTextAfterContentSyntaxError(t *testing.T) {
	for _, junk := range []string{"]", ">>", "} {", "<zz>", "(unterminated"} {
		t.Run(junk, func(t *testing.T) {
			page1 := "BT /F1 12 Tf 100 700 Td (Hello) Tj ET " + junk + " BT /F1 12 Tf 100 600 Td (Hidden) Tj ET"
			page2 := "BT /F1 12 Tf 100 700 Td (World) Tj ET"
			doc := classicPDF(map[int]string{
				1: "<< /Type /Catalog /Pages 2 0 R >>",
				2: "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
				3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
				4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(page1), page1),
				5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
				6: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 7 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
				7: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(page2), page2),
			})
			for _, c := range []struct {
				text string
				page int
			}{{"Hello", 1}, {"World", 2}} {
				ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), c.text, nil)
				require.NoError(t, err)
				require.Len(t, ms, 1, c.text)
				require.Equal(t, c.page, ms[0].Page)
			}
		})
	}
}
