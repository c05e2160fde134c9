package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/kyso-vn/kyso/internal/ber"
	"github.com/kyso-vn/kyso/internal/certparse"
)

// MaxInputSize bounds the DER accepted by Parse (64 MiB): larger input is
// refused before any decoding.
const MaxInputSize = 64 << 20

// SignedData is a parsed CMS SignedData (RFC 5652 §5).
type SignedData struct {
	// Raw is the whole DER ContentInfo.
	Raw []byte
	// Version is the CMSVersion of the SignedData.
	Version int
	// DigestAlgorithms lists the hashes of the digestAlgorithms SET
	// (unknown algorithms are left out).
	DigestAlgorithms []crypto.Hash
	// ContentType is the eContentType.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content; nil when detached.
	Content []byte
	// Certificates are the certificates that parsed; RawCertificates holds
	// every CertificateChoices entry that is a plain certificate, parsed or
	// not, in order.
	Certificates    []*x509.Certificate
	RawCertificates [][]byte
	// RawCRLs holds each RevocationInfoChoice as DER.
	RawCRLs [][]byte
	// SignerInfos are the SignerInfos in order (PAdES and CAdES have one).
	SignerInfos []*SignerInfo
	// BER reports that the input was not DER and was parsed after
	// conversion to DER (a conformance finding, not a failure in itself).
	BER bool
}

// SignerInfo is one parsed SignerInfo.
type SignerInfo struct {
	// Version is 1 for issuerAndSerialNumber, 3 for subjectKeyIdentifier.
	Version int
	// Issuer (DER Name) and SerialNumber identify the signer when the
	// issuerAndSerialNumber form is used; SubjectKeyID otherwise.
	Issuer       []byte
	SerialNumber *big.Int
	SubjectKeyID []byte
	// DigestAlgorithm and Hash name the digest algorithm.
	DigestAlgorithm pkix.AlgorithmIdentifier
	Hash            crypto.Hash
	// SignedAttributes are nil when the SignerInfo has none; then
	// RawSignedAttrs is nil too. RawSignedAttrs is the DER SET OF (tag
	// 0x31) that the signature covers.
	SignedAttributes []Attribute
	RawSignedAttrs   []byte
	// SignatureAlgorithm and Signature are the signature over
	// RawSignedAttrs (or over the content when there are no signed
	// attributes).
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	// UnsignedAttributes are the unsigned attributes, such as the
	// signature time-stamp token, undecoded.
	UnsignedAttributes []Attribute
	// Timestamps are the parsed id-aa-signatureTimeStampToken values.
	Timestamps []*Token
	// TimestampErrors holds why each id-aa-signatureTimeStampToken value
	// that did not parse was left out of Timestamps (malformed, or an
	// imprint hash this package does not implement). Unsigned attributes
	// lie outside the signature, so such a token costs the time-stamp, not
	// the signature: Verify fails with ErrTimestamp, VerifySignerInfo does
	// not look at time-stamps.
	TimestampErrors []error

	raw signerInfoASN
}

// Parse decodes a ContentInfo holding a SignedData. It checks structure
// only (no cryptography): call Verify for that. It refuses trailing data and
// input over MaxInputSize, and never panics. BER input (indefinite lengths,
// constructed OCTET STRINGs, as streaming encoders write) is converted to
// DER and parsed, with SignedData.BER set; Raw keeps the input as given.
// (Some producers — streaming CMS encoders, some Windows and Java signing
// plug-ins — emit BER. The signature over signed attributes is always
// checked against their DER encoding, as RFC 5652 §5.4 defines it.)
func Parse(der []byte) (*SignedData, error) {
	sd, _, err := parse(der, 0)
	return sd, err
}

// parse is Parse at nesting depth; it also returns the SignedData as
// decoded from (the DER form of) der, for callers that re-encode it.
func parse(der []byte, depth int) (*SignedData, signedDataASN, error) {
	if len(der) > MaxInputSize {
		return nil, signedDataASN{}, formatErr("input of %d bytes exceeds %d", len(der), MaxInputSize)
	}
	sd, raw, err := parseDER(der, depth)
	if err == nil {
		return sd, raw, nil
	}
	conv, cerr := ber.ToDER(der)
	if cerr != nil || string(conv) == string(der) {
		return nil, raw, err
	}
	sd, raw, err2 := parseDER(conv, depth)
	if err2 != nil {
		return nil, raw, err
	}
	sd.Raw = append([]byte(nil), der...)
	sd.BER = true
	return sd, raw, nil
}

