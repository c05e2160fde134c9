package pkitest

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"
)

func postOCSP(t *testing.T, url string, req []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/ocsp-request", bytes.NewReader(req))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// queryOCSP asks the responder about cert over HTTP POST and parses the
// answer with x/crypto/ocsp, checking the signature against issuer.
func queryOCSP(t *testing.T, p *PKI, cert, issuer *x509.Certificate) *ocsp.Response {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	require.NoError(t, err)
	code, body := postOCSP(t, cert.OCSPServer[0], req)
	require.Equal(t, http.StatusOK, code)
	resp, err := ocsp.ParseResponseForCert(body, cert, issuer)
	require.NoError(t, err)
	return resp
}

// withNonce adds an id-pkix-ocsp-nonce request extension to a DER request.
func withNonce(t *testing.T, der, nonce []byte) []byte {
	t.Helper()
	var req ocspRequest
	_, err := asn1.Unmarshal(der, &req)
	require.NoError(t, err)
	v, err := asn1.Marshal(nonce)
	require.NoError(t, err)
	req.TBS.Extensions = append(req.TBS.Extensions, pkix.Extension{Id: oidOCSPNonce, Value: v})
	out, err := asn1.Marshal(req)
	require.NoError(t, err)
	return out
}

func TestOCSPStatuses(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	p := New(t, WithClock(func() time.Time { return t0 }))
	good, bad := p.MustIssue(), p.MustIssue()
	require.NoError(t, p.Revoke(bad.Cert, t0.Add(time.Hour), ocsp.KeyCompromise))

	r := queryOCSP(t, p, good.Cert, p.CA.Cert)
	assert.Equal(t, ocsp.Good, r.Status)
	assert.Equal(t, t0, r.ProducedAt)
	assert.Equal(t, t0, r.ThisUpdate)
	assert.Equal(t, t0.Add(24*time.Hour), r.NextUpdate)
	// Delegated responder: OCSPSigning EKU, ocsp-nocheck, issued by the CA.
	require.NotNil(t, r.Certificate)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, r.Certificate.ExtKeyUsage)
	assert.NoError(t, r.Certificate.CheckSignatureFrom(p.CA.Cert))
	hasNoCheck := false
	for _, e := range r.Certificate.Extensions {
		hasNoCheck = hasNoCheck || e.Id.Equal(OIDOCSPNoCheck)
	}
	assert.True(t, hasNoCheck, "responder certificate has id-pkix-ocsp-nocheck")
	assert.Equal(t, r.Certificate.RawSubject, r.RawResponderName)

	// Revoked in the future: still good now; revoked once the clock passes it.
	assert.Equal(t, ocsp.Good, queryOCSP(t, p, bad.Cert, p.CA.Cert).Status)
	p.SetTime(t0.Add(3 * time.Hour))
	r = queryOCSP(t, p, bad.Cert, p.CA.Cert)
	assert.Equal(t, ocsp.Revoked, r.Status)
	assert.Equal(t, t0.Add(time.Hour), r.RevokedAt)
	assert.Equal(t, ocsp.KeyCompromise, r.RevocationReason)
	assert.Equal(t, t0.Add(3*time.Hour), r.ProducedAt)

	// Unknown: the CA's hashes with a serial it never issued.
	stranger := &x509.Certificate{SerialNumber: big.NewInt(424242), OCSPServer: []string{p.OCSPURL()}}
	r = queryOCSP(t, p, stranger, p.CA.Cert)
	assert.Equal(t, ocsp.Unknown, r.Status)

	// A CA certificate, answered by the root's responder.
	r = queryOCSP(t, p, p.CA.Cert, p.Root.Cert)
	assert.Equal(t, ocsp.Good, r.Status)
	assert.NoError(t, r.Certificate.CheckSignatureFrom(p.Root.Cert))

	// An issuer the responder does not serve: unauthorized.
	other := New(t)
	req, err := ocsp.CreateRequest(other.CA.Cert, other.Root.Cert, nil)
	require.NoError(t, err)
	_, body := postOCSP(t, p.OCSPURL(), req)
	_, err = ocsp.ParseResponse(body, nil)
	assert.Equal(t, ocsp.ResponseError{Status: ocsp.Unauthorized}, err)

	// Garbage: malformedRequest.
	_, body = postOCSP(t, p.OCSPURL(), []byte("nonsense"))
	_, err = ocsp.ParseResponse(body, nil)
	assert.Equal(t, ocsp.ResponseError{Status: ocsp.Malformed}, err)
}

