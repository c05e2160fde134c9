package pkcs11

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"

	p11 "github.com/miekg/pkcs11"
)

// KeyType names a key pair to generate on a token.
type KeyType string

// The key types Circular 15/2025 admits and Vietnamese tokens generate.
const (
	RSA2048 KeyType = "rsa-2048"
	RSA3072 KeyType = "rsa-3072"
	ECP256  KeyType = "ec-p256"
	ECP384  KeyType = "ec-p384"
)

// ErrBadKeyType: a key type other than RSA2048, RSA3072, ECP256, ECP384.
var ErrBadKeyType = errors.New("pkcs11: unknown key type (want rsa-2048, rsa-3072, ec-p256 or ec-p384)")

// ParseKeyType reads "rsa-2048", "rsa-3072", "ec-p256" or "ec-p384"
// (case-insensitive; "rsa2048", "p256", "ecdsa-p256" are accepted too).
func ParseKeyType(s string) (KeyType, error) {
	k := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	// "ec-p256", "ecdsa-p384": the family prefix is optional (and "secp…"
	// keeps its "ec").
	if t, ok := strings.CutPrefix(k, "ecdsa"); ok {
		k = t
	} else if t, ok := strings.CutPrefix(k, "ec"); ok {
		k = t
	}
	switch k {
	case "rsa2048":
		return RSA2048, nil
	case "rsa3072":
		return RSA3072, nil
	case "p256", "secp256r1", "prime256v1":
		return ECP256, nil
	case "p384", "secp384r1":
		return ECP384, nil
	}
	return "", fmt.Errorf("%w: %q", ErrBadKeyType, s)
}

var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
)

// params returns the generation mechanism and the key size the token must
// support (bits), plus the curve OID for EC keys.
func (k KeyType) params() (mech uint, bits uint, curve asn1.ObjectIdentifier, err error) {
	switch k {
	case RSA2048:
		return p11.CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, nil, nil
	case RSA3072:
		return p11.CKM_RSA_PKCS_KEY_PAIR_GEN, 3072, nil, nil
	case ECP256:
		return p11.CKM_EC_KEY_PAIR_GEN, 256, oidP256, nil
	case ECP384:
		return p11.CKM_EC_KEY_PAIR_GEN, 384, oidP384, nil
	}
	return 0, 0, nil, fmt.Errorf("%w: %q", ErrBadKeyType, string(k))
}

// KeyOptions describe a key pair to generate.
type KeyOptions struct {
	Type KeyType
	// Label is the CKA_LABEL of both keys, what the token's own tools show.
	// Empty: "kyso " + Type.
	Label string
	// ID is the CKA_ID shared by the private key, the public key and later
	// the certificate. Empty: 20 random bytes. An ID that a private key on
	// the token already has is refused.
	ID []byte
}

// KeyProtection is what the token reports about a private key.
type KeyProtection struct {
	Sensitive        bool // CKA_SENSITIVE: the private value cannot be read
	Extractable      bool // CKA_EXTRACTABLE: the key can be wrapped out
	AlwaysSensitive  bool // CKA_ALWAYS_SENSITIVE
	NeverExtractable bool // CKA_NEVER_EXTRACTABLE
	Local            bool // CKA_LOCAL: generated on the token, never imported
}

// KeyPair is a key pair on a token. Its private key never leaves the
// token; CertificateRequest signs a PKCS#10 request with it, and Signer
// gives a crypto.Signer for other uses.
type KeyPair struct {
	tok        *Token
	ID         []byte           // CKA_ID
	Label      string           // CKA_LABEL
	Type       KeyType          // the key's type
	Public     crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey
	Protection KeyProtection    // as read back from the token
}

