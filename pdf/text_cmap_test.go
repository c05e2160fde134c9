package pdf

import (
	"bytes"
	"fmt"
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
	objs := map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /C0 5 0 R >> >> >>",
		4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		// CIDs 1..95 are codes 0x20..0x7E; every CID is 600 wide (the
		// default would be 1000).
		5: "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding 6 0 R /ToUnicode 7 0 R /DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Test) /Supplement 0 >> /DW 1000 /W [1 95 600] >>] >>",
		6: fmt.Sprintf("<< /Type /CMap /CMapName /Test-1byte /Length %d >>\nstream\n%s\nendstream", len(cmap), cmap),
		7: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(toUni), toUni),
	}
	doc := classicPDF(objs)
	ms, err := FindText(bytes.NewReader(doc), int64(len(doc)), "CD", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	// A, B and the space are 6 pt each: "CD" runs from 118 to 130.
	require.InDelta(t, 118, ms[0].Rect.X, 0.5, "%+v", ms[0].Rect)
	require.InDelta(t, 12, ms[0].Rect.W, 0.5, "%+v", ms[0].Rect)
}
