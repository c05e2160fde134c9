package revinfo

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

func has(list [][]byte, c *x509.Certificate) bool {
	for _, d := range list {
		if bytes.Equal(d, c.Raw) {
			return true
		}
	}
	return false
}

func TestCollectOnline(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	f := &Fetcher{HTTPClient: p.HTTPClient()}
	set, err := f.Collect(context.Background(), []*x509.Certificate{id.Cert, p.TSA.Cert}, id.Chain, nil)
	require.NoError(t, err)
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert, p.Root.Cert, p.TSA.Cert} {
		require.True(t, has(set.Certs, c), c.Subject.CommonName)
	}
	// Signer, TSA (both from the CA) and the CA (from the root); the
	// delegated responder certificates come along.
	require.Len(t, set.OCSPs, 3)
	require.Empty(t, set.CRLs)
	require.Len(t, set.Certs, 6)
	for _, pair := range [][2]*x509.Certificate{{id.Cert, p.CA.Cert}, {p.TSA.Cert, p.CA.Cert}, {p.CA.Cert, p.Root.Cert}} {
		found := false
		for _, o := range set.OCSPs {
			if a, err := CheckOCSP(o, pair[0], pair[1], time.Now(), time.Minute); err == nil {
				found = true
				require.Equal(t, Good, a.Status)
				require.NotNil(t, a.Responder, "pkitest answers through a delegated responder")
			}
		}
		require.True(t, found, pair[0].Subject.CommonName)
	}

	// The root is not in the candidates: it comes from the CA's AIA.
	f2 := &Fetcher{HTTPClient: p.HTTPClient()}
	set, err = f2.Collect(context.Background(), []*x509.Certificate{id.Cert}, nil, nil)
	require.NoError(t, err)
	require.True(t, has(set.Certs, p.Root.Cert) && has(set.Certs, p.CA.Cert))
	// Without AIA it cannot be found.
	_, err = (&Fetcher{HTTPClient: p.HTTPClient(), NoAIA: true}).Collect(context.Background(), []*x509.Certificate{id.Cert}, nil, nil)
	require.ErrorIs(t, err, ErrNoIssuer)
}

func TestCollectRevokedIsEvidence(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	p.MustRevoke(id.Cert, time.Now().Add(-time.Minute), ocsp.KeyCompromise)
	set, err := (&Fetcher{HTTPClient: p.HTTPClient()}).Collect(context.Background(), []*x509.Certificate{id.Cert}, id.Chain, nil)
	require.NoError(t, err)
	var st []Status
	for _, o := range set.OCSPs {
		if a, err := CheckOCSP(o, id.Cert, p.CA.Cert, time.Now(), time.Minute); err == nil {
			st = append(st, a.Status)
			require.False(t, a.RevokedAt.IsZero())
		}
	}
	require.Equal(t, []Status{Revoked}, st)
}

func TestCollectSuppliedOffline(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	sup := &Set{}
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert} {
		o, err := p.OCSP(c)
		require.NoError(t, err)
		sup.AddOCSP(o)
	}
	sup.AddCertificate(p.Root.Cert)
	f := &Fetcher{Offline: true}
	set, err := f.Collect(context.Background(), []*x509.Certificate{id.Cert}, id.Chain, sup)
	require.NoError(t, err)
	require.Len(t, set.OCSPs, 2)

	// A CRL works as well as OCSP.
	crl, err := p.CRL(p.CA)
	require.NoError(t, err)
	sup2 := &Set{}
	sup2.AddCRL(crl)
	sup2.AddOCSP(sup.OCSPs[1])
	sup2.AddCertificate(p.Root.Cert)
	set, err = f.Collect(context.Background(), []*x509.Certificate{id.Cert}, id.Chain, sup2)
	require.NoError(t, err)
	require.Len(t, set.CRLs, 1)
	require.Len(t, set.OCSPs, 1)

	// Missing data offline is an error naming the certificate.
	_, err = f.Collect(context.Background(), []*x509.Certificate{p.TSA.Cert}, id.Chain, sup)
	require.ErrorIs(t, err, ErrNoRevocationInfo)
	require.Contains(t, err.Error(), "Kyso Test TSA")
}

