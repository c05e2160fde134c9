package signer

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/kyso-vn/kyso/internal/certparse"
	legacypkcs12 "golang.org/x/crypto/pkcs12"
	"software.sslmate.com/src/go-pkcs12"
)

// Option adjusts how a software key is loaded.
type Option func(*loadOptions)

type loadOptions struct {
	pss   bool
	extra []*x509.Certificate
}

// WithPSS makes the loaded Signer prefer RSA-PSS: format packages that
// consult [PrefersPSS] sign with RSASSA-PSS (salt length = hash length)
// instead of PKCS#1 v1.5. It has no effect on ECDSA keys.
func WithPSS() Option { return func(o *loadOptions) { o.pss = true } }

// WithChain adds issuer certificates (intermediate and root CAs) to those
// found in the file, for files that hold only the signer's certificate. They
// are ordered into the chain like the file's own certificates.
func WithChain(certs ...*x509.Certificate) Option {
	return func(o *loadOptions) { o.extra = append(o.extra, certs...) }
}

// PSSPreferrer is implemented by Signers that ask for RSA-PSS. Format
// packages check it through [PrefersPSS] when the caller has not chosen a
// scheme. SignDigest itself always does what its opts say: a crypto.Hash
// means PKCS#1 v1.5, a *rsa.PSSOptions means PSS.
type PSSPreferrer interface {
	// PreferPSS reports whether RSA-PSS should be used by default.
	PreferPSS() bool
}

// PrefersPSS reports whether s holds an RSA key and asks for RSA-PSS
// signatures (see [WithPSS] and [PSS]).
func PrefersPSS(s Signer) bool {
	p, ok := s.(PSSPreferrer)
	if !ok || !p.PreferPSS() {
		return false
	}
	_, isRSA := s.Certificate().PublicKey.(*rsa.PublicKey)
	return isRSA
}

// PSS returns s marked as preferring RSA-PSS (see [PSSPreferrer]). Use it for
// Signers built with [New]; the loaders take [WithPSS] instead.
func PSS(s Signer) Signer { return pssSigner{s} }

type pssSigner struct{ Signer }

func (pssSigner) PreferPSS() bool { return true }

// LoadPKCS12 loads a key and its certificate chain from a PKCS#12 (.p12,
// .pfx) file: legacy files (RC2/3DES, SHA-1 MAC, as Windows and the
// Vietnamese CA tools export them), OpenSSL 3 files (PBES2 AES-256-CBC,
// PBKDF2, SHA-256 MAC) and RFC 9579 files (PBMAC1). The file must hold one
// private key. BER files (indefinite lengths, chunked strings, as
// BouncyCastle and EJBCA write them) are re-encoded as DER after their MAC
// has been checked. The signer's certificate is the one matching the
// key, whatever its place in the file, and the other certificates are
// ordered issuer by issuer, nearest first.
//
// Errors: ErrWrongPassword when the MAC does not verify with password (as
// it also does not for a file altered after export),
// ErrNoKey for a file without a key (a certificate export), ErrNoCertificate
// for a file without certificates, ErrKeyMismatch when no certificate belongs
// to the key, ErrUnsupportedAlgorithm for keys other than RSA and ECDSA
// P-256/P-384/P-521. Anything else means a damaged or unsupported file.
//
// A certificate with a negative serial number loads from a legacy file
// whatever the process's GODEBUG; from other files it needs GODEBUG
// x509negativeserial=1, else the error wraps ErrNegativeSerial.
func LoadPKCS12(data []byte, password string, opts ...Option) (Signer, error) {
	if err := checkPKCS12Work(data, 0); err != nil {
		return nil, err
	}
	der := data // what DecodeChain read: data, or its DER form
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil && strings.Contains(err.Error(), "asn1:") {
		// Perhaps BER, as BouncyCastle and EJBCA write it.
		b, berErr := pkcs12FromBER(data, password)
		switch {
		case berErr == nil:
			der = b
			key, cert, cas, err = pkcs12.DecodeChain(der, password)
		case !errors.Is(berErr, errBER):
			return nil, berErr
		}
	}
	if err != nil && strings.Contains(err.Error(), "negative serial number") {
		// go-pkcs12 parses certificates with crypto/x509, which refuses
		// negative serials. Legacy files (3DES/RC2, SHA-1 MAC, as the
		// Vietnamese CA tools export them) are read again without that
		// step; other files get ErrNegativeSerial with the way out.
		if s, lerr := loadLegacyPKCS12(der, password, opts); lerr == nil {
			return s, nil
		}
	}
	if err != nil {
		return nil, pkcs12Error(err)
	}
	k, err := checkedKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w (PKCS#12 file)", err)
	}
	return assemble(k, append([]*x509.Certificate{cert}, cas...), opts)
}