// toDER returns der, or its DER conversion when it is BER.
func toDER(der []byte) []byte {
	var ci contentInfo
	if unmarshalExact(der, &ci) == nil {
		return der
	}
	if conv, err := ber.ToDER(der); err == nil {
		return conv
	}
	return der
}

func parseDER(der []byte, depth int) (*SignedData, signedDataASN, error) {
	var ci contentInfo
	var raw signedDataASN
	if err := unmarshalExact(der, &ci); err != nil {
		return nil, raw, formatErr("ContentInfo: %v", err)
	}
	if !ci.ContentType.Equal(OIDSignedData) {
		return nil, raw, formatErr("content type %v is not signedData", ci.ContentType)
	}
	if !ci.Content.IsCompound {
		return nil, raw, formatErr("ContentInfo content is not [0] EXPLICIT")
	}
	if err := unmarshalExact(ci.Content.Bytes, &raw); err != nil {
		return nil, raw, formatErr("SignedData: %v", err)
	}
	sd := &SignedData{Raw: append([]byte(nil), der...), Version: raw.Version, ContentType: raw.EncapContentInfo.EContentType}
	switch raw.Version {
	case 1, 3, 4, 5:
	default:
		return nil, raw, formatErr("SignedData version %d", raw.Version)
	}
	for _, a := range raw.DigestAlgorithms {
		if h, err := hashFromAlgorithm(a); err == nil {
			sd.DigestAlgorithms = append(sd.DigestAlgorithms, h)
		}
	}
	if w := raw.EncapContentInfo.EContent; len(w.FullBytes) > 0 {
		var ec asn1.RawValue
		if !w.IsCompound || unmarshalExact(w.Bytes, &ec) != nil {
			return nil, raw, formatErr("eContent is not [0] EXPLICIT OCTET STRING")
		}
		if ec.Class != asn1.ClassUniversal || ec.Tag != asn1.TagOctetString || ec.IsCompound {
			return nil, raw, formatErr("eContent is not a primitive OCTET STRING")
		}
		sd.Content = append([]byte{}, ec.Bytes...)
	}
	if len(raw.Certificates.FullBytes) > 0 {
		if !raw.Certificates.IsCompound {
			return nil, raw, formatErr("certificates field is not constructed")
		}
		items, err := splitDER(raw.Certificates.Bytes)
		if err != nil {
			return nil, raw, formatErr("certificates: %v", err)
		}
		for _, it := range items {
			if it.Class != asn1.ClassUniversal || it.Tag != asn1.TagSequence {
				continue // attribute or other certificate formats
			}
			sd.RawCertificates = append(sd.RawCertificates, it.FullBytes)
			if c, err := certparse.Parse(it.FullBytes); err == nil {
				sd.Certificates = append(sd.Certificates, c)
			}
		}
	}
	if len(raw.CRLs.FullBytes) > 0 {
		items, err := splitDER(raw.CRLs.Bytes)
		if err != nil {
			return nil, raw, formatErr("crls: %v", err)
		}
		for _, it := range items {
			sd.RawCRLs = append(sd.RawCRLs, it.FullBytes)
		}
	}
	if len(raw.SignerInfos) == 0 {
		return nil, raw, formatErr("no SignerInfo")
	}
	withAttrs := 0
	for i, r := range raw.SignerInfos {
		si, err := parseSignerInfo(r, sd, depth, false)
		if err != nil {
			return nil, raw, fmt.Errorf("cms: SignerInfo %d: %w", i, err)
		}
		if si.RawSignedAttrs != nil {
			withAttrs++
		}
		sd.SignerInfos = append(sd.SignerInfos, si)
	}
	if withAttrs != 0 && withAttrs != len(sd.SignerInfos) {
		return nil, raw, formatErr("SignerInfos mix signatures with and without signed attributes")
	}
	return sd, raw, nil
}

