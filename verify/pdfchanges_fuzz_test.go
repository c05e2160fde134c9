package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kyso-vn/kyso/pdf"
)

// firstPageContent returns the decoded content streams of the first page
// (nil when there is no readable page).
func firstPageContent(d *pdf.Document) []byte {
	_, cat, err := d.Catalog()
	if err != nil {
		return nil
	}
	node, _ := d.Resolve(cat["Pages"])
	for depth := 0; depth < 16; depth++ {
		nd, ok := node.(pdf.Dict)
		if !ok {
			return nil
		}
		if t, _ := nd["Type"].(pdf.Name); t == "Page" {
			var out []byte
			c := nd["Contents"]
			list := pdf.Array{c}
			if a, ok := c.(pdf.Array); ok {
				list = a
			} else if r, ok := c.(pdf.Ref); ok {
				if a, ok := func() (pdf.Array, bool) { o, _ := d.Object(r.Num); a, ok := o.(pdf.Array); return a, ok }(); ok {
					list = a
				}
			}
			for _, e := range list {
				r, ok := e.(pdf.Ref)
				if !ok {
					continue
				}
				o, _ := d.Object(r.Num)
				if s, ok := o.(*pdf.Stream); ok {
					data, _ := d.Decode(s, r)
					out = append(out, data...)
				}
				out = append(out, '|')
			}
			return out
		}
		kids, _ := d.Resolve(nd["Kids"])
		ka, _ := kids.(pdf.Array)
		if len(ka) == 0 {
			return nil
		}
		node, _ = d.Resolve(ka[0])
	}
	return nil
}

// FuzzPDFChangeAnalysis runs the change analysis between every earlier
// revision of the input and its final state, at every DocMDP level. It
// never panics, a revision compared with itself shows no change, and when
// the first page's content differs from the earlier revision, some change
// is refused whatever the level.
//
// The corpus seeds are tens of kilobytes: run it with -fuzzminimizetime 2s
// (minimising a new input of that size at the default 60 s stalls the run).
func FuzzPDFChangeAnalysis(f *testing.F) {
	for _, pat := range []string{"../../shared/corpus/pyhanko/*.pdf", "../../shared/corpus/attacks/pdf/*/*.pdf"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 48<<10 {
				f.Add(b)
			}
		}
	}
	signed := minimalPDF("Pay 100 VND")
	f.Add(signed)
	f.Add(appendUpdateRaw(signed, []byte("4 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		final, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			return
		}
		if ch := analyzeChanges(bytes.NewReader(data), final, final, final.Size(), 2, nil); len(ch) > 0 {
			t.Fatalf("a revision compared with itself changed: %v", ch)
		}
		revs := final.Revisions()
		if len(revs) > 8 {
			revs = revs[len(revs)-8:]
		}
		for _, r := range revs {
			if r.End <= 0 || r.End >= final.Size() {
				continue
			}
			old, err := final.At(r.End)
			if err != nil {
				continue
			}
			contentChanged := !bytes.Equal(firstPageContent(old), firstPageContent(final))
			for p := 0; p <= 3; p++ {
				refused := false
				for _, c := range analyzeChanges(bytes.NewReader(data), final, old, r.End, p, nil) {
					refused = refused || !c.Allowed
				}
				if contentChanged && !refused {
					t.Fatalf("first page content changed after the revision ending at %d, yet nothing was refused (P=%d)", r.End, p)
				}
			}
		}
	})
}
