package pkcs11

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"

	p11 "github.com/miekg/pkcs11"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-vn/kyso/signer"
)

// MGF1 with SHA-3 (PKCS#11 3.0); not in miekg/pkcs11's constant table.
const (
	ckgMGF1SHA3_256 = 0x7
	ckgMGF1SHA3_384 = 0x8
	ckgMGF1SHA3_512 = 0x9
)

// Signer is a private key on a token together with its certificate chain.
// It implements signer.Signer and is safe for concurrent use: each call
// borrows its own session from the Token.
type Signer struct {
	tok   *Token
	cert  Certificate
	chain []*x509.Certificate

	mu     sync.Mutex
	key    keyRef
	keyGen uint64
	found  bool
}

var _ signer.Signer = (*Signer)(nil)

// Signer returns a Signer for the private key of c, a certificate listed by
// Certificates (or any certificate whose key is on the token: set only
// c.Cert, and the key is found by its public key). chain is the issuer
// chain, nearest first; when empty it is built from the other certificates
// on the token. Finding the key needs a login, so the PIN callback may run.
func (t *Token) Signer(ctx context.Context, c Certificate, chain ...*x509.Certificate) (*Signer, error) {
	if c.Cert == nil {
		return nil, signer.ErrNoCertificate
	}
	if _, err := p11KeyType(c.Cert.PublicKey); err != nil {
		return nil, err
	}
	s, err := t.acquire(ctx, true)
	if err != nil {
		return nil, err
	}
	key, err := t.findKey(s, c.Cert, c.ID)
	var certs []Certificate
	if err == nil && len(chain) == 0 {
		certs, err = t.certificates(s)
	}
	t.release(s, err, true)
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		chain = chainFrom(c.Cert, certs)
	}
	sg := &Signer{tok: t, cert: c, chain: append([]*x509.Certificate(nil), chain...), key: key, keyGen: s.gen, found: true}
	return sg, nil
}

// Certificate returns the signer's certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert.Cert }

// Chain returns the issuer chain, nearest first.
func (s *Signer) Chain() []*x509.Certificate { return append([]*x509.Certificate(nil), s.chain...) }

// Public returns the certificate's public key.
func (s *Signer) Public() crypto.PublicKey { return s.cert.Cert.PublicKey }

// SignDigest signs digest (computed with opts.HashFunc()) on the token:
// CKM_RSA_PKCS over DigestInfo‖digest, CKM_RSA_PKCS_PSS with parameters
// matching a *rsa.PSSOptions (salt length: the hash length for
// PSSSaltLengthEqualsHash and PSSSaltLengthAuto), or CKM_ECDSA, whose raw
// r‖s result is returned as ASN.1 DER. Every signature is verified against
// the certificate before it is returned; one that does not verify fails
// with signer.ErrBadSignature.
//
// A lost session or login, or a removed token, fails the call with
// ErrSessionLost or ErrTokenNotPresent; the next call opens a new session,
// finds the token and key again and logs in through the PIN callback.
// A session found dead before signing is replaced within the same call.
func (s *Signer) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pkcs11: %w", err)
	}
	mech, input, err := s.mechanism(digest, opts)
	if err != nil {
		return nil, err
	}
	if err := s.tok.checkMechanism(mech.Mechanism); err != nil {
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", err, signer.ErrUnsupportedAlgorithm)
	}
	sess, err := s.tok.acquire(ctx, true)
	if err != nil {
		return nil, err
	}
	sig, keep, err := s.sign(ctx, sess, mech, input)
	s.tok.release(sess, err, keep)
	if err != nil {
		return nil, err
	}
	if _, ok := s.cert.Cert.PublicKey.(*rsa.PublicKey); !ok {
		if sig, err = rawECDSAToASN1(sig); err != nil {
			return nil, fmt.Errorf("pkcs11: token %q: %w", s.tok.name, err)
		}
	}
	if err := signer.CheckSignature(s.cert.Cert.PublicKey, digest, opts, sig); err != nil {
		return nil, fmt.Errorf("pkcs11: token %q, key %q: %w", s.tok.name, s.key.label, err)
	}
	return sig, nil
}

