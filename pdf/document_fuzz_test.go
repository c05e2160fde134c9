package pdf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// addSharedCorpusSeeds adds the PDFs of ../shared/corpus (signed files
// from other producers, attack files) when the folder is present; fuzzing
// works without them.
func addSharedCorpusSeeds(f *testing.F) {
	for _, pat := range []string{"../../shared/corpus/pyhanko/*.pdf", "../../shared/corpus/attacks/pdf/*/*.pdf"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 48<<10 {
				f.Add(b)
			}
		}
	}
}

// exerciseDocument reads everything verification reads through the
// exported object layer: every revision as of its end, every object, every
// stream decoded, the signatures, DocMDP and the DSS.
func exerciseDocument(data []byte) error {
	d, err := Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return err
	}
	docs := []*Document{d}
	for _, r := range d.Revisions() {
		if r.End > 0 && r.End < d.Size() {
			old, err := d.At(r.End)
			if err != nil {
				return err
			}
			docs = append(docs, old)
		}
	}
	for _, x := range docs {
		for i, n := range x.ObjectNumbers() {
			if i > 2000 {
				break
			}
			o, err := x.Object(n)
			if err != nil {
				return err
			}
			if s, ok := o.(*Stream); ok {
				if _, err := x.Decode(s, Ref{Num: n}); err != nil {
					return err
				}
			}
		}
		if _, err := x.Signatures(); err != nil {
			return err
		}
		x.DocMDP()
		if _, err := x.DSS(); err != nil {
			return err
		}
	}
	return nil
}

// FuzzDocument: the object layer fails with a typed error or reads the
// whole document; it never panics, and revisions are in file order.
//
// The corpus seeds are tens of kilobytes: run it with -fuzzminimizetime 2s
// (minimising a new input of that size at the default 60 s stalls the run).
func FuzzDocument(f *testing.F) {
	addCorpusSeeds(f)
	addSharedCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := exerciseDocument(data)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("untyped error: %v", err)
		}
		if err != nil {
			return
		}
		d, _ := Open(bytes.NewReader(data), int64(len(data)), nil)
		for _, r := range d.Revisions() {
			if r.End > d.Size() || r.XRef >= d.Size() {
				t.Fatalf("revision %+v outside the file of %d bytes", r, d.Size())
			}
		}
	})
}
