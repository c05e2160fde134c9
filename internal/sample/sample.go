// Package sample finds the sample documents (testdata/sample.pdf,
// testdata/invoice.xml) that the example programs and the kyso command's
// tests sign, whether they run from the repository root (go run
// ./examples/NAME) or from their own directory (go test), and builds the
// small generated PDFs that examples, tests and testdata/gen.go sign
// (BuildPDF, MinimalPDF).
package sample

import (
	"fmt"
	"os"
	"path/filepath"
)

// Names of the sample documents in the repository's testdata directory.
const (
	PDF     = "sample.pdf"
	Invoice = "invoice.xml"
)

// Path returns the path of the sample document name, looking for
// testdata/name in the working directory and its parents up to the module
// root (the directory holding go.mod).
func Path(name string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("sample: %w", err)
	}
	for {
		p := filepath.Join(dir, "testdata", name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("sample: testdata/%s not found from the working directory; run the example from the kyso repository: %w", name, os.ErrNotExist)
}

// Read returns the content of the sample document name.
func Read(name string) ([]byte, error) {
	p, err := Path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("sample: %s is empty", p)
	}
	return b, nil
}
