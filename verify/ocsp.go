package verify

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// RFC 6960 shapes. Parsed here rather than with x/crypto/ocsp because that
// package matches responses by serial number only and does not expose the
// CertID issuer hashes or the response extensions (nonce).

type ocspCertID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

type ocspResponseASN struct {
	Status   asn1.Enumerated
	Response ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type ocspBasicResponse struct {
	TBSResponseData    ocspResponseData
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspResponseData struct {
	Raw                asn1.RawContent
	Version            int `asn1:"optional,default:0,explicit,tag:0"`
	RawResponderID     asn1.RawValue
	ProducedAt         time.Time `asn1:"generalized"`
	Responses          []ocspSingleResponse
	ResponseExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspSingleResponse struct {
	CertID           ocspCertID
	Good             asn1.Flag        `asn1:"tag:0,optional"`
	Revoked          ocspRevokedInfo  `asn1:"tag:1,optional"`
	Unknown          asn1.Flag        `asn1:"tag:2,optional"`
	ThisUpdate       time.Time        `asn1:"generalized"`
	NextUpdate       time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	SingleExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspRevokedInfo struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

type ocspRequestASN struct {
	TBSRequest ocspTBSRequest
}

type ocspTBSRequest struct {
	RequestList       []ocspRequestEntry
	RequestExtensions []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type ocspRequestEntry struct {
	Cert ocspCertID
}

var (
	oidOCSPBasic   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidOCSPNonce   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
)

var ocspSigAlgs = []struct {
	oid asn1.ObjectIdentifier
	alg x509.SignatureAlgorithm
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, x509.SHA1WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, x509.SHA256WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, x509.SHA384WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, x509.SHA512WithRSA},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, x509.ECDSAWithSHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, x509.ECDSAWithSHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, x509.ECDSAWithSHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, x509.ECDSAWithSHA512},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, x509.PureEd25519},
}

func certIDHash(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(oidSHA1):
		return crypto.SHA1
	case oid.Equal(oidSHA256):
		return crypto.SHA256
	case oid.Equal(oidSHA384):
		return crypto.SHA384
	case oid.Equal(oidSHA512):
		return crypto.SHA512
	}
	return 0
}

// ocspResponse is a parsed, not yet trusted, OCSP response.
type ocspResponse struct {
	raw           []byte
	tbs           []byte
	sigAlg        x509.SignatureAlgorithm
	signature     []byte
	producedAt    time.Time
	responderName []byte // raw Name, when the responder is named
	responderKey  []byte // SHA-1 of the responder key, otherwise
	certs         []*x509.Certificate
	singles       []ocspSingleResponse
	nonce         []byte
}

var errOCSPNotSuccessful = errors.New("OCSP responder did not answer successfully")

// parseOCSPResponse parses a DER OCSPResponse of type id-pkix-ocsp-basic.
func parseOCSPResponse(der []byte) (*ocspResponse, error) {
	var r ocspResponseASN
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("OCSP response: trailing data")
	}
	if r.Status != 0 {
		return nil, fmt.Errorf("%w (status %d)", errOCSPNotSuccessful, r.Status)
	}
	if !r.Response.ResponseType.Equal(oidOCSPBasic) {
		return nil, errors.New("OCSP response: not a basic response")
	}
	var b ocspBasicResponse
	rest, err = asn1.Unmarshal(r.Response.Response, &b)
	if err != nil {
		return nil, fmt.Errorf("OCSP basic response: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("OCSP basic response: trailing data")
	}
	out := &ocspResponse{
		raw:        der,
		tbs:        b.TBSResponseData.Raw,
		signature:  b.Signature.RightAlign(),
		producedAt: b.TBSResponseData.ProducedAt,
		singles:    b.TBSResponseData.Responses,
		sigAlg:     x509.UnknownSignatureAlgorithm,
	}
	for _, a := range ocspSigAlgs {
		if b.SignatureAlgorithm.Algorithm.Equal(a.oid) {
			out.sigAlg = a.alg
		}
	}
	if out.sigAlg == x509.UnknownSignatureAlgorithm {
		return nil, fmt.Errorf("OCSP response: unsupported signature algorithm %v", b.SignatureAlgorithm.Algorithm)
	}
	switch id := b.TBSResponseData.RawResponderID; {
	case id.Class == asn1.ClassContextSpecific && id.Tag == 1:
		out.responderName = id.Bytes
	case id.Class == asn1.ClassContextSpecific && id.Tag == 2:
		if _, err := asn1.Unmarshal(id.Bytes, &out.responderKey); err != nil {
			return nil, fmt.Errorf("OCSP response: responder key hash: %w", err)
		}
	default:
		return nil, errors.New("OCSP response: invalid responder ID")
	}
	for i, rc := range b.Certificates {
		c, err := certparse.Parse(rc.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("OCSP response: certificate %d: %w", i, err)
		}
		out.certs = append(out.certs, c)
	}
	for _, e := range b.TBSResponseData.ResponseExtensions {
		if e.Id.Equal(oidOCSPNonce) {
			out.nonce = e.Value
		} else if e.Critical {
			return nil, fmt.Errorf("OCSP response: unknown critical extension %v", e.Id)
		}
	}
	if len(out.singles) == 0 {
		return nil, errors.New("OCSP response: no certificate status")
	}
	return out, nil
}

// matchCertID reports whether id names cert as issued by issuer: the
// issuer name hash, issuer key hash and serial number must all match.
func matchCertID(id ocspCertID, cert, issuer *x509.Certificate) bool {
	h := certIDHash(id.HashAlgorithm.Algorithm)
	if h == 0 || !h.Available() || id.SerialNumber == nil || cert.SerialNumber.Cmp(id.SerialNumber) != 0 {
		return false
	}
	nh := h.New()
	nh.Write(issuer.RawSubject)
	kh := h.New()
	kh.Write(subjectPublicKeyBits(issuer))
	return bytes.Equal(nh.Sum(nil), id.IssuerNameHash) && bytes.Equal(kh.Sum(nil), id.IssuerKeyHash)
}

// subjectPublicKeyBits returns the subjectPublicKey BIT STRING content of c.
func subjectPublicKeyBits(c *x509.Certificate) []byte {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	return spki.PublicKey.RightAlign()
}

// newOCSPRequest builds a DER OCSP request for cert with a SHA-256 CertID
// and a fresh 16-byte nonce, which it returns.
func newOCSPRequest(cert, issuer *x509.Certificate) (der, nonce []byte, err error) {
	nh := crypto.SHA256.New()
	nh.Write(issuer.RawSubject)
	kh := crypto.SHA256.New()
	kh.Write(subjectPublicKeyBits(issuer))
	nonce = make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	nonceValue, err := asn1.Marshal(nonce)
	if err != nil {
		return nil, nil, err
	}
	req := ocspRequestASN{TBSRequest: ocspTBSRequest{
		RequestList: []ocspRequestEntry{{Cert: ocspCertID{
			HashAlgorithm:  pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue},
			IssuerNameHash: nh.Sum(nil),
			IssuerKeyHash:  kh.Sum(nil),
			SerialNumber:   cert.SerialNumber,
		}}},
		RequestExtensions: []pkix.Extension{{Id: oidOCSPNonce, Value: nonceValue}},
	}}
	der, err = asn1.Marshal(req)
	return der, nonce, err
}

// nonceMatches reports whether the response nonce equals ours. Responders
// echo the extension value either as the OCTET STRING we sent or as its
// raw content.
func nonceMatches(got, sent []byte) bool {
	if bytes.Equal(got, sent) {
		return true
	}
	var inner []byte
	if _, err := asn1.Unmarshal(got, &inner); err == nil && bytes.Equal(inner, sent) {
		return true
	}
	return false
}