func parseSignerInfo(r signerInfoASN, sd *SignedData, depth int, counter bool) (*SignerInfo, error) {
	si := &SignerInfo{
		Version:            r.Version,
		DigestAlgorithm:    r.DigestAlgorithm,
		SignatureAlgorithm: r.SignatureAlgorithm,
		Signature:          r.Signature,
		raw:                r,
	}
	switch {
	case r.SID.Class == asn1.ClassUniversal && r.SID.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if err := unmarshalExact(r.SID.FullBytes, &ias); err != nil {
			return nil, formatErr("issuerAndSerialNumber: %v", err)
		}
		si.Issuer, si.SerialNumber = ias.Issuer.FullBytes, ias.Serial
	case r.SID.Class == asn1.ClassContextSpecific && r.SID.Tag == 0 && !r.SID.IsCompound:
		si.SubjectKeyID = r.SID.Bytes
	default:
		return nil, formatErr("unknown signer identifier")
	}
	h, err := hashFromAlgorithm(r.DigestAlgorithm)
	if err != nil {
		return nil, err
	}
	si.Hash = h
	listed := false
	for _, d := range sd.DigestAlgorithms {
		listed = listed || d == h
	}
	if !listed {
		return nil, formatErr("digest algorithm %v is not in the SignedData digestAlgorithms", h)
	}
	if len(si.Signature) == 0 {
		return nil, formatErr("empty signature value")
	}
	if len(r.SignedAttrs.FullBytes) > 0 {
		if !r.SignedAttrs.IsCompound {
			return nil, formatErr("signedAttrs not constructed")
		}
		attrs, err := parseAttributes(r.SignedAttrs.Bytes)
		if err != nil {
			return nil, err
		}
		if len(attrs) == 0 {
			return nil, formatErr("empty signedAttrs")
		}
		for i, a := range attrs {
			for _, b := range attrs[:i] {
				if a.Type.Equal(b.Type) {
					return nil, formatErr("signed attribute %v appears twice", a.Type)
				}
			}
		}
		si.SignedAttributes = attrs
		si.RawSignedAttrs = retag(r.SignedAttrs.FullBytes, 0x31)
		required := []asn1.ObjectIdentifier{OIDAttrContentType, OIDAttrMessageDigest}
		if counter {
			// RFC 5652 §11.4: a countersignature has message-digest and
			// no content-type.
			if findAttr(attrs, OIDAttrContentType) != nil {
				return nil, formatErr("countersignature with a content-type attribute")
			}
			required = required[1:]
		}
		for _, oid := range required {
			a := findAttr(attrs, oid)
			if a == nil {
				return nil, formatErr("signed attribute %v missing", oid)
			}
			if len(a.Values) != 1 {
				return nil, formatErr("signed attribute %v has %d values", oid, len(a.Values))
			}
		}
		if a := findAttr(attrs, OIDAttrSigningTime); a != nil && len(a.Values) != 1 {
			return nil, formatErr("signing-time has %d values", len(a.Values))
		}
	}
	if len(r.UnsignedAttrs.FullBytes) > 0 {
		attrs, err := parseAttributes(r.UnsignedAttrs.Bytes)
		if err != nil {
			return nil, err
		}
		si.UnsignedAttributes = attrs
		if depth == 0 {
			for _, a := range attrs {
				if !a.Type.Equal(OIDAttrTimestampToken) {
					continue
				}
				for _, v := range a.Values {
					t, err := parseToken(v.FullBytes, depth+1)
					if err != nil {
						si.TimestampErrors = append(si.TimestampErrors, fmt.Errorf("cms: signature time-stamp token: %w", err))
						continue
					}
					si.Timestamps = append(si.Timestamps, t)
				}
			}
		}
	}
	return si, nil
}

func findAttr(attrs []Attribute, oid asn1.ObjectIdentifier) *Attribute {
	for i := range attrs {
		if attrs[i].Type.Equal(oid) {
			return &attrs[i]
		}
	}
	return nil
}

// Attribute returns the first value (DER) of the signed attribute oid, or
// nil.
func (si *SignerInfo) Attribute(oid asn1.ObjectIdentifier) []byte {
	if a := findAttr(si.SignedAttributes, oid); a != nil {
		return a.Values[0].FullBytes
	}
	return nil
}

