package pkitest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	_ "crypto/sha3" // SHA-3 message imprints and CertIDs
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPMode selects how the OCSP responder answers; see [PKI.SetOCSPMode].
type OCSPMode int

const (
	// OCSPNormal answers good, revoked or unknown, signed and fresh.
	OCSPNormal OCSPMode = iota
	// OCSPUnavailable drops the connection without an answer.
	OCSPUnavailable
	// OCSPHTTPError answers HTTP 500.
	OCSPHTTPError
	// OCSPTryLater answers the OCSP status tryLater.
	OCSPTryLater
	// OCSPInternalError answers the OCSP status internalError.
	OCSPInternalError
	// OCSPUnauthorized answers the OCSP status unauthorized.
	OCSPUnauthorized
	// OCSPMalformed answers HTTP 200 with bytes that are not an OCSP response.
	OCSPMalformed
	// OCSPBadSignature answers a well-formed response whose signature does not verify.
	OCSPBadSignature
	// OCSPBadNonce answers with a nonce different from the request's.
	OCSPBadNonce
	// OCSPStale answers with a nextUpdate that has already passed.
	OCSPStale
)

// SetOCSPMode makes the OCSP responder fail in the given way (or recover
// with OCSPNormal).
func (p *PKI) SetOCSPMode(m OCSPMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ocspMode = m
}

var (
	oidOCSPNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	hashByOID    = map[string]crypto.Hash{
		"1.3.14.3.2.26":           crypto.SHA1,
		"2.16.840.1.101.3.4.2.1":  crypto.SHA256,
		"2.16.840.1.101.3.4.2.2":  crypto.SHA384,
		"2.16.840.1.101.3.4.2.3":  crypto.SHA512,
		"2.16.840.1.101.3.4.2.8":  crypto.SHA3_256,
		"2.16.840.1.101.3.4.2.9":  crypto.SHA3_384,
		"2.16.840.1.101.3.4.2.10": crypto.SHA3_512,
	}
	oidByHash = map[crypto.Hash]asn1.ObjectIdentifier{
		crypto.SHA1:     {1, 3, 14, 3, 2, 26},
		crypto.SHA256:   {2, 16, 840, 1, 101, 3, 4, 2, 1},
		crypto.SHA384:   {2, 16, 840, 1, 101, 3, 4, 2, 2},
		crypto.SHA512:   {2, 16, 840, 1, 101, 3, 4, 2, 3},
		crypto.SHA3_256: {2, 16, 840, 1, 101, 3, 4, 2, 8},
		crypto.SHA3_384: {2, 16, 840, 1, 101, 3, 4, 2, 9},
		crypto.SHA3_512: {2, 16, 840, 1, 101, 3, 4, 2, 10},
	}
)

// RFC 6960 structures. The responder is written here rather than with
// ocsp.CreateResponse because that function stamps producedAt from the
// wall clock and cannot carry response extensions (the nonce).
type ocspCertID struct {
	Raw           asn1.RawContent
	HashAlgorithm pkix.AlgorithmIdentifier
	NameHash      []byte
	KeyHash       []byte
	Serial        *big.Int
}

type ocspSingleRequest struct {
	CertID     ocspCertID
	Extensions []pkix.Extension `asn1:"explicit,tag:0,optional"`
}

