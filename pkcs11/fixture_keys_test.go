package pkcs11

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
)

func rsaPublic(n, e []byte) *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// ecdsaPublic parses an uncompressed point (validated through crypto/ecdh).
func ecdsaPublic(curve elliptic.Curve, pt []byte) (*ecdsa.PublicKey, error) {
	var c ecdh.Curve = ecdh.P256()
	if curve == elliptic.P384() {
		c = ecdh.P384()
	}
	k, err := c.NewPublicKey(pt)
	if err != nil {
		return nil, err
	}
	// Round-trip through PKIX to get an *ecdsa.PublicKey.
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
