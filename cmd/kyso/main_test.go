package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// The tests run the real binary, built once.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func kysoBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kyso-cli-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kyso")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// result of one CLI run.
type cliResult struct {
	code           int
	stdout, stderr string
}

// kyso runs the binary with args and extra environment variables.
func kyso(t *testing.T, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kysoBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return cliResult{code, out.String(), errb.String()}
}

// server is a running "kyso pki serve".
type server struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex // guards out
	out  *bytes.Buffer
	done chan error
}

// output returns what the server printed so far.
func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// waitFor waits until the server's output matches re and returns the
// submatches.
func (s *server) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.output()); m != nil {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("kyso pki serve never printed %v:\n%s", re, s.output())
	return nil
}

// servePKI starts "kyso pki serve dir" and waits for its URLs.
func servePKI(t *testing.T, dir string) *server {
	t.Helper()
	return servePKIArgs(t, dir)
}

// servePKIArgs starts "kyso pki serve dir flags..." and waits for its URLs.
func servePKIArgs(t *testing.T, dir string, flags ...string) *server {
	t.Helper()
	cmd := exec.Command(kysoBin(t), append([]string{"pki", "serve", dir}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, out: &bytes.Buffer{}, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`TSA\s+(http://127\.0\.0\.1:\d+)/tsa`)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.base = <-found:
	case err := <-s.done:
		t.Fatalf("kyso pki serve exited: %v", err)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("kyso pki serve did not print its URLs")
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return s
}

// stop interrupts the server and checks that it stops cleanly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-s.done:
		assert.NoError(t, err, "pki serve exits 0 when interrupted")
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		t.Fatal("kyso pki serve did not stop on SIGINT")
	}
}

// verifyJSON is the part of "kyso verify --json" the tests read.
type verifyJSON struct {
	Files []struct {
		File       string `json:"file"`
		Indication string `json:"indication"`
		Error      string `json:"error"`
		Signatures []struct {
			ID                 string     `json:"id"`
			Indication         string     `json:"indication"`
			SubIndication      string     `json:"subIndication"`
			ClaimedSigningTime *time.Time `json:"claimedSigningTime"`
			TimestampTime      *time.Time `json:"timestampTime"`
			BestSignatureTime  time.Time  `json:"bestSignatureTime"`
			Signer             struct {
				Name        string `json:"name"`
				Identifiers []struct {
					Type, Value string
				} `json:"identifiers"`
			} `json:"signer"`
		} `json:"signatures"`
	} `json:"files"`
}

func parseVerifyJSON(t *testing.T, r cliResult) verifyJSON {
	t.Helper()
	var v verifyJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), "stdout is one JSON document:\n%s\nstderr: %s", r.stdout, r.stderr)
	return v
}

func sealPNG(t *testing.T) string {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if d := (x-32)*(x-32) + (y-32)*(y-32); d < 30*30 && d > 24*24 {
				img.Set(x, y, color.NRGBA{R: 0xd0, A: 0xff})
			}
		}
	}
	p := filepath.Join(t.TempDir(), "seal.png")
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
	return p
}

