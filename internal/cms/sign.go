package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"

	"fmt"
	"math/big"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// Options control the SignedData that Prepare and Sign build.
type Options struct {
	// Hash is the digest algorithm of the content digest and of the
	// signature: crypto.SHA256 (the default when zero), SHA384, SHA512,
	// or SHA3_256, SHA3_384, SHA3_512 (Circular 15/2025 allows SHA-3; the
	// signer backend must support it too).
	Hash crypto.Hash
	// PSS selects RSASSA-PSS (salt length = hash length) for RSA keys
	// instead of PKCS#1 v1.5.
	PSS bool
	// SigningTime, when not zero, adds the signing-time signed attribute.
	// PAdES forbids it (the time goes into the PDF /M entry): leave it zero.
	// A CAdES baseline signature (a .p7s, ETSI EN 319 122-1 B-B) needs it.
	SigningTime time.Time
	// ContentType is the eContentType; nil means id-data.
	ContentType asn1.ObjectIdentifier
	// Content, when not nil, is encapsulated in the SignedData (for
	// example a TSTInfo). When nil the SignedData is detached.
	Content []byte
	// SignedAttributes are added to content-type, message-digest,
	// signing-certificate-v2 (and signing-time): for example a
	// signature-policy (CAdES-EPES) or adbe-revocationInfoArchival.
	// They must not repeat those four.
	SignedAttributes []Attribute
	// UnsignedAttributes are added to the SignerInfo unsigned attributes.
	UnsignedAttributes []Attribute
}

// Prepared is a SignedData waiting for its signature value: the first phase
// of two-phase signing. It is immutable and safe for concurrent use.
//
// Digest returns what the key must sign; Finish assembles the SignedData
// from the signature. MarshalBinary serialises the state (the signed
// attributes are fixed bytes, so finishing later, in another process, gives
// a valid result).
type Prepared struct {
	hash          crypto.Hash
	pss           bool
	cert          *x509.Certificate
	chain         []*x509.Certificate
	contentDigest []byte
	contentType   asn1.ObjectIdentifier
	content       []byte // nil when detached
	signedAttrs   []byte // DER SET OF Attribute (tag 0x31)
	unsigned      []Attribute
	digest        []byte
	counter       bool // a countersignature: no content-type attribute
}

// Prepare builds the signed attributes of a SignedData for content whose
// digest (computed with opts.Hash) is contentDigest, signed by cert, which
// chain issued (nearest first). When opts.Content is set, contentDigest may
// be nil; otherwise it must be the hash of the content.
//
// The key must then sign p.Digest() with p.SignerOpts(); p.Finish takes the
// signature.
func Prepare(cert *x509.Certificate, chain []*x509.Certificate, contentDigest []byte, opts Options) (*Prepared, error) {
	return prepare(cert, chain, contentDigest, opts, false)
}