func TestCollectFallsBackToCRL(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	for _, m := range []pkitest.OCSPMode{pkitest.OCSPHTTPError, pkitest.OCSPUnavailable, pkitest.OCSPTryLater,
		pkitest.OCSPMalformed, pkitest.OCSPBadSignature, pkitest.OCSPStale,
		// A response echoing another nonce is refused, as verify refuses it.
		pkitest.OCSPBadNonce, pkitest.OCSPInternalError, pkitest.OCSPUnauthorized} {
		p.SetOCSPMode(m)
		set, err := (&Fetcher{HTTPClient: p.HTTPClient()}).Collect(context.Background(), []*x509.Certificate{id.Cert}, id.Chain, nil)
		require.NoError(t, err, "mode %d", m)
		require.Empty(t, set.OCSPs, "mode %d", m)
		require.Len(t, set.CRLs, 2, "mode %d", m)
	}
	p.SetCRLMode(pkitest.CRLStale)
	_, err := (&Fetcher{HTTPClient: p.HTTPClient()}).Collect(context.Background(), []*x509.Certificate{id.Cert}, id.Chain, nil)
	require.ErrorIs(t, err, ErrNoRevocationInfo)
	require.ErrorIs(t, err, ErrBadResponse)
	p.SetCRLMode(pkitest.CRLMalformed)
	_, err = (&Fetcher{HTTPClient: p.HTTPClient()}).Collect(context.Background(), []*x509.Certificate{id.Cert}, id.Chain, nil)
	require.ErrorIs(t, err, ErrNoRevocationInfo)
}

