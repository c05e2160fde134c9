package cms

import (
	"crypto/x509"
	"encoding/asn1"
	"testing"

	"github.com/stretchr/testify/assert"
)

// X509SignatureAlgorithm names exactly the algorithms crypto/x509 can check;
// the others stay unknown, so that callers refuse them.
func TestX509SignatureAlgorithm(t *testing.T) {
	for _, c := range []struct {
		oid  asn1.ObjectIdentifier
		want x509.SignatureAlgorithm
	}{
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, x509.SHA1WithRSA},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, x509.SHA256WithRSA},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, x509.SHA384WithRSA},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, x509.SHA512WithRSA},
		{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, x509.ECDSAWithSHA1},
		{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, x509.ECDSAWithSHA256},
		{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, x509.ECDSAWithSHA384},
		{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, x509.ECDSAWithSHA512},
		{asn1.ObjectIdentifier{1, 3, 101, 112}, x509.PureEd25519},
		// No crypto/x509 equivalent: unknown.
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}, x509.UnknownSignatureAlgorithm},     // RSASSA-PSS
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}, x509.UnknownSignatureAlgorithm}, // RSA with SHA3-256
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 10}, x509.UnknownSignatureAlgorithm}, // ECDSA with SHA3-256
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 15}, x509.UnknownSignatureAlgorithm},     // RSA with SHA-512/224
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, x509.UnknownSignatureAlgorithm},      // rsaEncryption
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, x509.UnknownSignatureAlgorithm},  // SHA-256 alone
		{nil, x509.UnknownSignatureAlgorithm},
	} {
		assert.Equal(t, c.want, X509SignatureAlgorithm(c.oid), "%v", c.oid)
	}
}
