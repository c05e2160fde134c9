package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	p11 "github.com/miekg/pkcs11"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/signer"
)

// Certificate is an X.509 certificate stored on a token, with what a user
// needs to recognise it.
type Certificate struct {
	Cert   *x509.Certificate // the parsed certificate (CKA_VALUE)
	ID     []byte            // CKA_ID, which links it to its private key
	Label  string            // CKA_LABEL
	SHA1   [sha1.Size]byte   // thumbprint, as Windows shows it
	SHA256 [sha256.Size]byte // thumbprint
}

func newCertificate(c *x509.Certificate, id []byte, label string) Certificate {
	return Certificate{Cert: c, ID: id, Label: label, SHA1: sha1.Sum(c.Raw), SHA256: sha256.Sum256(c.Raw)}
}

// String describes the certificate in one line: subject, issuer, serial,
// validity and SHA-1 thumbprint.
func (c Certificate) String() string {
	return fmt.Sprintf("%s, issued by %s, serial %X, valid %s to %s, SHA-1 %X",
		c.Cert.Subject.CommonName, c.Cert.Issuer.CommonName, c.Cert.SerialNumber,
		c.Cert.NotBefore.UTC().Format("2006-01-02"), c.Cert.NotAfter.UTC().Format("2006-01-02"), c.SHA1[:])
}

// SelectCertificate picks the one certificate in certs whose SHA-1 or
// SHA-256 thumbprint or serial number (hex) is query. Case, spaces and
// colons in query are ignored. No match fails with signer.ErrNoCertificate,
// more than one (the same serial from two CAs) with an ambiguity error.
func SelectCertificate(certs []Certificate, query string) (Certificate, error) {
	q := strings.ToLower(strings.NewReplacer(" ", "", ":", "", "\u200e", "").Replace(query))
	var found []Certificate
	for _, c := range certs {
		serial := ""
		if c.Cert.SerialNumber != nil {
			serial = c.Cert.SerialNumber.Text(16)
		}
		if q == hex.EncodeToString(c.SHA1[:]) || q == hex.EncodeToString(c.SHA256[:]) ||
			(q != "" && strings.TrimLeft(q, "0") == strings.TrimLeft(serial, "0")) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Certificate{}, fmt.Errorf("pkcs11: no certificate with thumbprint or serial %q: %w", query, signer.ErrNoCertificate)
	}
	return Certificate{}, fmt.Errorf("pkcs11: %d certificates match %q; use the SHA-256 thumbprint", len(found), query)
}

// Certificates lists the X.509 certificates on the token. Most tokens keep
// certificates public, so it does not log in; when none is visible, the
// token needs a login and a PIN callback is set, it logs in (the
// certificates may be private objects) and looks again. Objects that do
// not parse as X.509 are skipped.
func (t *Token) Certificates(ctx context.Context) ([]Certificate, error) {
	s, err := t.acquire(ctx, false)
	if err != nil {
		return nil, err
	}
	certs, err := t.certificates(s)
	t.release(s, err, true)
	if err != nil || len(certs) > 0 || t.opts.PIN == nil || !t.Info().LoginRequired() {
		return certs, err
	}
	if s, err = t.acquire(ctx, true); err != nil {
		return nil, err
	}
	certs, err = t.certificates(s)
	t.release(s, err, true)
	return certs, err
}

func (t *Token) certificates(s *session) ([]Certificate, error) {
	objs, err := t.find(s, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
	})
	if err != nil {
		return nil, err
	}
	var out []Certificate
	for _, o := range objs {
		der, err := t.attr(s, o, p11.CKA_VALUE)
		if err != nil {
			if lossKind(err) != nil {
				return nil, err
			}
			continue
		}
		c, err := certparse.Parse(der) // negative serials too
		if err != nil {
			continue
		}
		id, _ := t.attr(s, o, p11.CKA_ID)
		label, _ := t.attr(s, o, p11.CKA_LABEL)
		out = append(out, newCertificate(c, id, cleanText(string(label))))
	}
	return out, nil
}

