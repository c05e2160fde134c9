package wire

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CMSSignature is the one SignerInfo of a CMS SignedData returned by an MSSP,
// with the certificates the SignedData carried.
type CMSSignature struct {
	// Hash is the SignerInfo digest algorithm.
	Hash crypto.Hash
	// SignatureAlgorithm is the SignerInfo signature algorithm OID.
	SignatureAlgorithm asn1.ObjectIdentifier
	// SignedAttrs is the DER of the signed attributes re-tagged as a SET (what
	// is hashed and signed), or nil when the SignerInfo has none — then the
	// signature is directly over the content digest.
	SignedAttrs []byte
	// MessageDigest is the messageDigest signed attribute, if any.
	MessageDigest []byte
	// Signature is the SignerInfo signature value.
	Signature []byte
	// Signer is the certificate the SignerInfo names, found among
	// Certificates (nil when it is not there).
	Signer *x509.Certificate
	// Certificates are all certificates of the SignedData, in order.
	Certificates []*x509.Certificate

	// The SignerInfo's sid: issuer and serial number, or a subject key
	// identifier.
	sidIssuer []byte
	sidSerial *big.Int
	sidSKI    []byte
}

// Names reports whether the SignerInfo's sid identifies c.
func (cs *CMSSignature) Names(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	if cs.sidSKI != nil {
		return len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, cs.sidSKI)
	}
	return cs.sidSerial != nil && c.SerialNumber != nil && c.SerialNumber.Cmp(cs.sidSerial) == 0 &&
		bytes.Equal(c.RawIssuer, cs.sidIssuer)
}

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}

	// OIDRSA is rsaEncryption, the SignerInfo signature algorithm of RSA
	// PKCS#1 v1.5 signatures.
	OIDRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:   {1, 3, 14, 3, 2, 26},
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

var ecdsaOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:   {1, 2, 840, 10045, 4, 1},
	crypto.SHA256: {1, 2, 840, 10045, 4, 3, 2},
	crypto.SHA384: {1, 2, 840, 10045, 4, 3, 3},
	crypto.SHA512: {1, 2, 840, 10045, 4, 3, 4},
}

// ECDSASignatureOID returns the ecdsa-with-SHAx OID for h.
func ECDSASignatureOID(h crypto.Hash) asn1.ObjectIdentifier { return ecdsaOIDs[h] }

// ErrCMS marks a CMS structure the parser does not accept.
var ErrCMS = errors.New("malformed CMS SignedData")

func cmsErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCMS}, args...)...)
}

