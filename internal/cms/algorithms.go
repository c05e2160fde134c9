package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	_ "crypto/sha1" // SHA-1 digests of legacy data (verification only)
	_ "crypto/sha256"
	_ "crypto/sha3" // SHA3-256/384/512 (Circular 15/2025 allows SHA-3)
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
	// id-sha3-256/384/512 (NIST CSOR).
	oidSHA3_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}
	oidSHA3_384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 9}
	oidSHA3_512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 10}
	// id-sha512-224, id-sha512-256, id-sha3-224: hashes Circular
	// 15/2025/TT-BKHCN Appendix I also lists.
	oidSHA512_224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 5}
	oidSHA512_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 6}
	oidSHA3_224   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 7}

	oidSHA512_224WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 15}
	oidSHA512_256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 16}
	oidSHA3_224WithRSA   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 13}
	oidECDSAWithSHA3_224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 9}

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
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}

	// id-rsassa-pkcs1-v1_5-with-sha3-* and id-ecdsa-with-sha3-* (NIST
	// CSOR sigAlgs arc).
	oidSHA3_256WithRSA   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}
	oidSHA3_384WithRSA   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 15}
	oidSHA3_512WithRSA   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 16}
	oidECDSAWithSHA3_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 10}
	oidECDSAWithSHA3_384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 11}
	oidECDSAWithSHA3_512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 12}
)

// hashOIDs maps every supported digest algorithm to its identifier.
var hashOIDs = []struct {
	hash crypto.Hash
	oid  asn1.ObjectIdentifier
	// rsa and ecdsa are the PKCS#1 v1.5 and ECDSA signature algorithms.
	rsa, ecdsa asn1.ObjectIdentifier
	// x509RSA and x509ECDSA are their crypto/x509 names (zero, unknown,
	// where crypto/x509 has none).
	x509RSA, x509ECDSA x509.SignatureAlgorithm
}{
	{crypto.SHA1, oidSHA1, oidSHA1WithRSA, oidECDSAWithSHA1, x509.SHA1WithRSA, x509.ECDSAWithSHA1},
	{crypto.SHA256, oidSHA256, oidSHA256WithRSA, oidECDSAWithSHA256, x509.SHA256WithRSA, x509.ECDSAWithSHA256},
	{crypto.SHA384, oidSHA384, oidSHA384WithRSA, oidECDSAWithSHA384, x509.SHA384WithRSA, x509.ECDSAWithSHA384},
	{crypto.SHA512, oidSHA512, oidSHA512WithRSA, oidECDSAWithSHA512, x509.SHA512WithRSA, x509.ECDSAWithSHA512},
	{crypto.SHA3_256, oidSHA3_256, oidSHA3_256WithRSA, oidECDSAWithSHA3_256, 0, 0},
	{crypto.SHA3_384, oidSHA3_384, oidSHA3_384WithRSA, oidECDSAWithSHA3_384, 0, 0},
	{crypto.SHA3_512, oidSHA3_512, oidSHA3_512WithRSA, oidECDSAWithSHA3_512, 0, 0},
	// Verification only (checkSigningHash does not sign with them).
	{crypto.SHA512_224, oidSHA512_224, oidSHA512_224WithRSA, nil, 0, 0},
	{crypto.SHA512_256, oidSHA512_256, oidSHA512_256WithRSA, nil, 0, 0},
	{crypto.SHA3_224, oidSHA3_224, oidSHA3_224WithRSA, oidECDSAWithSHA3_224, 0, 0},
}

// X509SignatureAlgorithm returns the crypto/x509 name of a PKCS#1 v1.5,
// ECDSA or Ed25519 signature algorithm identifier (the algorithms an OCSP
// response's signature is checked with through crypto/x509), or
// x509.UnknownSignatureAlgorithm: for RSA-PSS, whose hash is in its
// parameters, and for the SHA-3 and SHA-512/t signatures, which crypto/x509
// cannot check.
func X509SignatureAlgorithm(oid asn1.ObjectIdentifier) x509.SignatureAlgorithm {
	if oid.Equal(oidEd25519) {
		return x509.PureEd25519
	}
	for _, e := range hashOIDs {
		switch {
		case oid.Equal(e.rsa):
			return e.x509RSA
		case e.ecdsa != nil && oid.Equal(e.ecdsa):
			return e.x509ECDSA
		}
	}
	return x509.UnknownSignatureAlgorithm
}

// isSHA3 reports whether h is a SHA-3 hash.
func isSHA3(h crypto.Hash) bool {
	return h == crypto.SHA3_224 || h == crypto.SHA3_256 || h == crypto.SHA3_384 || h == crypto.SHA3_512
}