// find runs one C_FindObjects search.
func (t *Token) find(s *session, tmpl []*p11.Attribute) ([]p11.ObjectHandle, error) {
	if err := t.lib.ctx.FindObjectsInit(s.h, tmpl); err != nil {
		return nil, wrapLoss("C_FindObjectsInit", err)
	}
	var all []p11.ObjectHandle
	var ferr error
	for {
		objs, _, err := t.lib.ctx.FindObjects(s.h, 64)
		if err != nil {
			ferr = wrapLoss("C_FindObjects", err)
			break
		}
		if len(objs) == 0 {
			break
		}
		all = append(all, objs...)
	}
	if err := t.lib.ctx.FindObjectsFinal(s.h); err != nil && ferr == nil {
		ferr = wrapLoss("C_FindObjectsFinal", err)
	}
	return all, ferr
}

// attr reads one attribute (one at a time: a token fails the whole
// C_GetAttributeValue call when any attribute is sensitive or unknown).
func (t *Token) attr(s *session, o p11.ObjectHandle, typ uint) ([]byte, error) {
	a, err := t.lib.ctx.GetAttributeValue(s.h, o, []*p11.Attribute{p11.NewAttribute(typ, nil)})
	if err != nil {
		return nil, wrapLoss("C_GetAttributeValue", err)
	}
	if len(a) != 1 {
		return nil, fmt.Errorf("pkcs11: C_GetAttributeValue returned %d attributes", len(a))
	}
	return a[0].Value, nil
}

func (t *Token) boolAttr(s *session, o p11.ObjectHandle, typ uint) bool {
	v, err := t.attr(s, o, typ)
	return err == nil && len(v) == 1 && v[0] != 0
}

// keyRef is a private key found on the token.
type keyRef struct {
	h          p11.ObjectHandle
	label      string
	alwaysAuth bool
}

// match states of a candidate key against the certificate.
const (
	keyUnknown = iota
	keyMatches
	keyDiffers
)

// findKey finds the private key of cert: by CKA_ID first, then by public
// key. A key whose public part can be compared must equal cert's; when
// more than one key qualifies the lookup fails with ErrAmbiguousKey.
func (t *Token) findKey(s *session, cert *x509.Certificate, id []byte) (keyRef, error) {
	keyType, err := p11KeyType(cert.PublicKey)
	if err != nil {
		return keyRef{}, err
	}
	base := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, keyType),
	}
	if len(id) > 0 {
		cands, err := t.find(s, append(base, p11.NewAttribute(p11.CKA_ID, id)))
		if err != nil {
			return keyRef{}, err
		}
		var matches, unknown []p11.ObjectHandle
		for _, c := range cands {
			switch t.compareKey(s, c, cert, id) {
			case keyMatches:
				matches = append(matches, c)
			case keyUnknown:
				unknown = append(unknown, c)
			}
		}
		switch {
		case len(matches) == 1:
			return t.keyRef(s, matches[0]), nil
		case len(matches) > 1:
			return keyRef{}, fmt.Errorf("%w: %d keys with CKA_ID %X and the same public key (%s)", ErrAmbiguousKey, len(matches), id, cert.Subject.CommonName)
		case len(unknown) == 1:
			// The token gives no way to compare (an EC key without a
			// public-key object); every signature is verified anyway.
			return t.keyRef(s, unknown[0]), nil
		case len(unknown) > 1:
			return keyRef{}, fmt.Errorf("%w: %d keys with CKA_ID %X cannot be told apart (%s)", ErrAmbiguousKey, len(unknown), id, cert.Subject.CommonName)
		}
	}
	// Fall back to public-key equality.
	cands, err := t.find(s, base)
	if err != nil {
		return keyRef{}, err
	}
	var matches []p11.ObjectHandle
	for _, c := range cands {
		if t.compareKey(s, c, cert, nil) == keyMatches {
			matches = append(matches, c)
		}
	}
	switch len(matches) {
	case 1:
		return t.keyRef(s, matches[0]), nil
	case 0:
		return keyRef{}, fmt.Errorf("pkcs11: token %q has no private key for %q (CKA_ID %X): %w", t.name, cert.Subject.CommonName, id, signer.ErrNoKey)
	}
	return keyRef{}, fmt.Errorf("%w: %d private keys carry the public key of %q", ErrAmbiguousKey, len(matches), cert.Subject.CommonName)
}

