package revinfo

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
)

// RFC 6960 shapes. Parsed here rather than with x/crypto/ocsp because that
// package matches responses by serial number only and does not expose the
// CertID issuer hashes or the response extensions (nonce).

// CertID identifies a certificate in OCSP (RFC 6960 §4.1.1).
type CertID struct {
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
	Responses          []SingleResponse
	ResponseExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

// SingleResponse is the status of one certificate in a response.
type SingleResponse struct {
	CertID           CertID
	Good             asn1.Flag        `asn1:"tag:0,optional"`
	Revoked          RevokedInfo      `asn1:"tag:1,optional"`
	Unknown          asn1.Flag        `asn1:"tag:2,optional"`
	ThisUpdate       time.Time        `asn1:"generalized"`
	NextUpdate       time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	SingleExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

// RevokedInfo is when and why a certificate was revoked.
type RevokedInfo struct {
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
	Cert CertID
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

// Response is a parsed, not yet trusted, OCSP response of type
// id-pkix-ocsp-basic: [ParseOCSP] only checks its shape.
type Response struct {
	Raw           []byte // the whole DER OCSPResponse
	TBS           []byte // the signed ResponseData
	SigAlg        x509.SignatureAlgorithm
	Signature     []byte
	ProducedAt    time.Time
	ResponderName []byte              // raw Name, when the responder is named
	ResponderKey  []byte              // SHA-1 of the responder key, otherwise
	Certs         []*x509.Certificate // certificates the response carries
	Singles       []SingleResponse
	Nonce         []byte // the nonce extension's value, if any
}

// ErrOCSPNotSuccessful: the responder answered with an error status.
var ErrOCSPNotSuccessful = errors.New("OCSP responder did not answer successfully")

// ParseOCSP parses a DER OCSPResponse of type id-pkix-ocsp-basic.
func ParseOCSP(der []byte) (*Response, error) {
	var r ocspResponseASN
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("OCSP response: trailing data")
	}
	if r.Status != 0 {
		return nil, fmt.Errorf("%w (status %d)", ErrOCSPNotSuccessful, r.Status)
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
	out := &Response{
		Raw:        der,
		TBS:        b.TBSResponseData.Raw,
		Signature:  b.Signature.RightAlign(),
		ProducedAt: b.TBSResponseData.ProducedAt,
		Singles:    b.TBSResponseData.Responses,
		SigAlg:     cms.X509SignatureAlgorithm(b.SignatureAlgorithm.Algorithm),
	}
	if out.SigAlg == x509.UnknownSignatureAlgorithm {
		return nil, fmt.Errorf("OCSP response: unsupported signature algorithm %v", b.SignatureAlgorithm.Algorithm)
	}
	switch id := b.TBSResponseData.RawResponderID; {
	case id.Class == asn1.ClassContextSpecific && id.Tag == 1:
		out.ResponderName = id.Bytes
	case id.Class == asn1.ClassContextSpecific && id.Tag == 2:
		if _, err := asn1.Unmarshal(id.Bytes, &out.ResponderKey); err != nil {
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
		out.Certs = append(out.Certs, c)
	}
	for _, e := range b.TBSResponseData.ResponseExtensions {
		if e.Id.Equal(oidOCSPNonce) {
			out.Nonce = e.Value
		} else if e.Critical {
			return nil, fmt.Errorf("OCSP response: unknown critical extension %v", e.Id)
		}
	}
	if len(out.Singles) == 0 {
		return nil, errors.New("OCSP response: no certificate status")
	}
	return out, nil
}

// MatchCertID reports whether id names cert as issued by issuer: the
// issuer name hash, issuer key hash and serial number must all match.
func MatchCertID(id CertID, cert, issuer *x509.Certificate) bool {
	h := certIDHash(id.HashAlgorithm.Algorithm)
	if h == 0 || !h.Available() || id.SerialNumber == nil || cert.SerialNumber.Cmp(id.SerialNumber) != 0 {
		return false
	}
	nh, kh := issuerHashes(h, issuer)
	return bytes.Equal(nh, id.IssuerNameHash) && bytes.Equal(kh, id.IssuerKeyHash)
}

// issuerHashes returns the CertID issuerNameHash and issuerKeyHash of
// issuer under h.
func issuerHashes(h crypto.Hash, issuer *x509.Certificate) (name, key []byte) {
	nh := h.New()
	nh.Write(issuer.RawSubject)
	kh := h.New()
	kh.Write(SubjectPublicKeyBits(issuer))
	return nh.Sum(nil), kh.Sum(nil)
}

// SubjectPublicKeyBits returns the subjectPublicKey BIT STRING content of c.
func SubjectPublicKeyBits(c *x509.Certificate) []byte {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	return spki.PublicKey.RightAlign()
}

// NewOCSPRequest builds a DER OCSP request for cert with a SHA-256 CertID
// and a fresh 16-byte nonce, which it returns.
func NewOCSPRequest(cert, issuer *x509.Certificate) (der, nonce []byte, err error) {
	nh, kh := issuerHashes(crypto.SHA256, issuer)
	nonce = make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	nonceValue, err := asn1.Marshal(nonce)
	if err != nil {
		return nil, nil, err
	}
	req := ocspRequestASN{TBSRequest: ocspTBSRequest{
		RequestList: []ocspRequestEntry{{Cert: CertID{
			HashAlgorithm:  pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue},
			IssuerNameHash: nh,
			IssuerKeyHash:  kh,
			SerialNumber:   cert.SerialNumber,
		}}},
		RequestExtensions: []pkix.Extension{{Id: oidOCSPNonce, Value: nonceValue}},
	}}
	der, err = asn1.Marshal(req)
	return der, nonce, err
}

// NonceMatches reports whether the response nonce equals ours. Responders
// echo the extension value either as the OCTET STRING we sent or as its
// raw content.
func NonceMatches(got, sent []byte) bool {
	if bytes.Equal(got, sent) {
		return true
	}
	var inner []byte
	if _, err := asn1.Unmarshal(got, &inner); err == nil && bytes.Equal(inner, sent) {
		return true
	}
	return false
}

// WrapBasic wraps a DER BasicOCSPResponse (as CMS and XAdES may carry it)
// into a successful OCSPResponse.
func WrapBasic(basic []byte) ([]byte, error) {
	return asn1.Marshal(ocspResponseASN{Response: ocspResponseBytes{ResponseType: oidOCSPBasic, Response: basic}})
}

// HasOCSPNoCheck reports whether c carries id-pkix-ocsp-nocheck.
func HasOCSPNoCheck(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidOCSPNoCheck) {
			return true
		}
	}
	return false
}

// CheckResponder verifies who signed resp and whether they may: the CA
// (issuer) itself, named by the responder ID, or a delegated responder
// certificate carried in resp, named by the responder ID, issued by the
// CA, certified for id-kp-OCSPSigning and valid (within skew) when the
// response was produced. It returns the delegated responder, nil when the
// CA signed. Errors wrap ErrBadResponse.
func CheckResponder(resp *Response, issuer *x509.Certificate, skew time.Duration) (*x509.Certificate, error) {
	if issuer.CheckSignature(resp.SigAlg, resp.TBS, resp.Signature) == nil {
		if !ResponderIDMatches(resp, issuer) {
			return nil, bad("responder ID does not name the signing CA")
		}
		return nil, nil
	}
	for _, d := range resp.Certs {
		if d.CheckSignature(resp.SigAlg, resp.TBS, resp.Signature) != nil {
			continue
		}
		if !ResponderIDMatches(resp, d) {
			return nil, bad("responder ID does not name the responder certificate")
		}
		if err := d.CheckSignatureFrom(issuer); err != nil {
			return nil, bad("delegated responder %q is not certified by the CA: %v", name(d), err)
		}
		if !slices.Contains(d.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return nil, bad("delegated responder %q lacks id-kp-OCSPSigning", name(d))
		}
		t := resp.ProducedAt
		if t.Before(d.NotBefore.Add(-skew)) || t.After(d.NotAfter.Add(skew)) {
			return nil, bad("delegated responder %q was not valid when the response was produced", name(d))
		}
		return d, nil
	}
	return nil, bad("signature made neither by the CA nor by a certificate it carries")
}

// ResponderIDMatches reports whether the responder ID of resp names c (by
// subject or by the SHA-1 hash of its key).
func ResponderIDMatches(resp *Response, c *x509.Certificate) bool {
	if resp.ResponderName != nil {
		return bytes.Equal(resp.ResponderName, c.RawSubject)
	}
	h := sha1.Sum(SubjectPublicKeyBits(c))
	return bytes.Equal(resp.ResponderKey, h[:])
}

// CheckSingle checks the shape and freshness at now of a single response:
// producedAt and thisUpdate not in the future (within skew), nextUpdate
// not before thisUpdate, no unknown critical extension. Errors wrap
// ErrBadResponse.
func CheckSingle(resp *Response, single *SingleResponse, now time.Time, skew time.Duration) error {
	if resp.ProducedAt.After(now.Add(skew)) || single.ThisUpdate.After(now.Add(skew)) {
		return bad("response produced in the future")
	}
	if !single.NextUpdate.IsZero() && single.NextUpdate.Before(single.ThisUpdate) {
		return bad("nextUpdate before thisUpdate")
	}
	for _, e := range single.SingleExtensions {
		if e.Critical {
			return bad("unknown critical extension %v", e.Id)
		}
	}
	return nil
}

// badResponse is an ErrBadResponse whose text is only the reason, so that
// reports quoting it read the same as before.
type badResponse string

func (e badResponse) Error() string        { return string(e) }
func (e badResponse) Is(target error) bool { return target == ErrBadResponse }

func bad(format string, args ...any) error { return badResponse(fmt.Sprintf(format, args...)) }

// name is a short human name for a certificate.
func name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return signer.DisplayName(c.Subject)
}
