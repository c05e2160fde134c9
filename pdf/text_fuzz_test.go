package pdf

import (
	"bytes"
	"testing"
)

// FuzzPageText interprets arbitrary content streams with the fonts and
// resources of the sample page and arbitrary ToUnicode maps: errors are
// fine, panics and runaway output are not.
func FuzzPageText(f *testing.F) {
	in := sampleDoc(f)
	d, err := open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		f.Fatal(err)
	}
	pg, err := d.page(1)
	if err != nil {
		f.Fatal(err)
	}
	content, err := d.contentBytes(pg.dict["Contents"])
	if err != nil {
		f.Fatal(err)
	}
	res, _ := d.resolve(pageAttr(d, pg.dict, "Resources")).(dict)
	f.Add([]byte("(AB CD) Tj <8140> Tj"), []byte("2 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange 1 begincidrange <20> <7E> 1 endcidrange 1 begincidchar <8140> 633 endcidchar"))
	f.Add(content, []byte("1 beginbfchar <0041> <1EA0> endbfchar 1 beginbfrange <00> <FF> <0041> endbfrange"))
	f.Add([]byte("BT /F1 12 Tf 1 0 0 1 10 10 Tm [(A) -300 (B)] TJ T* (C) ' 1 2 (D) \" ET q 2 0 0 2 0 0 cm Q BI /W 1 ID \x00 EI Do"), []byte("<00> <01> [<0041> <0042>] endbfrange"))
	f.Add([]byte("BT /F1 1e308 Tf 1e308 0 0 1e308 0 0 Tm (AAAA) Tj ET"), []byte{})
	f.Fuzz(func(t *testing.T, data, cmap []byte) {
		ex := &extractor{d: d, fonts: map[ref]*textFont{}}
		_ = ex.run(data, res, identity, 0)
		if len(ex.glyphs) > maxGlyphsOnPage {
			t.Fatalf("%d glyphs", len(ex.glyphs))
		}
		for _, l := range groupLines(ex.glyphs) {
			_ = l.find([]rune("a b"), true)
		}
		m, _ := parseToUnicode(cmap)
		if len(m) > 1<<16 {
			t.Fatalf("%d mappings", len(m))
		}
		cs, cids, work := parseEncodingCMap(cmap)
		if len(cids) > maxCMapWork || work > maxCMapWork || len(cs) > 256 {
			t.Fatalf("%d CIDs, %d work, %d ranges", len(cids), work, len(cs))
		}
		if len(cs) > 0 {
			f := &textFont{codespace: cs, cids: cids, widths: map[int]float64{}}
			n := 0
			for _, c := range f.codes(data) {
				n += len(c)
				_ = f.width(c)
			}
			if n > len(data) {
				t.Fatalf("codes of %d bytes from %d", n, len(data))
			}
		}
	})
}