func TestOCSPGetAndNonce(t *testing.T) {
	p := New(t)
	id := p.MustIssue()
	req, err := ocsp.CreateRequest(id.Cert, p.CA.Cert, nil)
	require.NoError(t, err)
	nonce := []byte("0123456789abcdef")
	req = withNonce(t, req, nonce)

	// GET with the base64 request in the path (RFC 6960 A.1).
	resp, err := http.Get(p.OCSPURL() + "/" + url.PathEscape(base64.StdEncoding.EncodeToString(req)))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, "application/ocsp-response", resp.Header.Get("Content-Type"))
	r, err := ocsp.ParseResponseForCert(body, id.Cert, p.CA.Cert)
	require.NoError(t, err)
	assert.Equal(t, ocsp.Good, r.Status)
	var echoed []byte
	_, err = asn1.Unmarshal(responseNonce(t, body), &echoed)
	require.NoError(t, err)
	assert.Equal(t, nonce, echoed)

	// POST of the same request echoes the same nonce.
	_, body = postOCSP(t, p.OCSPURL(), req)
	r, err = ocsp.ParseResponseForCert(body, id.Cert, p.CA.Cert)
	require.NoError(t, err)
	assert.Equal(t, ocsp.Good, r.Status)
	assert.Equal(t, mustMarshal(t, nonce), responseNonce(t, body))

	// PKI.OCSP gives the same answer without HTTP.
	der, err := p.OCSP(id.Cert)
	require.NoError(t, err)
	r, err = ocsp.ParseResponseForCert(der, id.Cert, p.CA.Cert)
	require.NoError(t, err)
	assert.Equal(t, ocsp.Good, r.Status)
}

// responseNonce returns the nonce in the responseExtensions of a DER OCSP
// response (x/crypto/ocsp only exposes singleExtensions).
func responseNonce(t *testing.T, der []byte) []byte {
	t.Helper()
	var resp ocspResponse
	_, err := asn1.Unmarshal(der, &resp)
	require.NoError(t, err)
	var basic ocspBasicResponse
	_, err = asn1.Unmarshal(resp.Bytes.Response, &basic)
	require.NoError(t, err)
	var data ocspResponseData
	_, err = asn1.Unmarshal(basic.TBS.FullBytes, &data)
	require.NoError(t, err)
	for _, e := range data.Extensions {
		if e.Id.Equal(oidOCSPNonce) {
			return e.Value
		}
	}
	t.Fatal("no nonce in the OCSP response")
	return nil
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestOCSPSignedByCA(t *testing.T) {
	p := New(t, OCSPSignedByCA())
	id := p.MustIssue()
	r := queryOCSP(t, p, id.Cert, p.CA.Cert)
	assert.Equal(t, ocsp.Good, r.Status)
	assert.Nil(t, r.Certificate, "no responder certificate is embedded")
	assert.Equal(t, p.CA.Cert.RawSubject, r.RawResponderName)
	assert.NoError(t, r.CheckSignatureFrom(p.CA.Cert))
}

func TestOCSPModes(t *testing.T) {
	p := New(t)
	id := p.MustIssue()
	req, err := ocsp.CreateRequest(id.Cert, p.CA.Cert, nil)
	require.NoError(t, err)
	nreq := withNonce(t, req, []byte("nonce-1234"))

	for _, tc := range []struct {
		mode  OCSPMode
		check func(t *testing.T, code int, body []byte)
	}{
		{OCSPHTTPError, func(t *testing.T, code int, _ []byte) { assert.Equal(t, http.StatusInternalServerError, code) }},
		{OCSPTryLater, func(t *testing.T, _ int, body []byte) {
			_, err := ocsp.ParseResponse(body, nil)
			assert.Equal(t, ocsp.ResponseError{Status: ocsp.TryLater}, err)
		}},
		{OCSPInternalError, func(t *testing.T, _ int, body []byte) {
			_, err := ocsp.ParseResponse(body, nil)
			assert.Equal(t, ocsp.ResponseError{Status: ocsp.InternalError}, err)
		}},
		{OCSPUnauthorized, func(t *testing.T, _ int, body []byte) {
			_, err := ocsp.ParseResponse(body, nil)
			assert.Equal(t, ocsp.ResponseError{Status: ocsp.Unauthorized}, err)
		}},
		{OCSPMalformed, func(t *testing.T, code int, body []byte) {
			assert.Equal(t, http.StatusOK, code)
			_, err := ocsp.ParseResponse(body, nil)
			assert.Error(t, err)
		}},
		{OCSPBadSignature, func(t *testing.T, _ int, body []byte) {
			_, err := ocsp.ParseResponseForCert(body, id.Cert, p.CA.Cert)
			assert.ErrorContains(t, err, "signature")
		}},
		{OCSPBadNonce, func(t *testing.T, _ int, body []byte) {
			r, err := ocsp.ParseResponseForCert(body, id.Cert, p.CA.Cert)
			require.NoError(t, err)
			assert.Equal(t, ocsp.Good, r.Status)
			assert.NotEqual(t, mustMarshal(t, []byte("nonce-1234")), responseNonce(t, body))
		}},
		{OCSPStale, func(t *testing.T, _ int, body []byte) {
			r, err := ocsp.ParseResponseForCert(body, id.Cert, p.CA.Cert)
			require.NoError(t, err)
			assert.True(t, r.NextUpdate.Before(time.Now()))
		}},
	} {
		p.SetOCSPMode(tc.mode)
		code, body := postOCSP(t, p.OCSPURL(), nreq)
		tc.check(t, code, body)
	}

	p.SetOCSPMode(OCSPUnavailable)
	_, err = http.Post(p.OCSPURL(), "application/ocsp-request", bytes.NewReader(req))
	assert.Error(t, err, "the connection is dropped")

	p.SetOCSPMode(OCSPNormal)
	assert.Equal(t, ocsp.Good, queryOCSP(t, p, id.Cert, p.CA.Cert).Status)
}

// TestOpenSSLOCSP: openssl ocsp queries the responder (with its default
// nonce), verifies the response against the chain and reads the status.
func TestOpenSSLOCSP(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	for _, tc := range []struct {
		name string
		opts []Option
	}{{"delegated", nil}, {"ca-signed", []Option{OCSPSignedByCA()}}, {"rsa", []Option{CAOptions(RSAKey(2048))}}} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(t, tc.opts...)
			good, bad := p.MustIssue(), p.MustIssue()
			require.NoError(t, p.Revoke(bad.Cert, time.Now().Add(-time.Minute), ocsp.CessationOfOperation))
			dir := t.TempDir()
			chain := writeFile(t, dir, "chain.pem", PEM(p.CA.Cert, p.Root.Cert))
			issuer := writeFile(t, dir, "ca.pem", PEM(p.CA.Cert))
			goodFile := writeFile(t, dir, "good.pem", good.CertPEM())
			badFile := writeFile(t, dir, "bad.pem", bad.CertPEM())
			out := runOpenSSL(t, openssl, "ocsp", "-issuer", issuer, "-cert", goodFile, "-cert", badFile,
				"-url", p.OCSPURL(), "-CAfile", chain, "-resp_text")
			assert.Contains(t, out, "Response verify OK")
			assert.Contains(t, out, "good.pem: good")
			assert.Contains(t, out, "bad.pem: revoked")
			assert.Contains(t, out, "Reason: cessationOfOperation")
			assert.Contains(t, out, "OCSP Nonce")
			assert.NotContains(t, out, "WARNING")
		})
	}
}