func (t *Token) keyRef(s *session, h p11.ObjectHandle) keyRef {
	label, _ := t.attr(s, h, p11.CKA_LABEL)
	return keyRef{h: h, label: cleanText(string(label)), alwaysAuth: t.boolAttr(s, h, p11.CKA_ALWAYS_AUTHENTICATE)}
}

// compareKey tells whether private key k is the key of cert. RSA keys
// expose their modulus; EC keys are compared through CKA_PUBLIC_KEY_INFO
// when the token has it, or else the public-key objects sharing their
// CKA_ID (id, or the key's own CKA_ID when id is nil).
func (t *Token) compareKey(s *session, k p11.ObjectHandle, cert *x509.Certificate, id []byte) int {
	if spki, err := t.attr(s, k, p11.CKA_PUBLIC_KEY_INFO); err == nil && len(spki) > 0 {
		if pub, err := x509.ParsePKIXPublicKey(spki); err == nil {
			return sameKey(pub, cert.PublicKey)
		}
	}
	switch want := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		n, err := t.attr(s, k, p11.CKA_MODULUS)
		if err != nil || len(n) == 0 {
			return keyUnknown
		}
		e, err := t.attr(s, k, p11.CKA_PUBLIC_EXPONENT)
		if err != nil || len(e) == 0 {
			return keyUnknown
		}
		got := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		return sameKey(got, want)
	case *ecdsa.PublicKey:
		if id == nil {
			var err error
			if id, err = t.attr(s, k, p11.CKA_ID); err != nil || len(id) == 0 {
				return keyUnknown
			}
		}
		pubs, err := t.find(s, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC),
			p11.NewAttribute(p11.CKA_ID, id),
		})
		if err != nil || len(pubs) == 0 {
			return keyUnknown
		}
		state := keyDiffers
		for _, p := range pubs {
			pt, err := t.attr(s, p, p11.CKA_EC_POINT)
			if err != nil {
				return keyUnknown
			}
			if ecPointEqual(pt, want) {
				state = keyMatches
			} else if len(pubs) > 1 {
				// Several public keys under one ID: this private key
				// might be either; only a unique match is trusted.
				return keyUnknown
			}
		}
		return state
	}
	return keyUnknown
}

func sameKey(a, b any) int {
	if ea, ok := a.(interface{ Equal(crypto.PublicKey) bool }); ok && ea.Equal(b) {
		return keyMatches
	}
	return keyDiffers
}

// ecPointEqual compares a CKA_EC_POINT value (a DER OCTET STRING holding
// the uncompressed point, or the raw point from older middleware) with pub.
func ecPointEqual(v []byte, pub *ecdsa.PublicKey) bool {
	want, err := pub.Bytes() // the uncompressed point, what PKCS#11 stores
	if err != nil {
		return false
	}
	if bytes.Equal(v, want) {
		return true
	}
	var raw []byte
	if rest, err := asn1.Unmarshal(v, &raw); err == nil && len(rest) == 0 {
		return bytes.Equal(raw, want)
	}
	return false
}

func p11KeyType(pub any) (uint, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return p11.CKK_RSA, nil
	case *ecdsa.PublicKey:
		return p11.CKK_EC, nil
	}
	return 0, fmt.Errorf("pkcs11: certificate key of type %T: %w", pub, signer.ErrUnsupportedAlgorithm)
}

// chainFrom builds the issuer chain of leaf (nearest issuer first) from the
// certificates on the token, checking each signature.
func chainFrom(leaf *x509.Certificate, pool []Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	cur := leaf
	for len(chain) < 10 {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && cur.CheckSignatureFrom(cur) == nil {
			break // self-signed
		}
		var next *x509.Certificate
		for _, c := range pool {
			if c.Cert.Equal(cur) || !bytes.Equal(c.Cert.RawSubject, cur.RawIssuer) {
				continue
			}
			if cur.CheckSignatureFrom(c.Cert) == nil {
				next = c.Cert
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}
