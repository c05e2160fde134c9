package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
)

// CSRAttribute is one attribute of a PKCS#10 request (RFC 2986
// CertificationRequestInfo.attributes): a type and its DER-encoded values.
type CSRAttribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte // each a complete DER value
}

var (
	oidExtensionRequest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 14}
	oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}
	oidSubjectAltName    = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// ChallengePassword returns the PKCS#9 challengePassword attribute some
// CAs ask for (to authorise a later revocation), as a UTF8String.
func ChallengePassword(password string) CSRAttribute {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(password)) })
	return CSRAttribute{Type: oidChallengePassword, Values: [][]byte{b.BytesOrPanic()}}
}

// EmailSAN returns a subjectAltName extension naming the holder's e-mail
// addresses (rfc822Name), to request through CSROptions.Extensions.
func EmailSAN(emails ...string) (pkix.Extension, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range emails {
			b.AddASN1(cbasn1.Tag(1).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte(e)) })
		}
	})
	for _, e := range emails {
		at := bytes.IndexByte([]byte(e), '@')
		if at <= 0 || at == len(e)-1 || !isASCII(e) {
			return pkix.Extension{}, fmt.Errorf("%w: e-mail address %q", signer.ErrBadSubject, e)
		}
	}
	v, err := b.Bytes()
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidSubjectAltName, Value: v}, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

// CSROptions describe a certificate request.
type CSROptions struct {
	// Subject is the requested subject, in encoding order (see
	// signer.ParseSubject, signer.UIDAttribute); text is written as
	// UTF8String. RawSubject, when set, is used as is instead.
	Subject    []signer.NameAttribute
	RawSubject []byte
	// Hash signs the request: zero means SHA-256 (SHA-384 for P-384 keys).
	Hash crypto.Hash
	// Extensions are requested in a PKCS#9 extensionRequest attribute
	// (subjectAltName from EmailSAN, key usages a CA asks to see, …).
	Extensions []pkix.Extension
	// Attributes are further request attributes (ChallengePassword, or
	// any a CA's profile asks for).
	Attributes []CSRAttribute
}

// ErrBadCSR: the request could not be built from the options.
var ErrBadCSR = errors.New("pkcs11: cannot build the certificate request")

// CertificateRequest builds a PKCS#10 certificate request (RFC 2986) for
// the key pair, signed on the token (the PIN callback may run), and returns
// its DER encoding. RSA keys sign with PKCS#1 v1.5, EC keys with ECDSA.
// The request is parsed and its signature checked before it is returned.
func (k *KeyPair) CertificateRequest(ctx context.Context, opts CSROptions) ([]byte, error) {
	subject := opts.RawSubject
	if subject == nil {
		var err error
		if subject, err = signer.MarshalSubject(opts.Subject); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
		}
	}
	spki, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %w", ErrBadCSR, err)
	}
	h, alg, err := csrAlgorithm(k.Public, opts.Hash)
	if err != nil {
		return nil, err
	}
	attrs := slices.Clone(opts.Attributes)
	if len(opts.Extensions) > 0 {
		exts, err := asn1.Marshal(opts.Extensions)
		if err != nil {
			return nil, fmt.Errorf("%w: extensions: %w", ErrBadCSR, err)
		}
		attrs = append(attrs, CSRAttribute{Type: oidExtensionRequest, Values: [][]byte{exts}})
	}
	for _, a := range attrs {
		for _, v := range a.Values {
			var rv asn1.RawValue
			if rest, err := asn1.Unmarshal(v, &rv); err != nil || len(rest) != 0 {
				return nil, fmt.Errorf("%w: attribute %v holds a value that is not one DER element", ErrBadCSR, a.Type)
			}
		}
	}
	var info cryptobyte.Builder
	info.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		b.AddBytes(subject)
		b.AddBytes(spki)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			for _, enc := range derSetOrder(encodeAttributes(attrs)) {
				b.AddBytes(enc)
			}
		})
	})
	tbs, err := info.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	hh := h.New()
	hh.Write(tbs)
	sig, err := k.Signer(ctx).Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		return nil, err
	}
	var req cryptobyte.Builder
	req.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(alg)
		b.AddASN1BitString(sig)
	})
	der, err := req.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	parsed, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: the request does not parse: %w", ErrBadCSR, err)
	}
	if err := parsed.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: the request's signature does not verify: %w", ErrBadCSR, err)
	}
	return der, nil
}

// encodeAttributes encodes each attribute as SEQUENCE{type, SET OF value}.
func encodeAttributes(attrs []CSRAttribute) [][]byte {
	out := make([][]byte, 0, len(attrs))
	for _, a := range attrs {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(a.Type)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				for _, v := range derSetOrder(a.Values) {
					b.AddBytes(v)
				}
			})
		})
		if enc, err := b.Bytes(); err == nil {
			out = append(out, enc)
		}
	}
	return out
}

// derSetOrder sorts the encodings of SET OF elements as DER requires.
func derSetOrder(elems [][]byte) [][]byte {
	s := slices.Clone(elems)
	slices.SortFunc(s, bytes.Compare)
	return s
}

// csrAlgorithm picks the hash (SHA-256, SHA-384 or SHA-512; by default
// SHA-256, or SHA-384 for a P-384 key) and the DER signatureAlgorithm.
func csrAlgorithm(pub crypto.PublicKey, h crypto.Hash) (crypto.Hash, []byte, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if h == 0 {
			h = crypto.SHA256
		}
	case *ecdsa.PublicKey:
		if h == 0 {
			h = crypto.SHA256
			if p.Curve == elliptic.P384() {
				h = crypto.SHA384
			}
		}
	default:
		return 0, nil, fmt.Errorf("pkcs11: key of type %T: %w", pub, signer.ErrUnsupportedAlgorithm)
	}
	if h != crypto.SHA256 && h != crypto.SHA384 && h != crypto.SHA512 {
		return 0, nil, fmt.Errorf("pkcs11: certificate request with %v: %w", h, signer.ErrUnsupportedAlgorithm)
	}
	alg, err := cms.SignatureAlgorithm(pub, h)
	if err != nil {
		return 0, nil, fmt.Errorf("pkcs11: certificate request with %v: %w: %w", h, signer.ErrUnsupportedAlgorithm, err)
	}
	der, err := asn1.Marshal(alg)
	if err != nil {
		return 0, nil, fmt.Errorf("pkcs11: certificate request algorithm: %w", err)
	}
	return h, der, nil
}
