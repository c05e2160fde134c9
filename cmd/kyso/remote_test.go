package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// copies writes n copies of the sample named name into a new directory.
func copies(t *testing.T, name string, n int) []string {
	t.Helper()
	src, err := sample.Read(name)
	require.NoError(t, err)
	dir := t.TempDir()
	var out []string
	ext := filepath.Ext(name)
	for i := range n {
		p := filepath.Join(dir, strings.TrimSuffix(name, ext)+"-"+string(rune('a'+i))+ext)
		require.NoError(t, os.WriteFile(p, src, 0o644))
		out = append(out, p)
	}
	return out
}

type remoteEnv struct {
	pki *pkitest.PKI
	id  *pkitest.Identity
	srv *remotetest.Server
}

func newRemoteEnv(t *testing.T, creds ...remotetest.Credential) *remoteEnv {
	t.Helper()
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Nguyễn Văn An", "001085012345"))
	srv := remotetest.New(t, remotetest.Config{})
	for i := range creds {
		creds[i].Key = id.Signer()
	}
	require.NoError(t, srv.AddUser(remotetest.User{ID: "an", Password: "mk-an", Credentials: creds}))
	return &remoteEnv{pki: p, id: id, srv: srv}
}

// A batch of three PDFs through a CSC service: one confirmation (one
// credentials/authorize, one signatures/signHash), progress with the time
// left, all three valid at B-T.
func TestRemoteCSCBatch(t *testing.T) {
	e := newRemoteEnv(t, remotetest.Credential{PIN: "2468", Script: []remotetest.Step{{Delay: 1500 * time.Millisecond}}})
	ins := copies(t, sample.PDF, 3)
	outDir := t.TempDir()
	env := []string{"KYSO_T_CSC=mk-an", "KYSO_T_PIN=2468"}
	r := kyso(t, env, "", append([]string{"sign", "pdf"}, append(ins, "--out-dir", outDir, "--tsa", e.pki.TSAURL(),
		"--csc", e.srv.CSCURL(), "--csc-user", "an", "--csc-pass-env", "KYSO_T_CSC", "--csc-pin-env", "KYSO_T_PIN")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `Đang chờ xác nhận trên điện thoại \(3 tài liệu / documents\), còn \d+m?\d*s / waiting for confirmation on the phone, \d+m?\d*s left`, r.stderr)
	assert.Contains(t, r.stdout, "signed 3 PDF")
	assert.Equal(t, 1, e.srv.Calls("csc/credentials/authorize"))
	assert.Equal(t, 1, e.srv.Calls("csc/signatures/signHash"))
	for _, in := range ins {
		check.PDFSig(t, filepath.Join(outDir, filepath.Base(in)), 1)
	}
	assert.Equal(t, []string{"Ký số 3 tài liệu (3 tài liệu)"}, e.srv.Phone("an"))

	// A wrong PIN is an input error (exit 2) and writes nothing.
	empty := t.TempDir()
	r = kyso(t, []string{"KYSO_T_CSC=mk-an", "KYSO_T_PIN=0000"}, "", append([]string{"sign", "pdf"}, append(ins, "--out-dir", empty,
		"--csc", e.srv.CSCURL(), "--csc-user", "an", "--csc-pass-env", "KYSO_T_CSC", "--csc-pin-env", "KYSO_T_PIN")...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "wrong PIN")
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	assert.Empty(t, entries)

	// Usage errors.
	r = kyso(t, nil, "", "sign", "pdf", ins[0], filepath.Join(outDir, "x.pdf"), "--csc", e.srv.CSCURL())
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--csc needs --csc-user")
	r = kyso(t, nil, "", "sign", "pdf", ins[0], ins[0], "--out-dir", filepath.Dir(ins[0]), "--csc", e.srv.CSCURL(), "--csc-user", "an", "--csc-pass-env", "KYSO_T_CSC")
	assert.Equal(t, 2, r.code)
}

// An e-invoice signed through an sp769 service, one document.
func TestRemoteSP769XML(t *testing.T) {
	e := newRemoteEnv(t, remotetest.Credential{Script: []remotetest.Step{{Delay: 200 * time.Millisecond}}})
	in := testutil.SamplePath(t, sample.Invoice)
	out := filepath.Join(t.TempDir(), "hd.xml")
	r := kyso(t, []string{"KYSO_T_SP=" + e.srv.SPPassword()}, "", "sign", "xml", in, out,
		"--sp769", e.srv.SP769URL(), "--sp-id", e.srv.SPID(), "--sp-pass-env", "KYSO_T_SP", "--sp-user", "an")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "waiting for confirmation on the phone")
	doc, err := os.ReadFile(out)
	require.NoError(t, err)
	check.XMLSec(t, doc, "NBan", pkitest.PEM(e.pki.Root.Cert))
	assert.Equal(t, 1, e.srv.Calls("sp769/sign"))
	assert.Equal(t, []string{"Ký số " + filepath.Base(in)}, e.srv.Phone("an"))

	// The user declines: exit 1, no file.
	e2 := newRemoteEnv(t, remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.Decline, Delay: 100 * time.Millisecond}}})
	no := filepath.Join(t.TempDir(), "no.xml")
	r = kyso(t, []string{"KYSO_T_SP=" + e2.srv.SPPassword()}, "", "sign", "xml", in, no,
		"--sp769", e2.srv.SP769URL(), "--sp-id", e2.srv.SPID(), "--sp-pass-env", "KYSO_T_SP", "--sp-user", "an")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "declined")
	assert.NoFileExists(t, no)
}

