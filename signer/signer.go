// Package signer defines the Signer interface that every kyso key backend
// implements, and software keys (PKCS#12, PEM/DER, any crypto.Signer).
//
// A Signer is a private key plus the certificate chain that names it. Format
// packages (pdf, xml) compute a digest and ask a Signer to sign it; they never
// know whether the key lives in memory, on a USB token (package pkcs11) or on
// a SIM card behind a mobile operator (package simpki).
//
// # Entry points
//
//   - [New] turns any crypto.Signer (an HSM library, a cloud KMS client, an
//     in-memory key) plus its certificate chain into a Signer.
//   - [CryptoSigner] turns any Signer back into a standard crypto.Signer.
//   - [LoadPKCS12], [LoadPEM] and friends load software keys.
//   - [ParseIdentity] reads Vietnamese subject identifiers (CCCD, MST, …).
//
// Software keys: [LoadPKCS12] and [LoadPKCS12File] read legacy (3DES/RC2,
// SHA-1 MAC), OpenSSL 3 (AES-256, PBKDF2), PBMAC1 and BER files; [LoadPEM]
// and [LoadKeyPair] read PKCS#1, PKCS#8, SEC 1 and encrypted PKCS#8. The chain
// is ordered from the key's certificate up, nearest issuer first.
//
// RSA-PSS: a Signer that wants PSS implements [PSSPreferrer] (set with
// [WithPSS], or [PSS]); format packages call [PrefersPSS] when their caller
// has not chosen a scheme and then pass *rsa.PSSOptions with
// rsa.PSSSaltLengthEqualsHash to SignDigest, which always signs as its opts
// say.
//
// # Errors
//
// Errors wrap the package's sentinels (or an error of the key
// or the context); match them with errors.Is: [ErrWrongPassword],
// [ErrNoKey], [ErrNoCertificate], [ErrKeyMismatch] and [ErrNegativeSerial]
// for the key files, [ErrBadSubject] for a subject to encode,
// [ErrUnsupportedAlgorithm] and [ErrBadSignature] for signing. The backends
// reuse the last two and ErrWrongPassword: a wrong token or service PIN
// matches ErrWrongPassword, and a signature that does not verify under the
// certificate is refused with ErrBadSignature.
package signer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
)

// Signer is a private key together with its certificate chain.
//
// SignDigest signs a digest that the caller has already computed with the hash
// named by opts.HashFunc(). opts is a crypto.Hash for RSA PKCS#1 v1.5 and
// ECDSA, or a *rsa.PSSOptions for RSA-PSS. RSA signatures are returned as the
// raw signature value, ECDSA signatures as ASN.1 DER SEQUENCE{r, s}.
//
// SignDigest must honour ctx: a SIM PKI user may take minutes to confirm, and a
// caller must be able to give up. Implementations are safe for concurrent use
// unless documented otherwise.
type Signer interface {
	// Certificate returns the signer's end-entity certificate.
	Certificate() *x509.Certificate
	// Chain returns the issuing certificates, nearest issuer first. It may
	// omit the root and may be empty when the backend does not know them.
	Chain() []*x509.Certificate
	// SignDigest signs digest, which was computed with opts.HashFunc().
	SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// Sentinel errors shared by all backends. Match them with errors.Is.
var (
	// ErrWrongPassword: the password or PIN was not accepted.
	ErrWrongPassword = errors.New("signer: wrong password")
	// ErrNoKey: the input holds no private key.
	ErrNoKey = errors.New("signer: no private key found")
	// ErrNoCertificate: the input holds no certificate for the key.
	ErrNoCertificate = errors.New("signer: no certificate found")
	// ErrKeyMismatch: the private key does not belong to the certificate.
	ErrKeyMismatch = errors.New("signer: private key does not match certificate")
	// ErrUnsupportedAlgorithm: the key type, size, curve or hash is not supported.
	ErrUnsupportedAlgorithm = errors.New("signer: unsupported algorithm")
	// ErrBadSignature: a backend returned a signature that does not verify
	// under the signer's certificate. It is never handed to the caller.
	ErrBadSignature = errors.New("signer: signature does not verify under the certificate")
	// ErrNegativeSerial: a certificate inside a PKCS#12 file has a negative
	// serial number, which the PKCS#12 decoder (through crypto/x509)
	// refuses unless the process runs with GODEBUG x509negativeserial=1.
	// LoadPEM, LoadKeyPair and ParseCertificates read such certificates
	// whatever the setting.
	ErrNegativeSerial = errors.New("signer: certificate with a negative serial number")
)

// keySigner wraps a crypto.Signer with its chain.
type keySigner struct {
	key   crypto.Signer
	cert  *x509.Certificate
	chain []*x509.Certificate
}

// New returns a Signer for key, whose certificate is cert, issued by chain
// (nearest issuer first). It fails with ErrKeyMismatch when key's public key
// is not the one in cert, and with ErrUnsupportedAlgorithm for keys other
// than RSA (1024 to 8192 bits, so that old material still loads; weak keys
// are refused by the verification policy) and ECDSA (P-256, P-384, P-521).
//
// key may be any crypto.Signer: an *rsa.PrivateKey, an *ecdsa.PrivateKey, an
// HSM or cloud KMS client. Keys that do not honour context cancellation are
// still cancellable before the call starts.
func New(key crypto.Signer, cert *x509.Certificate, chain ...*x509.Certificate) (Signer, error) {
	if key == nil {
		return nil, ErrNoKey
	}
	if cert == nil {
		return nil, ErrNoCertificate
	}
	if err := checkKeyAlgorithm(cert.PublicKey); err != nil {
		return nil, err
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("%w (certificate %q)", ErrKeyMismatch, cert.Subject.CommonName)
	}
	return &keySigner{key: key, cert: cert, chain: append([]*x509.Certificate(nil), chain...)}, nil
}

func (s *keySigner) Certificate() *x509.Certificate { return s.cert }
func (s *keySigner) Chain() []*x509.Certificate     { return append([]*x509.Certificate(nil), s.chain...) }

func (s *keySigner) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	if err := checkDigest(digest, opts); err != nil {
		return nil, err
	}
	var (
		sig []byte
		err error
	)
	if cs, ok := s.key.(interface {
		SignContext(context.Context, io.Reader, []byte, crypto.SignerOpts) ([]byte, error)
	}); ok {
		sig, err = cs.SignContext(ctx, rand.Reader, digest, opts)
	} else {
		sig, err = s.key.Sign(rand.Reader, digest, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("signer: signing with %q: %w", s.cert.Subject.CommonName, err)
	}
	return sig, nil
}

// CryptoSigner returns s as a standard crypto.Signer whose Sign method signs
// with ctx. The rand argument of Sign is ignored: the backend chooses its own
// randomness (software keys use crypto/rand).
func CryptoSigner(ctx context.Context, s Signer) crypto.Signer {
	return &cryptoSigner{ctx: ctx, s: s}
}

type cryptoSigner struct {
	ctx context.Context
	s   Signer
}

func (c *cryptoSigner) Public() crypto.PublicKey { return c.s.Certificate().PublicKey }

func (c *cryptoSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return c.s.SignDigest(c.ctx, digest, opts)
}
