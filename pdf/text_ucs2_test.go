package pdf

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextPredefinedUnicodeCMap: a Type0 font with a predefined
// Unicode CMap (Uni…-UCS2-H) and no ToUnicode map has Unicode codes: its
// text is found from them. Its CIDs are not its codes, so widths come
// from /DW rather than from /W read by code.
func TestFindTextPredefinedUnicodeCMap(t *testing.T) {
	// "Xin chào" in UCS-2.
	content := "BT /C0 10 Tf 1 0 0 1 100 700 Tm <00580069006E00200063006800E0006F> Tj ET"
	doc := textPage{content: content, name: "C0",
		// /W by code would give the letters a width of 1 (1/1000 em).
		font: "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /UniGB-UCS2-H /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 500 /W [32 255 1] >>] >>",
	}.pdf()
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "chào", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	// Four glyphs of half an em at 10 pt before it.
	require.InDelta(t, 120, ms[0].Rect.X, 0.5, "%+v", ms[0].Rect)
	require.InDelta(t, 20, ms[0].Rect.W, 0.5, "%+v", ms[0].Rect)
}

// TestFindTextPredefinedUTF16CMap: with a Uni…-UTF16-H CMap a surrogate
// pair is one four-byte code, one glyph.
func TestFindTextPredefinedUTF16CMap(t *testing.T) {
	content := "BT /C0 10 Tf 1 0 0 1 100 700 Tm <D83DDE0000610062> Tj ET"
	doc := textPage{content: content, name: "C0",
		font: "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /UniJIS-UTF16-H /DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 6 >> /DW 500 >>] >>",
	}.pdf()
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "\U0001F600ab", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.InDelta(t, 100, ms[0].Rect.X, 0.5, "%+v", ms[0].Rect)
	require.InDelta(t, 15, ms[0].Rect.W, 0.5, "%+v", ms[0].Rect)
}
