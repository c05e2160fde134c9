package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Every command's help states its exit statuses, and the codes returned
// are the ones stated.
func TestExitStatusDocumented(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"sign", "-h"}, {"sign", "pdf", "-h"}, {"sign", "xml", "-h"}, {"sign", "file", "-h"},
		{"verify", "-h"}, {"tokens", "-h"}, {"token", "-h"}, {"token", "keygen", "-h"}, {"token", "import-cert", "-h"},
		{"token", "change-pin", "-h"}, {"token", "unblock-pin", "-h"}, {"token", "delete", "-h"},
		{"pki", "-h"}, {"pki", "init", "-h"}, {"pki", "serve", "-h"}, {"version", "-h"},
	} {
		r := kyso(t, nil, "", args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Exit status: 0", "kyso %s", strings.Join(args, " "))
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, row := range []string{"| 0 |", "| 1 |", "| 2 |", "| 3 |"} {
		assert.Contains(t, string(readme), row, "the README's exit-status table")
	}

	// verify: an unreadable file (2) wins over a signature that is not
	// TOTAL_PASSED (1).
	pkiDir, p12, _, env := testPKI(t)
	dir := t.TempDir()
	pdfIn, err := sample.Path(sample.PDF)
	require.NoError(t, err)
	signed := filepath.Join(dir, "signed.pdf")
	r := kyso(t, env, "", "sign", "pdf", pdfIn, signed, "--p12", p12, "--pass-env", "KYSO_TEST_PASS", "--no-cert-check")
	require.Equal(t, 0, r.code, r.stderr)
	junk := filepath.Join(dir, "junk.pdf")
	require.NoError(t, os.WriteFile(junk, []byte("not a document"), 0o644))
	root := filepath.Join(pkiDir, pkitest.FileRoot)
	r = kyso(t, nil, "", "verify", "--offline", "--trust", root, signed)
	assert.Equal(t, 1, r.code, "offline without revocation data: INDETERMINATE")
	r = kyso(t, nil, "", "verify", "--offline", "--trust", root, signed, junk)
	assert.Equal(t, 2, r.code, r.stderr)

	// pki: a directory that already holds a PKI is an input error; an
	// address in use is a server that could not start.
	r = kyso(t, nil, "", "pki", "init", pkiDir)
	assert.Equal(t, 2, r.code, r.stderr)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	r = kyso(t, nil, "", "pki", "serve", pkiDir, "--addr", l.Addr().String())
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "cannot listen on "+l.Addr().String()+": address already in use")
	assert.NotContains(t, r.stderr, "listen tcp")
	r = kyso(t, nil, "", "version", "extra")
	assert.Equal(t, 2, r.code, r.stderr)
}
