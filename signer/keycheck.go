package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// publicKeysEqual reports whether a and b are the same public key.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// checkKeyAlgorithm accepts RSA keys of at least 1024 bits (weak keys are
// refused by verification policy, not here, so old material can be loaded)
// and ECDSA keys on P-256, P-384 and P-521.
func checkKeyAlgorithm(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 1024 || k.N.BitLen() > 8192 {
			return fmt.Errorf("%w: RSA key of %d bits", ErrUnsupportedAlgorithm, k.N.BitLen())
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedAlgorithm, k.Curve.Params().Name)
	default:
		return fmt.Errorf("%w: public key type %T", ErrUnsupportedAlgorithm, pub)
	}
}

// checkDigest verifies that digest has the length of opts' hash and that the
// hash is one kyso signs with (SHA-1 only for legacy interoperability).
func checkDigest(digest []byte, opts crypto.SignerOpts) error {
	if opts == nil {
		return fmt.Errorf("%w: no hash given", ErrUnsupportedAlgorithm)
	}
	h := opts.HashFunc()
	switch h {
	case crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512,
		crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512,
		// Also listed by Circular 15/2025 Appendix I.
		crypto.SHA512_224, crypto.SHA512_256, crypto.SHA3_224:
	default:
		return fmt.Errorf("%w: hash %v", ErrUnsupportedAlgorithm, h)
	}
	if len(digest) != h.Size() {
		return fmt.Errorf("signer: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	return nil
}