var asn1NULL = asn1.RawValue{FullBytes: []byte{0x05, 0x00}}

// hashOID returns the digest algorithm identifier of h.
func hashOID(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	for _, e := range hashOIDs {
		if e.hash == h {
			return e.oid, nil
		}
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
	for _, e := range hashOIDs {
		if a.Algorithm.Equal(e.oid) {
			return e.hash, nil
		}
	}
	return 0, fmt.Errorf("cms: digest algorithm %v: %w", a.Algorithm, ErrUnsupportedAlgorithm)
}

func isNULL(v asn1.RawValue) bool {
	return len(v.FullBytes) == 2 && v.FullBytes[0] == 0x05 && v.FullBytes[1] == 0x00
}

// checkSigningHash refuses hashes that new signatures must not use.
func checkSigningHash(h crypto.Hash) error {
	switch h {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512:
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
			// RFC 4055 writes the SHA-2 identifiers in RSASSA-PSS-params
			// with NULL parameters; SHA-3 identifiers have none.
			hashAlg := pkix.AlgorithmIdentifier{Algorithm: hashOID, Parameters: asn1NULL}
			if isSHA3(h) {
				hashAlg.Parameters = asn1.RawValue{}
			}
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
		oid := sigOID(h, false)
		if oid == nil {
			return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: RSA with %v: %w", h, ErrUnsupportedAlgorithm)
		}
		return pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1NULL}, nil
	case *ecdsa.PublicKey:
		if pss {
			return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: PSS requested for an ECDSA key: %w", ErrUnsupportedAlgorithm)
		}
		oid := sigOID(h, true)
		if oid == nil {
			return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: ECDSA with %v: %w", h, ErrUnsupportedAlgorithm)
		}
		return pkix.AlgorithmIdentifier{Algorithm: oid}, nil
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("cms: public key type %T: %w", pub, ErrUnsupportedAlgorithm)
}

// SignatureAlgorithm returns the PKCS#1 v1.5 (NULL parameters) or ECDSA
// (no parameters) signature algorithm identifier for a key of type pub
// signing with hash h, as CMS and certificate requests write it. It fails
// with ErrUnsupportedAlgorithm for other key types and for hashes without
// one.
func SignatureAlgorithm(pub any, h crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	return signatureAlgorithmID(pub, h, false)
}

// signerOptsFor interprets a SignerInfo's signatureAlgorithm for a signer
// whose digestAlgorithm is h and whose key is pub. It returns the
// crypto.SignerOpts to verify with, and rejects algorithms inconsistent with
// the key or the digest algorithm.
func signerOptsFor(alg pkix.AlgorithmIdentifier, h crypto.Hash, pub any) (crypto.SignerOpts, error) {
	mismatch := func() (crypto.SignerOpts, error) {
		return nil, fmt.Errorf("cms: signature algorithm %v does not match digest algorithm %v: %w", alg.Algorithm, h, ErrFormat)
	}
	var ecdsaKey bool
	switch pub.(type) {
	case *rsa.PublicKey:
		switch {
		case alg.Algorithm.Equal(oidRSAEncryption):
			return h, nil
		case alg.Algorithm.Equal(oidRSAPSS):
			return parsePSS(alg, h)
		}
	case *ecdsa.PublicKey:
		ecdsaKey = true
		if alg.Algorithm.Equal(oidECPublicKey) {
			return h, nil
		}
	default:
		return nil, fmt.Errorf("cms: public key type %T: %w", pub, ErrUnsupportedAlgorithm)
	}
	// A signature algorithm that names its hash must name the digest
	// algorithm's.
	for _, e := range hashOIDs {
		oid := e.rsa
		if ecdsaKey {
			oid = e.ecdsa
		}
		if alg.Algorithm.Equal(oid) {
			if e.hash != h {
				return mismatch()
			}
			return h, nil
		}
	}
	return nil, fmt.Errorf("cms: signature algorithm %v for %T: %w", alg.Algorithm, pub, ErrUnsupportedAlgorithm)
}

// sigOID returns the PKCS#1 v1.5 (or, with ecdsa set, the ECDSA) signature
// algorithm identifier for h, nil if there is none.
func sigOID(h crypto.Hash, ecdsa bool) asn1.ObjectIdentifier {
	for _, e := range hashOIDs {
		if e.hash == h {
			if ecdsa {
				return e.ecdsa
			}
			return e.rsa
		}
	}
	return nil
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