// The whole tour: pki init → pki serve → sign pdf and xml → verify --json
// online (exit 0) and offline (exit 1) → tampering (exit 1) → input errors
// (exit 2).
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	r := kyso(t, nil, "", "pki", "init", pkiDir)
	require.Equal(t, 0, r.code, r.stderr)
	m := regexp.MustCompile(`PKCS#12 password: (\S+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	pass := m[1]
	for _, f := range []string{pkitest.FileRoot, pkitest.FileCA, pkitest.FileSigner, pkitest.FileTSA} {
		assert.FileExists(t, filepath.Join(pkiDir, f))
	}
	root := filepath.Join(pkiDir, pkitest.FileRoot)
	p12 := filepath.Join(pkiDir, pkitest.FileSigner)
	passEnv := "KYSO_TEST_P12_PASS=" + pass

	srv := servePKI(t, pkiDir)
	tsa := srv.base + "/tsa"
	proxy := "HTTP_PROXY=" + srv.base

	pdfIn, xmlIn := samples(t)

	// A visible, certified B-T signature with an image; flags after the files.
	signed := filepath.Join(dir, "signed.pdf")
	r = kyso(t, []string{passEnv}, "", "sign", "pdf", pdfIn, signed, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--level", "B-T", "--tsa", tsa, "--reason", "Phê duyệt", "--location", "Hà Nội", "--field", "GiamDoc",
		"--visible", "1:340,140,200,90", "--image", sealPNG(t), "--certify", "2")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PAdES B-T")
	out := check.PDFSig(t, signed, 1)
	assert.Contains(t, out, "Signature Field Name: GiamDoc")

	// A second signature, password from a file, B-B.
	passFile := filepath.Join(dir, "pass.txt")
	require.NoError(t, os.WriteFile(passFile, []byte(pass+"\n"), 0o600))
	signed2 := filepath.Join(dir, "signed2.pdf")
	r = kyso(t, nil, "", "sign", "pdf", "--p12", p12, "--pass-file", passFile, signed, signed2)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PAdES B-B")
	check.PDFSig(t, signed2, 2)

	// B-LTA: the signature, a DSS with the evidence fetched through the
	// served PKI, a document time-stamp. It then verifies offline from the
	// embedded evidence alone (exit 0), where the B-T file gives
	// INDETERMINATE/TRY_LATER (below).
	archived := filepath.Join(dir, "archived.pdf")
	r = kyso(t, []string{passEnv, proxy}, "", "sign", "pdf", pdfIn, archived, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--level", "B-LTA", "--tsa", tsa, "--vri")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PAdES B-LTA")
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, archived)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	v := parseVerifyJSON(t, r)
	require.Len(t, v.Files[0].Signatures, 2, "the signature and the document time-stamp")
	for _, s := range v.Files[0].Signatures {
		assert.Equal(t, "TOTAL_PASSED", s.Indication, s.ID)
	}
	lt := filepath.Join(dir, "lt.pdf")
	r = kyso(t, []string{passEnv, proxy}, "", "sign", "pdf", pdfIn, lt, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--level", "B-LT", "--tsa", tsa)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PAdES B-LT")
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, lt)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)

	// An invoice at XAdES B-LT verifies offline from its embedded values.
	ltInvoice := filepath.Join(dir, "lt.xml")
	r = kyso(t, []string{passEnv, proxy}, "", "sign", "xml", xmlIn, ltInvoice, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--profile", "seller", "--xades", "B-LT", "--tsa", tsa)
	require.Equal(t, 0, r.code, r.stderr)
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, ltInvoice)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)

	// The invoice: seller with XAdES B-T, then the buyer.
	seller := filepath.Join(dir, "seller.xml")
	r = kyso(t, []string{passEnv}, "", "sign", "xml", xmlIn, seller, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--profile", "seller", "--xades", "B-T", "--tsa", tsa)
	require.Equal(t, 0, r.code, r.stderr)
	r = kyso(t, []string{passEnv}, "", "sign", "xml", seller, filepath.Join(dir, "x.xml"), "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS", "--profile", "cqt")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "needs --mccqt CODE")
	coded := filepath.Join(dir, "coded.xml")
	r = kyso(t, []string{passEnv}, "", "sign", "xml", seller, coded, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--profile", "cqt", "--mccqt", "00ABCDEF0123456789ABCDEF0123456789")
	require.Equal(t, 0, r.code, r.stderr)
	both := filepath.Join(dir, "both.xml")
	r = kyso(t, []string{passEnv}, "", "sign", "xml", coded, both, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS", "--profile", "buyer")
	require.Equal(t, 0, r.code, r.stderr)
	whole := filepath.Join(dir, "whole.xml")
	r = kyso(t, []string{passEnv}, "", "sign", "xml", xmlIn, whole, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS", "--profile", "generic")
	require.Equal(t, 0, r.code, r.stderr)
	// A generic signature of one element by Id, into a chosen parent.
	generic := filepath.Join(dir, "generic.xml")
	r = kyso(t, []string{passEnv}, "", "sign", "xml", xmlIn, generic, "--p12", p12, "--pass-env", "KYSO_TEST_P12_PASS",
		"--profile", "generic", "--ref", "#DLHDon", "--into", "//HDon/DSCKS/CCKSKhac")
	require.Equal(t, 0, r.code, r.stderr)

	// Verify online through the served PKI: everything passes.
	r = kyso(t, []string{proxy}, "", "verify", "--json", "--trust", root, signed2, both, generic, whole)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	v = parseVerifyJSON(t, r)
	require.Len(t, v.Files, 4)
	wantSigs := []int{2, 3, 1, 1}
	for i, f := range v.Files {
		assert.Equal(t, "TOTAL_PASSED", f.Indication, f.File)
		require.Len(t, f.Signatures, wantSigs[i], f.File)
		for _, s := range f.Signatures {
			assert.Equal(t, "TOTAL_PASSED", s.Indication, "%s %s", f.File, s.ID)
			assert.Equal(t, pkitest.DefaultPersonName, s.Signer.Name)
			assert.False(t, s.BestSignatureTime.IsZero())
		}
	}
	assert.NotNil(t, v.Files[0].Signatures[0].TimestampTime, "PAdES B-T signature time from the TSA")
	assert.NotNil(t, v.Files[1].Signatures[0].TimestampTime, "XAdES B-T signature time from the TSA")
	for _, s := range v.Files[1].Signatures[1:] {
		assert.NotNil(t, s.ClaimedSigningTime, "tax authority's and buyer's self-declared times")
	}

	// Text reports in both languages.
	r = kyso(t, []string{proxy}, "", "verify", "--trust-dir", pkiDir, signed)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Kết luận chung: Chữ ký hợp lệ")
	r = kyso(t, []string{proxy}, "", "verify", "--lang", "en", "--trust", root, signed)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Overall result: Signature valid")

	// Offline: nothing embedded says the certificates are not revoked.
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, signed)
	assert.Equal(t, 1, r.code)
	v = parseVerifyJSON(t, r)
	assert.Equal(t, "INDETERMINATE", v.Files[0].Indication)
	assert.Equal(t, "TRY_LATER", v.Files[0].Signatures[0].SubIndication)

	// Untrusted root.
	r = kyso(t, []string{proxy}, "", "verify", "--json", signed)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no trust anchors")

	// A tampered copy fails.
	data, err := os.ReadFile(signed)
	require.NoError(t, err)
	i := bytes.Index(data, []byte("CONG VAN"))
	require.Positive(t, i)
	copy(data[i:], "CONG VAM")
	tampered := filepath.Join(dir, "tampered.pdf")
	require.NoError(t, os.WriteFile(tampered, data, 0o644))
	r = kyso(t, []string{proxy}, "", "verify", "--json", "--trust", root, tampered)
	assert.Equal(t, 1, r.code)
	v = parseVerifyJSON(t, r)
	assert.Equal(t, "TOTAL_FAILED", v.Files[0].Indication)
	assert.Equal(t, "HASH_FAILURE", v.Files[0].Signatures[0].SubIndication)

	// --at before the certificates existed: not yet valid.
	r = kyso(t, []string{proxy}, "", "verify", "--json", "--trust", root, "--at", "2020-01-01T00:00:00+07:00", signed2)
	assert.Equal(t, 1, r.code, r.stderr)

	// An unsigned document is not a pass.
	r = kyso(t, nil, "", "verify", "--json", "--trust", root, pdfIn)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Equal(t, "NO_SIGNATURE_FOUND", parseVerifyJSON(t, r).Files[0].Indication)

	// Input errors exit 2, with the other files still reported.
	notDoc := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(notDoc, []byte("not a document"), 0o644))
	r = kyso(t, []string{proxy}, "", "verify", "--json", "--trust", root, signed, filepath.Join(dir, "missing.pdf"), notDoc)
	assert.Equal(t, 2, r.code)
	v = parseVerifyJSON(t, r)
	require.Len(t, v.Files, 3)
	assert.Equal(t, "TOTAL_PASSED", v.Files[0].Indication)
	assert.NotEmpty(t, v.Files[1].Error)
	assert.NotEmpty(t, v.Files[2].Error)

	srv.stop(t)
	assert.Contains(t, srv.output(), "Stopped.")
}

func TestSignErrors(t *testing.T) {
	dir := t.TempDir()
	pkiDir, pass := initPKI(t, dir)
	p12 := filepath.Join(pkiDir, pkitest.FileSigner)
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "out.pdf")

	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"wrong password", []string{"KYSO_TEST_PASS=wrong"}, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--pass-env", "KYSO_TEST_PASS"}, "wrong password"},
		{"unset password variable", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--pass-env", "KYSO_TEST_UNSET_VAR"}, "KYSO_TEST_UNSET_VAR is not set"},
		{"no password source", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12}, "--pass-env VAR or --pass-file FILE"},
		{"no key source", nil, []string{"sign", "pdf", pdfIn, out}, "exactly one key source"},
		{"two key sources", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--sim", "0912345678"}, "exactly one key source"},
		{"B-LT without TSA", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--level", "B-LT"}, "needs --tsa"},
		{"B-LTA without TSA", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--level", "B-LTA"}, "needs --tsa"},
		{"VRI without LT", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--vri"}, "--vri needs --level"},
		{"B-T without TSA", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--level", "B-T"}, "needs --tsa"},
		{"bad visible", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--visible", "1:10,10"}, "X,Y,W,H"},
		{"image without visible", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--image", "x.png"}, "--image needs --visible"},
		{"bad certify", nil, []string{"sign", "pdf", pdfIn, out, "--p12", p12, "--certify", "4"}, "want 1, 2 or 3"},
		{"missing input", nil, []string{"sign", "pdf", filepath.Join(dir, "nope.pdf"), out, "--p12", p12}, "no such file"},
		{"one file", nil, []string{"sign", "pdf", pdfIn, "--p12", p12}, "want IN and OUT"},
		{"bad profile", nil, []string{"sign", "xml", pdfIn, out, "--p12", p12, "--profile", "nban"}, "want seller, buyer, cqt, nnt or generic"},
		{"unknown flag", nil, []string{"sign", "pdf", "--frobnicate", pdfIn, out}, "frobnicate"},
		{"unknown format", nil, []string{"sign", "docx", pdfIn, out}, "unknown format"},
		{"unknown command", nil, []string{"frobnicate"}, "unknown command"},
		{"verify no files", nil, []string{"verify"}, "no files"},
		{"verify bad time", nil, []string{"verify", "--at", "yesterday", pdfIn}, "RFC 3339"},
		{"verify bad lang", nil, []string{"verify", "--lang", "fr", pdfIn}, "want vi or en"},
		{"pki init twice", nil, []string{"pki", "init", pkiDir}, "already holds a test PKI"},
		{"serve not a pki", nil, []string{"pki", "serve", dir}, "kyso pki init"},
		{"serve off loopback", nil, []string{"pki", "serve", pkiDir, "--addr", "0.0.0.0:0"}, "loopback only"},
		{"tokens without module", nil, []string{"tokens"}, "--pkcs11 MODULE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := kyso(t, c.env, "", c.args...)
			assert.Equal(t, 2, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, c.want)
			assert.NoFileExists(t, out, "no partial output")
		})
	}

	// The wrong-password message names the file once.
	r := kyso(t, []string{"KYSO_TEST_PASS=wrong"}, "", "sign", "pdf", pdfIn, out, "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
	assert.Equal(t, 1, strings.Count(r.stderr, p12), r.stderr)
	assert.Contains(t, r.stderr, "check --pass-env / --pass-file")

	// A malformed PDF is an input error and leaves nothing behind.
	bad := filepath.Join(dir, "bad.pdf")
	require.NoError(t, os.WriteFile(bad, []byte("%PDF-1.7\ngarbage\n%%EOF\n"), 0o644))
	r = kyso(t, []string{"KYSO_TEST_PASS=" + pass}, "", "sign", "pdf", bad, out, "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "malformed")
	assert.NoFileExists(t, out)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), "temporary file left: %s", e.Name())
	}

	// Help exits 0 and lists the flags.
	r = kyso(t, nil, "", "sign", "pdf", "-h")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "--visible PAGE:X,Y,W,H")
	assert.Contains(t, r.stdout, "--sim-timeout duration")
	assert.Contains(t, r.stdout, "(default 2m0s)")
	r = kyso(t, nil, "", "help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "kyso pki serve DIR")
}

// Signing with a key on a PKCS#11 token (SoftHSM2), and "kyso tokens".
func TestPKCS11(t *testing.T) {
	pki := pkitest.New(t)
	tok := softhsm.New(t, pki.MustIssue(pkitest.Person("Đặng Thùy Trâm", "001195007777")))
	env := []string{"SOFTHSM2_CONF=" + os.Getenv("SOFTHSM2_CONF"), "KYSO_TEST_PIN=" + tok.PIN}
	dir := t.TempDir()

	r := kyso(t, env, "", "tokens", "--pkcs11", tok.Module)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `token "`+softhsm.Label+`" serial `+tok.Serial)
	assert.Contains(t, r.stdout, "Đặng Thùy Trâm")

	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "token.pdf")
	r = kyso(t, env, "", "sign", "pdf", pdfIn, out, "--pkcs11", tok.Module, "--serial", tok.Serial, "--pin-env", "KYSO_TEST_PIN", "--tsa", pki.TSAURL())
	require.Equal(t, 0, r.code, r.stderr)
	check.PDFSig(t, out, 1)

	// PIN on standard input; certificate chosen by thumbprint.
	xmlIn := testutil.SamplePath(t, sample.Invoice)
	xmlOut := filepath.Join(dir, "token.xml")
	thumb := fmt.Sprintf("%X", tok.Identity.Cert.SerialNumber.Bytes())
	r = kyso(t, env, tok.PIN+"\n", "sign", "xml", xmlIn, xmlOut, "--pkcs11", tok.Module, "--token", softhsm.Label, "--cert", thumb)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, `PIN cho / for "`+softhsm.Label+`": `+"\n", "the prompt ends its line when the PIN comes from a pipe")

	rootPEM := filepath.Join(dir, "root.pem")
	require.NoError(t, os.WriteFile(rootPEM, pkitest.PEM(pki.Root.Cert), 0o644))
	r = kyso(t, nil, "", "verify", "--json", "--trust", rootPEM, out, xmlOut)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	for _, f := range parseVerifyJSON(t, r).Files {
		assert.Equal(t, "TOTAL_PASSED", f.Indication, f.File)
	}

	// A wrong PIN is an input error, with a clear message.
	r = kyso(t, []string{"SOFTHSM2_CONF=" + os.Getenv("SOFTHSM2_CONF"), "KYSO_TEST_PIN=000000"}, "", "sign", "pdf", pdfIn, filepath.Join(dir, "x.pdf"),
		"--pkcs11", tok.Module, "--token", softhsm.Label, "--pin-env", "KYSO_TEST_PIN")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, strings.ToLower(r.stderr), "pin")
	assert.NoFileExists(t, filepath.Join(dir, "x.pdf"))
}

// Signing with a SIM key through the MSSP simulator.
func TestSIM(t *testing.T) {
	pki := pkitest.New(t)
	mssp := mssptest.New(t, mssptest.Config{APPassword: "ap-secret"})
	id := pki.MustIssue(pkitest.Person("Nguyễn Thị Minh Khai", "001190012345"))
	require.NoError(t, mssp.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: id.Signer()}))
	dir := t.TempDir()
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "sim.pdf")
	env := []string{"KYSO_TEST_AP_PASS=ap-secret"}
	r := kyso(t, env, "", "sign", "pdf", pdfIn, out, "--sim", "0912 345 678", "--mssp", mssp.URL(),
		"--ap-id", mssp.APID(), "--ap-pass-env", "KYSO_TEST_AP_PASS", "--mssp-id", mssp.MSSPID(), "--display", "Công văn 42")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `mã xác minh \d{6}`, r.stderr)
	check.PDFSig(t, out, 1)
	phone := strings.Join(mssp.Phone("0912345678"), "\n")
	assert.Contains(t, phone, "Công văn 42")

	// The user declines on the phone: an operation failure (exit 1).
	require.NoError(t, mssp.AddSubscriber(mssptest.Subscriber{MSISDN: "0987654321", Key: id.Signer(), Script: []mssptest.Step{{Outcome: mssptest.Cancel}}}))
	r = kyso(t, env, "", "sign", "pdf", pdfIn, filepath.Join(dir, "no.pdf"), "--sim", "0987654321", "--mssp", mssp.URL(),
		"--ap-id", mssp.APID(), "--ap-pass-env", "KYSO_TEST_AP_PASS", "--mssp-id", mssp.MSSPID())
	assert.Equal(t, 1, r.code, r.stderr)
	assert.NoFileExists(t, filepath.Join(dir, "no.pdf"))
}

// "kyso pki serve" also runs an MSSP simulator whose SIM holds the test
// signer's key: sign pdf --sim goes through it, the phone's text is shown,
// and the result verifies online through the served PKI.
func TestServeSIM(t *testing.T) {
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	r := kyso(t, nil, "", "pki", "init", pkiDir)
	require.Equal(t, 0, r.code, r.stderr)
	readme, err := os.ReadFile(filepath.Join(pkiDir, pkitest.FileReadme))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "kyso pki serve "+pkiDir)
	assert.NotContains(t, string(readme), "127.0.0.1", "README.txt must not name servers that are gone")

	srv := servePKIArgs(t, pkiDir, "--sim", "0987 654 321", "--sim-delay", "100ms")
	mssp := srv.waitFor(t, regexp.MustCompile(`MSSP\s+(http://127\.0\.0\.1:\d+/\S+)`))[1]

	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "sim.pdf")
	r = kyso(t, nil, "", "sign", "pdf", pdfIn, out, "--sim", "0987654321", "--mssp", mssp, "--display", "Quyết định 7")
	require.Equal(t, 0, r.code, r.stderr)
	code := regexp.MustCompile(`mã xác minh (\d{6})`).FindStringSubmatch(r.stderr)
	require.NotNil(t, code, r.stderr)
	srv.waitFor(t, regexp.MustCompile(`the phone shows: Quyết định 7 - Mã xác nhận: `+code[1]))
	check.PDFSig(t, out, 1)

	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "verify", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), out, "--json")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	v := parseVerifyJSON(t, r)
	require.Len(t, v.Files, 1)
	require.Len(t, v.Files[0].Signatures, 1)
	assert.Equal(t, pkitest.DefaultPersonName, v.Files[0].Signatures[0].Signer.Name)

	// B-LT fetches OCSP/CRL from the test PKI's hosts: without the proxy
	// that fails (exit 1), and the message says what to do.
	tsa := srv.base + "/tsa"
	r = kyso(t, nil, "", "sign", "pdf", pdfIn, filepath.Join(dir, "lt.pdf"), "--sim", "0987654321", "--mssp", mssp, "--level", "B-LT", "--tsa", tsa)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "set HTTP_PROXY to the URL it prints")
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "sign", "pdf", pdfIn, filepath.Join(dir, "lt.pdf"), "--sim", "0987654321", "--mssp", mssp, "--level", "B-LT", "--tsa", tsa)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PAdES B-LT")

	// An unknown number is refused by the MSSP: an operation failure.
	r = kyso(t, nil, "", "sign", "pdf", pdfIn, filepath.Join(dir, "no.pdf"), "--sim", "0911111111", "--mssp", mssp)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.NoFileExists(t, filepath.Join(dir, "no.pdf"))
	srv.stop(t)
}

