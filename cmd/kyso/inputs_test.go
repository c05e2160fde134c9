package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
)

// Hostile arguments to the sign commands: a directory or a missing file as
// IN and a --tsa that is not a URL are input errors (exit status 2) found
// before the key is opened; a TSA that cannot be reached and a truncated
// .p7s are reported without Go's internal wording.
func TestSignHostileArguments(t *testing.T) {
	_, p12, _, env := testPKI(t)
	dir := t.TempDir()
	pdfIn, err := sample.Path(sample.PDF)
	require.NoError(t, err)
	xmlIn, err := sample.Path(sample.Invoice)
	require.NoError(t, err)
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	missing := filepath.Join(dir, "missing.pdf")
	// A wrong password: any mention of it would show the key was opened.
	wrong := []string{"KYSO_TEST_PASS=wrong"}
	key := []string{"--p12", p12, "--pass-env", "KYSO_TEST_PASS"}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sign", "pdf", sub, filepath.Join(dir, "o.pdf")}, sub + ": is a directory, not a file to sign"},
		{[]string{"sign", "xml", sub, filepath.Join(dir, "o.xml")}, sub + ": is a directory, not a file to sign"},
		{[]string{"sign", "file", sub, filepath.Join(dir, "o.p7s")}, sub + ": is a directory, not a file to sign"},
		{[]string{"sign", "file", missing, filepath.Join(dir, "o.p7s")}, missing + ": no such file or directory"},
		{[]string{"sign", "pdf", pdfIn, missing, "--out-dir", sub}, missing + ": no such file or directory"},
		{[]string{"sign", "pdf", pdfIn, filepath.Join(dir, "o.pdf"), "--tsa", "notaurl"}, `--tsa "notaurl": want an http:// or https:// URL`},
		{[]string{"sign", "file", pdfIn, filepath.Join(dir, "o.p7s"), "--tsa", "ftp://tsa.example/"}, `--tsa "ftp://tsa.example/": want an http:// or https:// URL`},
	} {
		name := strings.Join(c.args, " ")
		r := kyso(t, wrong, "", append(c.args, key...)...)
		assert.Equal(t, 2, r.code, "kyso %s: %s", name, r.stderr)
		assert.Contains(t, r.stderr, c.want, name)
		assert.NotContains(t, r.stderr, "password", "%s: the key is not opened", name)
		assert.NotContains(t, r.stderr, "OCSP", "%s: the certificate is not checked", name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing written but the directory made here")
	entries, err = os.ReadDir(sub)
	require.NoError(t, err)
	assert.Empty(t, entries)

	// A TSA that refuses connections: the operation failed (1), worded
	// without Go's request dump.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	tsa := "http://" + l.Addr().String() + "/tsa"
	require.NoError(t, l.Close())
	for _, args := range [][]string{
		{"sign", "pdf", pdfIn, filepath.Join(dir, "t.pdf"), "--no-cert-check", "--tsa", tsa},
		{"sign", "xml", xmlIn, filepath.Join(dir, "t.xml"), "--no-cert-check", "--xades", "B-T", "--tsa", tsa},
		{"sign", "file", xmlIn, filepath.Join(dir, "t.p7s"), "--level", "B-T", "--tsa", tsa},
	} {
		name := strings.Join(args, " ")
		r := kyso(t, env, "", append(args, key...)...)
		assert.Equal(t, 1, r.code, "kyso %s: %s", name, r.stderr)
		assert.Contains(t, r.stderr, tsa+": connection refused", name)
		for _, internal := range []string{`Post "`, "dial tcp", "connect:"} {
			assert.NotContains(t, r.stderr, internal, name)
		}
		assert.NoFileExists(t, args[3])
	}

	// A truncated .p7s: the ASN.1 decoder's "syntax error" is reworded.
	r := kyso(t, env, "", append([]string{"sign", "file", xmlIn, filepath.Join(dir, "s.p7s")}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	p7s, err := os.ReadFile(filepath.Join(dir, "s.p7s"))
	require.NoError(t, err)
	trunc := filepath.Join(dir, "trunc.p7s")
	require.NoError(t, os.WriteFile(trunc, p7s[:300], 0o644))
	r = kyso(t, env, "", "sign", "file", xmlIn, filepath.Join(dir, "a.p7s"), "--augment", trunc, "--level", "B-T", "--tsa", tsa)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "malformed ASN.1 (DER) data")
	assert.NotContains(t, r.stderr, "asn1:")
}

// An MSSP that cannot be reached is named as such, not as an invalid
// answer, and without Go's request dump; the operation failed (exit 1).
func TestSIMUnreachableMSSP(t *testing.T) {
	dir := t.TempDir()
	pdfIn, err := sample.Path(sample.PDF)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	mssp := "http://" + l.Addr().String() + "/mssp"
	require.NoError(t, l.Close())
	out := filepath.Join(dir, "out.pdf")
	r := kyso(t, nil, "", "sign", "pdf", pdfIn, out, "--sim", "0912345678", "--mssp", mssp, "--no-cert-check")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "cannot reach the MSSP ("+mssp+": connection refused)")
	for _, internal := range []string{`Post "`, "dial tcp", "invalid answer"} {
		assert.NotContains(t, r.stderr, internal)
	}
	assert.NoFileExists(t, out)
}

// A key kyso does not sign with is named as people know it (Ed25519), not
// by its Go type (ed25519.PrivateKey).
func TestUnsupportedKeyNamed(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	key, cert, p12 := filepath.Join(dir, "ed.key"), filepath.Join(dir, "ed.pem"), filepath.Join(dir, "ed.p12")
	for _, args := range [][]string{
		{"req", "-x509", "-newkey", "ed25519", "-keyout", key, "-out", cert, "-days", "30", "-nodes", "-subj", "/CN=Ed25519 test"},
		{"pkcs12", "-export", "-inkey", key, "-in", cert, "-out", p12, "-passout", "pass:secret"},
	} {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	pdfIn, err := sample.Path(sample.PDF)
	require.NoError(t, err)
	r := kyso(t, []string{"KYSO_ED_PASS=secret"}, "", "sign", "pdf", pdfIn, filepath.Join(dir, "out.pdf"),
		"--p12", p12, "--pass-env", "KYSO_ED_PASS", "--no-cert-check")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "private key type Ed25519")
	assert.NotContains(t, r.stderr, "ed25519.PrivateKey")
	assert.Equal(t, "public key type DSA, key RSA", plainKeyTypes("public key type *dsa.PublicKey, key *rsa.PrivateKey"))
}
