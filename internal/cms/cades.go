package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// CAdES support beyond one SignerInfo: unsigned-attribute augmentation
// (B-T), validation data in the SignedData (B-LT), parallel signers and
// RFC 5652 §11.4 countersignatures. Every function here rewrites only the
// unsigned parts of a SignedData; signed attributes, signature values and
// the encapsulated content are kept byte for byte.

var (
	// OIDAttrCounterSignature is id-countersignature (RFC 5652 §11.4).
	OIDAttrCounterSignature = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 6}
	// OIDRIOCSPResponse is id-ri-ocsp-response (RFC 5940): an OCSP
	// response as an OtherRevocationInfoFormat in SignedData.crls.
	OIDRIOCSPResponse = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}
	// OIDAttrCertValues and OIDAttrRevocationValues are the CAdES
	// certificate-values and revocation-values unsigned attributes
	// (ETSI EN 319 122-1 §5.4.2 and §5.4.3, the older CAdES-X-L form).
	OIDAttrCertValues       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 23}
	OIDAttrRevocationValues = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 24}
)

// decodeSignedData decodes a (DER or BER) ContentInfo holding a SignedData,
// checking it parses, and returns with it its raw form for re-encoding.
func decodeSignedData(der []byte) (*SignedData, signedDataASN, error) { return parse(der, 0) }

// AddUnsignedAttributes returns cmsDER with attrs appended to the unsigned
// attributes of SignerInfo index (0-based, in the order Parse returns
// them). The signed part of the SignedData is kept byte for byte.
func AddUnsignedAttributes(cmsDER []byte, index int, attrs ...Attribute) ([]byte, error) {
	sd, raw, err := decodeSignedData(cmsDER)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(sd.SignerInfos) {
		return nil, fmt.Errorf("cms: no SignerInfo %d (the SignedData has %d): %w", index, len(sd.SignerInfos), ErrFormat)
	}
	for _, a := range attrs {
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("cms: unsigned attribute %v has no value: %w", a.Type, ErrFormat)
		}
	}
	all := append(append([]Attribute(nil), sd.SignerInfos[index].UnsignedAttributes...), attrs...)
	u, err := encodeAttributes(all)
	if err != nil {
		return nil, fmt.Errorf("cms: encoding unsigned attributes: %w", err)
	}
	raw.SignerInfos[index].UnsignedAttrs = asn1.RawValue{FullBytes: retag(u, 0xA1)}
	return marshalContentInfo(raw)
}

// TimestampAttribute returns the id-aa-signatureTimeStampToken unsigned
// attribute holding the DER token tok.
func TimestampAttribute(tok []byte) Attribute {
	return Attribute{Type: OIDAttrTimestampToken, Values: []asn1.RawValue{{FullBytes: append([]byte(nil), tok...)}}}
}

// AddValidationData returns cmsDER with certificates (DER) added to
// SignedData.certificates and CRLs and OCSP responses (DER OCSPResponse,
// as RFC 5940 id-ri-ocsp-response) added to SignedData.crls, as ETSI EN
// 319 122-1 CAdES B-LT places them. Items already present are not repeated.
// The SignedData version becomes 5 when an OCSP response is added (RFC 5652
// §5.1: other revocation formats need it).
func AddValidationData(cmsDER []byte, certs, crls, ocsps [][]byte) ([]byte, error) {
	for _, list := range [][][]byte{certs, crls, ocsps} {
		for _, it := range list {
			var v asn1.RawValue
			if err := unmarshalExact(it, &v); err != nil || v.Tag != asn1.TagSequence || v.Class != asn1.ClassUniversal {
				return nil, fmt.Errorf("cms: validation data is not one DER SEQUENCE: %w", ErrFormat)
			}
		}
	}
	choices := append([][]byte(nil), crls...)
	oid, err := asn1.Marshal(OIDRIOCSPResponse)
	if err != nil {
		return nil, err
	}
	for _, o := range ocsps {
		choices = append(choices, encodeTLV(0xA1, append(append([]byte(nil), oid...), o...)))
	}
	if len(certs) == 0 && len(choices) == 0 {
		if _, err := Parse(cmsDER); err != nil {
			return nil, err
		}
	}
	return addRawValidation(cmsDER, certs, choices)
}

