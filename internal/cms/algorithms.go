package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	_ "crypto/sha1" // SHA-1 digests of legacy data (verification only)
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Object identifiers used by CMS (RFC 5652), ESS (RFC 5035), RFC 3161 and the
// algorithm RFCs (RFC 3279, 4055, 5754, 5758).
var (
	OIDData                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDTSTInfo                = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDAttrContentType        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningTime        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDAttrSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	OIDAttrSigningCertV2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDAttrTimestampToken     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	// OIDAttrSignaturePolicy is id-aa-ets-sigPolicyId (CAdES-EPES).
	OIDAttrSignaturePolicy = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 15}
	// OIDAttrAdbeRevocation is adbe-revocationInfoArchival, which Adobe
	// readers look for in adbe.pkcs7.detached signatures.
	OIDAttrAdbeRevocation = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
	// OIDExtKeyUsageTimeStamping is id-kp-timeStamping.
	OIDExtKeyUsageTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidRSAPSS          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

var asn1NULL = asn1.RawValue{FullBytes: []byte{0x05, 0x00}}

// hashOID returns the digest algorithm identifier of h.
func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch h {
	case crypto.SHA1:
		return oidSHA1, nil
	case crypto.SHA256:
		return oidSHA256, nil
	case crypto.SHA384:
		return oidSHA384, nil
	case crypto.SHA512:
		return oidSHA512, nil
	}
	return nil, fmt.Errorf("cms: digest algorithm %v: %w", h, ErrUnsupportedAlgorithm)
}

// hashAlgorithmID returns the AlgorithmIdentifier for h with absent
// parameters, as RFC 5754 asks.
func hashAlgorithmID(h crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	oid, err := hashOID(h)
	return pkix.AlgorithmIdentifier{Algorithm: oid}, err
}