// loadLegacyPKCS12 reads a legacy PKCS#12 file in DER (MAC checked by
// golang.org/x/crypto/pkcs12) whose certificates are parsed by
// internal/certparse, so that negative serial numbers load.
func loadLegacyPKCS12(der []byte, password string, opts []Option) (Signer, error) {
	blocks, err := legacypkcs12.ToPEM(der, password)
	if err != nil {
		return nil, err
	}
	var key crypto.Signer
	var certs []*x509.Certificate
	for _, b := range blocks {
		switch b.Type {
		case "PRIVATE KEY": // PKCS#1 or SEC 1, despite the name
			if key != nil {
				return nil, fmt.Errorf("%w: more than one private key", ErrUnsupportedAlgorithm)
			}
			if key, err = parseDERKey(b.Bytes, ""); err != nil {
				return nil, err
			}
		case "CERTIFICATE":
			c, err := certparse.Parse(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signer: PKCS#12 certificate: %w", err)
			}
			certs = append(certs, c)
		}
	}
	if key == nil {
		return nil, ErrNoKey
	}
	return assemble(key, certs, opts)
}

// LoadPKCS12File is [LoadPKCS12] on the contents of the file at path.
func LoadPKCS12File(path, password string, opts ...Option) (Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	s, err := LoadPKCS12(data, password, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// pkcs12Error maps go-pkcs12's errors to the signer sentinels. Some are plain
// strings in go-pkcs12 v0.7.4 and in crypto/x509; the tests pin them.
func pkcs12Error(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "negative serial number"):
		return fmt.Errorf("%w (PKCS#12: the file's certificate was refused by crypto/x509; add //go:debug x509negativeserial=1 to the main package or run with GODEBUG=x509negativeserial=1, or export key and certificate as PEM and use LoadKeyPair, which reads such certificates itself)", ErrNegativeSerial)
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return fmt.Errorf("%w (PKCS#12 MAC does not verify)", ErrWrongPassword)
	case strings.Contains(msg, "cannot be encoded in UCS-2"):
		return fmt.Errorf("%w (PKCS#12: %v)", ErrWrongPassword, err)
	case strings.HasSuffix(msg, "private key missing"):
		return fmt.Errorf("%w in PKCS#12 file", ErrNoKey)
	case strings.HasSuffix(msg, "certificate missing"):
		return fmt.Errorf("%w in PKCS#12 file", ErrNoCertificate)
	case strings.Contains(msg, "unknown algorithm"),
		strings.Contains(msg, "unknown elliptic curve"),
		strings.Contains(msg, "unsupported elliptic curve"),
		strings.Contains(msg, "unknown private key type"):
		return fmt.Errorf("%w: PKCS#12 key: %v", ErrUnsupportedAlgorithm, err)
	}
	var ni pkcs12.NotImplementedError
	if errors.As(err, &ni) && strings.Contains(msg, "algorithm") {
		return fmt.Errorf("%w: %v", ErrUnsupportedAlgorithm, err)
	}
	return fmt.Errorf("signer: reading PKCS#12: %w", err)
}

// LoadPEM loads a key and its certificates from one PEM bundle, as written by
// `openssl pkcs12 -nodes` or by concatenating a key file and certificate
// files. The key may be PKCS#1, SEC 1, PKCS#8 or encrypted PKCS#8 (see
// [ParsePrivateKey]); password is used only for an encrypted key. Blocks of
// other types and text between blocks are ignored. The bundle must hold
// exactly one private key.
func LoadPEM(data []byte, password string, opts ...Option) (Signer, error) {
	if !isPEM(data) {
		return nil, fmt.Errorf("%w: input is not PEM", ErrNoKey)
	}
	var (
		key      crypto.Signer
		certs    []*x509.Certificate
		rest     = data
		keyBlock string
	)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case isKeyBlock(block.Type):
			if key != nil || keyBlock != "" {
				return nil, fmt.Errorf("signer: PEM bundle holds more than one private key (%s and %s)", keyBlock, block.Type)
			}
			k, err := parsePEMKey(block, password)
			if err != nil {
				return nil, err
			}
			key, keyBlock = k, block.Type
		default:
			cs, err := certparse.ParsePEMBlock(block)
			if err != nil {
				return nil, fmt.Errorf("signer: parsing PEM %s: %w", block.Type, err)
			}
			certs = append(certs, cs...)
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%w in PEM bundle", ErrNoKey)
	}
	return assemble(key, certs, opts)
}

// LoadKeyPair loads a key and its certificates given separately, each in PEM
// or DER: key as for [ParsePrivateKey], certs as one or more PEM
// "CERTIFICATE" blocks, one DER certificate, concatenated DER certificates,
// or a PKCS#7 certificate bundle (.p7b/.p7c, PEM or DER). password is used
// only for an encrypted key.
func LoadKeyPair(key, certs []byte, password string, opts ...Option) (Signer, error) {
	k, err := ParsePrivateKey(key, password)
	if err != nil {
		return nil, err
	}
	cs, err := ParseCertificates(certs)
	if err != nil {
		return nil, err
	}
	return assemble(k, cs, opts)
}

