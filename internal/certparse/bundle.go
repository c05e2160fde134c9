package certparse

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrNoCertificates: the input holds no certificate in any accepted
// encoding.
var ErrNoCertificates = errors.New("no certificate found")

// maxBundleCerts bounds how many certificates one bundle may hold.
const maxBundleCerts = 10000

var oidSignedData = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02} // 1.2.840.113549.1.7.2

// ParseBundle reads every certificate in data, which may be:
//   - one or more PEM blocks of type CERTIFICATE, X509 CERTIFICATE,
//     TRUSTED CERTIFICATE (the OpenSSL trust suffix is ignored), PKCS7 or
//     CMS (a .p7b/.p7c bundle);
//   - a DER certificate, or a concatenation of DER certificates;
//   - a DER .p7b/.p7c bundle (a degenerate PKCS#7 SignedData, as NEAC
//     publishes its roots).
//
// Other PEM blocks (keys, CRLs) are skipped. It fails with ErrNoCertificates
// when nothing was found and with a parse error when a block that claims
// to be a certificate or bundle is malformed; callers prefix the errors
// with their package's name. At most maxBundleCerts certificates are read.
func ParseBundle(data []byte) ([]*x509.Certificate, error) {
	// DER starts with a SEQUENCE tag; anything else is read as PEM (which
	// may carry text such as OpenSSL "Bag Attributes" before its blocks).
	// DER is never trimmed: its last bytes may look like white space.
	if len(data) > 0 && data[0] != 0x30 && bytes.Contains(data, []byte("-----BEGIN")) {
		return parsePEMCertificates(data)
	}
	certs, err := parseDERCertificates(data)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificates
	}
	return certs, nil
}

func parsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := data
	for n := 0; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		certs, err := ParsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		out = append(out, certs...)
		if len(out) > maxBundleCerts {
			return nil, fmt.Errorf("more than %d certificates in one bundle", maxBundleCerts)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoCertificates
	}
	return out, nil
}

// ParsePEMBlock returns the certificates of one PEM block: CERTIFICATE,
// X509 CERTIFICATE, TRUSTED CERTIFICATE (OpenSSL's trust settings after
// the certificate are ignored), PKCS7 or CMS (a certificate bundle). Any
// other block holds none.
func ParsePEMBlock(block *pem.Block) ([]*x509.Certificate, error) {
	switch block.Type {
	case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
		der := block.Bytes
		if block.Type == "TRUSTED CERTIFICATE" {
			s := cryptobyte.String(der)
			var c cryptobyte.String
			if !s.ReadASN1Element(&c, cbasn1.SEQUENCE) {
				return nil, errors.New("malformed trusted certificate")
			}
			der = c
		}
		c, err := Parse(der)
		if err != nil {
			return nil, err
		}
		return []*x509.Certificate{c}, nil
	case "PKCS7", "CMS":
		return parsePKCS7Certificates(block.Bytes)
	}
	return nil, nil
}

// parseDERCertificates reads a DER certificate sequence or a DER PKCS#7
// bundle.
func parseDERCertificates(data []byte) ([]*x509.Certificate, error) {
	s := cryptobyte.String(data)
	var first cryptobyte.String
	peek := s
	if !peek.ReadASN1(&first, cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: input is neither PEM nor DER", ErrNoCertificates)
	}
	// A ContentInfo starts with an OID; a certificate with a SEQUENCE.
	if first.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER) {
		if !peek.Empty() {
			return nil, errors.New("trailing data after PKCS#7 bundle")
		}
		return parsePKCS7Certificates(data)
	}
	var out []*x509.Certificate
	for !s.Empty() {
		var el cryptobyte.String
		if !s.ReadASN1Element(&el, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("certificate %d: malformed DER", len(out))
		}
		c, err := Parse(el)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out), err)
		}
		out = append(out, c)
		if len(out) > maxBundleCerts {
			return nil, fmt.Errorf("more than %d certificates in one bundle", maxBundleCerts)
		}
	}
	return out, nil
}

// parsePKCS7Certificates returns the certificates field of a DER
// ContentInfo holding a SignedData (RFC 5652 §5.1). Signatures, if any, are
// ignored: a bundle is only a container; trust comes from the caller's
// choice of file or from a pinned fingerprint.
func parsePKCS7Certificates(der []byte) ([]*x509.Certificate, error) {
	s := cryptobyte.String(der)
	var ci, oid, content, sd cryptobyte.String
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !s.Empty() {
		return nil, errors.New("PKCS#7: malformed ContentInfo (BER indefinite lengths are not accepted; convert with `openssl pkcs7 -outform DER`)")
	}
	if !ci.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return nil, errors.New("PKCS#7: missing content type")
	}
	if !bytes.Equal(oid, oidSignedData) {
		return nil, errors.New("PKCS#7: content is not SignedData")
	}
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() {
		return nil, errors.New("PKCS#7: malformed content")
	}
	if !content.ReadASN1(&sd, cbasn1.SEQUENCE) || !content.Empty() {
		return nil, errors.New("PKCS#7: malformed SignedData")
	}
	var version int64
	var digestAlgs, encap cryptobyte.String
	if !sd.ReadASN1Integer(&version) || !sd.ReadASN1(&digestAlgs, cbasn1.SET) || !sd.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, errors.New("PKCS#7: malformed SignedData header")
	}
	var certField cryptobyte.String
	var hasCerts bool
	if !sd.ReadOptionalASN1(&certField, &hasCerts, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("PKCS#7: malformed certificates field")
	}
	if !hasCerts {
		return nil, ErrNoCertificates
	}
	var out []*x509.Certificate
	for !certField.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !certField.ReadAnyASN1Element(&el, &tag) {
			return nil, fmt.Errorf("PKCS#7: certificate %d: malformed DER", len(out))
		}
		if tag != cbasn1.SEQUENCE {
			continue // attribute certificates and other choices
		}
		c, err := Parse(el)
		if err != nil {
			return nil, fmt.Errorf("PKCS#7: certificate %d: %w", len(out), err)
		}
		out = append(out, c)
		if len(out) > maxBundleCerts {
			return nil, fmt.Errorf("more than %d certificates in one bundle", maxBundleCerts)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoCertificates
	}
	return out, nil
}
