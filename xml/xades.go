package xml

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/baseline"
	"github.com/kyso-vn/kyso/internal/cms"
)

// Level is an XAdES baseline level (ETSI EN 319 132-1) for
// SignOptions.Level, named as pdf.Level and cades.Level are.
type Level int

const (
	// LevelNone produces plain XML-DSig (what Vietnamese invoices use).
	LevelNone Level = iota
	// LevelBB adds SignedProperties with SigningTime and
	// SigningCertificateV2 (ETSI EN 319 132-1 B-B).
	LevelBB
	// LevelBT adds a signature time-stamp from SignOptions.TimestampURL (B-T).
	LevelBT
	// LevelBLT is B-T plus the validation data (ETSI EN 319 132-1
	// B-LT): after the SignatureTimeStamp, CertificateValues with the
	// certificates of the signer's and the TSA's chains up to the root,
	// and RevocationValues with an OCSP response (preferred) or a CRL for
	// each certificate below the root — fetched online, or supplied
	// through SignOptions.LTV. All are unsigned properties: the signed
	// bytes are those of B-T.
	LevelBLT
)

// String returns the ETSI name of the level ("B-B", "B-T", "B-LT"), or
// "none" for plain XML-DSig.
func (l Level) String() string { return baseline.Name(int(l), levelNames) }

var levelNames = []string{"none", "B-B", "B-T", "B-LT"}

// ParseLevel reads "B-B", "B-T" or "B-LT" (case-insensitive, the "B-"
// optional), or "none" or "" for plain XML-DSig, as pdf.ParseLevel and
// cades.ParseLevel do for their formats.
func ParseLevel(s string) (Level, error) {
	if strings.TrimSpace(s) == "" {
		return LevelNone, nil
	}
	if i := baseline.Parse(s, levelNames); i >= 0 {
		return Level(i), nil
	}
	return 0, fmt.Errorf("%w: unknown XAdES level %q (B-B, B-T or B-LT)", ErrBadOptions, s)
}

// TypeSignedProperties is the Reference Type of XAdES SignedProperties.
const TypeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"

// TypeSignatureProperties is the Reference Type Vietnamese invoices give the
// reference to their SigningTime object.
const TypeSignatureProperties = "http://www.w3.org/2000/09/xmldsig#SignatureProperties"

// timestamp asks the RFC 3161 server at url (POST,
// application/timestamp-query) for a token over digest; client may be nil
// for a default client with a 60-second timeout. It returns the token's
// DER ContentInfo.
func timestamp(ctx context.Context, url string, client *http.Client, digest []byte, hash crypto.Hash) ([]byte, error) {
	tok, err := (&cms.TSAClient{URL: url, HTTPClient: client}).Timestamp(ctx, digest, hash)
	if err != nil {
		return nil, err
	}
	return tok.DER, nil
}

// XAdESInfo reports the XAdES qualifying properties of a signature.
type XAdESInfo struct {
	// SignedPropertiesID is the Id of the signed SignedProperties.
	SignedPropertiesID string
	// SigningTime is the claimed xades:SigningTime.
	SigningTime time.Time
	// SigningCertificateMatched: SigningCertificateV2 names the certificate
	// that verified the signature.
	SigningCertificateMatched bool
	// Timestamps are the SignatureTimeStamp tokens, each checked over the
	// canonical SignatureValue (cryptographically; trust in the TSA is for
	// package verify).
	Timestamps []Timestamp
}

// Timestamp is a signature time-stamp and its cryptographic result.
type Timestamp struct {
	Token []byte // DER RFC 3161 token
	Time  time.Time
	// Certificate is the TSA certificate the token carries.
	Certificate *x509.Certificate
	Err         error
}

type issuerSerialV2 struct {
	Issuer []asn1.RawValue
	Serial *big.Int
}

func issuerSerialDER(c *x509.Certificate) ([]byte, error) {
	return asn1.Marshal(issuerSerialV2{
		Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: c.RawIssuer}},
		Serial: c.SerialNumber,
	})
}

