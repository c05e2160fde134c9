package main

import (
	"bytes"
	"context"
	"encoding/asn1"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// The command-line conventions every command follows: help at every level,
// version, "-" for standard output, no overwriting without --force,
// messages without Go internals.

// testPKI runs "kyso pki init" and returns its directory, the signer's
// .p12, its password and the environment holding it (KYSO_TEST_PASS).
func testPKI(t *testing.T) (dir, p12, pass string, env []string) {
	t.Helper()
	dir, pass = initPKI(t, t.TempDir())
	return dir, filepath.Join(dir, pkitest.FileSigner), pass, []string{"KYSO_TEST_PASS=" + pass}
}

func TestHelpEveryLevel(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"},
		{"sign", "-h"}, {"sign", "--help"}, {"sign", "help"},
		{"sign", "pdf", "-h"}, {"sign", "xml", "-h"}, {"sign", "file", "--help"},
		{"verify", "-h"}, {"tokens", "-h"},
		{"token", "-h"}, {"token", "keygen", "-h"}, {"token", "import-cert", "-h"}, {"token", "change-pin", "-h"},
		{"token", "unblock-pin", "-h"}, {"token", "delete", "-h"},
		{"pki", "-h"}, {"pki", "init", "-h"}, {"pki", "serve", "-h"},
		{"version", "-h"},
		{"help", "sign"}, {"help", "sign", "pdf"}, {"help", "token", "keygen"}, {"help", "pki", "serve"}, {"help", "verify"},
	} {
		name := strings.Join(args, " ")
		r := kyso(t, nil, "", args...)
		assert.Equal(t, 0, r.code, "kyso %s: %s", name, r.stderr)
		assert.Contains(t, r.stdout, "Usage", "kyso %s prints its usage on standard output", name)
		assert.Empty(t, r.stderr, "kyso %s", name)
	}

	// "kyso help COMMAND" is "kyso COMMAND -h".
	for _, cmd := range [][]string{{"sign", "pdf"}, {"sign"}, {"token", "delete"}, {"pki"}} {
		a := kyso(t, nil, "", append([]string{"help"}, cmd...)...)
		b := kyso(t, nil, "", append(cmd, "-h")...)
		assert.Equal(t, b.stdout, a.stdout, "kyso help %s", strings.Join(cmd, " "))
	}
	r := kyso(t, nil, "", "sign", "-h")
	for _, sub := range []string{"kyso sign pdf", "kyso sign xml", "kyso sign file", "--out-dir", "--force"} {
		assert.Contains(t, r.stdout, sub)
	}
	r = kyso(t, nil, "", "sign", "pdf", "-h")
	for _, flag := range []string{"--force", "--quiet", "--pass-env", "--pin-env", "without echo"} {
		assert.Contains(t, r.stdout, flag)
	}

	// A command that groups subcommands, given none: usage on standard
	// error, exit status 2.
	for _, cmd := range []string{"sign", "pki", "token"} {
		r := kyso(t, nil, "", cmd)
		assert.Equal(t, 2, r.code, cmd)
		assert.Empty(t, r.stdout, cmd)
		assert.Contains(t, r.stderr, "Usage", cmd)
	}
	for _, args := range [][]string{{"help", "nope"}, {"nope"}, {"sign", "doc"}, {"pki", "nope"}, {"sign", "pdf", "--nope"}} {
		r := kyso(t, nil, "", args...)
		assert.Equal(t, 2, r.code, "kyso %s", strings.Join(args, " "))
		assert.Empty(t, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := kyso(t, nil, "", args...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Regexp(t, `^kyso \S+ \(github\.com/kyso-vn/kyso[^;]*; go\S+ \S+/\S+\)\n$`, r.stdout)
		assert.Contains(t, r.stdout, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH, "built by this toolchain")
	}
	r := kyso(t, nil, "", "version", "extra")
	assert.Equal(t, 2, r.code)
}

// OUT "-" writes the signed document to standard output and the messages
// to standard error; a failure writes nothing to standard output.
func TestSignToStdout(t *testing.T) {
	pkiDir, p12, _, env := testPKI(t)
	key := []string{"--p12", p12, "--pass-env", "KYSO_TEST_PASS", "--no-cert-check"}
	dir := t.TempDir()
	pdfIn := testutil.SamplePath(t, sample.PDF)

	r := kyso(t, env, "", append([]string{"sign", "pdf", pdfIn, "-", "--reason", "stdout"}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasPrefix(r.stdout, "%PDF-"), "a PDF on standard output")
	assert.Contains(t, r.stderr, "→ standard output (PAdES B-B) by")
	out := filepath.Join(dir, "stdout.pdf")
	require.NoError(t, os.WriteFile(out, []byte(r.stdout), 0o644))
	check.PDFSig(t, out, 1)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no file named \"-\" or temporary file")

	xmlIn := testutil.SamplePath(t, sample.Invoice)
	r = kyso(t, env, "", append([]string{"sign", "xml", xmlIn, "-"}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "→ standard output (seller")
	rootPEM, err := os.ReadFile(filepath.Join(pkiDir, pkitest.FileRoot))
	require.NoError(t, err)
	check.XMLSec(t, []byte(r.stdout), "NBan", rootPEM)

	r = kyso(t, env, "", "sign", "file", xmlIn, "-", "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "→ standard output (CAdES B-B) by")
	p7s := filepath.Join(dir, "invoice.p7s")
	require.NoError(t, os.WriteFile(p7s, []byte(r.stdout), 0o644))
	openssl := testutil.Tool(t, "openssl", "openssl")
	res, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content", xmlIn,
		"-CAfile", filepath.Join(pkiDir, pkitest.FileChain), "-purpose", "any", "-out", os.DevNull).CombinedOutput()
	require.NoError(t, err, string(res))

	// A failure after the key is open: nothing on standard output.
	bad := filepath.Join(dir, "bad.pdf")
	require.NoError(t, os.WriteFile(bad, []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), 0o644))
	r = kyso(t, env, "", append([]string{"sign", "pdf", bad, "-"}, key...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Empty(t, r.stdout)
}

// An existing output is replaced only with --force; without it the exit
// status is 2, nothing is written, and no key is opened.
func TestSignRefusesOverwrite(t *testing.T) {
	_, p12, _, env := testPKI(t)
	key := []string{"--p12", p12, "--pass-env", "KYSO_TEST_PASS", "--no-cert-check"}
	dir := t.TempDir()
	pdfIn, xmlIn := samples(t)

	for _, c := range []struct{ cmd, in, out string }{
		{"pdf", pdfIn, "out.pdf"}, {"xml", xmlIn, "out.xml"}, {"file", xmlIn, "out.p7s"},
	} {
		key := key
		if c.cmd == "file" {
			key = key[:4] // sign file has no --no-cert-check
		}
		out := filepath.Join(dir, c.out)
		require.NoError(t, os.WriteFile(out, []byte("keep me"), 0o644))
		// A wrong password shows the key is never opened: the refusal
		// comes first.
		r := kyso(t, []string{"KYSO_TEST_PASS=wrong"}, "", append([]string{"sign", c.cmd, c.in, out}, key...)...)
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, out+": đã có, thêm --force để ghi đè / already exists (give --force to replace it)")
		assert.NotContains(t, r.stderr, "password")
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, "keep me", string(got), c.cmd)

		r = kyso(t, env, "", append([]string{"sign", c.cmd, c.in, out, "--force"}, key...)...)
		require.Equal(t, 0, r.code, r.stderr)
		got, err = os.ReadFile(out)
		require.NoError(t, err)
		assert.NotEqual(t, "keep me", string(got), c.cmd)
		assert.Greater(t, len(got), 1000, c.cmd)
	}
	check.PDFSig(t, filepath.Join(dir, "out.pdf"), 1)

	// A batch: one existing output refuses the whole batch.
	outDir := filepath.Join(dir, "batch")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	a, b := filepath.Join(dir, "a.pdf"), filepath.Join(dir, "b.pdf")
	for _, p := range []string{a, b} {
		in, err := os.ReadFile(pdfIn)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, in, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(outDir, "b.pdf"), []byte("keep me"), 0o644))
	r := kyso(t, env, "", append([]string{"sign", "pdf", a, b, "--out-dir", outDir}, key...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "already exists")
	assert.NoFileExists(t, filepath.Join(outDir, "a.pdf"))
	r = kyso(t, env, "", append([]string{"sign", "pdf", a, b, "--out-dir", outDir, "--force"}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	check.PDFSig(t, filepath.Join(outDir, "b.pdf"), 1)

	// Signing a file into itself needs --force too.
	r = kyso(t, env, "", append([]string{"sign", "pdf", a, a}, key...)...)
	assert.Equal(t, 2, r.code, r.stderr)

	// An output directory that does not exist: refused before signing.
	r = kyso(t, env, "", append([]string{"sign", "pdf", a, filepath.Join(dir, "no", "such", "out.pdf")}, key...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "does not exist")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp", "no temporary file left")
	}
}

// Error messages name the user's files and say what is wrong, without the
// ASN.1 decoder's dump of its field parameters.
func TestErrorMessagesPlain(t *testing.T) {
	_, _, _, penv := testPKI(t)
	dir := t.TempDir()
	pdfIn := testutil.SamplePath(t, sample.PDF)
	// A SEQUENCE of two INTEGERs where PKCS#12 and CMS want a SEQUENCE
	// holding a ContentInfo: Go's decoder reports a tag mismatch with a
	// dump of its struct tags.
	bad := filepath.Join(dir, "bad.p12")
	require.NoError(t, os.WriteFile(bad, []byte{0x30, 0x06, 0x02, 0x01, 0x03, 0x02, 0x01, 0x05}, 0o644))
	p7s := filepath.Join(dir, "bad.p7s")
	require.NoError(t, os.WriteFile(p7s, []byte{0x30, 0x06, 0x02, 0x01, 0x03, 0x02, 0x01, 0x05}, 0o644))

	for _, args := range [][]string{
		{"sign", "pdf", pdfIn, filepath.Join(dir, "x.pdf"), "--p12", bad, "--pass-env", "KYSO_TEST_PASS"},
		{"sign", "file", pdfIn, filepath.Join(dir, "x.p7s"), "--augment", p7s, "--level", "B-T", "--tsa", "http://127.0.0.1:1/tsa"},
	} {
		r := kyso(t, penv, "", args...)
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, "malformed ASN.1 (DER) data")
		for _, internal := range []string{"{optional:", "structure error", "tags don't match", ".tmp"} {
			assert.NotContains(t, r.stderr, internal)
		}
	}

	// The same rewording for an error wrapped with %w anywhere in a chain.
	var v struct{ A, B asn1.RawValue }
	_, aerr := asn1.Unmarshal([]byte{0x02, 0x01, 0x05}, &v)
	require.Error(t, aerr)
	require.Contains(t, aerr.Error(), "structure error", "Go's own wording")
	msg := message(fmt.Errorf("reading %s: %w", "x.p12", aerr))
	assert.Equal(t, "reading x.p12: malformed ASN.1 (DER) data", msg)
	assert.Equal(t, "plain", message(fmt.Errorf("plain")))
	assert.Equal(t, "signing x.pdf: đã dừng / interrupted", message(fmt.Errorf("signing x.pdf: %w", context.Canceled)))
	assert.Equal(t, "TSA: hết thời gian chờ / timed out", message(fmt.Errorf("TSA: %w", context.DeadlineExceeded)))

	// A failed write names the output, not the temporary file.
	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	werr := e.writeOutput(filepath.Join(dir, "gone", "x.pdf"), true, nil)
	require.Error(t, werr)
	assert.NotContains(t, werr.Error(), ".tmp")
	assert.Contains(t, werr.Error(), filepath.Join(dir, "gone", "x.pdf"))
}

// Flag errors spell flags as the help does; missing files are named once,
// without the system call.
func TestUsageMessages(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pdf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sign", "pdf", "a.pdf", "b.pdf", "--nope"}, "kyso: unknown flag --nope\n"},
		{[]string{"sign", "pdf", "a.pdf", "b.pdf", "--tsa"}, "kyso: flag needs an argument: --tsa\n"},
		{[]string{"sign", "pdf", "a.pdf", "b.pdf", "--certify", "x"}, `kyso: invalid value "x" for flag --certify: parse error` + "\n"},
		{[]string{"sign", "pdf", "a.pdf", "b.pdf", "--quiet=maybe"}, `kyso: invalid boolean value "maybe" for --quiet: parse error` + "\n"},
		{[]string{"verify", "--offline", missing}, "kyso: " + missing + ": no such file or directory\n"},
	} {
		r := kyso(t, nil, "", c.args...)
		assert.Equal(t, 2, r.code, strings.Join(c.args, " "))
		assert.True(t, strings.HasSuffix(r.stderr, c.want), "kyso %s:\n got %q\nwant %q", strings.Join(c.args, " "), r.stderr, c.want)
	}
	r := kyso(t, nil, "", "verify", "--offline", "--json", missing)
	assert.Equal(t, 2, r.code)
	assert.Equal(t, missing+": no such file or directory", parseVerifyJSON(t, r).Files[0].Error)
}
