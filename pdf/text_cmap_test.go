package pdf

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFindTextType0EmbeddedCMap: a Type0 font whose /Encoding is an
// embedded CMap splits strings into codes by the CMap's codespace ranges
// (here one byte per code, not the two of Identity-H), maps codes to CIDs
// by its cidrange, and reads widths by CID.
func TestFindTextType0EmbeddedCMap(t *testing.T) {
	cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
		"/CMapName /Test-1byte def\n1 begincodespacerange <00> <FF> endcodespacerange\n" +
		"1 begincidrange <20> <7E> 1 endcidrange\nendcmap CMapName currentdict /CMap defineresource pop end end"
	toUni := "1 begincodespacerange <00> <FF> endcodespacerange\n1 beginbfrange <20> <7E> <0020> endbfrange"
	content := "BT /C0 10 Tf 1 0 0 1 100 700 Tm (AB CD) Tj ET"
	doc := textPage{content: content, name: "C0",
		// CIDs 1..95 are codes 0x20..0x7E; every CID is 600 wide (the
		// default would be 1000).
		font: "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding 6 0 R /ToUnicode 7 0 R /DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Test) /Supplement 0 >> /DW 1000 /W [1 95 600] >>] >>",
		more: map[int]string{
			6: streamObj("/Type /CMap /CMapName /Test-1byte", cmap),
			7: streamObj("", toUni),
		},
	}.pdf()
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "CD", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	// A, B and the space are 6 pt each: "CD" runs from 118 to 130.
	require.InDelta(t, 118, ms[0].Rect.X, 0.5, "%+v", ms[0].Rect)
	require.InDelta(t, 12, ms[0].Rect.W, 0.5, "%+v", ms[0].Rect)
}