func prepare(cert *x509.Certificate, chain []*x509.Certificate, contentDigest []byte, opts Options, counter bool) (*Prepared, error) {
	if cert == nil {
		return nil, fmt.Errorf("cms: prepare: %w", signer.ErrNoCertificate)
	}
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if err := checkSigningHash(h); err != nil {
		return nil, err
	}
	if _, err := signatureAlgorithmID(cert.PublicKey, h, opts.PSS); err != nil {
		return nil, err
	}
	if opts.Content != nil {
		sum := h.New()
		sum.Write(opts.Content)
		d := sum.Sum(nil)
		if contentDigest != nil && !bytes.Equal(d, contentDigest) {
			return nil, fmt.Errorf("cms: prepare: content digest does not match the encapsulated content: %w", ErrHashMismatch)
		}
		contentDigest = d
	}
	if len(contentDigest) != h.Size() {
		return nil, fmt.Errorf("cms: prepare: content digest is %d bytes, %v needs %d", len(contentDigest), h, h.Size())
	}
	ct := opts.ContentType
	if ct == nil {
		ct = OIDData
	}
	attrs := make([]Attribute, 0, 4+len(opts.SignedAttributes))
	add := func(oid asn1.ObjectIdentifier, v any) error {
		a, err := NewAttribute(oid, v)
		if err != nil {
			return fmt.Errorf("cms: encoding attribute %v: %w", oid, err)
		}
		attrs = append(attrs, a)
		return nil
	}
	if !counter {
		if err := add(OIDAttrContentType, ct); err != nil {
			return nil, err
		}
	}
	if err := add(OIDAttrMessageDigest, contentDigest); err != nil {
		return nil, err
	}
	if !opts.SigningTime.IsZero() {
		if err := add(OIDAttrSigningTime, opts.SigningTime.UTC().Truncate(time.Second)); err != nil {
			return nil, err
		}
	}
	ess, err := signingCertificateV2Value(cert)
	if err != nil {
		return nil, err
	}
	attrs = append(attrs, Attribute{Type: OIDAttrSigningCertV2, Values: []asn1.RawValue{{FullBytes: ess}}})
	for _, a := range opts.SignedAttributes {
		for _, have := range attrs {
			if have.Type.Equal(a.Type) {
				return nil, fmt.Errorf("cms: prepare: signed attribute %v given twice: %w", a.Type, ErrFormat)
			}
		}
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("cms: prepare: signed attribute %v has no value: %w", a.Type, ErrFormat)
		}
		attrs = append(attrs, a)
	}
	der, err := encodeAttributes(attrs)
	if err != nil {
		return nil, fmt.Errorf("cms: encoding signed attributes: %w", err)
	}
	p := &Prepared{
		hash:          h,
		pss:           opts.PSS,
		cert:          cert,
		chain:         append([]*x509.Certificate(nil), chain...),
		contentDigest: append([]byte(nil), contentDigest...),
		contentType:   append(asn1.ObjectIdentifier(nil), ct...),
		signedAttrs:   der,
		unsigned:      append([]Attribute(nil), opts.UnsignedAttributes...),
		counter:       counter,
	}
	if opts.Content != nil {
		p.content = append([]byte{}, opts.Content...)
	}
	p.digest = p.hashOf(der)
	return p, nil
}

func (p *Prepared) hashOf(b []byte) []byte {
	h := p.hash.New()
	h.Write(b)
	return h.Sum(nil)
}

// Digest returns the hash of the DER SET OF signed attributes: the digest
// the signer's key must sign.
func (p *Prepared) Digest() []byte { return append([]byte(nil), p.digest...) }

// SignerOpts returns the options to sign Digest with: a crypto.Hash, or an
// *rsa.PSSOptions with salt length equal to the hash length.
func (p *Prepared) SignerOpts() crypto.SignerOpts {
	if p.pss {
		return &rsa.PSSOptions{SaltLength: p.hash.Size(), Hash: p.hash}
	}
	return p.hash
}

// ContentDigest returns the content digest the signed attributes bind.
func (p *Prepared) ContentDigest() []byte { return append([]byte(nil), p.contentDigest...) }

// Certificate returns the signer certificate.
func (p *Prepared) Certificate() *x509.Certificate { return p.cert }

// SignedAttributes returns the DER SET OF signed attributes (tag 0x31).
func (p *Prepared) SignedAttributes() []byte { return append([]byte(nil), p.signedAttrs...) }

// Finish assembles the DER ContentInfo from sig, the signature over
// Digest(). sig may be a raw RSA signature, an ECDSA signature in ASN.1 DER or
// raw r‖s form, or a whole CMS SignedData from a backend that builds its own:
//   - a SignedData without signed attributes has its signature value taken
//     (it must sign Digest());
//   - a SignedData whose message-digest is the original content digest is
//     verified and returned as it is (re-encoded as DER if it was BER);
//   - anything else fails with ErrUnusableCMS.
//
// The signature is always verified against the certificate first; a
// signature that does not verify fails with signer.ErrBadSignature and
// nothing is returned.
func (p *Prepared) Finish(sig []byte) ([]byte, error) {
	if len(sig) == 0 {
		return nil, fmt.Errorf("cms: finish: empty signature: %w", signer.ErrBadSignature)
	}
	if isContentInfo(toDER(sig)) {
		return p.finishFromCMS(sig)
	}
	return p.finishRaw(sig)
}