// xadesSignedProperties renders the SignedProperties element.
func xadesSignedProperties(b *strings.Builder, id string, signingTime time.Time, cert *x509.Certificate, h crypto.Hash) error {
	dURI, err := digestURI(h)
	if err != nil {
		return err
	}
	hh := h.New()
	hh.Write(cert.Raw)
	is, err := issuerSerialDER(cert)
	if err != nil {
		return err
	}
	b.WriteString(`<xades:SignedProperties Id="`)
	b.Write(appendAttrEscaped(nil, id))
	b.WriteString(`"><xades:SignedSignatureProperties><xades:SigningTime>`)
	b.WriteString(signingTime.UTC().Format("2006-01-02T15:04:05Z"))
	b.WriteString(`</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest><DigestMethod Algorithm="`)
	b.WriteString(dURI)
	b.WriteString(`"/><DigestValue>`)
	b.WriteString(base64.StdEncoding.EncodeToString(hh.Sum(nil)))
	b.WriteString(`</DigestValue></xades:CertDigest><xades:IssuerSerialV2>`)
	b.WriteString(base64.StdEncoding.EncodeToString(is))
	b.WriteString(`</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2></xades:SignedSignatureProperties></xades:SignedProperties>`)
	return nil
}

// xades checks the XAdES properties of a verified signature.
func (v *verifier) xades(s *Signature) error {
	var qp *Node
	for c := s.Element.first; c != nil; c = c.next {
		if !c.Is(NamespaceDSig, "Object") {
			continue
		}
		for q := c.first; q != nil; q = q.next {
			if q.kind == ElementNode && q.LocalName() == "QualifyingProperties" && strings.HasPrefix(q.NamespaceURI(), "http://uri.etsi.org/01903/") {
				if qp != nil {
					return fmt.Errorf("%w: more than one QualifyingProperties", ErrMalformed)
				}
				qp = q
			}
		}
	}
	if qp == nil {
		return nil
	}
	ns := qp.NamespaceURI()
	if target, _ := qp.Attr("Target"); s.ID == "" || target != "#"+s.ID {
		return fmt.Errorf("%w: QualifyingProperties Target %q does not name this signature", ErrMalformed, target)
	}
	info := &XAdESInfo{}
	s.XAdES = info
	sp := qp.Child("SignedProperties")
	if sp == nil || sp.NamespaceURI() != ns {
		return fmt.Errorf("%w: QualifyingProperties without SignedProperties", ErrMalformed)
	}
	if !s.Covers(sp) {
		return fmt.Errorf("%w: XAdES SignedProperties is not covered by the signature", ErrReference)
	}
	info.SignedPropertiesID, _ = sp.Attr("Id")
	ssp := sp.Child("SignedSignatureProperties")
	if ssp != nil {
		if st := ssp.Child("SigningTime"); st != nil {
			info.SigningTime, _ = parseSigningTime(strings.TrimSpace(st.Text()))
			s.SigningTime = info.SigningTime
			s.SigningTimeText = strings.TrimSpace(st.Text())
		}
		sc := ssp.Child("SigningCertificateV2")
		if sc == nil {
			sc = ssp.Child("SigningCertificate")
		}
		if sc != nil {
			// The signed properties name the signing certificate by digest
			// and issuer/serial; naming another certificate contradicts the
			// KeyInfo that verified the signature.
			matched := false
			for _, cert := range sc.Elements() {
				cd := cert.Child("CertDigest")
				if cd == nil {
					continue
				}
				dm := cd.Child("DigestMethod")
				alg := ""
				if dm != nil {
					alg, _ = dm.Attr("Algorithm")
				}
				h, ok := digestAlgs[alg]
				if !ok {
					continue
				}
				want, err := decodeBase64(textOf(cd.Child("DigestValue")))
				if err != nil {
					continue
				}
				hh := h.New()
				hh.Write(s.Certificate.Raw)
				if !bytes.Equal(hh.Sum(nil), want) {
					continue
				}
				if err := checkIssuerSerial(cert, s.Certificate); err != nil {
					return err
				}
				matched = true
			}
			if !matched {
				return fmt.Errorf("%w: XAdES SigningCertificate does not name the signing certificate", ErrMalformed)
			}
			info.SigningCertificateMatched = true
		}
	}
	// Signature time-stamps.
	if up := qp.Child("UnsignedProperties"); up != nil {
		if usp := up.Child("UnsignedSignatureProperties"); usp != nil {
			for _, ts := range usp.Elements() {
				if ts.LocalName() != "SignatureTimeStamp" {
					continue
				}
				info.Timestamps = append(info.Timestamps, v.signatureTimestamp(s, ts))
			}
		}
	}
	return nil
}