// samples returns the paths of the sample letter and e-invoice.
func samples(t *testing.T) (pdfIn, xmlIn string) {
	t.Helper()
	return testutil.SamplePath(t, sample.PDF), testutil.SamplePath(t, sample.Invoice)
}

// initPKI runs kyso pki init in dir/pki and returns that directory and
// the PKCS#12 password it printed.
func initPKI(t *testing.T, dir string) (string, string) {
	t.Helper()
	pkiDir := filepath.Join(dir, "pki")
	r := kyso(t, nil, "", "pki", "init", pkiDir)
	require.Equal(t, 0, r.code, r.stderr)
	m := regexp.MustCompile(`PKCS#12 password: (\S+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	return pkiDir, m[1]
}

// bigPDF writes a valid one-page PDF of about size bytes (an incompressible
// image XObject on the page).
func bigPDF(t *testing.T, size int) string {
	t.Helper()
	noise := make([]byte, size)
	x := uint32(2463534242)
	for i := range noise { // xorshift: incompressible enough, no crypto needed
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		noise[i] = byte(x)
	}
	side := 1
	for (side+1)*(side+1)*3 <= len(noise) {
		side++
	}
	noise = noise[:side*side*3]
	content := "q 200 0 0 200 100 400 cm /Im1 Do Q"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream", side, side, len(noise), noise),
	}
	p := filepath.Join(t.TempDir(), "big.pdf")
	require.NoError(t, os.WriteFile(p, testutil.BuildPDF(objs), 0o644))
	return p
}

// Files over 4 MiB show progress on standard error only when it is a
// terminal (TestProgressOnTerminal): not on the pipe these runs use.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	pkiDir, pass := initPKI(t, dir)
	env := []string{"KYSO_TEST_PASS=" + pass}
	p12 := filepath.Join(pkiDir, pkitest.FileSigner)
	big := bigPDF(t, 6<<20)

	out := filepath.Join(dir, "big-signed.pdf")
	r := kyso(t, env, "", "sign", "pdf", big, out, "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "signing big.pdf", "standard error is not a terminal")
	r = kyso(t, env, "", "sign", "pdf", big, filepath.Join(dir, "quiet.pdf"), "--quiet", "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "signing big.pdf") // the certificate-status warning stays

	r = kyso(t, nil, "", "verify", "--offline", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), out)
	assert.Equal(t, 1, r.code, "offline: revocation unknown")
	assert.NotContains(t, r.stderr, "verifying big-signed.pdf", "standard error is not a terminal")
	assert.Contains(t, r.stdout, "toàn vẹn")
	r = kyso(t, nil, "", "verify", "--quiet", "--offline", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), out)
	assert.NotContains(t, r.stderr, "verifying")
}
