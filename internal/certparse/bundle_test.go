package certparse

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSigned returns a fresh self-signed certificate named cn.
func selfSigned(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

// tlv encodes one DER element.
func tlv(tag byte, body []byte) []byte {
	n := len(body)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, body...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, body...)
	}
	return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, body...)
}

// p7 is a certs-only PKCS#7 SignedData (a .p7b/.p7c) holding certs.
func p7(certs ...*x509.Certificate) []byte {
	var set []byte
	for _, c := range certs {
		set = append(set, c.Raw...)
	}
	sd := tlv(0x30, bytes.Join([][]byte{
		{0x02, 0x01, 0x01}, {0x31, 0x00},
		tlv(0x30, append([]byte{0x06, 0x09}, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01)),
		tlv(0xa0, set), {0x31, 0x00},
	}, nil))
	return tlv(0x30, append(append([]byte{0x06, 0x09}, oidSignedData...), tlv(0xa0, sd)...))
}

// Every encoding a CA publishes its certificates in reads to the same
// certificates; nothing certificate-like is ErrNoCertificates; a broken
// block is an error, not a silent skip.
func TestParseBundle(t *testing.T) {
	a, b := selfSigned(t, "A"), selfSigned(t, "B")
	pemOf := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	for name, in := range map[string][]byte{
		"DER":           a.Raw,
		"DER sequence":  append(append([]byte(nil), a.Raw...), b.Raw...),
		"DER p7c":       p7(a, b),
		"PEM":           append(pemOf("CERTIFICATE", a.Raw), pemOf("X509 CERTIFICATE", b.Raw)...),
		"PEM p7c":       pemOf("PKCS7", p7(a, b)),
		"PEM with text": append([]byte("Bag Attributes\n"), append(pemOf("EC PRIVATE KEY", []byte{1}), pemOf("CMS", p7(a, b))...)...),
	} {
		got, err := ParseBundle(in)
		require.NoError(t, err, name)
		want := 2
		if name == "DER" {
			want = 1
		}
		require.Len(t, got, want, name)
		assert.Equal(t, "A", got[0].Subject.CommonName, name)
	}
	_, err := ParseBundle([]byte("hello"))
	assert.True(t, errors.Is(err, ErrNoCertificates), "%v", err)
	_, err = ParseBundle(pemOf("EC PRIVATE KEY", []byte{1}))
	assert.True(t, errors.Is(err, ErrNoCertificates), "%v", err)
	_, err = ParseBundle(pemOf("CERTIFICATE", a.Raw[:40]))
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrNoCertificates))
}
