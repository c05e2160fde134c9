package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// tokenEnv prepares a SoftHSM2 token holding one imported key and returns
// the PKI, the token and the environment for the CLI.
func tokenEnv(t *testing.T) (*pkitest.PKI, *softhsm.Token, []string) {
	t.Helper()
	pki := pkitest.New(t)
	tok := softhsm.New(t, pki.MustIssue(pkitest.Person("Đặng Thùy Trâm", "001195007777")))
	env := []string{"SOFTHSM2_CONF=" + os.Getenv("SOFTHSM2_CONF"), "KYSO_TEST_PIN=" + tok.PIN, "KYSO_TEST_SO_PIN=" + softhsm.SOPIN}
	return pki, tok, env
}

// issueCSR has openssl x509 -req issue a PEM request from the PKI's CA.
func issueCSR(t *testing.T, pki *pkitest.PKI, csrPath string) string {
	t.Helper()
	openssl := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	caPEM := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caPEM, pkitest.PEM(pki.CA.Cert), 0o644))
	keyDER, err := x509.MarshalPKCS8PrivateKey(pki.CA.Key)
	require.NoError(t, err)
	caKey := filepath.Join(dir, "ca.key")
	require.NoError(t, os.WriteFile(caKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	ext := filepath.Join(dir, "ext.cnf")
	require.NoError(t, os.WriteFile(ext, []byte("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"+
		"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\ncrlDistributionPoints=URI:"+pki.CRLURL()+"\n"), 0o644))
	out := filepath.Join(dir, "issued.pem")
	res, err := exec.Command(openssl, "x509", "-req", "-in", csrPath, "-CA", caPEM, "-CAkey", caKey,
		"-set_serial", "0x4b59534f02", "-days", "365", "-sha256", "-extfile", ext, "-out", out).CombinedOutput()
	require.NoError(t, err, string(res))
	return out
}

// keygen → openssl issues → import-cert → tokens lists it → sign → verify.
func TestTokenKeygenImportSign(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	pki, tok, env := tokenEnv(t)
	dir := t.TempDir()
	csr := filepath.Join(dir, "an.csr")
	sel := []string{"--pkcs11", tok.Module, "--token", softhsm.Label, "--pin-env", "KYSO_TEST_PIN"}

	r := kyso(t, append(env, "CHALLENGE=thu-hồi"), "", append([]string{"token", "keygen", "--key", "ec-p256", "--label", "Khóa 2027",
		"--subject", "CN=Nguyễn Văn Thử,O=Công ty TNHH Ánh Dương,L=Cầu Giấy,ST=Hà Nội,C=VN",
		"--cccd", "001203012345", "--mst", "0100686209", "--email", "thu@anhduong.example.vn", "--challenge-env", "CHALLENGE", "--csr", csr}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `label "Khóa 2027"`)
	assert.Contains(t, r.stdout, "sensitive true, extractable false, never extractable true, generated on the token (local) true")
	assert.Contains(t, r.stdout, "UID=MST:0100686209, UID=CCCD:001203012345, CN=Nguyễn Văn Thử")
	res, err := exec.Command(openssl, "req", "-in", csr, "-noout", "-verify", "-subject", "-nameopt", "RFC2253,-esc_msb,utf8").CombinedOutput()
	require.NoError(t, err, string(res))
	assert.Contains(t, string(res), "subject=UID=MST:0100686209,UID=CCCD:001203012345,CN=Nguyễn Văn Thử,O=Công ty TNHH Ánh Dương,L=Cầu Giấy,ST=Hà Nội,C=VN")
	res, err = exec.Command(openssl, "req", "-in", csr, "-noout", "-text").CombinedOutput()
	require.NoError(t, err, string(res))
	assert.Contains(t, string(res), "email:thu@anhduong.example.vn")
	assert.Contains(t, string(res), "challengePassword")

	// The same file is not overwritten; bad input is exit 2 before the token.
	r = kyso(t, env, "", append([]string{"token", "keygen", "--subject", "CN=x,C=VN", "--csr", csr}, sel...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	for _, bad := range [][]string{
		{"--subject", "CN=x,C=Vietnam", "--csr", filepath.Join(dir, "x.csr")},
		{"--subject", "CN=x", "--cccd", "123", "--csr", filepath.Join(dir, "x.csr")},
		{"--subject", "CN=x", "--key", "rsa-1024", "--csr", filepath.Join(dir, "x.csr")},
		{"--subject", "CN=x"},
	} {
		r = kyso(t, env, "", append(append([]string{"token", "keygen"}, bad...), sel...)...)
		assert.Equal(t, 2, r.code, "%v: %s", bad, r.stderr)
		assert.NoFileExists(t, filepath.Join(dir, "x.csr"))
	}

	issued := issueCSR(t, pki, csr)
	caPEM := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caPEM, pkitest.PEM(pki.CA.Cert), 0o644))
	r = kyso(t, env, "", append([]string{"token", "import-cert", "--cert", issued, "--chain", caPEM}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `certificate imported: "Nguyễn Văn Thử (`)
	assert.Contains(t, r.stdout, "CCCD 001203012345, MST 0100686209")

	// A certificate whose key is not on the token: exit 2, nothing stored.
	stranger := filepath.Join(dir, "stranger.pem")
	require.NoError(t, os.WriteFile(stranger, pkitest.PEM(pki.MustIssue(pkitest.Person("Người Lạ", "001203099999")).Cert), 0o644))
	r = kyso(t, env, "", append([]string{"token", "import-cert", "--cert", stranger}, sel...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "private key is not on the token")

	// kyso tokens lists it with its subject and identifiers.
	r = kyso(t, env, "", "tokens", "--pkcs11", tok.Module)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Subject: UID=MST:0100686209, UID=CCCD:001203012345, CN=Nguyễn Văn Thử, O=Công ty TNHH Ánh Dương, L=Cầu Giấy, ST=Hà Nội, C=VN")
	assert.Contains(t, r.stdout, "identifiers: CCCD 001203012345, MST 0100686209")
	assert.Contains(t, r.stdout, "identifiers: CCCD 001195007777", "the certificate that was there")
	assert.NotContains(t, r.stdout, "Người Lạ")

	b, err := os.ReadFile(issued)
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	thumb := fmt.Sprintf("%X", sha256.Sum256(blk.Bytes))
	assert.Contains(t, r.stdout, "SHA-256 "+thumb)

	pdfIn, xmlIn := samples(t)
	pdfOut, xmlOut := filepath.Join(dir, "signed.pdf"), filepath.Join(dir, "signed.xml")
	r = kyso(t, env, "", append([]string{"sign", "pdf", pdfIn, pdfOut, "--cert", thumb}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	check.PDFSig(t, pdfOut, 1)
	r = kyso(t, env, "", append([]string{"sign", "xml", xmlIn, xmlOut, "--cert", thumb}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = kyso(t, nil, "", "verify", "--json", "--trust", caPEM, pdfOut, xmlOut)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	v := parseVerifyJSON(t, r)
	require.Len(t, v.Files, 2)
	for _, f := range v.Files {
		assert.Equal(t, "TOTAL_PASSED", f.Indication, f.File)
		require.Len(t, f.Signatures, 1)
		assert.Equal(t, "Nguyễn Văn Thử", f.Signatures[0].Signer.Name)
	}
}

// change-pin and unblock-pin, with PINs from the environment and from
// standard input; the PIN flags are shown before and after.
func TestTokenPINCommands(t *testing.T) {
	_, tok, env := tokenEnv(t)
	sel := []string{"--pkcs11", tok.Module, "--token", softhsm.Label}
	withEnv := func(kv ...string) []string { return append(append([]string(nil), env...), kv...) }

	r := kyso(t, withEnv("NEW=24681357"), "", append([]string{"token", "change-pin", "--pin-env", "KYSO_TEST_PIN", "--new-pin-env", "NEW"}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PIN changed")
	assert.Contains(t, r.stdout, "Trước / before: PIN người dùng: bình thường")
	assert.Contains(t, r.stdout, "Sau / after: PIN người dùng: bình thường")

	// From standard input: current, new, repeated.
	r = kyso(t, env, "24681357\n13572468\n13572468\n", append([]string{"token", "change-pin"}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "PIN hiện tại / current PIN: \n")
	// The repeated PIN differs: nothing sent to the token.
	r = kyso(t, env, "13572468\n11112222\n11113333\n", append([]string{"token", "change-pin"}, sel...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "the two new PINs differ")
	// A wrong current PIN: exit 2, and the flags show it.
	r = kyso(t, env, "00000000\n11112222\n11112222\n", append([]string{"token", "change-pin"}, sel...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, strings.ToLower(r.stderr), "pin incorrect")
	assert.Contains(t, r.stdout, "Sau / after: PIN người dùng: đã nhập sai kể từ lần đăng nhập trước")

	// Wrong logins (SoftHSM2 never locks, see pkcs11.TestTokenLifecycle),
	// then the SO unblocks: a wrong SO PIN first, once.
	pdfIn := testutil.SamplePath(t, sample.PDF)
	for i := 0; i < 3; i++ {
		r = kyso(t, withEnv("BAD=99999999"), "", append([]string{"sign", "pdf", pdfIn, filepath.Join(t.TempDir(), "x.pdf"), "--pin-env", "BAD"}, sel...)...)
		require.Equal(t, 2, r.code, r.stderr)
	}
	r = kyso(t, withEnv("SO=00000000", "NEW=55556666"), "", append([]string{"token", "unblock-pin", "--so-pin-env", "SO", "--new-pin-env", "NEW"}, sel...)...)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "SO PIN incorrect")
	assert.Contains(t, r.stderr, "not retried")
	r = kyso(t, env, softhsm.SOPIN+"\n55556666\n55556666\n", append([]string{"token", "unblock-pin"}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "PIN unblocked and set")
	assert.Contains(t, r.stdout, "Trước / before: PIN người dùng: đã nhập sai")
	assert.Contains(t, r.stdout, "Sau / after: PIN người dùng: bình thường")
	assert.Contains(t, r.stderr, "PIN quản trị / SO PIN: ")

	out := filepath.Join(t.TempDir(), "after.pdf")
	r = kyso(t, withEnv("P=55556666"), "", append([]string{"sign", "pdf", pdfIn, out, "--pin-env", "P"}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	check.PDFSig(t, out, 1)
}

// delete asks first; --yes does not; --with-key removes the key too.
func TestTokenDelete(t *testing.T) {
	_, tok, env := tokenEnv(t)
	sel := []string{"--pkcs11", tok.Module, "--token", softhsm.Label, "--pin-env", "KYSO_TEST_PIN"}
	thumb := fmt.Sprintf("%X", sha256.Sum256(tok.Identity.Cert.Raw))
	r := kyso(t, env, "n\n", append([]string{"token", "delete", "--cert", thumb, "--with-key"}, sel...)...)
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "nothing deleted")
	assert.Contains(t, r.stdout, "certificate AND its private key")
	assert.Contains(t, r.stdout, "Đặng Thùy Trâm")

	r = kyso(t, env, "", "tokens", "--pkcs11", tok.Module)
	require.Contains(t, r.stdout, thumb)

	r = kyso(t, env, "", append([]string{"token", "delete", "--cert", "00112233"}, sel...)...)
	assert.Equal(t, 2, r.code, r.stderr)

	r = kyso(t, env, "có\n", append([]string{"token", "delete", "--cert", thumb, "--with-key"}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = kyso(t, env, "", "tokens", "--pkcs11", tok.Module)
	assert.NotContains(t, r.stdout, thumb)
	objs, err := exec.Command("pkcs11-tool", "--module", tok.Module, "--token-label", softhsm.Label, "--login", "--pin", tok.PIN, "--list-objects").CombinedOutput()
	require.NoError(t, err, string(objs))
	assert.NotRegexp(t, regexp.MustCompile(`(?m)^Private Key Object`), string(objs), "the key went with it")

	// The CA certificates remain; --yes deletes without asking.
	r = kyso(t, env, "", "tokens", "--pkcs11", tok.Module)
	m := regexp.MustCompile(`SHA-256 ([0-9A-F]{64})`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	r = kyso(t, env, "", append([]string{"token", "delete", "--cert", m[1], "--yes"}, sel...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "[y/N]")
}

func TestTokenUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"token"}, "give a subcommand"},
		{[]string{"token", "frobnicate"}, "unknown subcommand"},
		{[]string{"token", "keygen", "--csr", "x.csr"}, "--pkcs11 MODULE"},
		{[]string{"token", "import-cert", "--pkcs11", "/nonexistent.so", "--token", "x"}, "--cert"},
		{[]string{"token", "delete", "--pkcs11", "/nonexistent.so"}, "--token LABEL"},
		{[]string{"token", "change-pin", "--pkcs11", "/nonexistent.so", "--token", "x"}, "nonexistent"},
	} {
		r := kyso(t, nil, "", c.args...)
		assert.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want, "%v", c.args)
	}
	r := kyso(t, nil, "", "token", "keygen", "-h")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "--cccd")
	assert.Contains(t, r.stdout, "--csr")
}
