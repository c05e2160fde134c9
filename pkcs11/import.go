package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	p11 "github.com/miekg/pkcs11"

	"github.com/kyso-vn/kyso/signer"
)

// ImportOptions tune ImportCertificate.
type ImportOptions struct {
	// Label is the certificate's CKA_LABEL; empty: CertificateLabel(cert).
	Label string
	// Chain holds the issuing CA certificates to store beside it (each
	// must be a CA certificate, and one must have issued the certificate).
	// Those already on the token are not stored twice.
	Chain []*x509.Certificate
}

// CertificateLabel is the label ImportCertificate gives a certificate when
// none is chosen: the holder's name, the issuing CA and the last day of
// validity, e.g. "Nguyễn Văn An (VNPT-CA, 2027-12-03)", the way users
// tell a new certificate from the one it renews.
func CertificateLabel(c *x509.Certificate) string {
	issuer := c.Issuer.CommonName
	if issuer == "" && len(c.Issuer.Organization) > 0 {
		issuer = c.Issuer.Organization[0]
	}
	name := signer.ParseIdentity(c.Subject).CommonName
	if name == "" {
		name = signer.DisplayName(c.Subject)
	}
	return fmt.Sprintf("%s (%s, %s)", name, issuer, c.NotAfter.UTC().Format("2006-01-02"))
}

// ImportCertificate stores cert on the token beside its private key, with
// the key's CKA_ID so that signing software pairs them, and the chain's CA
// certificates. The key is found by public key (whatever its CKA_ID), or,
// for a key whose public half the token does not show, by a test signature
// verified under the certificate; a key without CKA_ID gets one (SHA-1 of
// the certificate's public key). A certificate whose key is not on the
// token is refused with
// ErrKeyNotOnToken and nothing is written. A certificate already on the
// token is not stored twice. Logging in may call the PIN callback.
func (t *Token) ImportCertificate(ctx context.Context, cert *x509.Certificate, opts ImportOptions) (Certificate, error) {
	if cert == nil {
		return Certificate{}, signer.ErrNoCertificate
	}
	if _, err := p11KeyType(cert.PublicKey); err != nil {
		return Certificate{}, err
	}
	if len(opts.Chain) > 0 {
		issued := false
		for _, c := range opts.Chain {
			if c == nil || !c.BasicConstraintsValid || !c.IsCA {
				name := "nil"
				if c != nil {
					name = c.Subject.String()
				}
				return Certificate{}, fmt.Errorf("%w: %s is not a CA certificate", ErrBadChain, name)
			}
			if bytes.Equal(cert.RawIssuer, c.RawSubject) && cert.CheckSignatureFrom(c) == nil {
				issued = true
			}
		}
		if !issued {
			return Certificate{}, fmt.Errorf("%w: no chain certificate issued %q", ErrBadChain, cert.Subject.CommonName)
		}
	}
	s, done, err := t.adminSession(ctx, true)
	if err != nil {
		return Certificate{}, err
	}
	defer done()
	key, err := t.findKey(s, cert, nil)
	if errors.Is(err, signer.ErrNoKey) {
		key, err = t.probeKey(s, cert)
	}
	if err != nil {
		if errors.Is(err, signer.ErrNoKey) {
			return Certificate{}, fmt.Errorf("%w: token %q holds no private key for %q: %w", ErrKeyNotOnToken, t.name, cert.Subject.CommonName, signer.ErrNoKey)
		}
		return Certificate{}, err
	}
	id, err := t.attr(s, key.h, p11.CKA_ID)
	if err != nil {
		return Certificate{}, err
	}
	if len(id) == 0 {
		// A key without an ID: give it (and its public half) one derived
		// from the certificate, so the pair can be found again.
		sum := sha1.Sum(cert.RawSubjectPublicKeyInfo)
		id = sum[:]
		if err := t.lib.ctx.SetAttributeValue(s.h, key.h, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, id)}); err != nil {
			return Certificate{}, wrapLoss(fmt.Sprintf("setting CKA_ID of key %q", key.label), err)
		}
		keyType, _ := p11KeyType(cert.PublicKey)
		pubs, err := t.find(s, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, keyType),
			p11.NewAttribute(p11.CKA_ID, []byte{}),
		})
		if err != nil {
			return Certificate{}, err
		}
		for _, p := range pubs {
			if t.publicMatches(s, p, cert) {
				// Best effort: the certificate and private key are paired anyway.
				_ = t.lib.ctx.SetAttributeValue(s.h, p, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, id)})
			}
		}
	}
	label := opts.Label
	if label == "" {
		label = CertificateLabel(cert)
	}
	existing, err := t.certificates(s)
	if err != nil {
		return Certificate{}, err
	}
	have := func(c *x509.Certificate) (Certificate, bool) {
		for _, e := range existing {
			if e.Cert.Equal(c) {
				return e, true
			}
		}
		return Certificate{}, false
	}
	result, found := have(cert)
	if !found {
		if err := t.writeCertificate(s, cert, id, label, 1); err != nil {
			return Certificate{}, err
		}
		result = newCertificate(cert, id, label)
	}
	for _, c := range opts.Chain {
		if _, ok := have(c); ok {
			continue
		}
		caID := c.SubjectKeyId
		if len(caID) == 0 {
			sum := sha1.Sum(c.RawSubjectPublicKeyInfo)
			caID = sum[:]
		}
		caLabel := c.Subject.CommonName
		if caLabel == "" {
			caLabel = c.Subject.String()
		}
		if err := t.writeCertificate(s, c, caID, caLabel, 2); err != nil {
			return Certificate{}, err
		}
		existing = append(existing, newCertificate(c, caID, caLabel))
	}
	return result, nil
}

