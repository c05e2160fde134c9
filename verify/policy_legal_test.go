package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// opensslCMS signs content with openssl cms using digest md (detached,
// DER) and returns the CMS.
func opensslCMS(t *testing.T, id *pkitest.Identity, md string) []byte {
	t.Helper()
	openssl := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	key, err := id.KeyPEM()
	require.NoError(t, err)
	for name, b := range map[string][]byte{"key.pem": key, "cert.pem": id.CertPEM(), "content": content} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	out := filepath.Join(dir, "sig.der")
	cmd := exec.Command(openssl, "cms", "-sign", "-binary", "-in", filepath.Join(dir, "content"), "-signer", filepath.Join(dir, "cert.pem"),
		"-inkey", filepath.Join(dir, "key.pem"), "-md", md, "-outform", "DER", "-out", out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	der, err := os.ReadFile(out)
	require.NoError(t, err)
	return der
}

// Circular 15/2025 Appendix I hashes verify; PKCS#1 v1.5 is information,
// not a warning.
func TestCircular15Hashes(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.RSAKey(2048))
	for _, md := range []string{"sha512-224", "sha512-256", "sha3-224", "sha256"} {
		sig := opensslCMS(t, id, md)
		o := e.online()
		o.Intermediates = append(o.Intermediates, id.Chain...)
		r := verifyOne(t, o, sig, content)
		assert.Equal(t, TotalPassed, r.Indication, "%s: %+v", md, r.Findings)
		assert.Contains(t, texts(r.Information), msg("algorithm.pkcs1v15").String(), md)
		assert.Contains(t, r.Text(Vietnamese), "Thông tin:\n   - chữ ký RSA PKCS#1 v1.5", md)
		for _, w := range r.Warnings {
			assert.NotContains(t, w.String(), "PKCS#1 v1.5", md)
		}
	}
}

// SHA-1 signatures pass only with the caller's option and a proof of
// existence before the caller's date, and say so.
func TestSHA1ProvenBefore(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	sig := opensslCMS(t, id, "sha1")
	stamped, err := cms.AddTimestamp(context.Background(), sig, &cms.TSAClient{URL: e.pki.TSAURL(), HTTPClient: e.pki.HTTPClient()})
	require.NoError(t, err)
	e.pki.SetTime(checkAt)
	base := e.online()
	base.Intermediates = id.Chain

	r := verifyOne(t, base, stamped, content)
	assert.Equal(t, Indeterminate, r.Indication)
	assert.Equal(t, CryptoConstraintsFailure, r.SubIndication)

	pol := VietnamPolicy()
	pol.SHA1ProvenBefore = time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC)
	o := base
	o.Algorithms = pol
	r = verifyOne(t, o, stamped, content)
	assert.Equal(t, CryptoConstraintsFailure, r.SubIndication, "timestamp (2026) is after the caller's date")

	pol = VietnamPolicy()
	pol.SHA1ProvenBefore = signAt.Add(24 * time.Hour)
	o.Algorithms = pol
	r = verifyOne(t, o, stamped, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	assert.True(t, hasWarning(r, "SHA-1 accepted by the caller's policy"), "%v", r.Warnings)
	assert.Contains(t, r.Text(Vietnamese), "SHA-1 được chấp nhận")

	// Without a timestamp, the caller's own proof of existence.
	o.ProofOfExistence = signAt
	r = verifyOne(t, o, sig, content)
	assert.NotEqual(t, CryptoConstraintsFailure, r.SubIndication, "%+v", r.Findings)
	assert.True(t, hasWarning(r, "the caller's proof of existence"), "%v", r.Warnings)
	o.ProofOfExistence = time.Time{}
	r = verifyOne(t, o, sig, content)
	assert.Equal(t, CryptoConstraintsFailure, r.SubIndication)
}

func hasWarning(r *SignatureReport, s string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w.String(), s) {
			return true
		}
	}
	return false
}

// signer.WithPSS / signer.PSS are honoured by pdf and xml signing.
func TestPSSPreferredByPDFAndXML(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.RSAKey(2048), pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	keyPEM, err := id.KeyPEM()
	require.NoError(t, err)
	s, err := signer.LoadKeyPair(keyPEM, append(id.CertPEM(), id.ChainPEM()...), "", signer.WithPSS())
	require.NoError(t, err)
	require.True(t, signer.PrefersPSS(s))
	e.pki.SetTime(signAt)

	doc := minimalPDF("PSS")
	var out bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), s,
		&pdf.Options{TimestampURL: e.pki.TSAURL(), HTTPClient: e.pki.HTTPClient()}))

	xo := kxml.Seller()
	xo.SigningTime = signAt
	xo.IncludeChain = true
	signedXML, err := kxml.Sign(context.Background(), invoice(), s, xo)
	require.NoError(t, err)
	assert.Contains(t, string(signedXML), "sha256-rsa-MGF1")

	e.pki.SetTime(checkAt)
	rep := verifyPDF(t, e.online(), out.Bytes())
	require.Len(t, rep.Signatures, 1)
	sr := rep.Signatures[0]
	assert.Equal(t, TotalPassed, sr.Indication, "%+v", sr.Findings)
	assert.Contains(t, sr.Integrity.SignatureAlgorithm, "PSS")
	assert.Empty(t, sr.Information)

	v, err := New(e.online())
	require.NoError(t, err)
	xr, err := NewXMLVerifier(v).VerifyBytes(context.Background(), signedXML)
	require.NoError(t, err)
	require.Len(t, xr.Signatures, 1)
	assert.True(t, xr.Signatures[0].Integrity.Intact, "%+v", xr.Signatures[0].Findings)
	assert.Empty(t, xr.Signatures[0].Information)
}

// The SHA-1 option also covers a certificate signed with SHA-1 (CA2's old
// chains), through the legacy path builder.
func TestSHA1ProvenBeforeCertificateChain(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.SignatureAlgorithm(x509.ECDSAWithSHA1))
	require.Equal(t, x509.ECDSAWithSHA1, id.Cert.SignatureAlgorithm)
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	r := verifyOne(t, e.online(), sig, content)
	assert.Equal(t, CryptoConstraintsFailure, r.SubIndication, "%+v", r.Findings)

	o := e.online()
	pol := VietnamPolicy()
	pol.SHA1ProvenBefore = signAt.Add(time.Hour)
	o.Algorithms = pol
	r = verifyOne(t, o, sig, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	assert.True(t, hasWarning(r, "SHA-1 accepted by the caller's policy"), "%v", r.Warnings)
	assert.Contains(t, r.Text(Vietnamese), "chuỗi chứng thư số dùng")
}