// finishRaw checks and embeds a raw signature value.
func (p *Prepared) finishRaw(sig []byte) ([]byte, error) {
	sig = NormalizeSignature(p.cert.PublicKey, sig)
	if err := signer.CheckSignature(p.cert.PublicKey, p.digest, p.SignerOpts(), sig); err != nil {
		return nil, fmt.Errorf("cms: finish: signature for %q: %w", p.cert.Subject.CommonName, err)
	}
	return p.assemble(sig)
}

// isContentInfo reports whether b parses as a ContentInfo (an OID then [0]).
func isContentInfo(b []byte) bool {
	var ci contentInfo
	if err := unmarshalExact(b, &ci); err != nil {
		return false
	}
	return len(ci.ContentType) > 0 && len(ci.Content.FullBytes) > 0
}

func (p *Prepared) finishFromCMS(der []byte) ([]byte, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, fmt.Errorf("cms: finish: backend returned a CMS: %w", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("cms: finish: backend CMS has %d signers: %w", len(sd.SignerInfos), ErrUnusableCMS)
	}
	si := sd.SignerInfos[0]
	if !si.matchesCert(p.cert) {
		return nil, fmt.Errorf("cms: finish: backend CMS is signed by another certificate: %w", ErrUnusableCMS)
	}
	if si.Hash != p.hash {
		return nil, fmt.Errorf("cms: finish: backend CMS uses %v, prepared for %v: %w", si.Hash, p.hash, ErrUnusableCMS)
	}
	if si.RawSignedAttrs == nil {
		// The backend signed our digest as opaque data; its signature
		// value is the raw signature we asked for.
		return p.finishRaw(si.Signature)
	}
	md, err := si.MessageDigest()
	if err != nil {
		return nil, fmt.Errorf("cms: finish: backend CMS: %w", err)
	}
	if !bytes.Equal(md, p.contentDigest) {
		return nil, fmt.Errorf("cms: finish: backend CMS signs other data (message-digest %x): %w", md, ErrUnusableCMS)
	}
	if err := sd.Verify(p.contentDigest); err != nil {
		return nil, fmt.Errorf("cms: finish: backend CMS does not verify: %w", err)
	}
	return append([]byte(nil), toDER(der)...), nil
}

// NormalizeSignature converts a raw r‖s ECDSA signature (what PKCS#11,
// MSSPs and remote signing services may return) to ASN.1 DER; DER ECDSA and
// other signatures are returned unchanged.
func NormalizeSignature(pub crypto.PublicKey, sig []byte) []byte {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return sig
	}
	var v struct{ R, S *big.Int }
	if unmarshalExact(sig, &v) == nil {
		return sig
	}
	size := (k.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return sig
	}
	v.R = new(big.Int).SetBytes(sig[:size])
	v.S = new(big.Int).SetBytes(sig[size:])
	der, err := asn1.Marshal(v)
	if err != nil {
		return sig
	}
	return der
}

