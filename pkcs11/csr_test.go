package pkcs11

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

// csrAlgorithm picks SHA-256, SHA-384 or SHA-512 with PKCS#1 v1.5 (NULL
// parameters) or ECDSA (no parameters), the hash following the curve when
// not given, and refuses other hashes and key types.
func TestCSRAlgorithm(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	null := asn1.RawValue{FullBytes: []byte{5, 0}}
	rsaAlg := func(last int) pkix.AlgorithmIdentifier {
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, last}, Parameters: null}
	}
	ecAlg := func(last int) pkix.AlgorithmIdentifier {
		return pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, last}}
	}
	for _, c := range []struct {
		pub      crypto.PublicKey
		h, wantH crypto.Hash
		want     pkix.AlgorithmIdentifier
	}{
		{&rk.PublicKey, 0, crypto.SHA256, rsaAlg(11)},
		{&rk.PublicKey, crypto.SHA256, crypto.SHA256, rsaAlg(11)},
		{&rk.PublicKey, crypto.SHA384, crypto.SHA384, rsaAlg(12)},
		{&rk.PublicKey, crypto.SHA512, crypto.SHA512, rsaAlg(13)},
		{&p256.PublicKey, 0, crypto.SHA256, ecAlg(2)},
		{&p384.PublicKey, 0, crypto.SHA384, ecAlg(3)},
		{&p256.PublicKey, crypto.SHA384, crypto.SHA384, ecAlg(3)},
		{&p384.PublicKey, crypto.SHA512, crypto.SHA512, ecAlg(4)},
	} {
		h, der, err := csrAlgorithm(c.pub, c.h)
		require.NoError(t, err)
		assert.Equal(t, c.wantH, h)
		want, err := asn1.Marshal(c.want)
		require.NoError(t, err)
		assert.Equal(t, want, der, "%T %v", c.pub, c.h)
	}
	for _, c := range []struct {
		pub crypto.PublicKey
		h   crypto.Hash
	}{
		{&rk.PublicKey, crypto.SHA1},
		{&rk.PublicKey, crypto.SHA3_256},
		{&p256.PublicKey, crypto.SHA1},
		{&p256.PublicKey, crypto.SHA3_256},
		{&p256.PublicKey, crypto.SHA224},
		{"not a key", crypto.SHA256},
	} {
		_, _, err := csrAlgorithm(c.pub, c.h)
		assert.True(t, errors.Is(err, signer.ErrUnsupportedAlgorithm), "%T %v: %v", c.pub, c.h, err)
	}
}