// TestOCSPUnspecifiedReasonOmitted: like the CRL entry (RFC 5280 §5.3.1),
// a revocation for the reason unspecified (0) carries no revocationReason
// in the OCSP RevokedInfo; other reasons do.
func TestOCSPUnspecifiedReasonOmitted(t *testing.T) {
	p := New(t)
	for _, reason := range []int{ocsp.Unspecified, ocsp.Superseded} {
		id := p.MustIssue()
		require.NoError(t, p.Revoke(id.Cert, p.Now().Add(-time.Minute), reason))
		der, err := p.OCSP(id.Cert)
		require.NoError(t, err)
		var resp ocspResponse
		_, err = asn1.Unmarshal(der, &resp)
		require.NoError(t, err)
		var basic ocspBasicResponse
		_, err = asn1.Unmarshal(resp.Bytes.Response, &basic)
		require.NoError(t, err)
		var data struct {
			ResponderID asn1.RawValue
			ProducedAt  time.Time `asn1:"generalized"`
			Responses   []ocspSingleResponse
			Extensions  asn1.RawValue `asn1:"optional,explicit,tag:1"`
		}
		_, err = asn1.Unmarshal(basic.TBS.FullBytes, &data)
		require.NoError(t, err)
		require.Len(t, data.Responses, 1)
		status := data.Responses[0].Status
		require.Equal(t, 1, status.Tag, "revoked")
		var fields []asn1.RawValue
		for b := status.Bytes; len(b) > 0; {
			var v asn1.RawValue
			b, err = asn1.Unmarshal(b, &v)
			require.NoError(t, err)
			fields = append(fields, v)
		}
		if reason == ocsp.Unspecified {
			assert.Len(t, fields, 1, "revocationTime only")
		} else {
			assert.Len(t, fields, 2, "revocationTime and revocationReason")
		}
		r, err := ocsp.ParseResponseForCert(der, id.Cert, p.CA.Cert)
		require.NoError(t, err)
		assert.Equal(t, ocsp.Revoked, r.Status)
		assert.Equal(t, reason, r.RevocationReason)
	}
}
