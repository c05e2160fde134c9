package testutil

import (
	"testing"

	"github.com/kyso-vn/kyso/internal/sample"
)

// BuildPDF writes a PDF 1.7 file holding objs as objects 1…n (object 1 the
// catalog) with a classic xref table and trailer (sample.BuildPDF).
func BuildPDF(objs []string) []byte { return sample.BuildPDF(objs, "") }

// MinimalPDF returns a one-page PDF showing text in 18 pt Helvetica:
// objects 1–5 (catalog, pages, page, content stream, font) (sample.MinimalPDF).
func MinimalPDF(text string) []byte { return sample.MinimalPDF(text) }

// SamplePath returns the path of the sample document name
// (sample.PDF, sample.Invoice) in the repository's testdata, or fails t.
func SamplePath(t testing.TB, name string) string {
	t.Helper()
	p, err := sample.Path(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