// signerInfo builds the SignerInfo carrying sig (already checked) over the
// prepared signed attributes, and returns it with its digest algorithm.
func (p *Prepared) signerInfo(sig []byte) (signerInfoASN, pkix.AlgorithmIdentifier, error) {
	sigAlg, err := signatureAlgorithmID(p.cert.PublicKey, p.hash, p.pss)
	if err != nil {
		return signerInfoASN{}, pkix.AlgorithmIdentifier{}, err
	}
	digAlg, err := hashAlgorithmID(p.hash)
	if err != nil {
		return signerInfoASN{}, pkix.AlgorithmIdentifier{}, err
	}
	sid, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: p.cert.RawIssuer}, Serial: p.cert.SerialNumber})
	if err != nil {
		return signerInfoASN{}, pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: encoding signer identifier: %w", err)
	}
	si := signerInfoASN{
		Version:            1,
		SID:                asn1.RawValue{FullBytes: sid},
		DigestAlgorithm:    digAlg,
		SignedAttrs:        asn1.RawValue{FullBytes: retag(p.signedAttrs, 0xA0)},
		SignatureAlgorithm: sigAlg,
		Signature:          sig,
	}
	if len(p.unsigned) > 0 {
		u, err := encodeAttributes(p.unsigned)
		if err != nil {
			return signerInfoASN{}, pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: encoding unsigned attributes: %w", err)
		}
		si.UnsignedAttrs = asn1.RawValue{FullBytes: retag(u, 0xA1)}
	}
	return si, digAlg, nil
}

// assemble builds the ContentInfo around a verified signature.
func (p *Prepared) assemble(sig []byte) ([]byte, error) {
	si, digAlg, err := p.signerInfo(sig)
	if err != nil {
		return nil, err
	}
	sd := signedDataASN{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digAlg},
		EncapContentInfo: encapContentInfo{EContentType: p.contentType},
		Certificates:     certificateSet(append([]*x509.Certificate{p.cert}, p.chain...)),
		SignerInfos:      []signerInfoASN{si},
	}
	if !p.contentType.Equal(OIDData) {
		sd.Version = 3
	}
	if p.content != nil {
		oct, err := asn1.Marshal(p.content)
		if err != nil {
			return nil, err
		}
		sd.EncapContentInfo.EContent = asn1.RawValue{FullBytes: encodeTLV(0xA0, oct)}
	}
	return marshalContentInfo(sd)
}

func marshalContentInfo(sd signedDataASN) ([]byte, error) {
	inner, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("cms: encoding SignedData: %w", err)
	}
	out, err := asn1.Marshal(contentInfo{ContentType: OIDSignedData, Content: asn1.RawValue{FullBytes: encodeTLV(0xA0, inner)}})
	if err != nil {
		return nil, fmt.Errorf("cms: encoding ContentInfo: %w", err)
	}
	return out, nil
}

// certificateSet encodes [0] IMPLICIT CertificateSet without duplicates, in
// DER order: a SET OF is DER only when its elements are sorted by their
// encodings (X.690 §11.6), and ISO 32000 wants a DER PKCS#7 object in a PDF.
// The order carries no meaning: verifiers find the signer certificate by
// the SignerInfo's sid.
func certificateSet(certs []*x509.Certificate) asn1.RawValue {
	var items [][]byte
	for _, c := range certs {
		if c == nil {
			continue
		}
		dup := false
		for _, s := range items {
			if bytes.Equal(s, c.Raw) {
				dup = true
				break
			}
		}
		if !dup {
			items = append(items, c.Raw)
		}
	}
	return asn1.RawValue{FullBytes: encodeTLV(0xA0, sortedConcat(items))}
}

// retag returns a copy of der with its (one-byte) tag replaced.
func retag(der []byte, tag byte) []byte {
	out := append([]byte(nil), der...)
	out[0] = tag
	return out
}

// Sign builds a detached (or, with opts.Content, encapsulating) CMS
// SignedData over content whose digest is contentDigest, signed by s. It is
// Prepare, s.SignDigest and Finish in one call. RSA-PSS is used when
// opts.PSS is set or when s prefers it (signer.PrefersPSS, e.g. a key loaded
// with signer.WithPSS).
func Sign(ctx context.Context, s signer.Signer, contentDigest []byte, opts Options) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("cms: sign: %w", signer.ErrNoKey)
	}
	if !opts.PSS && signer.PrefersPSS(s) {
		opts.PSS = true
	}
	p, err := Prepare(s.Certificate(), s.Chain(), contentDigest, opts)
	if err != nil {
		return nil, err
	}
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	if err != nil {
		return nil, fmt.Errorf("cms: sign: %w", err)
	}
	return p.Finish(sig)
}
