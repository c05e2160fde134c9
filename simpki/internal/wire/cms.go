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

	"github.com/kyso-vn/kyso/internal/cms"
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
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}

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

// ParseCMS parses a ContentInfo holding a SignedData with exactly one
// SignerInfo, with the project's one CMS parser (internal/cms), and
// returns what the client checks.
func ParseCMS(der []byte) (*CMSSignature, error) {
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, cmsErr("%v", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, cmsErr("%d SignerInfos, want one", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	if _, ok := hashOIDs[si.Hash]; !ok {
		return nil, cmsErr("unsupported digest algorithm %v", si.DigestAlgorithm.Algorithm)
	}
	out := &CMSSignature{
		Hash:               si.Hash,
		SignatureAlgorithm: si.SignatureAlgorithm.Algorithm,
		Signature:          append([]byte(nil), si.Signature...),
		Certificates:       sd.Certificates,
		sidIssuer:          si.Issuer,
		sidSerial:          si.SerialNumber,
		sidSKI:             si.SubjectKeyID,
	}
	if len(out.Signature) == 0 {
		return nil, cmsErr("empty signature")
	}
	if si.RawSignedAttrs != nil {
		out.SignedAttrs = si.RawSignedAttrs
		if out.MessageDigest, err = si.MessageDigest(); err != nil {
			return nil, cmsErr("%v", err)
		}
	}
	if c, err := sd.SignerCertificate(si); err == nil {
		out.Signer = c
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