// ParseCertificates parses certificates from PEM ("CERTIFICATE", "TRUSTED
// CERTIFICATE" and "PKCS7" blocks) or DER (one certificate, concatenated
// certificates, or a PKCS#7 certs-only SignedData). It fails with
// ErrNoCertificate when there is none. Certificates with negative serial
// numbers are read whatever the process's GODEBUG setting, and Microsoft's
// application-policies extension counts as handled (see
// internal/certparse).
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	certs, err := certparse.ParseBundle(data)
	switch {
	case errors.Is(err, certparse.ErrNoCertificates):
		return nil, fmt.Errorf("%w%s", ErrNoCertificate, strings.TrimPrefix(err.Error(), certparse.ErrNoCertificates.Error()))
	case err != nil:
		return nil, fmt.Errorf("signer: parsing certificates: %w", err)
	}
	return certs, nil
}

// assemble finds the certificate that belongs to key, orders the others into
// its chain and builds the Signer.
func assemble(key crypto.Signer, certs []*x509.Certificate, opts []Option) (Signer, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	certs = append(certs, o.extra...)
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	leafIdx := -1
	for i, c := range certs {
		if c != nil && publicKeysEqual(key.Public(), c.PublicKey) {
			leafIdx = i
			break
		}
	}
	if leafIdx < 0 {
		first := certs[0]
		return nil, fmt.Errorf("%w: none of the %d certificates (first %q) is for this key",
			ErrKeyMismatch, len(certs), first.Subject.CommonName)
	}
	leaf := certs[leafIdx]
	s, err := New(key, leaf, orderChain(leaf, certs)...)
	if err != nil {
		return nil, err
	}
	if o.pss {
		if _, ok := key.Public().(*rsa.PublicKey); ok {
			s = pssSigner{s}
		}
	}
	return s, nil
}

// orderChain returns the certificates of pool other than leaf, issuer by
// issuer starting from leaf's, then any that are not on that path in their
// original order. Duplicates are dropped.
func orderChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	seen := map[string]bool{string(leaf.Raw): true}
	var rest []*x509.Certificate
	for _, c := range pool {
		if c == nil || seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		rest = append(rest, c)
	}
	var chain []*x509.Certificate
	cur := leaf
	for len(rest) > 0 && !isSelfIssued(cur) {
		i := findIssuer(cur, rest)
		if i < 0 {
			break
		}
		cur = rest[i]
		chain = append(chain, cur)
		rest = append(rest[:i:i], rest[i+1:]...)
	}
	return append(chain, rest...)
}

func isSelfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject)
}

// findIssuer returns the index of the certificate in cands that issued c:
// one whose key verifies c's signature, else one whose subject (and key
// identifier, when both are present) matches c's issuer, else -1.
func findIssuer(c *x509.Certificate, cands []*x509.Certificate) int {
	byName := -1
	for i, cand := range cands {
		if !bytes.Equal(cand.RawSubject, c.RawIssuer) {
			continue
		}
		if len(c.AuthorityKeyId) > 0 && len(cand.SubjectKeyId) > 0 &&
			!bytes.Equal(c.AuthorityKeyId, cand.SubjectKeyId) {
			continue
		}
		if c.CheckSignatureFrom(cand) == nil {
			return i
		}
		if byName < 0 {
			byName = i
		}
	}
	return byName
}

// maxPKCS12Iterations bounds the iteration counts a PKCS#12 file may ask for
// (its MAC and PBE parameters): go-pkcs12 applies them unbounded, so a
// hostile or damaged file could pin a CPU for hours. Real files use 1 to
// 100 000 (OpenSSL and Windows 2048, Java 10 000).
const maxPKCS12Iterations = 1 << 22

// checkPKCS12Work walks the DER of a PKCS#12 file, descending into OCTET
// STRINGs that hold DER (the authenticated safe), and rejects any iteration
// count above maxPKCS12Iterations. An iteration count is an INTEGER that
// directly follows an OCTET STRING (salt) in a SEQUENCE: pkcs-12PbeParams,
// PBKDF2-params and MacData all have that shape. Parameters inside
// encrypted content are not visible here.
func checkPKCS12Work(der []byte, depth int) error {
	if depth > 24 {
		return nil
	}
	prevOctets := false
	for len(der) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(der, &v)
		if err != nil {
			return nil // malformed: let the decoder report it
		}
		der = rest
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagInteger && prevOctets:
			if n := new(big.Int).SetBytes(v.Bytes); len(v.Bytes) > 4 ||
				(len(v.Bytes) > 0 && v.Bytes[0]&0x80 == 0 && n.Cmp(big.NewInt(maxPKCS12Iterations)) > 0) {
				return fmt.Errorf("signer: PKCS#12 iteration count above %d", maxPKCS12Iterations)
			}
		case v.IsCompound:
			if err := checkPKCS12Work(v.Bytes, depth+1); err != nil {
				return err
			}
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && len(v.Bytes) > 0 && v.Bytes[0] == 0x30:
			if err := checkPKCS12Work(v.Bytes, depth+1); err != nil {
				return err
			}
		}
		prevOctets = v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && !v.IsCompound
	}
	return nil
}