// writeCertificate creates a public X.509 certificate object. category is
// CKA_CERTIFICATE_CATEGORY: 1 token user, 2 authority.
func (t *Token) writeCertificate(s *session, c *x509.Certificate, id []byte, label string, category uint) error {
	serial, err := asn1.Marshal(new(big.Int).Set(c.SerialNumber))
	if err != nil {
		return err
	}
	tmpl := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, false),
		p11.NewAttribute(p11.CKA_ID, id),
		p11.NewAttribute(p11.CKA_LABEL, label),
		p11.NewAttribute(p11.CKA_SUBJECT, c.RawSubject),
		p11.NewAttribute(p11.CKA_ISSUER, c.RawIssuer),
		p11.NewAttribute(p11.CKA_SERIAL_NUMBER, serial),
		p11.NewAttribute(p11.CKA_VALUE, c.Raw),
	}
	_, err = t.lib.ctx.CreateObject(s.h, append(tmpl, p11.NewAttribute(p11.CKA_CERTIFICATE_CATEGORY, category)))
	if rv(err) == p11.CKR_ATTRIBUTE_TYPE_INVALID {
		// Cryptoki 2.11-era middleware without CKA_CERTIFICATE_CATEGORY.
		_, err = t.lib.ctx.CreateObject(s.h, tmpl)
	}
	if err != nil {
		return wrapLoss(fmt.Sprintf("storing certificate %q on token %q", label, t.name), err)
	}
	return nil
}