type ocspTBSRequest struct {
	Version       int           `asn1:"explicit,tag:0,default:0,optional"`
	RequestorName asn1.RawValue `asn1:"explicit,tag:1,optional"`
	Requests      []ocspSingleRequest
	Extensions    []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type ocspRequest struct {
	TBS       ocspTBSRequest
	Signature asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspSingleResponse struct {
	CertID     asn1.RawValue
	Status     asn1.RawValue
	ThisUpdate time.Time `asn1:"generalized"`
	NextUpdate time.Time `asn1:"generalized,explicit,tag:0,optional"`
}

// ocspRevokedInfo is RevokedInfo. The reason unspecified (0) is left out,
// as RFC 5280 §5.3.1 asks of CRL entries (and as the CRL does).
type ocspRevokedInfo struct {
	Time   time.Time       `asn1:"generalized"`
	Reason asn1.Enumerated `asn1:"explicit,tag:0,optional,default:0"`
}

type ocspResponseData struct {
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []ocspSingleResponse
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspBasicResponse struct {
	TBS          asn1.RawValue
	Algorithm    pkix.AlgorithmIdentifier
	Signature    asn1.BitString
	Certificates []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	Type     asn1.ObjectIdentifier
	Response []byte
}

type ocspResponse struct {
	Status asn1.Enumerated
	Bytes  ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

// OCSP returns a signed OCSP response (DER) for cert as the responder
// would give it now (SHA-1 CertID, no nonce). cert may be an end-entity or
// a CA certificate issued by this PKI.
func (p *PKI) OCSP(cert *x509.Certificate) ([]byte, error) {
	ca, err := p.caFor(cert)
	if err != nil {
		return nil, err
	}
	req, err := ocsp.CreateRequest(cert, ca.Cert, nil)
	if err != nil {
		return nil, fmt.Errorf("pkitest: OCSP request: %w", err)
	}
	return p.respondOCSP(req, OCSPNormal)
}

func (p *PKI) serveOCSP(w http.ResponseWriter, r *http.Request) {
	var der []byte
	switch r.Method {
	case http.MethodPost:
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, "reading request", http.StatusBadRequest)
			return
		}
		der = b
	case http.MethodGet:
		enc := strings.TrimPrefix(r.URL.EscapedPath(), "/ocsp")
		enc = strings.TrimPrefix(enc, "/")
		s, err := url.PathUnescape(enc)
		if err == nil {
			der, err = base64.StdEncoding.DecodeString(s)
		}
		if err != nil {
			der = nil // answered as malformedRequest below
		}
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	mode := p.ocspMode
	p.mu.Unlock()
	switch mode {
	case OCSPUnavailable:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	case OCSPHTTPError:
		http.Error(w, "OCSP responder failure (test mode)", http.StatusInternalServerError)
		return
	}
	resp, err := p.respondOCSP(der, mode)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	_, _ = w.Write(resp)
}

// respondOCSP answers one DER OCSP request.
func (p *PKI) respondOCSP(der []byte, mode OCSPMode) ([]byte, error) {
	switch mode {
	case OCSPTryLater:
		return ocsp.TryLaterErrorResponse, nil
	case OCSPInternalError:
		return ocsp.InternalErrorErrorResponse, nil
	case OCSPUnauthorized:
		return ocsp.UnauthorizedErrorResponse, nil
	case OCSPMalformed:
		return []byte("this is not an OCSP response"), nil
	}
	var req ocspRequest
	if rest, err := asn1.Unmarshal(der, &req); err != nil || len(rest) != 0 || len(req.TBS.Requests) == 0 {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	var (
		ca    *CA
		resps []ocspSingleResponse
	)
	p.mu.Lock()
	now := p.clock().UTC().Truncate(time.Second)
	for _, sr := range req.TBS.Requests {
		c := p.findCALocked(sr.CertID)
		if c == nil || (ca != nil && c != ca) {
			p.mu.Unlock()
			return ocsp.UnauthorizedErrorResponse, nil
		}
		ca = c
		one := ocspSingleResponse{
			CertID:     asn1.RawValue{FullBytes: sr.CertID.Raw},
			ThisUpdate: now,
			NextUpdate: now.Add(24 * time.Hour),
		}
		if mode == OCSPStale {
			one.ThisUpdate, one.NextUpdate = now.AddDate(0, 0, -8), now.AddDate(0, 0, -1)
		}
		key := serialKey(sr.CertID.Serial)
		rev, revoked := ca.revoked[key]
		switch _, issued := ca.issued[key]; {
		case !issued:
			one.Status = asn1.RawValue{FullBytes: []byte{0x82, 0x00}}
		case revoked && !rev.at.After(now):
			info, err := asn1.Marshal(ocspRevokedInfo{Time: rev.at, Reason: asn1.Enumerated(rev.reason)})
			if err != nil {
				p.mu.Unlock()
				return nil, err
			}
			info[0] = 0xa1 // [1] IMPLICIT RevokedInfo
			one.Status = asn1.RawValue{FullBytes: info}
		default:
			one.Status = asn1.RawValue{FullBytes: []byte{0x80, 0x00}}
		}
		resps = append(resps, one)
	}
	p.mu.Unlock()

	data := ocspResponseData{ProducedAt: now, Responses: resps}
	for _, e := range req.TBS.Extensions {
		if e.Id.Equal(oidOCSPNonce) {
			v := append([]byte(nil), e.Value...)
			if mode == OCSPBadNonce && len(v) > 0 {
				v[len(v)-1] ^= 0xff
			}
			data.Extensions = append(data.Extensions, pkix.Extension{Id: oidOCSPNonce, Value: v})
		}
	}
	if mode == OCSPBadNonce && len(data.Extensions) == 0 {
		data.Extensions = append(data.Extensions, pkix.Extension{Id: oidOCSPNonce, Value: []byte{0x04, 0x01, 0x2a}})
	}
	signerCert, key := ca.Cert, ca.Key
	var certs []asn1.RawValue
	if ca.responder != nil {
		signerCert, key = ca.responder.Cert, ca.responder.Key
		certs = []asn1.RawValue{{FullBytes: signerCert.Raw}}
	}
	data.ResponderID = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: signerCert.RawSubject}
	tbs, err := asn1.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("pkitest: encoding OCSP response: %w", err)
	}
	h, alg, err := signatureParams(key.Public(), 0)
	if err != nil {
		return nil, err
	}
	hh := h.New()
	hh.Write(tbs)
	sig, err := key.Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		return nil, fmt.Errorf("pkitest: signing OCSP response: %w", err)
	}
	if mode == OCSPBadSignature {
		sig[len(sig)/2] ^= 0x01
	}
	basic, err := asn1.Marshal(ocspBasicResponse{
		TBS:          asn1.RawValue{FullBytes: tbs},
		Algorithm:    alg,
		Signature:    asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
		Certificates: certs,
	})
	if err != nil {
		return nil, fmt.Errorf("pkitest: encoding OCSP response: %w", err)
	}
	return asn1.Marshal(ocspResponse{Status: asn1.Enumerated(ocsp.Success), Bytes: ocspResponseBytes{Type: oidOCSPBasic, Response: basic}})
}

// findCALocked returns the CA named by a CertID's issuer hashes, or nil.
func (p *PKI) findCALocked(id ocspCertID) *CA {
	h, ok := hashByOID[id.HashAlgorithm.Algorithm.String()]
	if !ok || id.Serial == nil {
		return nil
	}
	for _, ca := range p.cas {
		var spki struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(ca.Cert.RawSubjectPublicKeyInfo, &spki); err != nil {
			continue
		}
		nh := h.New()
		nh.Write(ca.Cert.RawSubject)
		kh := h.New()
		kh.Write(spki.PublicKey.RightAlign())
		if bytes.Equal(nh.Sum(nil), id.NameHash) && bytes.Equal(kh.Sum(nil), id.KeyHash) {
			return ca
		}
	}
	return nil
}