// GenerateKey generates a key pair on the token (C_GenerateKeyPair in a
// read/write session, logged in through the PIN callback). The private key
// is a private, sensitive, non-extractable token object allowed only to
// sign (CKA_DECRYPT, CKA_UNWRAP and CKA_DERIVE false, unless the token
// refuses those attributes); the public key is a public token object allowed only to verify;
// both carry the same CKA_ID and CKA_LABEL. The token's answer is checked:
// a private key it reports readable or extractable is destroyed and
// ErrKeyNotProtected returned. Existing keys are left alone, so a renewal
// generates a new key beside the old one.
func (t *Token) GenerateKey(ctx context.Context, opts KeyOptions) (*KeyPair, error) {
	mech, bits, curve, err := opts.Type.params()
	if err != nil {
		return nil, err
	}
	if err := t.checkGenerate(mech, bits); err != nil {
		return nil, err
	}
	id := opts.ID
	if len(id) == 0 {
		id = make([]byte, 20)
		if _, err := io.ReadFull(rand.Reader, id); err != nil {
			return nil, fmt.Errorf("pkcs11: key ID: %w", err)
		}
	}
	label := opts.Label
	if label == "" {
		label = "kyso " + string(opts.Type)
	}
	s, done, err := t.adminSession(ctx, true)
	if err != nil {
		return nil, err
	}
	defer done()
	if existing, err := t.find(s, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
		p11.NewAttribute(p11.CKA_ID, id),
	}); err != nil {
		return nil, err
	} else if len(existing) > 0 {
		return nil, fmt.Errorf("pkcs11: token %q already has a private key with CKA_ID %X; choose another ID", t.name, id)
	}

	pubT := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, false),
		p11.NewAttribute(p11.CKA_VERIFY, true),
		p11.NewAttribute(p11.CKA_ID, id),
		p11.NewAttribute(p11.CKA_LABEL, label),
	}
	privT := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, true),
		p11.NewAttribute(p11.CKA_SENSITIVE, true),
		p11.NewAttribute(p11.CKA_EXTRACTABLE, false),
		p11.NewAttribute(p11.CKA_SIGN, true),
		p11.NewAttribute(p11.CKA_ID, id),
		p11.NewAttribute(p11.CKA_LABEL, label),
	}
	if mech == p11.CKM_RSA_PKCS_KEY_PAIR_GEN {
		pubT = append(pubT,
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_RSA),
			p11.NewAttribute(p11.CKA_MODULUS_BITS, bits),
			p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
		privT = append(privT, p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_RSA))
	} else {
		params, err := asn1.Marshal(curve)
		if err != nil {
			return nil, err
		}
		pubT = append(pubT,
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC),
			p11.NewAttribute(p11.CKA_EC_PARAMS, params))
		privT = append(privT, p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC))
	}
	// Signing only: tokens default decrypt, unwrap and derive to true.
	restrictPub := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_ENCRYPT, false),
		p11.NewAttribute(p11.CKA_WRAP, false),
	}
	restrictPriv := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_DECRYPT, false),
		p11.NewAttribute(p11.CKA_UNWRAP, false),
		p11.NewAttribute(p11.CKA_DERIVE, false),
	}
	gen := []*p11.Mechanism{p11.NewMechanism(mech, nil)}
	pubH, privH, err := t.lib.ctx.GenerateKeyPair(s.h, gen, append(slices.Clone(pubT), restrictPub...), append(slices.Clone(privT), restrictPriv...))
	if c := rv(err); c == p11.CKR_ATTRIBUTE_TYPE_INVALID || c == p11.CKR_TEMPLATE_INCONSISTENT || c == p11.CKR_ATTRIBUTE_VALUE_INVALID {
		// Middleware that refuses usage attributes it does not expect for
		// this key type: the protection attributes stay, and are checked.
		pubH, privH, err = t.lib.ctx.GenerateKeyPair(s.h, gen, pubT, privT)
	}
	if err != nil {
		switch rv(err) {
		case p11.CKR_MECHANISM_INVALID, p11.CKR_TEMPLATE_INCONSISTENT, p11.CKR_ATTRIBUTE_VALUE_INVALID, p11.CKR_DOMAIN_PARAMS_INVALID, p11.CKR_KEY_SIZE_RANGE, p11.CKR_CURVE_NOT_SUPPORTED:
			return nil, fmt.Errorf("%w: token %q cannot generate %s: %w", ErrMechanismNotSupported, t.name, opts.Type, err)
		}
		return nil, wrapLoss(fmt.Sprintf("C_GenerateKeyPair on token %q", t.name), err)
	}
	kp := &KeyPair{tok: t, ID: append([]byte(nil), id...), Label: label, Type: opts.Type}
	fail := func(err error) (*KeyPair, error) {
		_ = t.destroy(s, privH, pubH)
		return nil, err
	}
	if kp.Public, err = t.readPublic(s, pubH, opts.Type); err != nil {
		return fail(fmt.Errorf("pkcs11: reading the generated public key on token %q: %w", t.name, err))
	}
	kp.Protection = t.protection(s, privH)
	if !kp.Protection.Sensitive || kp.Protection.Extractable {
		return fail(fmt.Errorf("%w: token %q reports CKA_SENSITIVE=%v CKA_EXTRACTABLE=%v", ErrKeyNotProtected, t.name, kp.Protection.Sensitive, kp.Protection.Extractable))
	}
	return kp, nil
}