// Ctrl-C while waiting for the phone stops at once, exit 1, nothing written.
func TestRemoteInterrupt(t *testing.T) {
	e := newRemoteEnv(t, remotetest.Credential{Script: []remotetest.Step{{Delay: time.Hour}}})
	ins := copies(t, sample.PDF, 2)
	outDir := t.TempDir()
	cmd := exec.Command(kysoBin(t), append([]string{"sign", "pdf"}, append(ins, "--out-dir", outDir,
		"--csc", e.srv.CSCURL(), "--csc-user", "an", "--csc-pass-env", "KYSO_T_CSC")...)...)
	cmd.Env = append(os.Environ(), "KYSO_T_CSC=mk-an")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var errOut bytes.Buffer
	waiting := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			errOut.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "waiting for confirmation") {
				select {
				case waiting <- true:
				default:
				}
			}
		}
	}()
	select {
	case <-waiting:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("never waited for the phone")
	}
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not stop on SIGINT")
	}
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Less(t, time.Since(start), 10*time.Second)
	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no file, no temporary file")
	assert.Contains(t, errOut.String(), "cancelled, no file written")
}

// "kyso pki serve" runs both simulators with the test signer's key.
func TestServeRemote(t *testing.T) {
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	r := kyso(t, nil, "", "pki", "init", pkiDir)
	require.Equal(t, 0, r.code, r.stderr)
	srv := servePKIArgs(t, pkiDir, "--remote-delay", "100ms")
	csc := srv.waitFor(t, regexp.MustCompile(`CSC\s+(http://127\.0\.0\.1:\d+/csc/v2)`))[1]
	sp := srv.waitFor(t, regexp.MustCompile(`SP769\s+(http://127\.0\.0\.1:\d+/sp769/v1)`))[1]
	spCmd := srv.waitFor(t, regexp.MustCompile(`KYSO_SP_PASS=(\S+) kyso sign xml IN OUT --sp769 \S+ --sp-id (\S+) --sp-pass-env KYSO_SP_PASS --sp-user (\S+)`))

	ins := copies(t, sample.PDF, 2)
	outDir := t.TempDir()
	r = kyso(t, []string{"KYSO_CSC_PASS=" + demoCSCPass, "KYSO_PIN=" + demoPIN}, "", append([]string{"sign", "pdf"}, append(ins, "--out-dir", outDir,
		"--csc", csc, "--csc-user", demoCSCUser, "--csc-pass-env", "KYSO_CSC_PASS", "--csc-pin-env", "KYSO_PIN", "--tsa", srv.base+"/tsa")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	signed := []string{filepath.Join(outDir, filepath.Base(ins[0])), filepath.Join(outDir, filepath.Base(ins[1]))}
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", append([]string{"verify", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), "--json"}, signed...)...)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	v := parseVerifyJSON(t, r)
	require.Len(t, v.Files, 2)
	for _, f := range v.Files {
		assert.Equal(t, "TOTAL_PASSED", f.Indication)
	}

	in := testutil.SamplePath(t, sample.Invoice)
	out := filepath.Join(dir, "hd.xml")
	r = kyso(t, []string{"KYSO_SP_PASS=" + spCmd[1]}, "", "sign", "xml", in, out, "--sp769", sp, "--sp-id", spCmd[2], "--sp-pass-env", "KYSO_SP_PASS", "--sp-user", spCmd[3])
	require.Equal(t, 0, r.code, r.stderr)
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "verify", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), out)
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	srv.stop(t)
}