// mergeItems returns the encodings of have plus those of add not already
// present, and whether anything was added.
func mergeItems(have []asn1.RawValue, add [][]byte) ([][]byte, bool) {
	out := make([][]byte, 0, len(have)+len(add))
	for _, h := range have {
		out = append(out, h.FullBytes)
	}
	changed := false
	for _, a := range add {
		dup := false
		for _, o := range out {
			if bytes.Equal(o, a) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a)
			changed = true
		}
	}
	return out, changed
}

// Merge returns dst with the SignerInfos of src added: a parallel
// signature, each SignerInfo signing the same content on its own (RFC 5652
// §5.1 allows any number of signers). src's certificates, revocation data
// and digest algorithms are merged into dst's. Both must carry the same
// eContentType and the same encapsulated content (or both be detached);
// that the SignerInfos really sign the same detached content is checked by
// verifying the result. dst's SignerInfos are kept byte for byte; the
// SignerInfos SET is written in DER order.
func Merge(dst, src []byte) ([]byte, error) {
	dsd, draw, err := decodeSignedData(dst)
	if err != nil {
		return nil, fmt.Errorf("cms: merge: first SignedData: %w", err)
	}
	ssd, sraw, err := decodeSignedData(src)
	if err != nil {
		return nil, fmt.Errorf("cms: merge: second SignedData: %w", err)
	}
	if !dsd.ContentType.Equal(ssd.ContentType) {
		return nil, fmt.Errorf("cms: merge: content types %v and %v differ: %w", dsd.ContentType, ssd.ContentType, ErrFormat)
	}
	if (dsd.Content == nil) != (ssd.Content == nil) || !bytes.Equal(dsd.Content, ssd.Content) {
		return nil, fmt.Errorf("cms: merge: the SignedDatas encapsulate different content: %w", ErrHashMismatch)
	}
	if (dsd.SignerInfos[0].RawSignedAttrs == nil) != (ssd.SignerInfos[0].RawSignedAttrs == nil) {
		return nil, fmt.Errorf("cms: merge: cannot mix signatures with and without signed attributes: %w", ErrFormat)
	}
	for _, a := range sraw.DigestAlgorithms {
		listed := false
		for _, b := range draw.DigestAlgorithms {
			listed = listed || b.Algorithm.Equal(a.Algorithm)
		}
		if !listed {
			draw.DigestAlgorithms = append(draw.DigestAlgorithms, a)
		}
	}
	draw.SignerInfos = append(draw.SignerInfos, sraw.SignerInfos...)
	if sraw.Version > draw.Version {
		draw.Version = sraw.Version
	}
	for _, si := range sraw.SignerInfos {
		if si.Version == 3 && draw.Version < 3 {
			draw.Version = 3
		}
	}
	// RawCRLs already hold whole RevocationInfoChoices (OCSP included), so
	// they are merged as CRL items.
	if err := mergeValidation(&draw, ssd.RawCertificates, ssd.RawCRLs); err != nil {
		return nil, err
	}
	return marshalContentInfo(draw)
}

// addRawValidation merges certificates and whole RevocationInfoChoice
// encodings into the SignedData.
func addRawValidation(cmsDER []byte, certs, choices [][]byte) ([]byte, error) {
	if len(certs) == 0 && len(choices) == 0 {
		return cmsDER, nil
	}
	_, raw, err := decodeSignedData(cmsDER)
	if err != nil {
		return nil, err
	}
	if err := mergeValidation(&raw, certs, choices); err != nil {
		return nil, err
	}
	return marshalContentInfo(raw)
}

