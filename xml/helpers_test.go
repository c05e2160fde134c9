package xml

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/stretchr/testify/require"
)

// keyCase is a key type and hash to sign with.
type keyCase struct {
	name string
	opts []pkitest.CertOption
}

var keyCases = []keyCase{
	{"RSA2048", []pkitest.CertOption{pkitest.RSAKey(2048)}},
	{"ECDSA-P256", []pkitest.CertOption{pkitest.ECDSAKey(elliptic.P256())}},
	{"ECDSA-P384", []pkitest.CertOption{pkitest.ECDSAKey(elliptic.P384())}},
}

func newPKI(t *testing.T) *pkitest.PKI {
	t.Helper()
	return pkitest.New(t)
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
	return p
}

// xmlsecVerify runs `xmlsec1 --verify --store-references` on the signature
// with Id sigID and returns the pre-digest buffers xmlsec1 printed, in
// Reference order. It fails the test when xmlsec1 does not report success.
func xmlsecVerify(t *testing.T, doc []byte, cert *x509.Certificate, sigID string, idElems ...string) [][]byte {
	t.Helper()
	bin := testutil.Tool(t, "xmlsec1", "xmlsec1")
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.xml")
	require.NoError(t, os.WriteFile(in, doc, 0o600))
	certPath := writePEM(t, dir, "cert.pem", "CERTIFICATE", cert.Raw)
	args := []string{"--verify", "--pubkey-cert-pem", certPath, "--store-references",
		"--node-xpath", "//*[local-name()='Signature' and @Id='" + sigID + "']"}
	args = append(args, idArgs(idElems)...)
	args = append(args, in)
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "xmlsec1 --verify failed:\n%s", tail(stderr.String()))
	require.Contains(t, stderr.String(), "OK")
	return preDigest(stdout.Bytes())
}

// idArgs turns "DLHDon" or "ID=urn:r:a" into --id-attr options.
func idArgs(elems []string) []string {
	var args []string
	for _, e := range elems {
		attr := "Id"
		if i := strings.IndexByte(e, '='); i > 0 {
			attr, e = e[:i], e[i+1:]
		}
		args = append(args, "--id-attr:"+attr, e)
	}
	return args
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

func preDigest(out []byte) [][]byte {
	const start, end = "== PreDigest data - start buffer:\n", "\n== PreDigest data - end buffer"
	var res [][]byte
	for {
		i := bytes.Index(out, []byte(start))
		if i < 0 {
			return res
		}
		out = out[i+len(start):]
		j := bytes.Index(out, []byte(end))
		if j < 0 {
			return res
		}
		res = append(res, append([]byte(nil), out[:j]...))
		out = out[j+len(end):]
	}
}

// mustVerifyOne verifies doc and returns the signature with Id id.
func mustVerifyOne(t *testing.T, doc []byte, id string, opts *VerifyOptions) *Signature {
	t.Helper()
	res, err := Verify(doc, opts)
	require.NoError(t, err)
	for _, s := range res.Signatures {
		if s.ID == id {
			require.NoError(t, s.Err, "signature %s", id)
			return s
		}
	}
	t.Fatalf("no signature with Id %q", id)
	return nil
}

func replaceOnce(t *testing.T, doc []byte, old, new string) []byte {
	t.Helper()
	s := string(doc)
	require.Contains(t, s, old)
	return []byte(strings.Replace(s, old, new, 1))
}

// xmlsecSign signs a template with `xmlsec1 --sign` and returns the result.
func xmlsecSign(t *testing.T, template []byte, id *pkitest.Identity, idElems ...string) []byte {
	t.Helper()
	bin := testutil.Tool(t, "xmlsec1", "xmlsec1")
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(id.Key)
	require.NoError(t, err)
	keyPath := writePEM(t, dir, "key.pem", "PRIVATE KEY", keyDER)
	certPath := writePEM(t, dir, "cert.pem", "CERTIFICATE", id.Cert.Raw)
	in := filepath.Join(dir, "tmpl.xml")
	out := filepath.Join(dir, "out.xml")
	require.NoError(t, os.WriteFile(in, template, 0o600))
	args := append([]string{"--sign", "--privkey-pem", keyPath + "," + certPath, "--output", out}, idArgs(idElems)...)
	res, err := exec.Command(bin, append(args, in)...).CombinedOutput()
	require.NoError(t, err, "xmlsec1 --sign: %s", tail(string(res)))
	signed, err := os.ReadFile(out)
	require.NoError(t, err)
	return signed
}