// ParseCMS parses a DER ContentInfo holding a SignedData with exactly one
// SignerInfo.
func ParseCMS(der []byte) (*CMSSignature, error) {
	in := cryptobyte.String(der)
	var ci, content cryptobyte.String
	var ctype asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, cmsErr("not a DER SEQUENCE")
	}
	if !ci.ReadASN1ObjectIdentifier(&ctype) || !ctype.Equal(oidSignedData) {
		return nil, cmsErr("content type is not signedData")
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() {
		return nil, cmsErr("missing content")
	}
	var sd cryptobyte.String
	if !content.ReadASN1(&sd, cbasn1.SEQUENCE) || !content.Empty() {
		return nil, cmsErr("SignedData is not a SEQUENCE")
	}
	var version int64
	var digestAlgs, encap, signerInfos cryptobyte.String
	if !sd.ReadASN1Integer(&version) || !sd.ReadASN1(&digestAlgs, cbasn1.SET) || !sd.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, cmsErr("bad SignedData header")
	}
	var eType asn1.ObjectIdentifier
	if !encap.ReadASN1ObjectIdentifier(&eType) {
		return nil, cmsErr("bad encapContentInfo")
	}
	out := &CMSSignature{}
	var certs cryptobyte.String
	var hasCerts bool
	if !sd.ReadOptionalASN1(&certs, &hasCerts, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, cmsErr("bad certificates")
	}
	for !certs.Empty() {
		var raw cryptobyte.String
		if !certs.ReadASN1Element(&raw, cbasn1.SEQUENCE) {
			return nil, cmsErr("certificate is not a SEQUENCE")
		}
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return nil, cmsErr("certificate: %v", err)
		}
		out.Certificates = append(out.Certificates, c)
	}
	if !sd.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		return nil, cmsErr("bad crls")
	}
	if !sd.ReadASN1(&signerInfos, cbasn1.SET) || !sd.Empty() {
		return nil, cmsErr("bad signerInfos")
	}
	var si cryptobyte.String
	if !signerInfos.ReadASN1(&si, cbasn1.SEQUENCE) {
		return nil, cmsErr("no SignerInfo")
	}
	if !signerInfos.Empty() {
		return nil, cmsErr("more than one SignerInfo")
	}
	var siVersion int64
	if !si.ReadASN1Integer(&siVersion) {
		return nil, cmsErr("bad SignerInfo version")
	}
	// sid: IssuerAndSerialNumber or [0] SubjectKeyIdentifier.
	var issuer []byte
	var serial *big.Int
	var ski []byte
	switch {
	case si.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias, iss cryptobyte.String
		serial = new(big.Int)
		if !si.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&iss, cbasn1.SEQUENCE) || !ias.ReadASN1Integer(serial) {
			return nil, cmsErr("bad IssuerAndSerialNumber")
		}
		issuer = iss
	case si.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		var k cryptobyte.String
		if !si.ReadASN1(&k, cbasn1.Tag(0).ContextSpecific()) {
			return nil, cmsErr("bad SubjectKeyIdentifier")
		}
		ski = k
	default:
		return nil, cmsErr("bad SignerIdentifier")
	}
	var digAlg cryptobyte.String
	var digOID asn1.ObjectIdentifier
	if !si.ReadASN1(&digAlg, cbasn1.SEQUENCE) || !digAlg.ReadASN1ObjectIdentifier(&digOID) {
		return nil, cmsErr("bad digestAlgorithm")
	}
	for h, oid := range hashOIDs {
		if oid.Equal(digOID) {
			out.Hash = h
		}
	}
	if out.Hash == 0 {
		return nil, cmsErr("unsupported digest algorithm %v", digOID)
	}
	if si.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var attrsElem cryptobyte.String
		if !si.ReadASN1Element(&attrsElem, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, cmsErr("bad signedAttrs")
		}
		// What is signed is the attributes with a SET OF tag.
		set := append([]byte(nil), attrsElem...)
		set[0] = 0x31
		out.SignedAttrs = set
		attrs := cryptobyte.String(attrsElem)
		var body cryptobyte.String
		if !attrs.ReadASN1(&body, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, cmsErr("bad signedAttrs")
		}
		for !body.Empty() {
			var a, vals cryptobyte.String
			var typ asn1.ObjectIdentifier
			if !body.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&typ) || !a.ReadASN1(&vals, cbasn1.SET) {
				return nil, cmsErr("bad attribute")
			}
			if typ.Equal(oidMessageDigest) {
				if out.MessageDigest != nil {
					// RFC 5652 §11.2: exactly one. Two could name two
					// documents, and verifiers differ on which counts.
					return nil, cmsErr("more than one messageDigest attribute")
				}
				var md cryptobyte.String
				if !vals.ReadASN1(&md, cbasn1.OCTET_STRING) || !vals.Empty() {
					return nil, cmsErr("bad messageDigest attribute")
				}
				out.MessageDigest = append([]byte(nil), md...)
			}
		}
		if out.MessageDigest == nil {
			return nil, cmsErr("signedAttrs without messageDigest")
		}
	}
	var sigAlg cryptobyte.String
	if !si.ReadASN1(&sigAlg, cbasn1.SEQUENCE) || !sigAlg.ReadASN1ObjectIdentifier(&out.SignatureAlgorithm) {
		return nil, cmsErr("bad signatureAlgorithm")
	}
	var sig cryptobyte.String
	if !si.ReadASN1(&sig, cbasn1.OCTET_STRING) || len(sig) == 0 {
		return nil, cmsErr("bad signature")
	}
	out.Signature = append([]byte(nil), sig...)
	if !si.SkipOptionalASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) || !si.Empty() {
		return nil, cmsErr("trailing data in SignerInfo")
	}
	out.sidIssuer, out.sidSerial, out.sidSKI = issuer, serial, ski
	if ski != nil {
		out.sidSKI = append([]byte{}, ski...)
	}
	for _, c := range out.Certificates {
		if ski != nil && bytes.Equal(c.SubjectKeyId, ski) {
			out.Signer = c
			break
		}
		if serial != nil && c.SerialNumber.Cmp(serial) == 0 && bytes.Equal(c.RawIssuer, issuer) {
			out.Signer = c
			break
		}
	}
	return out, nil
}

// BuildCMS returns a detached CMS SignedData (DER ContentInfo) without
// signed attributes whose signature, sig, is directly over the content digest
// computed with h. This is what an MSSP returns for a hash signed by a SIM.
func BuildCMS(h crypto.Hash, sigAlg asn1.ObjectIdentifier, sig []byte, cert *x509.Certificate, chain ...*x509.Certificate) ([]byte, error) {
	hashOID, ok := hashOIDs[h]
	if !ok {
		return nil, fmt.Errorf("wire: no OID for %v", h)
	}
	algID := func(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			if null {
				b.AddASN1NULL()
			}
		})
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { algID(b, hashOID, true) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddBytes(cert.Raw)
					for _, c := range chain {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						algID(b, hashOID, true)
						algID(b, sigAlg, sigAlg.Equal(OIDRSA))
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return b.Bytes()
}