// mergeValidation adds to raw the certificates and whole
// RevocationInfoChoice encodings it does not hold yet.
func mergeValidation(raw *signedDataASN, certs, choices [][]byte) error {
	var items []asn1.RawValue
	var err error
	if len(raw.Certificates.FullBytes) > 0 {
		if items, err = splitDER(raw.Certificates.Bytes); err != nil {
			return formatErr("certificates: %v", err)
		}
	}
	if merged, changed := mergeItems(items, certs); changed {
		raw.Certificates = asn1.RawValue{FullBytes: encodeTLV(0xA0, sortedConcat(merged))}
	}
	items = nil
	if len(raw.CRLs.FullBytes) > 0 {
		if items, err = splitDER(raw.CRLs.Bytes); err != nil {
			return formatErr("crls: %v", err)
		}
	}
	if merged, changed := mergeItems(items, choices); changed {
		raw.CRLs = asn1.RawValue{FullBytes: encodeTLV(0xA1, sortedConcat(merged))}
		for _, c := range choices {
			if len(c) > 0 && c[0] == 0xA1 && raw.Version < 5 {
				raw.Version = 5
			}
		}
	}
	return nil
}

// PrepareCountersignature builds the signed attributes of an RFC 5652
// §11.4 countersignature over signatureValue (the signature value of the
// SignerInfo being countersigned): message-digest = hash of
// signatureValue, no content-type, ESS signing-certificate-v2 and, when
// opts.SigningTime is set, signing-time. opts.Content and opts.ContentType
// must be unset. Finish the result with FinishSignerInfo and add it with
// AddCountersignature.
func PrepareCountersignature(cert *x509.Certificate, chain []*x509.Certificate, signatureValue []byte, opts Options) (*Prepared, error) {
	if opts.Content != nil || opts.ContentType != nil {
		return nil, fmt.Errorf("cms: a countersignature has no content or content type: %w", ErrFormat)
	}
	if len(signatureValue) == 0 {
		return nil, fmt.Errorf("cms: countersignature over an empty signature value: %w", ErrFormat)
	}
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if err := checkSigningHash(h); err != nil {
		return nil, err
	}
	return prepare(cert, chain, hashBytes(h, signatureValue), opts, true)
}

// IsCountersignature reports whether p was made by PrepareCountersignature.
func (p *Prepared) IsCountersignature() bool { return p.counter }

// Chain returns the certificates that issued the signer certificate.
func (p *Prepared) Chain() []*x509.Certificate { return append([]*x509.Certificate(nil), p.chain...) }

// FinishSignerInfo returns the DER SignerInfo made with sig (a raw
// signature over Digest(), checked against the certificate first), for a
// countersignature attribute. It fails on a Prepared that is not a
// countersignature.
func (p *Prepared) FinishSignerInfo(sig []byte) ([]byte, error) {
	if !p.counter {
		return nil, fmt.Errorf("cms: FinishSignerInfo on a prepared SignedData (use Finish): %w", ErrBadState)
	}
	if len(sig) == 0 {
		return nil, fmt.Errorf("cms: finish: empty signature: %w", signer.ErrBadSignature)
	}
	sig = NormalizeSignature(p.cert.PublicKey, sig)
	if err := signer.CheckSignature(p.cert.PublicKey, p.digest, p.SignerOpts(), sig); err != nil {
		return nil, fmt.Errorf("cms: finish countersignature for %q: %w", p.cert.Subject.CommonName, err)
	}
	si, _, err := p.signerInfo(sig)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(si)
}

// AddCountersignature returns cmsDER with the DER SignerInfo counter (from
// FinishSignerInfo) added as a countersignature unsigned attribute of
// SignerInfo index, and certs (the countersigner's certificate and chain)
// added to SignedData.certificates. The countersignature must sign that
// SignerInfo's signature value.
func AddCountersignature(cmsDER []byte, index int, counter []byte, certs []*x509.Certificate) ([]byte, error) {
	sd, err := Parse(cmsDER)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(sd.SignerInfos) {
		return nil, fmt.Errorf("cms: no SignerInfo %d (the SignedData has %d): %w", index, len(sd.SignerInfos), ErrFormat)
	}
	cs, err := parseCountersignature(counter)
	if err != nil {
		return nil, err
	}
	var cert *x509.Certificate
	for _, c := range certs {
		if c != nil && cs.matchesCert(c) {
			cert = c
		}
	}
	if cert == nil {
		return nil, fmt.Errorf("cms: countersignature: %w", ErrNoSignerCertificate)
	}
	if err := verifyCounter(sd.SignerInfos[index], cs, cert); err != nil {
		return nil, err
	}
	out, err := AddUnsignedAttributes(cmsDER, index, Attribute{Type: OIDAttrCounterSignature, Values: []asn1.RawValue{{FullBytes: counter}}})
	if err != nil {
		return nil, err
	}
	var raw [][]byte
	for _, c := range certs {
		if c != nil {
			raw = append(raw, c.Raw)
		}
	}
	return addRawValidation(out, raw, nil)
}

