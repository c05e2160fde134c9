package pkitest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"sort"
	"time"
)

// OIDTSAPolicy is the policy of the test TSA (under the example arc 2.999).
// It is read-only: compare with it (Equal), never change it.
var OIDTSAPolicy = asn1.ObjectIdentifier{2, 999, 1, 2}

// TSAMode selects how the TSA answers; see [PKI.SetTSAMode].
type TSAMode int

const (
	// TSANormal grants a correct time-stamp token.
	TSANormal TSAMode = iota
	// TSAUnavailable answers HTTP 503.
	TSAUnavailable
	// TSARejection answers the PKIStatus rejection (failInfo systemFailure).
	TSARejection
	// TSABadNonce grants a token whose nonce differs from the request's.
	TSABadNonce
	// TSAWrongImprint grants a token over a different message imprint.
	TSAWrongImprint
	// TSABadSignature grants a token whose signature does not verify.
	TSABadSignature
	// TSAMalformed answers HTTP 200 with bytes that are not a TimeStampResp.
	TSAMalformed
)

// SetTSAMode makes the TSA fail in the given way (or recover with TSANormal).
func (p *PKI) SetTSAMode(m TSAMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tsaMode = m
}

// PKIFailureInfo bits (RFC 3161 §2.4.2).
const (
	failBadAlg              = 0
	failBadRequest          = 2
	failBadDataFormat       = 5
	failUnacceptedPolicy    = 15
	failUnacceptedExtension = 16
	failSystemFailure       = 25
)

var (
	oidSignedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidAttrContentType  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrDigest       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidAttrSigningCertV = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
)

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
	Extensions     []pkix.Extension      `asn1:"tag:0,optional"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"`
	FailInfo     asn1.BitString  `asn1:"optional"`
}