func TestCheckRejects(t *testing.T) {
	p := pkitest.New(t)
	a, b := p.MustIssue(), p.MustIssue()
	now := time.Now()
	oa, err := p.OCSP(a.Cert)
	require.NoError(t, err)
	_, err = CheckOCSP(oa, a.Cert, p.CA.Cert, now, time.Minute)
	require.NoError(t, err)
	// For another certificate.
	_, err = CheckOCSP(oa, b.Cert, p.CA.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	// Checked against the wrong issuer.
	_, err = CheckOCSP(oa, a.Cert, p.Root.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	// Same serial, another PKI's CA: the CertID issuer hashes differ.
	q := pkitest.New(t)
	_, err = CheckOCSP(oa, a.Cert, q.CA.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	// Not current any more, or not yet.
	_, err = CheckOCSP(oa, a.Cert, p.CA.Cert, now.AddDate(0, 0, 2), time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = CheckOCSP(oa, a.Cert, p.CA.Cert, now.Add(-time.Hour), time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = CheckOCSP([]byte("junk"), a.Cert, p.CA.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = CheckOCSP(oa, nil, p.CA.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)

	crl, err := p.CRL(p.CA)
	require.NoError(t, err)
	ans, err := CheckCRL(crl, a.Cert, p.CA.Cert, now, time.Minute)
	require.NoError(t, err)
	require.Equal(t, Good, ans.Status)
	_, err = CheckCRL(crl, a.Cert, p.Root.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = CheckCRL(crl, p.CA.Cert, p.Root.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse, "the CA's CRL does not cover the CA itself")
	_, err = CheckCRL(crl, a.Cert, q.CA.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = CheckCRL(crl, a.Cert, p.CA.Cert, now.AddDate(0, 0, 3), time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = CheckCRL([]byte{0x30, 0x00}, a.Cert, p.CA.Cert, now, time.Minute)
	require.ErrorIs(t, err, ErrBadResponse)
	p.MustRevoke(a.Cert, now.Add(-time.Minute), ocsp.Superseded)
	crl, err = p.CRL(p.CA)
	require.NoError(t, err)
	ans, err = CheckCRL(crl, a.Cert, p.CA.Cert, now, time.Minute)
	require.NoError(t, err)
	require.Equal(t, Revoked, ans.Status)
	require.Equal(t, "revoked", ans.Status.String())
}

func TestFetchLimits(t *testing.T) {
	big := bytes.Repeat([]byte{'x'}, 4096)
	slow := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(big)
		case "/slow":
			select {
			case <-slow:
			case <-r.Context().Done():
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	defer close(slow)
	f := &Fetcher{MaxResponseSize: 1024, Timeout: 200 * time.Millisecond}
	_, err := f.get(context.Background(), srv.URL+"/big")
	require.ErrorContains(t, err, "larger than 1024")
	start := time.Now()
	_, err = f.get(context.Background(), srv.URL+"/slow")
	require.Error(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	_, err = f.get(context.Background(), srv.URL+"/none")
	require.ErrorContains(t, err, "404")
	f.MaxResponseSize = 0
	b, err := f.get(context.Background(), srv.URL+"/big")
	require.NoError(t, err)
	require.Len(t, b, len(big))
}

func TestSet(t *testing.T) {
	var s Set
	require.True(t, s.AddCert([]byte{1}))
	require.False(t, s.AddCert([]byte{1}))
	require.False(t, s.AddOCSP([]byte{1}), "one item, whatever the list")
	require.True(t, s.AddCRL([]byte{2}))
	require.False(t, s.AddCRL(nil))
	o := &Set{OCSPs: [][]byte{{3}, {2}}}
	s.Merge(o)
	require.Equal(t, 3, s.Len())
	require.Equal(t, [][]byte{{3}}, s.OCSPs)
	var nilSet *Set
	require.Zero(t, nilSet.Len())
	s.Merge(nil)
}

// ParseCRL reads DER and PEM CRLs alike and refuses anything else.
func TestParseCRLDERAndPEM(t *testing.T) {
	p := pkitest.New(t)
	der, err := p.CRL(p.CA)
	require.NoError(t, err)
	crl, err := ParseCRL(der)
	require.NoError(t, err)
	require.Equal(t, der, crl.Raw)

	pemCRL := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	noise := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CA.Cert.Raw})
	crl, err = ParseCRL(append(noise, pemCRL...))
	require.NoError(t, err)
	require.Equal(t, der, crl.Raw, "the first X509 CRL block, after other blocks")

	_, err = ParseCRL(noise)
	require.Error(t, err, "no CRL block")
	_, err = ParseCRL([]byte("not a CRL"))
	require.Error(t, err)
	_, err = ParseCRL(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{0x30, 0x00}}))
	require.Error(t, err, "a PEM block holding garbage")
}

// An AIA download in any of the encodings CAs publish yields the issuer:
// a DER certificate, a .p7c bundle (as NEAC publishes), or PEM.
func TestParseCertsAIA(t *testing.T) {
	p := pkitest.New(t)
	for name, body := range map[string][]byte{
		"DER": p.CA.Cert.Raw,
		"PEM": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CA.Cert.Raw}),
		"p7c": opensslP7C(t, p.CA.Cert, p.Root.Cert),
	} {
		got := parseCerts(body)
		require.NotEmpty(t, got, name)
		require.True(t, got[0].Equal(p.CA.Cert), name)
	}
}

// opensslP7C makes a DER certs-only PKCS#7 bundle of certs with openssl.
func opensslP7C(t *testing.T, certs ...*x509.Certificate) []byte {
	tool := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	var pemData []byte
	for _, c := range certs {
		pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	in, out := filepath.Join(dir, "certs.pem"), filepath.Join(dir, "certs.p7c")
	require.NoError(t, os.WriteFile(in, pemData, 0o600))
	b, err := exec.Command(tool, "crl2pkcs7", "-nocrl", "-certfile", in, "-outform", "DER", "-out", out).CombinedOutput()
	require.NoError(t, err, string(b))
	der, err := os.ReadFile(out)
	require.NoError(t, err)
	return der
}