// hashFromAlgorithm maps a digest AlgorithmIdentifier (parameters absent or
// NULL) to a crypto.Hash.
func hashFromAlgorithm(a pkix.AlgorithmIdentifier) (crypto.Hash, error) {
	if len(a.Parameters.FullBytes) != 0 && !isNULL(a.Parameters) {
		return 0, fmt.Errorf("cms: digest algorithm %v has parameters: %w", a.Algorithm, ErrFormat)
	}
	switch {
	case a.Algorithm.Equal(oidSHA1):
		return crypto.SHA1, nil
	case a.Algorithm.Equal(oidSHA256):
		return crypto.SHA256, nil
	case a.Algorithm.Equal(oidSHA384):
		return crypto.SHA384, nil
	case a.Algorithm.Equal(oidSHA512):
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("cms: digest algorithm %v: %w", a.Algorithm, ErrUnsupportedAlgorithm)
}

func isNULL(v asn1.RawValue) bool {
	return len(v.FullBytes) == 2 && v.FullBytes[0] == 0x05 && v.FullBytes[1] == 0x00
}

// checkSigningHash refuses hashes that new signatures must not use.
func checkSigningHash(h crypto.Hash) error {
	switch h {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
		return nil
	}
	return fmt.Errorf("cms: signing with %v: %w", h, ErrUnsupportedAlgorithm)
}

type pssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
	SaltLength   int                      `asn1:"explicit,tag:2"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// signatureAlgorithmID returns the SignerInfo signatureAlgorithm for a key
// of type pub signing with hash h (RSA-PSS when pss is set).
func signatureAlgorithmID(pub any, h crypto.Hash, pss bool) (pkix.AlgorithmIdentifier, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		if pss {
			hashOID, err := hashOID(h)
			if err != nil {
				return pkix.AlgorithmIdentifier{}, err
			}
			hashAlg := pkix.AlgorithmIdentifier{Algorithm: hashOID, Parameters: asn1NULL}
			mgfParam, err := asn1.Marshal(hashAlg)
			if err != nil {
				return pkix.AlgorithmIdentifier{}, err
			}
			params, err := asn1.Marshal(pssParameters{
				Hash:         hashAlg,
				MGF:          pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: mgfParam}},
				SaltLength:   h.Size(),
				TrailerField: 1,
			})
			if err != nil {
				return pkix.AlgorithmIdentifier{}, err
			}
			return pkix.AlgorithmIdentifier{Algorithm: oidRSAPSS, Parameters: asn1.RawValue{FullBytes: params}}, nil
		}
		var oid asn1.ObjectIdentifier
		switch h {
		case crypto.SHA1:
			oid = oidSHA1WithRSA
		case crypto.SHA256:
			oid = oidSHA256WithRSA
		case crypto.SHA384:
			oid = oidSHA384WithRSA
		case crypto.SHA512:
			oid = oidSHA512WithRSA
		default:
			return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: RSA with %v: %w", h, ErrUnsupportedAlgorithm)
		}
		return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1NULL}, nil
	case *ecdsa.PublicKey:
		if pss {
			return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: PSS requested for an ECDSA key: %w", ErrUnsupportedAlgorithm)
		}
		var oid asn1.ObjectIdentifier
		switch h {
		case crypto.SHA1:
			oid = oidECDSAWithSHA1
		case crypto.SHA256:
			oid = oidECDSAWithSHA256
		case crypto.SHA384:
			oid = oidECDSAWithSHA384
		case crypto.SHA512:
			oid = oidECDSAWithSHA512
		default:
			return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: ECDSA with %v: %w", h, ErrUnsupportedAlgorithm)
		}
		return pkix.AlgorithmIdentifier{Algorithm: oid}, nil
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: public key type %T: %w", pub, ErrUnsupportedAlgorithm)
}

// signerOptsFor interprets a SignerInfo's signatureAlgorithm for a signer
// whose digestAlgorithm is h and whose key is pub. It returns the
// crypto.SignerOpts to verify with, and rejects algorithms inconsistent with
// the key or the digest algorithm.
func signerOptsFor(alg pkix.AlgorithmIdentifier, h crypto.Hash, pub any) (crypto.SignerOpts, error) {
	mismatch := func() (crypto.SignerOpts, error) {
		return nil, fmt.Errorf("cms: signature algorithm %v does not match digest algorithm %v: %w", alg.Algorithm, h, ErrFormat)
	}
	switch pub.(type) {
	case *rsa.PublicKey:
		switch {
		case alg.Algorithm.Equal(oidRSAEncryption):
			return h, nil
		case alg.Algorithm.Equal(oidSHA1WithRSA):
			if h != crypto.SHA1 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidSHA256WithRSA):
			if h != crypto.SHA256 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidSHA384WithRSA):
			if h != crypto.SHA384 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidSHA512WithRSA):
			if h != crypto.SHA512 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidRSAPSS):
			return parsePSS(alg, h)
		}
	case *ecdsa.PublicKey:
		switch {
		case alg.Algorithm.Equal(oidECPublicKey):
			return h, nil
		case alg.Algorithm.Equal(oidECDSAWithSHA1):
			if h != crypto.SHA1 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidECDSAWithSHA256):
			if h != crypto.SHA256 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidECDSAWithSHA384):
			if h != crypto.SHA384 {
				return mismatch()
			}
			return h, nil
		case alg.Algorithm.Equal(oidECDSAWithSHA512):
			if h != crypto.SHA512 {
				return mismatch()
			}
			return h, nil
		}
	default:
		return nil, fmt.Errorf("cms: public key type %T: %w", pub, ErrUnsupportedAlgorithm)
	}
	return nil, fmt.Errorf("cms: signature algorithm %v for %T: %w", alg.Algorithm, pub, ErrUnsupportedAlgorithm)
}

func parsePSS(alg pkix.AlgorithmIdentifier, h crypto.Hash) (crypto.SignerOpts, error) {
	var p pssParameters
	rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("cms: RSASSA-PSS parameters: %w", ErrFormat)
	}
	ph, err := hashFromAlgorithm(p.Hash)
	if err != nil {
		return nil, err
	}
	if !p.MGF.Algorithm.Equal(oidMGF1) {
		return nil, fmt.Errorf("cms: RSASSA-PSS mask generation %v: %w", p.MGF.Algorithm, ErrUnsupportedAlgorithm)
	}
	var mgfHash pkix.AlgorithmIdentifier
	if rest, err := asn1.Unmarshal(p.MGF.Parameters.FullBytes, &mgfHash); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("cms: RSASSA-PSS MGF1 parameters: %w", ErrFormat)
	}
	mh, err := hashFromAlgorithm(mgfHash)
	if err != nil {
		return nil, err
	}
	if ph != h || mh != h {
		return nil, fmt.Errorf("cms: RSASSA-PSS hashes (%v, MGF1 %v) differ from digest algorithm %v: %w", ph, mh, h, ErrFormat)
	}
	if p.TrailerField != 1 || p.SaltLength < 0 {
		return nil, fmt.Errorf("cms: RSASSA-PSS trailer %d / salt %d: %w", p.TrailerField, p.SaltLength, ErrFormat)
	}
	return &rsa.PSSOptions{SaltLength: p.SaltLength, Hash: h}, nil
}
