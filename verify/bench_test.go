package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

var bigPDF struct {
	once sync.Once
	dir  string
	path string
	opts Options
	err  error
}

// bigSignedPDF writes a 100 MB one-page PDF (a large content stream),
// signs it with pdf.Sign, and returns its path and offline validation
// options with the test PKI's CRLs.
func bigSignedPDF(b *testing.B) (string, Options) {
	bigPDF.once.Do(func() {
		p, err := pkitest.Start()
		if err != nil {
			bigPDF.err = err
			return
		}
		id := p.MustIssue()
		bigPDF.dir, err = os.MkdirTemp("", "kyso-bench-")
		if err != nil {
			bigPDF.err = err
			return
		}
		line := []byte("0 0 m 595 842 l S % kyso benchmark filler line .........................\n")
		content := bytes.Repeat(line, (100<<20)/len(line))
		objs := pageObjects("x", "", "")
		objs[3] = fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)
		doc := testutil.BuildPDF(objs)
		in := filepath.Join(bigPDF.dir, "in.pdf")
		if bigPDF.err = os.WriteFile(in, doc, 0o644); bigPDF.err != nil {
			return
		}
		bigPDF.path = filepath.Join(bigPDF.dir, "signed.pdf")
		if bigPDF.err = pdf.SignFile(context.Background(), bigPDF.path, in, id.Signer(), &pdf.Options{Field: "Big"}); bigPDF.err != nil {
			return
		}
		bigPDF.opts, bigPDF.err = benchOptions(p)
	})
	if bigPDF.err != nil {
		b.Fatal(bigPDF.err)
	}
	return bigPDF.path, bigPDF.opts
}

// BenchmarkVerifyPDF100MB verifies the generated 100 MB signed PDF (read
// through io.ReaderAt from the file, hashed in 1 MiB chunks). Compare with
// BenchmarkSHA256Sum100MB on the same file.
func BenchmarkVerifyPDF100MB(b *testing.B) {
	pv, path, size := bigPDFVerifier(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		verifyPassedFile(b, pv, path, size)
	}
}

// bigPDFVerifier returns a PDFVerifier for the generated 100 MB signed PDF,
// with the file's path and size.
func bigPDFVerifier(b *testing.B) (*PDFVerifier, string, int64) {
	path, opts := bigSignedPDF(b)
	v, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return NewPDFVerifier(v), path, st.Size()
}

// verifyPassedFile verifies the PDF at path and fails unless it passes.
func verifyPassedFile(b *testing.B, pv *PDFVerifier, path string, size int64) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rep, err := pv.Verify(context.Background(), f, size)
	if err != nil {
		b.Fatal(err)
	}
	if rep.Indication() != TotalPassed {
		b.Fatalf("%s", rep.Text(English))
	}
}

// BenchmarkSHA256Sum100MB runs sha256sum on the same file: the reference.
func BenchmarkSHA256Sum100MB(b *testing.B) {
	path, _ := bigSignedPDF(b)
	tool := testutil.Tool(b, "sha256sum", "coreutils")
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(tool, path).CombinedOutput(); err != nil {
			b.Fatal(err, string(out))
		}
	}
}

// BenchmarkGoSHA256File100MB reads and hashes the file in Go, for scale.
func BenchmarkGoSHA256File100MB(b *testing.B) {
	path, _ := bigSignedPDF(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	buf := make([]byte, hashChunk)
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.CopyBuffer(h, f, buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// benchOptions trusts p's root and passes the CRLs of p's CA and root in
// the options, so that the benchmarks validate without the network.
func benchOptions(p *pkitest.PKI) (Options, error) {
	trust := NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "root")
	opts := Options{Trust: trust}
	for _, ca := range []*pkitest.CA{p.CA, p.Root} {
		crl, err := p.CRL(ca)
		if err != nil {
			return Options{}, err
		}
		opts.CRLs = append(opts.CRLs, crl)
	}
	return opts, nil
}