// --out-dir works with any key source: a PKCS#12 key signs the batch
// document by document, still all or nothing.
func TestBatchP12(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Nguyễn Văn An", "001085012345"))
	der, err := id.PKCS12("mk-p12")
	require.NoError(t, err)
	p12 := filepath.Join(t.TempDir(), "an.p12")
	require.NoError(t, os.WriteFile(p12, der, 0o600))
	ins := copies(t, sample.Invoice, 2)
	outDir := t.TempDir()
	r := kyso(t, []string{"KYSO_T_P12=mk-p12"}, "", append([]string{"sign", "xml"}, append(ins, "--out-dir", outDir, "--p12", p12, "--pass-env", "KYSO_T_P12")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "signed 2 XML")
	for _, in := range ins {
		doc, err := os.ReadFile(filepath.Join(outDir, filepath.Base(in)))
		require.NoError(t, err)
		check.XMLSec(t, doc, "NBan", pkitest.PEM(p.Root.Cert))
	}
	// One input that cannot be signed (not XML): nothing is written.
	bad := filepath.Join(filepath.Dir(ins[0]), "bad.xml")
	require.NoError(t, os.WriteFile(bad, []byte("not xml"), 0o644))
	empty := t.TempDir()
	r = kyso(t, []string{"KYSO_T_P12=mk-p12"}, "", "sign", "xml", ins[0], bad, "--out-dir", empty, "--p12", p12, "--pass-env", "KYSO_T_P12")
	assert.Equal(t, 2, r.code, r.stderr)
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// Several attachments signed as CAdES through a CSC service under one
// confirmation; openssl accepts each .p7s.
func TestRemoteCSCFileBatch(t *testing.T) {
	e := newRemoteEnv(t, remotetest.Credential{PIN: "2468", Script: []remotetest.Step{{Delay: 300 * time.Millisecond}}})
	dir := t.TempDir()
	var ins []string
	for i := 0; i < 3; i++ {
		in := filepath.Join(dir, fmt.Sprintf("dinh-kem-%d.docx", i))
		require.NoError(t, os.WriteFile(in, []byte(strings.Repeat("tệp đính kèm ", 100*(i+1))), 0o644))
		ins = append(ins, in)
	}
	outDir := t.TempDir()
	env := []string{"KYSO_T_CSC=mk-an", "KYSO_T_PIN=2468"}
	r := kyso(t, env, "", append([]string{"sign", "file"}, append(ins, "--out-dir", outDir,
		"--csc", e.srv.CSCURL(), "--csc-user", "an", "--csc-pass-env", "KYSO_T_CSC", "--csc-pin-env", "KYSO_T_PIN")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "signed 3 tệp / files")
	assert.Equal(t, 1, e.srv.Calls("csc/credentials/authorize"))
	assert.Equal(t, 1, e.srv.Calls("csc/signatures/signHash"))
	openssl := testutil.Tool(t, "openssl", "openssl")
	root := filepath.Join(t.TempDir(), "root.pem")
	require.NoError(t, os.WriteFile(root, pkitest.PEM(e.pki.Root.Cert), 0o644))
	for _, in := range ins {
		p7s := filepath.Join(outDir, filepath.Base(in)+".p7s")
		out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content", in, "-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	r = kyso(t, nil, "", "sign", "file", ins[0], "--out-dir", outDir, "--cosign", "x.p7s", "--csc", e.srv.CSCURL(), "--csc-user", "an", "--csc-pass-env", "KYSO_T_CSC")
	assert.Equal(t, 2, r.code, r.stderr)
}
