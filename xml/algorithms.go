package xml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/kyso-vn/kyso/signer"

	// Hash implementations used by the algorithm tables.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Algorithm URIs used in SignedInfo.
const (
	TransformEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	// TransformBase64 is the Base64 decoding transform (XML-DSig 1.0 §6.6.2).
	TransformBase64 = "http://www.w3.org/2000/09/xmldsig#base64"

	DigestSHA1   = "http://www.w3.org/2000/09/xmldsig#sha1"
	DigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
	DigestSHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	DigestSHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

	SigRSASHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	SigRSASHA256    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SigRSASHA384    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	SigRSASHA512    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	SigECDSASHA1    = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	SigECDSASHA256  = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	SigECDSASHA384  = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	SigECDSASHA512  = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
	SigRSAPSSSHA256 = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
	SigRSAPSSSHA384 = "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"
	SigRSAPSSSHA512 = "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"
)

// ErrSHA1: a signature or digest uses SHA-1 and VerifyOptions.AllowSHA1 is off.
var ErrSHA1 = errors.New("xml: SHA-1 is refused (set AllowSHA1 to verify legacy documents)")

var digestAlgs = map[string]crypto.Hash{
	DigestSHA1:   crypto.SHA1,
	DigestSHA256: crypto.SHA256,
	DigestSHA384: crypto.SHA384,
	DigestSHA512: crypto.SHA512,
}

func digestURI(h crypto.Hash) (string, error) {
	for u, hh := range digestAlgs {
		if hh == h {
			return u, nil
		}
	}
	return "", fmt.Errorf("%w: digest %v: %w", ErrUnsupportedAlgorithm, h, signer.ErrUnsupportedAlgorithm)
}

type sigAlg struct {
	hash crypto.Hash
	key  string // "rsa", "ecdsa", "rsa-pss"
}

var sigAlgs = map[string]sigAlg{
	SigRSASHA1:      {crypto.SHA1, "rsa"},
	SigRSASHA256:    {crypto.SHA256, "rsa"},
	SigRSASHA384:    {crypto.SHA384, "rsa"},
	SigRSASHA512:    {crypto.SHA512, "rsa"},
	SigECDSASHA1:    {crypto.SHA1, "ecdsa"},
	SigECDSASHA256:  {crypto.SHA256, "ecdsa"},
	SigECDSASHA384:  {crypto.SHA384, "ecdsa"},
	SigECDSASHA512:  {crypto.SHA512, "ecdsa"},
	SigRSAPSSSHA256: {crypto.SHA256, "rsa-pss"},
	SigRSAPSSSHA384: {crypto.SHA384, "rsa-pss"},
	SigRSAPSSSHA512: {crypto.SHA512, "rsa-pss"},
}

// signatureMethodFor picks the SignatureMethod URI for a public key.
func signatureMethodFor(pub crypto.PublicKey, h crypto.Hash, pss bool) (string, error) {
	for u, a := range sigAlgs {
		if a.hash != h {
			continue
		}
		switch pub.(type) {
		case *rsa.PublicKey:
			if (pss && a.key == "rsa-pss") || (!pss && a.key == "rsa") {
				return u, nil
			}
		case *ecdsa.PublicKey:
			if !pss && a.key == "ecdsa" {
				return u, nil
			}
		}
	}
	scheme := keyName(pub)
	if pss {
		scheme += "-PSS"
	}
	return "", fmt.Errorf("%w: %s key with %v: %w", ErrUnsupportedAlgorithm, scheme, h, signer.ErrUnsupportedAlgorithm)
}

// keyName names a public key's algorithm for messages.
func keyName(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return "unsupported"
}

// signerOpts returns what a signer.Signer needs for the algorithm.
func (a sigAlg) signerOpts() crypto.SignerOpts {
	if a.key == "rsa-pss" {
		return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
	}
	return a.hash
}

// verifySignatureValue checks value (the decoded SignatureValue) over digest.
func verifySignatureValue(pub crypto.PublicKey, a sigAlg, digest, value []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch a.key {
		case "rsa":
			return rsa.VerifyPKCS1v15(k, a.hash, digest, value)
		case "rsa-pss":
			return rsa.VerifyPSS(k, a.hash, digest, value, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash})
		}
	case *ecdsa.PublicKey:
		if a.key != "ecdsa" {
			break
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(value) == 2*size {
			r := new(big.Int).SetBytes(value[:size])
			s := new(big.Int).SetBytes(value[size:])
			if ecdsa.Verify(k, digest, r, s) {
				return nil
			}
			return errors.New("ECDSA verification failed")
		}
		return fmt.Errorf("ECDSA SignatureValue is %d bytes, want r||s of %d", len(value), 2*size)
	}
	return fmt.Errorf("%w: %s key does not match the signature method", ErrUnsupportedAlgorithm, keyName(pub))
}

// ecdsaRaw converts an ASN.1 DER ECDSA signature to the r||s form of
// XML-DSig; a value that already has the r||s size is returned as is.
func ecdsaRaw(pub *ecdsa.PublicKey, sig []byte) ([]byte, error) {
	size := (pub.Curve.Params().BitSize + 7) / 8
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil || v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		if len(sig) == 2*size {
			return sig, nil
		}
		return nil, fmt.Errorf("xml: ECDSA signature is neither DER nor r||s of %d bytes", 2*size)
	}
	if v.R.BitLen() > 8*size || v.S.BitLen() > 8*size {
		return nil, fmt.Errorf("xml: ECDSA signature values too large for the curve")
	}
	out := make([]byte, 2*size)
	v.R.FillBytes(out[:size])
	v.S.FillBytes(out[size:])
	return out, nil
}
