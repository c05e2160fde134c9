package readme

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// The two functions below appear verbatim in README.md.

// signPDF signs the PDF in with the key of a PKCS#12 file and writes out:
// PAdES B-T (time-stamped by the TSA at tsaURL) with a visible signature in
// the Vietnamese template ("Ký bởi", "Cơ quan", "Thời gian ký").
func signPDF(ctx context.Context, in, out, p12File, password, tsaURL string) error {
	s, err := signer.LoadPKCS12File(p12File, password) // or a USB token: package pkcs11
	if err != nil {
		return err // errors.Is(err, signer.ErrWrongPassword), …
	}
	return pdf.SignFile(ctx, out, in, s, &pdf.Options{
		Reason:       "Phê duyệt văn bản",
		Location:     "Hà Nội",
		TimestampURL: tsaURL, // empty: PAdES B-B
		Appearance:   &pdf.Appearance{Rect: pdf.Rect{X: 340, Y: 140, W: 200, H: 90}},
	})
}

// verifyFile checks every signature of a PDF or XML file against the roots
// in rootsFile, fetching OCSP/CRL online, and prints the Vietnamese report.
func verifyFile(ctx context.Context, path, rootsFile string) (verify.Indication, error) {
	trust := verify.NewTrustStore() // nothing is trusted by default
	if _, err := trust.AddFile(rootsFile); err != nil {
		return "", err
	}
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline})
	if err != nil {
		return "", err
	}
	var mux verify.Mux
	mux.Handle("PDF", verify.IsPDF, verify.NewPDFVerifier(v))
	mux.Handle("XML", verify.IsXML, verify.NewXMLVerifier(v))
	doc, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	rep, err := verify.VerifyBytes(ctx, &mux, doc)
	if err != nil {
		return "", err
	}
	fmt.Println(rep.Text(verify.Vietnamese)) // rep.JSON() for machines
	return rep.Indication(), nil             // TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE
}

// TestSnippetsInREADME checks that every Go block of README.md is code of
// this file, so the README never shows code that does not compile.
func TestSnippetsInREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "README.md"))
	require.NoError(t, err)
	self, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	require.Len(t, blocks, 2, "README.md shows two Go snippets")
	for _, b := range blocks {
		assert.True(t, strings.Contains(string(self), string(b[1])), "README snippet not found verbatim in readme_test.go:\n%s", b[1])
	}
}

// TestSnippetsWork runs the README's snippets with a test PKI.
func TestSnippetsWork(t *testing.T) {
	p := pkitest.New(t)
	dir := t.TempDir()
	id := p.MustIssue()
	p12, err := id.PKCS12("secret")
	require.NoError(t, err)
	p12File := filepath.Join(dir, "an.p12")
	require.NoError(t, os.WriteFile(p12File, p12, 0o600))
	roots := filepath.Join(dir, "roots.pem")
	require.NoError(t, os.WriteFile(roots, pkitest.PEM(p.Root.Cert), 0o644))
	in := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "signed.pdf")

	ctx := context.Background()
	require.NoError(t, signPDF(ctx, in, out, p12File, "secret", p.TSAURL()))
	check.PDFSig(t, out, 1)
	ind, err := verifyFile(ctx, out, roots)
	require.NoError(t, err)
	assert.Equal(t, verify.TotalPassed, ind)

	err = signPDF(ctx, in, filepath.Join(dir, "x.pdf"), p12File, "wrong", "")
	assert.ErrorIs(t, err, signer.ErrWrongPassword)
}