// keyFor returns the cached key handle, finding the key again when the
// session generation changed (sessions were invalidated, the token came
// back, maybe re-initialised).
func (s *Signer) keyFor(sess *session, refresh bool) (keyRef, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.found && s.keyGen == sess.gen && !refresh {
		return s.key, nil
	}
	k, err := s.tok.findKey(sess, s.cert.Cert, s.cert.ID)
	if err != nil {
		s.found = false
		if errors.Is(err, signer.ErrNoKey) {
			// Private objects vanish from a session whose login was lost
			// (another application logged out): that is not a missing key.
			if si, serr := s.tok.lib.ctx.GetSessionInfo(sess.h); serr != nil {
				return keyRef{}, wrapLoss("C_GetSessionInfo", serr)
			} else if si.State != p11.CKS_RO_USER_FUNCTIONS && si.State != p11.CKS_RW_USER_FUNCTIONS && s.tok.Info().LoginRequired() {
				return keyRef{}, fmt.Errorf("pkcs11: token %q: the key is hidden because the login was lost: %w: %w", s.tok.name, ErrSessionLost, p11.Error(p11.CKR_USER_NOT_LOGGED_IN))
			}
		}
		return keyRef{}, err
	}
	s.key, s.keyGen, s.found = k, sess.gen, true
	return k, nil
}

// sign runs C_SignInit (with a context-specific login for
// CKA_ALWAYS_AUTHENTICATE keys) and C_Sign. keep reports whether sess can
// go back to the pool (no operation left active).
func (s *Signer) sign(ctx context.Context, sess *session, mech *p11.Mechanism, input []byte) (sig []byte, keep bool, err error) {
	key, err := s.keyFor(sess, false)
	if err != nil {
		return nil, true, err
	}
	err = s.tok.lib.ctx.SignInit(sess.h, []*p11.Mechanism{mech}, key.h)
	if c := rv(err); c == p11.CKR_KEY_HANDLE_INVALID || c == p11.CKR_OBJECT_HANDLE_INVALID {
		// The object was replaced (token re-initialised, key re-imported):
		// find it again by certificate; the signature check still guards.
		if key, err = s.keyFor(sess, true); err != nil {
			return nil, true, err
		}
		err = s.tok.lib.ctx.SignInit(sess.h, []*p11.Mechanism{mech}, key.h)
	}
	if err != nil {
		switch rv(err) {
		case p11.CKR_MECHANISM_INVALID:
			return nil, true, fmt.Errorf("%w: token %q refused %s: %w: %w", ErrMechanismNotSupported, s.tok.name, mechName(mech.Mechanism), signer.ErrUnsupportedAlgorithm, err)
		case p11.CKR_MECHANISM_PARAM_INVALID, p11.CKR_ARGUMENTS_BAD, p11.CKR_KEY_TYPE_INCONSISTENT, p11.CKR_KEY_FUNCTION_NOT_PERMITTED, p11.CKR_KEY_SIZE_RANGE:
			return nil, true, fmt.Errorf("%w: token %q refused %s with key %q: %w", signer.ErrUnsupportedAlgorithm, s.tok.name, mechName(mech.Mechanism), key.label, err)
		}
		return nil, true, wrapLoss(fmt.Sprintf("C_SignInit on token %q", s.tok.name), err)
	}
	if key.alwaysAuth {
		if err := s.tok.contextLogin(ctx, sess, key.label); err != nil {
			// The signing operation is still active: the session is dropped.
			return nil, false, err
		}
	}
	sig, err = s.tok.lib.ctx.Sign(sess.h, input)
	if err != nil {
		// C_Sign ends the operation on any error but CKR_BUFFER_TOO_SMALL,
		// which miekg/pkcs11 never provokes.
		return nil, true, wrapLoss(fmt.Sprintf("C_Sign on token %q", s.tok.name), err)
	}
	return sig, true, nil
}

// mechanism chooses the PKCS#11 mechanism and its input for digest.
func (s *Signer) mechanism(digest []byte, opts crypto.SignerOpts) (*p11.Mechanism, []byte, error) {
	if opts == nil {
		return nil, nil, fmt.Errorf("pkcs11: no hash given: %w", signer.ErrUnsupportedAlgorithm)
	}
	h := opts.HashFunc()
	if !h.Available() && h != crypto.SHA3_256 && h != crypto.SHA3_384 && h != crypto.SHA3_512 {
		return nil, nil, fmt.Errorf("pkcs11: hash %v: %w", h, signer.ErrUnsupportedAlgorithm)
	}
	if h == 0 || len(digest) != h.Size() {
		return nil, nil, fmt.Errorf("pkcs11: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	switch pub := s.cert.Cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			hm, mgf, ok := pssHash(h)
			if !ok {
				return nil, nil, fmt.Errorf("pkcs11: RSA-PSS with %v: %w", h, signer.ErrUnsupportedAlgorithm)
			}
			salt := pss.SaltLength
			switch salt {
			case rsa.PSSSaltLengthEqualsHash, rsa.PSSSaltLengthAuto:
				salt = h.Size()
			}
			if salt < 0 || salt > (pub.N.BitLen()-1+7)/8-h.Size()-2 {
				return nil, nil, fmt.Errorf("pkcs11: RSA-PSS salt length %d: %w", pss.SaltLength, signer.ErrUnsupportedAlgorithm)
			}
			return p11.NewMechanism(p11.CKM_RSA_PKCS_PSS, p11.NewPSSParams(hm, mgf, uint(salt))), digest, nil
		}
		di, err := digestInfo(h, digest)
		if err != nil {
			return nil, nil, err
		}
		return p11.NewMechanism(p11.CKM_RSA_PKCS, nil), di, nil
	default:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return nil, nil, fmt.Errorf("pkcs11: RSA-PSS options with a %T key: %w", pub, signer.ErrUnsupportedAlgorithm)
		}
		return p11.NewMechanism(p11.CKM_ECDSA, nil), digest, nil
	}
}