// checkIssuerSerial checks the IssuerSerialV2 (DER IssuerSerial) or the
// XAdES 1.3.2 IssuerSerial (X509IssuerName, X509SerialNumber) of a
// SigningCertificate Cert whose digest named cert.
func checkIssuerSerial(certEl *Node, cert *x509.Certificate) error {
	bad := func(what string) error {
		return fmt.Errorf("%w: XAdES SigningCertificate %s does not match the signing certificate", ErrMalformed, what)
	}
	if v2 := certEl.Child("IssuerSerialV2"); v2 != nil {
		der, err := decodeBase64(v2.Text())
		if err != nil {
			return bad("IssuerSerialV2")
		}
		var is issuerSerialV2
		if rest, err := asn1.Unmarshal(der, &is); err != nil || len(rest) > 0 || is.Serial == nil {
			return bad("IssuerSerialV2")
		}
		if is.Serial.Cmp(cert.SerialNumber) != 0 {
			return bad("IssuerSerialV2 serial number")
		}
		found := false
		for _, gn := range is.Issuer {
			if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && bytes.Equal(gn.Bytes, cert.RawIssuer) {
				found = true
			}
		}
		if !found {
			return bad("IssuerSerialV2 issuer")
		}
	}
	if v1 := certEl.Child("IssuerSerial"); v1 != nil {
		sn, ok := new(big.Int).SetString(strings.TrimSpace(textOf(v1.Child("X509SerialNumber"))), 10)
		if !ok || sn.Cmp(cert.SerialNumber) != 0 {
			return bad("IssuerSerial serial number")
		}
	}
	return nil
}

// checkCounterSignature requires a Signature inside an XAdES
// CounterSignature to sign the SignatureValue of the signature it
// countersigns (ETSI EN 319 132-1 §5.2.7.2), not a copy or other data.
func checkCounterSignature(s *Signature) error {
	cs := s.Element.parent
	if cs == nil || cs.LocalName() != "CounterSignature" || !strings.HasPrefix(cs.NamespaceURI(), "http://uri.etsi.org/01903/") {
		return nil
	}
	var parent *Node
	for a := cs.parent; a != nil; a = a.parent {
		if a.Is(NamespaceDSig, "Signature") {
			parent = a
			break
		}
	}
	if parent == nil {
		return fmt.Errorf("%w: XAdES CounterSignature outside a signature", ErrMalformed)
	}
	var sv *Node
	for c := parent.first; c != nil; c = c.next {
		if c.Is(NamespaceDSig, "SignatureValue") {
			sv = c
			break
		}
	}
	for i := range s.References {
		if r := &s.References[i]; r.Err == nil && r.Element != nil && r.Element.IsAncestorOf(sv) && (r.Excluded == nil || !r.Excluded.IsAncestorOf(sv)) {
			return nil
		}
	}
	return fmt.Errorf("%w: XAdES CounterSignature does not sign the SignatureValue of the signature it countersigns (%s)", ErrMalformed, parent.Path())
}

func (v *verifier) signatureTimestamp(s *Signature, ts *Node) Timestamp {
	var out Timestamp
	method := C14N10
	if cm := ts.Child("CanonicalizationMethod"); cm != nil {
		method, _ = cm.Attr("Algorithm")
	}
	enc := ts.Child("EncapsulatedTimeStamp")
	if enc == nil {
		out.Err = fmt.Errorf("%w: SignatureTimeStamp without EncapsulatedTimeStamp", ErrMalformed)
		return out
	}
	der, err := decodeBase64(enc.Text())
	if err != nil {
		out.Err = fmt.Errorf("%w: EncapsulatedTimeStamp: %v", ErrMalformed, err)
		return out
	}
	out.Token = der
	tok, err := cms.ParseToken(der)
	if err != nil {
		out.Err = err
		return out
	}
	out.Time = tok.GenTime
	out.Certificate = tok.TSACertificate
	var sv *Node
	for c := s.Element.first; c != nil; c = c.next {
		if c.Is(NamespaceDSig, "SignatureValue") {
			sv = c
			break
		}
	}
	var buf byteSink
	if err := (Canonicalizer{Method: method, limit: max(v.budget, 1)}).Element(&buf, sv); err != nil {
		out.Err = err
		return out
	}
	out.Err = tok.VerifyData(buf.b)
	return out
}
