package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bigToUnicode is a ToUnicode CMap of four full two-byte ranges: about
// a hundred bytes that ask for 2^18 mappings.
const bigToUnicode = "4 beginbfrange\n<0000> <FFFF> <0000>\n<0000> <FFFF> <0000>\n<0000> <FFFF> <0000>\n<0000> <FFFF> <0000>\nendbfrange"

// TestFindTextFontWorkIsBounded: the work spent reading fonts' ToUnicode
// maps and /W arrays is bounded per document, whatever the content stream
// asks. A direct font dictionary selected again and again with Tf reuses
// its ToUnicode map instead of reading it each time; many distinct fonts
// with huge /W arrays end in a typed error rather than unbounded work.
func TestFindTextFontWorkIsBounded(t *testing.T) {
	t.Run("repeated Tf of a direct font", func(t *testing.T) {
		var content strings.Builder
		content.WriteString("BT 1 0 0 1 10 700 Tm\n")
		for i := 0; i < 100; i++ {
			content.WriteString("/F1 12 Tf\n")
		}
		content.WriteString("(Hello) Tj ET\n")
		objs := map[int]string{
			1: "<< /Type /Catalog /Pages 2 0 R >>",
			2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 5 0 R >> >> >> >>",
			4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()),
			5: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(bigToUnicode), bigToUnicode),
		}
		doc := classicPDF(objs)
		var ms []TextMatch
		var err error
		allocs := testing.AllocsPerRun(1, func() {
			ms, err = FindText(bytes.NewReader(doc), int64(len(doc)), "Hello", nil)
		})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.Less(t, allocs, 2e6, "the ToUnicode map is read once, not once per Tf")
	})
	t.Run("many fonts with huge /W arrays", func(t *testing.T) {
		const n = 20
		objs := map[int]string{
			1: "<< /Type /Catalog /Pages 2 0 R >>",
			2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		}
		var fonts, content strings.Builder
		content.WriteString("BT 1 0 0 1 10 700 Tm\n")
		w := strings.Repeat("0 65535 500 ", 4)
		for i := 0; i < n; i++ {
			objs[10+i] = fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /W [%s] >>] >>", w)
			fmt.Fprintf(&fonts, "/F%d %d 0 R ", i, 10+i)
			fmt.Fprintf(&content, "/F%d 12 Tf <0041> Tj\n", i)
		}
		content.WriteString("ET\n")
		objs[3] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << " + fonts.String() + ">> >> >>"
		objs[4] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String())
		doc := classicPDF(objs)
		_, err := FindText(bytes.NewReader(doc), int64(len(doc)), "A", nil)
		require.Error(t, err)
		require.True(t, errors.Is(err, ErrUnsupported), "%v", err)
	})
}
