package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"

	"github.com/kyso-vn/kyso/signer"
)

// Verify checks every SignerInfo of sd cryptographically:
//   - the signer certificate is present and named by the signer identifier;
//   - the signature algorithm is consistent with the key and the digest
//     algorithm (which must be listed in digestAlgorithms);
//   - with signed attributes: content-type equals eContentType,
//     message-digest equals the content digest, an ESS signing-certificate
//     (v1 or v2) attribute, when present, names the signer certificate, and
//     the signature covers the DER SET OF signed attributes;
//   - without signed attributes (old PKCS#7): the content type is id-data
//     and the signature covers the content digest directly;
//   - each embedded signature time-stamp token parses, verifies and its
//     imprint is the hash of the signature value.
//
// contentDigest is the digest of the detached content, made with the
// SignerInfo's digest algorithm. For encapsulated content it may be nil (the
// digest is computed); if given it must match.
//
// Verify makes no trust decision: it neither builds nor checks certificate
// chains, validity periods or revocation.
func (sd *SignedData) Verify(contentDigest []byte) error {
	if len(sd.SignerInfos) == 0 {
		return formatErr("no SignerInfo")
	}
	for i, si := range sd.SignerInfos {
		if err := sd.verifySigner(si, contentDigest); err != nil {
			if len(sd.SignerInfos) > 1 {
				return fmt.Errorf("cms: SignerInfo %d: %w", i, err)
			}
			return err
		}
	}
	return nil
}

// VerifySignerInfo checks one SignerInfo of sd as Verify does, but without
// its time-stamp tokens (check those with Token.VerifyData over
// si.Signature), so a verifier can report a broken time-stamp apart from an
// intact signature.
func (sd *SignedData) VerifySignerInfo(si *SignerInfo, contentDigest []byte) error {
	cert, err := sd.SignerCertificate(si)
	if err != nil {
		return err
	}
	return sd.verifySignature(si, cert, contentDigest)
}

func (sd *SignedData) verifySigner(si *SignerInfo, contentDigest []byte) error {
	cert, err := sd.SignerCertificate(si)
	if err != nil {
		return err
	}
	if err := sd.verifySignature(si, cert, contentDigest); err != nil {
		return err
	}
	for i, t := range si.Timestamps {
		if err := t.VerifyData(si.Signature); err != nil {
			return fmt.Errorf("cms: signature time-stamp %d: %w", i, err)
		}
	}
	if len(si.TimestampErrors) > 0 {
		return fmt.Errorf("%w: %w", ErrTimestamp, si.TimestampErrors[0])
	}
	return nil
}

// verifySignature checks si against cert, without the time-stamps.
func (sd *SignedData) verifySignature(si *SignerInfo, cert *x509.Certificate, contentDigest []byte) error {
	opts, err := si.SignerOpts(cert.PublicKey)
	if err != nil {
		return err
	}
	digest := contentDigest
	if sd.Content != nil {
		h := si.Hash.New()
		h.Write(sd.Content)
		digest = h.Sum(nil)
		if contentDigest != nil && !bytes.Equal(contentDigest, digest) {
			return fmt.Errorf("cms: given content digest differs from the encapsulated content: %w", ErrHashMismatch)
		}
	}
	if len(digest) != si.Hash.Size() {
		return fmt.Errorf("cms: content digest of %d bytes for %v: %w", len(digest), si.Hash, ErrHashMismatch)
	}
	signed := digest
	if si.RawSignedAttrs != nil {
		ct, err := si.ContentTypeAttr()
		if err != nil {
			return err
		}
		if !ct.Equal(sd.ContentType) {
			return formatErr("content-type attribute %v differs from eContentType %v", ct, sd.ContentType)
		}
		md, err := si.MessageDigest()
		if err != nil {
			return err
		}
		if !bytes.Equal(md, digest) {
			return fmt.Errorf("cms: message-digest attribute does not match the content: %w", ErrHashMismatch)
		}
		if err := checkESS(si, cert); err != nil {
			return err
		}
		h := si.Hash.New()
		h.Write(si.RawSignedAttrs)
		signed = h.Sum(nil)
	} else {
		if !sd.ContentType.Equal(OIDData) {
			return formatErr("no signed attributes but eContentType %v", sd.ContentType)
		}
		if looksLikeAttributes(sd.Content) {
			return formatErr("content without signed attributes is itself a SET OF attributes")
		}
	}
	if err := signer.CheckSignature(cert.PublicKey, signed, opts, si.Signature); err != nil {
		return fmt.Errorf("cms: signer %q: %w: %w", cert.Subject.CommonName, ErrSignatureInvalid, err)
	}
	return nil
}

// checkESS verifies the ESS signing-certificate(-v2) attribute, if any.
func checkESS(si *SignerInfo, cert *x509.Certificate) error {
	for _, v := range []struct {
		oid asn1.ObjectIdentifier
		v2  bool
	}{{OIDAttrSigningCertV2, true}, {OIDAttrSigningCertificate, false}} {
		der := si.Attribute(v.oid)
		if der == nil {
			continue
		}
		id, err := parseSigningCertificate(der, v.v2)
		if err != nil {
			return err
		}
		if err := id.matches(cert); err != nil {
			return err
		}
	}
	return nil
}

// looksLikeAttributes reports whether b decodes as a DER SET OF Attribute;
// such content signed without signed attributes is the signature-stripping
// forgery of draft-ietf-lamps-cms-euf-cma-signeddata.
func looksLikeAttributes(b []byte) bool {
	if len(b) == 0 || b[0] != 0x31 {
		return false
	}
	var set asn1.RawValue
	if unmarshalExact(b, &set) != nil {
		return false
	}
	attrs, err := parseAttributes(set.Bytes)
	return err == nil && len(attrs) > 0
}

// hashBytes returns h(b).
func hashBytes(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}