// DeleteCertificate removes certificate c from the token and, with
// withKey, its private key and the matching public-key objects. Calling it
// is the confirmation: nothing asks again. Everything is checked before
// anything is destroyed: a certificate not on the token is
// signer.ErrNoCertificate, and a key that another certificate on the token
// still uses (ErrKeyInUse) is refused together with its certificate.
func (t *Token) DeleteCertificate(ctx context.Context, c Certificate, withKey bool) error {
	if c.Cert == nil {
		return signer.ErrNoCertificate
	}
	s, done, err := t.adminSession(ctx, true)
	if err != nil {
		return err
	}
	defer done()
	certObjs, err := t.find(s, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_VALUE, c.Cert.Raw),
	})
	if err != nil {
		return err
	}
	if len(certObjs) == 0 {
		return fmt.Errorf("pkcs11: token %q does not hold %q (SHA-1 %X): %w", t.name, c.Cert.Subject.CommonName, sha1.Sum(c.Cert.Raw), signer.ErrNoCertificate)
	}
	objs := certObjs
	if withKey {
		all, err := t.certificates(s)
		if err != nil {
			return err
		}
		for _, o := range all {
			if !o.Cert.Equal(c.Cert) && sameKey(o.Cert.PublicKey, c.Cert.PublicKey) == keyMatches {
				return fmt.Errorf("%w: %q is also certified by %s", ErrKeyInUse, c.Cert.Subject.CommonName, o)
			}
		}
		key, err := t.findKey(s, c.Cert, c.ID)
		if err != nil {
			return err
		}
		objs = append(objs, key.h)
		keyType, _ := p11KeyType(c.Cert.PublicKey)
		pubs, err := t.find(s, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, keyType),
		})
		if err != nil {
			return err
		}
		for _, p := range pubs {
			if t.publicMatches(s, p, c.Cert) {
				objs = append(objs, p)
			}
		}
	}
	return t.destroy(s, objs...)
}

// publicMatches reports whether public-key object p holds cert's key.
func (t *Token) publicMatches(s *session, p p11.ObjectHandle, cert *x509.Certificate) bool {
	typ := RSA2048 // every RSA type reads the same attributes
	if k, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		switch k.Curve {
		case elliptic.P256():
			typ = ECP256
		case elliptic.P384():
			typ = ECP384
		default:
			return false
		}
	}
	pub, err := t.readPublic(s, p, typ)
	if err != nil {
		return false
	}
	return sameKey(pub, cert.PublicKey) == keyMatches
}

// probeKey finds cert's private key among keys whose public half cannot be
// read (an EC key without CKA_ID or public-key object): each such key signs
// a random digest, and the one whose signature verifies under cert is it.
// Keys needing a per-signature login (CKA_ALWAYS_AUTHENTICATE) are not
// probed.
func (t *Token) probeKey(s *session, cert *x509.Certificate) (keyRef, error) {
	keyType, err := p11KeyType(cert.PublicKey)
	if err != nil {
		return keyRef{}, err
	}
	cands, err := t.find(s, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, keyType),
	})
	if err != nil {
		return keyRef{}, err
	}
	digest := make([]byte, sha256.Size)
	if _, err := rand.Read(digest); err != nil {
		return keyRef{}, err
	}
	probe := &Signer{tok: t, cert: Certificate{Cert: cert}}
	mech, input, err := probe.mechanism(digest, crypto.SHA256)
	if err != nil {
		return keyRef{}, err
	}
	var found []keyRef
	for _, c := range cands {
		if t.compareKey(s, c, cert, nil) != keyUnknown || t.boolAttr(s, c, p11.CKA_ALWAYS_AUTHENTICATE) {
			continue
		}
		if err := t.lib.ctx.SignInit(s.h, []*p11.Mechanism{mech}, c); err != nil {
			continue
		}
		sig, err := t.lib.ctx.Sign(s.h, input)
		if err != nil {
			continue
		}
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
			if sig, err = rawECDSAToASN1(sig); err != nil {
				continue
			}
		}
		if signer.CheckSignature(cert.PublicKey, digest, crypto.SHA256, sig) == nil {
			found = append(found, t.keyRef(s, c))
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return keyRef{}, fmt.Errorf("pkcs11: token %q has no private key for %q: %w", t.name, cert.Subject.CommonName, signer.ErrNoKey)
	}
	return keyRef{}, fmt.Errorf("%w: %d private keys sign for %q", ErrAmbiguousKey, len(found), cert.Subject.CommonName)
}
