package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
)

// CheckSignature reports whether sig is a valid signature by pub over digest,
// made as opts describes (crypto.Hash for PKCS#1 v1.5 or ECDSA, *rsa.PSSOptions
// for RSA-PSS). ECDSA signatures are ASN.1 DER. Backends that receive a
// signature from elsewhere (a token, an MSSP) call it before returning one:
// a failure wraps ErrBadSignature.
func CheckSignature(pub crypto.PublicKey, digest []byte, opts crypto.SignerOpts, sig []byte) error {
	if err := checkDigest(digest, opts); err != nil {
		return err
	}
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			err = rsa.VerifyPSS(k, pss.Hash, digest, sig, pss)
		} else {
			err = rsa.VerifyPKCS1v15(k, opts.HashFunc(), digest, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			err = fmt.Errorf("ECDSA verification failed")
		}
	default:
		return fmt.Errorf("%w: public key type %T", ErrUnsupportedAlgorithm, pub)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}