// UnsignedAttribute returns the values (DER) of the unsigned attribute oid.
func (si *SignerInfo) UnsignedAttribute(oid asn1.ObjectIdentifier) [][]byte {
	var out [][]byte
	for _, a := range si.UnsignedAttributes {
		if a.Type.Equal(oid) {
			for _, v := range a.Values {
				out = append(out, v.FullBytes)
			}
		}
	}
	return out
}

// MessageDigest returns the message-digest signed attribute.
func (si *SignerInfo) MessageDigest() ([]byte, error) {
	der := si.Attribute(OIDAttrMessageDigest)
	if der == nil {
		return nil, formatErr("no message-digest attribute")
	}
	var md []byte
	if err := unmarshalExact(der, &md); err != nil {
		return nil, formatErr("message-digest: %v", err)
	}
	return md, nil
}

// ContentTypeAttr returns the content-type signed attribute.
func (si *SignerInfo) ContentTypeAttr() (asn1.ObjectIdentifier, error) {
	der := si.Attribute(OIDAttrContentType)
	if der == nil {
		return nil, formatErr("no content-type attribute")
	}
	var oid asn1.ObjectIdentifier
	if err := unmarshalExact(der, &oid); err != nil {
		return nil, formatErr("content-type: %v", err)
	}
	return oid, nil
}

// SigningTime returns the signing-time signed attribute, and false when the
// SignerInfo has none (as in PAdES). It is the signer's own claim, not a
// trusted time.
func (si *SignerInfo) SigningTime() (time.Time, bool, error) {
	der := si.Attribute(OIDAttrSigningTime)
	if der == nil {
		return time.Time{}, false, nil
	}
	var t time.Time
	if err := unmarshalExact(der, &t); err != nil {
		return time.Time{}, false, formatErr("signing-time: %v", err)
	}
	return t, true, nil
}

// SigningCertificateVersion reports which ESS signing-certificate signed
// attribute the SignerInfo carries: 2 (v2, as CAdES/PAdES need), 1 (the
// SHA-1 v1 form) or 0 (none).
func (si *SignerInfo) SigningCertificateVersion() int {
	switch {
	case si.Attribute(OIDAttrSigningCertV2) != nil:
		return 2
	case si.Attribute(OIDAttrSigningCertificate) != nil:
		return 1
	}
	return 0
}

// matchesCert reports whether the signer identifier names c.
func (si *SignerInfo) matchesCert(c *x509.Certificate) bool {
	if si.SubjectKeyID != nil {
		return len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, si.SubjectKeyID)
	}
	return si.SerialNumber != nil && c.SerialNumber != nil &&
		si.SerialNumber.Cmp(c.SerialNumber) == 0 && bytes.Equal(si.Issuer, c.RawIssuer)
}

// SignerCertificate returns the certificate of sd.Certificates that si
// names, or an error wrapping ErrNoSignerCertificate.
func (sd *SignedData) SignerCertificate(si *SignerInfo) (*x509.Certificate, error) {
	for _, c := range sd.Certificates {
		if si.matchesCert(c) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("cms: the SignedData does not hold the signer certificate: %w", ErrNoSignerCertificate)
}

// SignerOpts returns the crypto.SignerOpts of si's signature algorithm for
// the key pub (a crypto.Hash, or *rsa.PSSOptions).
func (si *SignerInfo) SignerOpts(pub crypto.PublicKey) (crypto.SignerOpts, error) {
	return signerOptsFor(si.SignatureAlgorithm, si.Hash, pub)
}

// UnPEM returns the DER of a .p7s/.p7m written as PEM (a "PKCS7" or "CMS"
// block, as openssl writes with -outform PEM); any other input is returned
// as it is, for Parse to judge.
func UnPEM(b []byte) []byte {
	t := bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(t, []byte("-----BEGIN ")) {
		return b
	}
	if blk, _ := pem.Decode(t); blk != nil && (blk.Type == "PKCS7" || blk.Type == "CMS") {
		return blk.Bytes
	}
	return b
}
