package pdf

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Shared test PKI (one per test binary: key generation is not free).
var (
	pkiOnce sync.Once
	testPKI *pkitest.PKI
	pkiErr  error
)

func sharedPKI(t testing.TB) *pkitest.PKI {
	t.Helper()
	pkiOnce.Do(func() { testPKI, pkiErr = pkitest.Start() })
	require.NoError(t, pkiErr)
	return testPKI
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testPKI != nil {
		testPKI.Close()
	}
	if largeDir != "" {
		os.RemoveAll(largeDir)
	}
	os.Exit(code)
}

func testSigner(t testing.TB, opts ...pkitest.CertOption) signer.Signer {
	t.Helper()
	id, err := sharedPKI(t).Issue(opts...)
	require.NoError(t, err)
	return id.Signer()
}

func corpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// signBytes signs in with Sign and returns the output, checking that the
// input is an exact prefix.
func signBytes(t testing.TB, in []byte, s signer.Signer, opts *Options) []byte {
	t.Helper()
	var out bytes.Buffer
	err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, opts)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out.Bytes(), in), "original bytes must be an exact prefix of the output")
	return out.Bytes()
}

var sigBlock = regexp.MustCompile(`(?m)^Signature #\d+:`)

// checkTools runs pdfsig, mutool sign -v and qpdf --check on the file and
// asserts that n signatures are valid, the last one covers the whole file,
// and the structure is sound.
func checkTools(t *testing.T, data []byte, n int, password string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signed.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	checkPdfsig(t, path, n, password)
	checkMutool(t, path, n, password)
	checkQpdf(t, path, password)
}

// pdfsigBlocks runs pdfsig -nocert on the file at path (opened with
// password when it is set) and returns its report split into one block
// per signature field, and the whole report.
func pdfsigBlocks(t *testing.T, path, password string) ([]string, string) {
	t.Helper()
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	args := []string{"-nocert"}
	if password != "" {
		args = append(args, "-upw", password)
	}
	out, err := exec.Command(pdfsig, append(args, path)...).Output()
	text := string(out)
	if ee, ok := err.(*exec.ExitError); ok {
		text += string(ee.Stderr)
	}
	require.NoError(t, err, "pdfsig: %s", text)
	return sigBlock.Split(text, -1)[1:], text
}

func checkPdfsig(t *testing.T, path string, n int, password string) {
	t.Helper()
	all, text := pdfsigBlocks(t, path, password)
	var blocks []string
	for _, b := range all {
		if !strings.Contains(b, "The signature form field is not signed.") {
			blocks = append(blocks, b)
		}
	}
	require.Len(t, blocks, n, "pdfsig signatures:\n%s", text)
	for i, b := range blocks {
		require.Contains(t, b, "Signature Validation: Signature is Valid.", "signature %d:\n%s", i+1, text)
	}
	require.Contains(t, blocks[n-1], "Total document signed", text)
}

// mutoolParts runs mutool sign -v on the file at path (opened with
// password when it is set) and returns its report split into one part per
// signature field, and the whole report.
func mutoolParts(t *testing.T, path, password string) ([]string, string) {
	t.Helper()
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	args := []string{"sign", "-v"}
	if password != "" {
		args = append(args, "-p", password)
	}
	out, err := exec.Command(mutool, append(args, path)...).CombinedOutput()
	text := string(out)
	require.NoError(t, err, "mutool: %s", text)
	return strings.Split(text, "Verifying signature")[1:], text
}

func checkMutool(t *testing.T, path string, n int, password string) {
	t.Helper()
	all, text := mutoolParts(t, path, password)
	var parts []string
	for _, p := range all {
		if !strings.Contains(p, "Signature is not signed.") {
			parts = append(parts, p)
		}
	}
	require.Len(t, parts, n, "mutool output:\n%s", text)
	for i, p := range parts {
		if i == n-1 {
			require.Contains(t, p, "The document is unchanged since signing.", "mutool, last signature:\n%s", text)
		} else {
			require.Contains(t, p, "The signature is valid but there have been edits since signing.", "mutool, signature %d:\n%s", i+1, text)
		}
		require.NotContains(t, p, "Digest error", text)
	}
}

func checkQpdf(t *testing.T, path, password string) {
	t.Helper()
	qpdf := testutil.Tool(t, "qpdf", "qpdf")
	args := []string{"--check"}
	if password != "" {
		args = append(args, "--password="+password)
	}
	out, err := exec.Command(qpdf, append(args, path)...).CombinedOutput()
	require.NoError(t, err, "qpdf --check: %s", out)
	require.Contains(t, string(out), "No syntax or stream encoding errors found", string(out))
}