// checkGenerate checks that the token offers mech for key-pair generation
// with keys of bits bits, when it lists its mechanisms.
func (t *Token) checkGenerate(mech, bits uint) error {
	leave, err := t.enter()
	if err != nil {
		return err
	}
	defer leave()
	t.mu.Lock()
	mechs, slot := t.mechs, t.slot
	t.mu.Unlock()
	name := "CKM_RSA_PKCS_KEY_PAIR_GEN"
	if mech == p11.CKM_EC_KEY_PAIR_GEN {
		name = "CKM_EC_KEY_PAIR_GEN"
	}
	if mechs == nil {
		return nil // unknown: let C_GenerateKeyPair decide
	}
	if !mechs[mech] {
		return fmt.Errorf("%w: token %q does not list %s", ErrMechanismNotSupported, t.name, name)
	}
	mi, err := t.lib.ctx.GetMechanismInfo(slot, []*p11.Mechanism{p11.NewMechanism(mech, nil)})
	if err != nil {
		return nil
	}
	if mi.Flags&p11.CKF_GENERATE_KEY_PAIR == 0 {
		return fmt.Errorf("%w: token %q lists %s but not for key-pair generation", ErrMechanismNotSupported, t.name, name)
	}
	// Some modules give EC sizes in bytes; only RSA sizes are compared.
	if mech == p11.CKM_RSA_PKCS_KEY_PAIR_GEN && mi.MaxKeySize != 0 && (bits < mi.MinKeySize || bits > mi.MaxKeySize) {
		return fmt.Errorf("%w: token %q generates RSA keys of %d to %d bits, not %d", ErrMechanismNotSupported, t.name, mi.MinKeySize, mi.MaxKeySize, bits)
	}
	return nil
}

// readPublic reads a public-key object as a Go public key.
func (t *Token) readPublic(s *session, h p11.ObjectHandle, typ KeyType) (crypto.PublicKey, error) {
	switch typ {
	case RSA2048, RSA3072:
		n, err := t.attr(s, h, p11.CKA_MODULUS)
		if err != nil {
			return nil, err
		}
		e, err := t.attr(s, h, p11.CKA_PUBLIC_EXPONENT)
		if err != nil {
			return nil, err
		}
		ev := new(big.Int).SetBytes(e)
		if len(n) == 0 || !ev.IsInt64() || ev.Int64() < 3 || ev.Int64() > 1<<31-1 {
			return nil, errors.New("malformed RSA public key")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(ev.Int64())}, nil
	}
	v, err := t.attr(s, h, p11.CKA_EC_POINT)
	if err != nil {
		return nil, err
	}
	return ecPublic(typ, v)
}

// ecPublic decodes a CKA_EC_POINT value (a DER OCTET STRING holding the
// uncompressed point, or the bare point from older middleware).
func ecPublic(typ KeyType, v []byte) (*ecdsa.PublicKey, error) {
	var raw []byte
	if rest, err := asn1.Unmarshal(v, &raw); err != nil || len(rest) != 0 {
		raw = v
	}
	curve := ecdh.P256()
	if typ == ECP384 {
		curve = ecdh.P384()
	}
	k, err := curve.NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("malformed EC point: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, err
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	return pub.(*ecdsa.PublicKey), nil
}

func (t *Token) protection(s *session, h p11.ObjectHandle) KeyProtection {
	return KeyProtection{
		Sensitive:        t.boolAttr(s, h, p11.CKA_SENSITIVE),
		Extractable:      t.boolAttr(s, h, p11.CKA_EXTRACTABLE),
		AlwaysSensitive:  t.boolAttr(s, h, p11.CKA_ALWAYS_SENSITIVE),
		NeverExtractable: t.boolAttr(s, h, p11.CKA_NEVER_EXTRACTABLE),
		Local:            t.boolAttr(s, h, p11.CKA_LOCAL),
	}
}

// Signer returns a crypto.Signer for the key pair's private key (found on
// the token by CKA_ID and public key, logging in through the PIN callback
// when needed). Every signature is verified against the public key before
// it is returned.
func (k *KeyPair) Signer(ctx context.Context) crypto.Signer {
	cert := &x509.Certificate{PublicKey: k.Public, Subject: pkix.Name{CommonName: k.Label}}
	return &pairSigner{ctx: ctx, s: &Signer{tok: k.tok, cert: Certificate{Cert: cert, ID: k.ID, Label: k.Label}}}
}

// pairSigner adapts a certificate-less Signer to crypto.Signer.
type pairSigner struct {
	ctx context.Context
	s   *Signer
}

func (k *pairSigner) Public() crypto.PublicKey { return k.s.cert.Cert.PublicKey }

func (k *pairSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.s.SignDigest(k.ctx, digest, opts)
}