// parseCountersignature parses one countersignature attribute value.
func parseCountersignature(der []byte) (*SignerInfo, error) {
	var r signerInfoASN
	if err := unmarshalExact(der, &r); err != nil {
		return nil, formatErr("countersignature SignerInfo: %v", err)
	}
	h, err := hashFromAlgorithm(r.DigestAlgorithm)
	if err != nil {
		return nil, err
	}
	si, err := parseSignerInfo(r, &SignedData{DigestAlgorithms: []crypto.Hash{h}}, 1, true)
	if err != nil {
		return nil, err
	}
	if si.RawSignedAttrs == nil {
		// Without signed attributes the signature would be over the
		// parent's signature value itself; CAdES requires them.
		return nil, formatErr("countersignature without signed attributes")
	}
	return si, nil
}

// Countersignatures parses the countersignature unsigned attributes of si
// (RFC 5652 §11.4), in order. A value that does not parse is an error
// wrapping ErrFormat.
func (si *SignerInfo) Countersignatures() ([]*SignerInfo, error) {
	var out []*SignerInfo
	for i, v := range si.UnsignedAttribute(OIDAttrCounterSignature) {
		cs, err := parseCountersignature(v)
		if err != nil {
			return out, fmt.Errorf("cms: countersignature %d: %w", i+1, err)
		}
		out = append(out, cs)
	}
	return out, nil
}

// VerifyCountersignature checks cs, a countersignature of parent (from
// parent.Countersignatures()): its signer certificate is in sd, its
// message-digest is the hash of parent's signature value, its ESS
// signing-certificate(-v2) attribute names that certificate and its
// signature covers its signed attributes. Like Verify it makes no trust
// decision.
func (sd *SignedData) VerifyCountersignature(parent, cs *SignerInfo) error {
	cert, err := sd.SignerCertificate(cs)
	if err != nil {
		return err
	}
	return verifyCounter(parent, cs, cert)
}

func verifyCounter(parent, cs *SignerInfo, cert *x509.Certificate) error {
	opts, err := cs.SignerOpts(cert.PublicKey)
	if err != nil {
		return err
	}
	md, err := cs.MessageDigest()
	if err != nil {
		return err
	}
	if !bytes.Equal(md, hashBytes(cs.Hash, parent.Signature)) {
		return fmt.Errorf("cms: countersignature message-digest does not match the countersigned signature value: %w", ErrHashMismatch)
	}
	if err := checkESS(cs, cert); err != nil {
		return err
	}
	if err := signer.CheckSignature(cert.PublicKey, hashBytes(cs.Hash, cs.RawSignedAttrs), opts, cs.Signature); err != nil {
		return fmt.Errorf("cms: countersigner %q: %w: %w", cert.Subject.CommonName, ErrSignatureInvalid, err)
	}
	return nil
}

// SigningTimeOfAttributes returns the signing-time in a DER SET OF
// signed attributes (as Prepared.SignedAttributes returns), and false when
// there is none.
func SigningTimeOfAttributes(set []byte) (time.Time, bool, error) {
	var v asn1.RawValue
	if len(set) == 0 || set[0] != 0x31 || unmarshalExact(set, &v) != nil {
		return time.Time{}, false, formatErr("signed attributes are not a DER SET")
	}
	attrs, err := parseAttributes(v.Bytes)
	if err != nil {
		return time.Time{}, false, err
	}
	return (&SignerInfo{SignedAttributes: attrs}).SigningTime()
}