// hashOIDs are the DigestInfo algorithm identifiers.
var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:     {1, 3, 14, 3, 2, 26},
	crypto.SHA224:   {2, 16, 840, 1, 101, 3, 4, 2, 4},
	crypto.SHA256:   {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384:   {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512:   {2, 16, 840, 1, 101, 3, 4, 2, 3},
	crypto.SHA3_256: {2, 16, 840, 1, 101, 3, 4, 2, 8},
	crypto.SHA3_384: {2, 16, 840, 1, 101, 3, 4, 2, 9},
	crypto.SHA3_512: {2, 16, 840, 1, 101, 3, 4, 2, 10},
}

// digestInfo encodes DigestInfo{AlgorithmIdentifier{oid, NULL}, digest},
// the input of CKM_RSA_PKCS for a PKCS#1 v1.5 signature.
func digestInfo(h crypto.Hash, digest []byte) ([]byte, error) {
	oid, ok := hashOIDs[h]
	if !ok {
		return nil, fmt.Errorf("pkcs11: RSA PKCS#1 v1.5 with %v: %w", h, signer.ErrUnsupportedAlgorithm)
	}
	return asn1.Marshal(struct {
		Alg    pkix.AlgorithmIdentifier
		Digest []byte
	}{pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}, digest})
}

func pssHash(h crypto.Hash) (hashMech, mgf uint, ok bool) {
	switch h {
	case crypto.SHA1:
		return p11.CKM_SHA_1, p11.CKG_MGF1_SHA1, true
	case crypto.SHA224:
		return p11.CKM_SHA224, p11.CKG_MGF1_SHA224, true
	case crypto.SHA256:
		return p11.CKM_SHA256, p11.CKG_MGF1_SHA256, true
	case crypto.SHA384:
		return p11.CKM_SHA384, p11.CKG_MGF1_SHA384, true
	case crypto.SHA512:
		return p11.CKM_SHA512, p11.CKG_MGF1_SHA512, true
	case crypto.SHA3_256:
		return p11.CKM_SHA3_256, ckgMGF1SHA3_256, true
	case crypto.SHA3_384:
		return p11.CKM_SHA3_384, ckgMGF1SHA3_384, true
	case crypto.SHA3_512:
		return p11.CKM_SHA3_512, ckgMGF1SHA3_512, true
	}
	return 0, 0, false
}

var errBadECDSA = errors.New("token returned a malformed ECDSA signature")

// rawECDSAToASN1 converts CKM_ECDSA's r‖s (two halves of equal length) to
// the ASN.1 DER SEQUENCE{r, s} that X.509 and CMS use.
func rawECDSAToASN1(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%2 != 0 || len(raw) > 2*66 {
		return nil, fmt.Errorf("%w (%d bytes)", errBadECDSA, len(raw))
	}
	r := new(big.Int).SetBytes(raw[:len(raw)/2])
	sv := new(big.Int).SetBytes(raw[len(raw)/2:])
	if r.Sign() == 0 || sv.Sign() == 0 {
		return nil, fmt.Errorf("%w (zero component)", errBadECDSA)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(sv)
	})
	return b.Bytes()
}

// mechName names the mechanisms kyso uses.
func mechName(m uint) string {
	switch m {
	case p11.CKM_RSA_PKCS:
		return "CKM_RSA_PKCS"
	case p11.CKM_RSA_PKCS_PSS:
		return "CKM_RSA_PKCS_PSS"
	case p11.CKM_ECDSA:
		return "CKM_ECDSA"
	}
	return fmt.Sprintf("mechanism %#x", m)
}
