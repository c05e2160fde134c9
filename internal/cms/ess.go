package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// ESS signing-certificate(-v2) attributes (RFC 2634, RFC 5035).

type essIssuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames
	Serial *big.Int
}

// signingCertificateV2Value returns the DER SigningCertificateV2 value naming
// cert: certHash = SHA-256 of the certificate (hashAlgorithm omitted, it is
// the DEFAULT) and issuerSerial.
func signingCertificateV2Value(cert *x509.Certificate) ([]byte, error) {
	sum := crypto.SHA256.New()
	sum.Write(cert.Raw)
	is, err := asn1.Marshal(essIssuerSerial{
		Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer}},
		Serial: cert.SerialNumber,
	})
	if err != nil {
		return nil, err
	}
	hash, err := asn1.Marshal(sum.Sum(nil))
	if err != nil {
		return nil, err
	}
	certID := encodeTLV(0x30, append(hash, is...))
	certs := encodeTLV(0x30, certID)
	return encodeTLV(0x30, certs), nil
}

// essCertID is one parsed ESSCertID or ESSCertIDv2.
type essCertID struct {
	hash      crypto.Hash
	certHash  []byte
	issuer    []asn1.RawValue // GeneralNames, nil when absent
	serial    *big.Int
	hasIssuer bool
}

// parseSigningCertificate parses a SigningCertificate (v1, SHA-1 hashes) or
// SigningCertificateV2 value and returns its first ESSCertID, the one that
// must identify the signer.
func parseSigningCertificate(der []byte, v2 bool) (*essCertID, error) {
	var outer asn1.RawValue
	if err := unmarshalExact(der, &outer); err != nil || outer.Tag != asn1.TagSequence || !outer.IsCompound {
		return nil, formatErr("signing-certificate attribute: not a SEQUENCE")
	}
	fields, err := splitDER(outer.Bytes)
	if err != nil || len(fields) == 0 || len(fields) > 2 || fields[0].Tag != asn1.TagSequence {
		return nil, formatErr("signing-certificate attribute: bad structure")
	}
	ids, err := splitDER(fields[0].Bytes)
	if err != nil || len(ids) == 0 {
		return nil, formatErr("signing-certificate attribute: no ESSCertID")
	}
	parts, err := splitDER(ids[0].Bytes)
	if err != nil || len(parts) == 0 {
		return nil, formatErr("ESSCertID: bad structure")
	}
	id := &essCertID{hash: crypto.SHA1}
	if v2 {
		id.hash = crypto.SHA256
		if parts[0].Tag == asn1.TagSequence && parts[0].Class == asn1.ClassUniversal {
			var alg pkix.AlgorithmIdentifier
			if err := unmarshalExact(parts[0].FullBytes, &alg); err != nil {
				return nil, formatErr("ESSCertIDv2 hashAlgorithm: %v", err)
			}
			if id.hash, err = hashFromAlgorithm(alg); err != nil {
				return nil, err
			}
			parts = parts[1:]
		}
	}
	if len(parts) == 0 || parts[0].Tag != asn1.TagOctetString || parts[0].Class != asn1.ClassUniversal || parts[0].IsCompound {
		return nil, formatErr("ESSCertID: missing certHash")
	}
	id.certHash = parts[0].Bytes
	if len(id.certHash) != id.hash.Size() {
		return nil, formatErr("ESSCertID: certHash of %d bytes for %v", len(id.certHash), id.hash)
	}
	parts = parts[1:]
	if len(parts) > 0 {
		var is essIssuerSerial
		if err := unmarshalExact(parts[0].FullBytes, &is); err != nil {
			return nil, formatErr("ESSCertID issuerSerial: %v", err)
		}
		id.issuer, id.serial, id.hasIssuer = is.Issuer, is.Serial, true
		parts = parts[1:]
	}
	if len(parts) > 0 {
		return nil, formatErr("ESSCertID: trailing fields")
	}
	return id, nil
}

// matches reports whether id names cert.
func (id *essCertID) matches(cert *x509.Certificate) error {
	h := id.hash.New()
	h.Write(cert.Raw)
	if !bytes.Equal(h.Sum(nil), id.certHash) {
		return fmt.Errorf("cms: ESS certHash (%v) differs from the signer certificate %q: %w", id.hash, cert.Subject.CommonName, ErrESSMismatch)
	}
	if !id.hasIssuer {
		return nil
	}
	if id.serial == nil || id.serial.Cmp(cert.SerialNumber) != 0 {
		return fmt.Errorf("cms: ESS issuerSerial serial number differs from the signer certificate: %w", ErrESSMismatch)
	}
	for _, gn := range id.issuer {
		if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && bytes.Equal(gn.Bytes, cert.RawIssuer) {
			return nil
		}
	}
	return fmt.Errorf("cms: ESS issuerSerial issuer differs from the signer certificate: %w", ErrESSMismatch)
}
