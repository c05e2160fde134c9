package pkitest

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"
)

func fetch(t *testing.T, client *http.Client, url string) (int, []byte) {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

func fetchCRL(t *testing.T, p *PKI, url string, issuer *x509.Certificate) *x509.RevocationList {
	t.Helper()
	code, der := fetch(t, http.DefaultClient, url)
	require.Equal(t, http.StatusOK, code, "%s", der)
	crl, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	require.NoError(t, crl.CheckSignatureFrom(issuer))
	return crl
}

func TestCRLRevocationOverTime(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	p := New(t, WithClock(func() time.Time { return t0 }))
	good, bad := p.MustIssue(), p.MustIssue()

	crl := fetchCRL(t, p, bad.Cert.CRLDistributionPoints[0], p.CA.Cert)
	assert.Empty(t, crl.RevokedCertificateEntries)
	assert.Equal(t, t0, crl.ThisUpdate)
	assert.Equal(t, t0.Add(24*time.Hour), crl.NextUpdate)
	assert.Equal(t, p.CA.Cert.SubjectKeyId, crl.AuthorityKeyId)
	assert.Equal(t, int64(1), crl.Number.Int64())

	// Revoked one hour after T0: not yet listed at T0, listed from then on.
	revokedAt := t0.Add(time.Hour)
	require.NoError(t, p.Revoke(bad.Cert, revokedAt, ocsp.KeyCompromise))
	crl = fetchCRL(t, p, p.CRLURL(), p.CA.Cert)
	assert.Empty(t, crl.RevokedCertificateEntries)
	assert.Equal(t, int64(2), crl.Number.Int64(), "CRL numbers grow")

	p.SetTime(t0.Add(2 * time.Hour))
	crl = fetchCRL(t, p, p.CRLURL(), p.CA.Cert)
	require.Len(t, crl.RevokedCertificateEntries, 1)
	e := crl.RevokedCertificateEntries[0]
	assert.Equal(t, bad.Cert.SerialNumber, e.SerialNumber)
	assert.Equal(t, revokedAt, e.RevocationTime)
	assert.Equal(t, ocsp.KeyCompromise, e.ReasonCode)
	assert.Equal(t, t0.Add(2*time.Hour), crl.ThisUpdate)
	_ = good

	// The root's CRL and the caIssuers URLs.
	rootCRL := fetchCRL(t, p, p.CA.Cert.CRLDistributionPoints[0], p.Root.Cert)
	assert.Empty(t, rootCRL.RevokedCertificateEntries)
	code, der := fetch(t, http.DefaultClient, good.Cert.IssuingCertificateURL[0])
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, p.CA.Cert.Raw, der)
	code, der = fetch(t, http.DefaultClient, p.CA.Cert.IssuingCertificateURL[0])
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, p.Root.Cert.Raw, der)

	code, _ = fetch(t, http.DefaultClient, p.crlSrv.URL+"/crl/nope.crl")
	assert.Equal(t, http.StatusNotFound, code)
	resp, err := http.Post(p.CRLURL(), "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestCRLModes(t *testing.T) {
	p := New(t)
	p.SetCRLMode(CRLUnavailable)
	code, _ := fetch(t, http.DefaultClient, p.CRLURL())
	assert.Equal(t, http.StatusServiceUnavailable, code)

	p.SetCRLMode(CRLMalformed)
	code, der := fetch(t, http.DefaultClient, p.CRLURL())
	assert.Equal(t, http.StatusOK, code)
	_, err := x509.ParseRevocationList(der)
	assert.Error(t, err)

	p.SetCRLMode(CRLStale)
	crl := fetchCRL(t, p, p.CRLURL(), p.CA.Cert)
	assert.True(t, crl.NextUpdate.Before(time.Now()))

	p.SetCRLMode(CRLNormal)
	crl = fetchCRL(t, p, p.CRLURL(), p.CA.Cert)
	assert.True(t, crl.NextUpdate.After(time.Now()))
}

// TestOpenSSLCRL: openssl checks the CRL signature and uses it to find a
// revoked certificate.
func TestOpenSSLCRL(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := New(t)
	good, bad := p.MustIssue(), p.MustIssue()
	require.NoError(t, p.Revoke(bad.Cert, time.Now().Add(-time.Minute), ocsp.Superseded))
	der, err := p.CRL(p.CA)
	require.NoError(t, err)
	rootDER, err := p.CRL(p.Root)
	require.NoError(t, err)
	dir := t.TempDir()
	crlFile := writeFile(t, dir, "ca.crl", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
	rootCRL := writeFile(t, dir, "root.crl", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: rootDER}))
	chain := writeFile(t, dir, "chain.pem", PEM(p.CA.Cert, p.Root.Cert))
	caFile := writeFile(t, dir, "ca.pem", PEM(p.CA.Cert))

	out := runOpenSSL(t, openssl, "crl", "-in", crlFile, "-CAfile", caFile, "-noout")
	assert.Contains(t, out, "verify OK")
	text := runOpenSSL(t, openssl, "crl", "-in", crlFile, "-noout", "-text")
	assert.Contains(t, text, "Superseded")
	assert.Contains(t, text, "X509v3 CRL Number")

	goodFile := writeFile(t, dir, "good.pem", good.CertPEM())
	badFile := writeFile(t, dir, "bad.pem", bad.CertPEM())
	out = runOpenSSL(t, openssl, "verify", "-crl_check_all", "-CRLfile", crlFile, "-CRLfile", rootCRL, "-CAfile", chain, goodFile)
	assert.Contains(t, out, "good.pem: OK")
	out2, err := runCmd(openssl, "verify", "-crl_check_all", "-CRLfile", crlFile, "-CRLfile", rootCRL, "-CAfile", chain, badFile)
	assert.Error(t, err)
	assert.Contains(t, out2, "certificate revoked")
}
