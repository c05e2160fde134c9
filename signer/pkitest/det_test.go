package pkitest

import (
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"net/http"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"
)

// build makes a deterministic PKI and issues a fixed set of certificates.
func detRun(t *testing.T, seed uint64, opts ...Option) [][]byte {
	p := New(t, append([]Option{Deterministic(seed)}, opts...)...)
	out := [][]byte{p.Root.Cert.Raw, p.CA.Cert.Raw, p.TSA.Cert.Raw}
	for _, o := range [][]CertOption{
		nil,
		{Organization("Công ty Cổ phần Kyso", "0101234567"), RSAKey(2048)},
		{ECDSAKey(elliptic.P384()), Expired()},
		{Weak()},
	} {
		out = append(out, p.MustIssue(o...).Cert.Raw)
	}
	sub := p.MustNewCA()
	out = append(out, sub.Cert.Raw, p.MustIssue(IssuedBy(sub)).Cert.Raw)
	crl, err := p.CRL(p.CA)
	require.NoError(t, err)
	return append(out, crl)
}

func TestDeterministicIdenticalBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"ecdsa", nil},
		{"rsa", []Option{CAOptions(RSAKey(3072)), TSAOptions(RSAKey(2048))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := detRun(t, 7, tc.opts...), detRun(t, 7, tc.opts...)
			require.Equal(t, len(a), len(b))
			for i := range a {
				assert.Equal(t, a[i], b[i], "object %d differs", i)
			}
			c := detRun(t, 8, tc.opts...)
			for i := range a {
				assert.NotEqual(t, a[i], c[i], "object %d is the same under another seed", i)
			}
		})
	}
}

func TestDeterministicClockAndURLs(t *testing.T) {
	p := New(t, Deterministic(1))
	assert.Equal(t, DeterministicEpoch(), p.Now())
	id := p.MustIssue()
	assert.Equal(t, DeterministicEpoch().Add(-time.Hour), id.Cert.NotBefore)
	assert.Equal(t, "http://"+DeterministicRepositoryHost+"/crl/ca.crl", id.Cert.CRLDistributionPoints[0])
	assert.Equal(t, "http://"+DeterministicOCSPHost+"/ocsp", id.Cert.OCSPServer[0])

	// The PKI's client reaches the servers through the fixed names.
	client := p.HTTPClient()
	code, der := fetch(t, client, id.Cert.CRLDistributionPoints[0])
	require.Equal(t, http.StatusOK, code)
	_, err := parseCRL(der, p)
	require.NoError(t, err)
	code, der = fetch(t, client, id.Cert.IssuingCertificateURL[0])
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, p.CA.Cert.Raw, der)
	req, err := ocsp.CreateRequest(id.Cert, p.CA.Cert, nil)
	require.NoError(t, err)
	resp, err := client.Post(id.Cert.OCSPServer[0], "application/ocsp-request", bytesReader(req))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// WithClock overrides the fixed epoch.
	t1 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	q := New(t, Deterministic(1), WithClock(func() time.Time { return t1 }))
	assert.Equal(t, t1, q.Now())
}

// TestClockDrivesEverything: one SetTime moves default validity, CRL
// thisUpdate, OCSP producedAt/thisUpdate and TSA genTime.
func TestClockDrivesEverything(t *testing.T) {
	p := New(t)
	t1 := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	p.SetTime(t1)
	assert.Equal(t, t1, p.Now())
	id := p.MustIssue()
	assert.Equal(t, t1.Add(-time.Hour), id.Cert.NotBefore)
	assert.Equal(t, t1.AddDate(1, 0, 0), id.Cert.NotAfter)

	der, err := p.CRL(p.CA)
	require.NoError(t, err)
	crl, err := parseCRL(der, p)
	require.NoError(t, err)
	assert.Equal(t, t1, crl.ThisUpdate)

	der, err = p.OCSP(id.Cert)
	require.NoError(t, err)
	r, err := ocsp.ParseResponseForCert(der, id.Cert, p.CA.Cert)
	require.NoError(t, err)
	assert.Equal(t, t1, r.ProducedAt)
	assert.Equal(t, t1, r.ThisUpdate)

	sum := sha256.Sum256([]byte("t"))
	tok, err := p.Timestamp(crypto.SHA256, sum[:])
	require.NoError(t, err)
	ts, err := timestamp.Parse(tok)
	require.NoError(t, err)
	assert.Equal(t, t1, ts.Time.UTC())

	// Sign at T0, validate after expiry: the certificate is expired at T0+2y.
	p.SetTime(t1.AddDate(2, 0, 0))
	assert.Error(t, verifyAt(p, id.Cert, p.Now()))
	assert.NoError(t, verifyAt(p, id.Cert, t1))
}