type timeStampResp struct {
	Status pkiStatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

type accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"tag:0,optional"`
	Micros  int `asn1:"tag:1,optional"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       accuracy      `asn1:"optional"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional"` // [0] EXPLICIT GeneralName, built by hand
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

// RawValue fields are written as they are: explicit tags are built by hand.
type encapContentInfo struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue // [0] EXPLICIT OCTET STRING
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	Content          encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type contentInfo struct {
	Type    asn1.ObjectIdentifier
	Content asn1.RawValue // [0] EXPLICIT
}

type essCertIDv2 struct {
	// hashAlgorithm is omitted: SHA-256 is its DEFAULT.
	CertHash     []byte
	IssuerSerial issuerSerial
}

type issuerSerial struct {
	Issuer asn1.RawValue // GeneralNames
	Serial *big.Int
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue
}

// tsaError is a request the TSA rejects with a PKIFailureInfo bit.
type tsaError struct {
	bit int
	msg string
}

func (e *tsaError) Error() string { return "pkitest: TSA: " + e.msg }

func (p *PKI) serveTSA(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST an application/timestamp-query", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/timestamp-query" {
		http.Error(w, "Content-Type must be application/timestamp-query", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, "reading request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	mode := p.tsaMode
	p.mu.Unlock()
	var resp []byte
	switch mode {
	case TSAUnavailable:
		http.Error(w, "TSA unavailable (test mode)", http.StatusServiceUnavailable)
		return
	case TSAMalformed:
		resp = []byte("this is not a TimeStampResp")
	default:
		resp, err = p.respondTSA(body, mode)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}

// respondTSA answers a DER TimeStampReq with a DER TimeStampResp; request
// errors become rejection responses, not Go errors.
func (p *PKI) respondTSA(der []byte, mode TSAMode) ([]byte, error) {
	if mode == TSARejection {
		return rejection(failSystemFailure, "rejected (test mode)")
	}
	var req timeStampReq
	rest, err := asn1.Unmarshal(der, &req)
	if err != nil || len(rest) != 0 {
		return rejection(failBadDataFormat, "malformed TimeStampReq")
	}
	token, err := p.timestamp(&req, mode)
	var te *tsaError
	if errors.As(err, &te) {
		return rejection(te.bit, te.msg)
	}
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: 0}, Token: asn1.RawValue{FullBytes: token}})
}

func rejection(bit int, msg string) ([]byte, error) {
	b := make([]byte, bit/8+1)
	b[bit/8] = 0x80 >> (bit % 8)
	return asn1.Marshal(timeStampResp{Status: pkiStatusInfo{
		Status:       2,
		StatusString: []asn1.RawValue{{Tag: asn1.TagUTF8String, Bytes: []byte(msg)}},
		FailInfo:     asn1.BitString{Bytes: b, BitLength: bit + 1},
	}})
}

// Timestamp returns a time-stamp token (a DER ContentInfo holding the
// SignedData) over digest, computed with h, as the TSA would grant it now
// (no nonce, certificates included).
func (p *PKI) Timestamp(h crypto.Hash, digest []byte) ([]byte, error) {
	oid, ok := oidByHash[h]
	if !ok {
		return nil, fmt.Errorf("pkitest: TSA: unsupported hash %v", h)
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}
	if h == crypto.SHA3_256 || h == crypto.SHA3_384 || h == crypto.SHA3_512 {
		alg.Parameters = asn1.RawValue{} // SHA-3 identifiers have no parameters
	}
	req := &timeStampReq{Version: 1, CertReq: true, MessageImprint: messageImprint{
		HashAlgorithm: alg,
		HashedMessage: digest,
	}}
	return p.timestamp(req, TSANormal)
}

// timestamp builds the token: TSTInfo, then a SignedData with signed
// attributes content-type, signing-time, message-digest and ESS
// signing-certificate-v2, signed by the TSA key over SHA-256.
func (p *PKI) timestamp(req *timeStampReq, mode TSAMode) ([]byte, error) {
	if req.Version != 1 {
		return nil, &tsaError{failBadRequest, fmt.Sprintf("unsupported version %d", req.Version)}
	}
	h, ok := hashByOID[req.MessageImprint.HashAlgorithm.Algorithm.String()]
	if !ok {
		return nil, &tsaError{failBadAlg, "unsupported hash algorithm " + req.MessageImprint.HashAlgorithm.Algorithm.String()}
	}
	if len(req.MessageImprint.HashedMessage) != h.Size() {
		return nil, &tsaError{failBadDataFormat, "message imprint length does not match its hash algorithm"}
	}
	if len(req.ReqPolicy) > 0 && !req.ReqPolicy.Equal(OIDTSAPolicy) {
		return nil, &tsaError{failUnacceptedPolicy, "unaccepted policy " + req.ReqPolicy.String()}
	}
	for _, e := range req.Extensions {
		if e.Critical {
			return nil, &tsaError{failUnacceptedExtension, "unaccepted critical extension " + e.Id.String()}
		}
	}
	serial, err := p.nextSerial()
	if err != nil {
		return nil, err
	}
	tsa := p.TSA
	now := p.Now().UTC().Truncate(time.Second)
	imprint := req.MessageImprint
	imprint.HashedMessage = append([]byte(nil), imprint.HashedMessage...)
	if mode == TSAWrongImprint {
		imprint.HashedMessage[0] ^= 0xff
	}
	nonce := req.Nonce
	if mode == TSABadNonce {
		if nonce == nil {
			nonce = big.NewInt(0)
		}
		nonce = new(big.Int).Add(nonce, big.NewInt(1))
	}
	info, err := asn1.Marshal(tstInfo{
		Version:        1,
		Policy:         OIDTSAPolicy,
		MessageImprint: imprint,
		SerialNumber:   serial,
		GenTime:        now,
		Accuracy:       accuracy{Seconds: 1},
		Nonce:          nonce,
		TSA:            explicit(0, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: tsa.Cert.RawSubject}),
	})
	if err != nil {
		return nil, fmt.Errorf("pkitest: TSA: encoding TSTInfo: %w", err)
	}

	infoDigest := sha256.Sum256(info)
	certHash := sha256.Sum256(tsa.Cert.Raw)
	generalNames, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: tsa.Cert.RawIssuer}})
	if err != nil {
		return nil, err
	}
	essDER, err := asn1.Marshal(signingCertificateV2{Certs: []essCertIDv2{{
		CertHash:     certHash[:],
		IssuerSerial: issuerSerial{Issuer: asn1.RawValue{FullBytes: generalNames}, Serial: tsa.Cert.SerialNumber},
	}}})
	if err != nil {
		return nil, err
	}
	ctDER, _ := asn1.Marshal(oidTSTInfo)
	mdDER, _ := asn1.Marshal(infoDigest[:])
	stDER, err := asn1.Marshal(now)
	if err != nil {
		return nil, err
	}
	var attrs [][]byte
	for _, a := range []struct {
		oid asn1.ObjectIdentifier
		val []byte
	}{{oidAttrContentType, ctDER}, {oidAttrSigningTime, stDER}, {oidAttrDigest, mdDER}, {oidAttrSigningCertV, essDER}} {
		enc, err := asn1.Marshal(attribute{Type: a.oid, Values: asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: a.val}})
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, enc)
	}
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	attrBytes := bytes.Join(attrs, nil)
	setDER, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: attrBytes})
	if err != nil {
		return nil, err
	}
	_, sigAlg, err := signatureParams(tsa.Key.Public(), crypto.SHA256)
	if err != nil {
		return nil, err
	}
	attrDigest := sha256.Sum256(setDER)
	sig, err := tsa.Key.Sign(rand.Reader, attrDigest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("pkitest: TSA: signing: %w", err)
	}
	if mode == TSABadSignature {
		sig[len(sig)/2] ^= 0x01
	}
	sha256ID := pkix.AlgorithmIdentifier{Algorithm: oidByHash[crypto.SHA256], Parameters: asn1.NullRawValue}
	var certs []byte
	if req.CertReq {
		// CertificateSet is a SET OF: DER wants the encodings sorted.
		list := [][]byte{tsa.Cert.Raw}
		for _, c := range tsa.Chain {
			list = append(list, c.Raw)
		}
		sort.Slice(list, func(i, j int) bool { return bytes.Compare(list[i], list[j]) < 0 })
		certs = bytes.Join(list, nil)
	}
	sd := signedData{
		Version:          3,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{sha256ID},
		Content: encapContentInfo{
			Type:    oidTSTInfo,
			Content: explicit(0, asn1.RawValue{Tag: asn1.TagOctetString, Bytes: info}),
		},
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: tsa.Cert.RawIssuer}, Serial: tsa.Cert.SerialNumber},
			DigestAlgorithm:    sha256ID,
			SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: attrBytes},
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	if len(certs) > 0 {
		sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs}
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("pkitest: TSA: encoding SignedData: %w", err)
	}
	return asn1.Marshal(contentInfo{Type: oidSignedData, Content: explicit(0, asn1.RawValue{FullBytes: sdDER})})
}

// explicit wraps v in an [tag] EXPLICIT context-specific tag.
func explicit(tag int, v asn1.RawValue) asn1.RawValue {
	inner, err := asn1.Marshal(v)
	if err != nil {
		panic(err) // a RawValue always marshals
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: inner}
}
