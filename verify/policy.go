package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"
)

// AlgorithmPolicy says which hash functions and key sizes are acceptable,
// and until when weaker ones were. A weak algorithm passes only when a
// trusted timestamp proves the signature (or certificate) existed before
// that algorithm's sunset date; otherwise the verdict is
// INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE.
type AlgorithmPolicy struct {
	// MinRSABits and MinECDSABits are the current minimum key sizes.
	MinRSABits   int
	MinECDSABits int
	// Hashes lists the hash functions accepted without a date limit.
	Hashes []crypto.Hash
	// HashSunset gives, for weak hash functions, the date until which they
	// were acceptable. A hash in neither list is never acceptable.
	HashSunset map[crypto.Hash]time.Time
	// WeakKeySunset is the date until which keys below the minimum (but of
	// at least LegacyMinRSABits / LegacyMinECDSABits) were acceptable.
	WeakKeySunset      time.Time
	LegacyMinRSABits   int
	LegacyMinECDSABits int
	// SHA1ProvenBefore, when set, accepts SHA-1 (signature digests and
	// certificate signatures) when proof of existence — a valid
	// timestamp, or Options.ProofOfExistence — predates it, even after
	// its HashSunset date. Vietnamese e-invoices and tax messages were signed with
	// rsa-sha1 until about 2021; a caller that must keep reading them
	// sets the date up to which it accepts them. Such signatures are
	// reported with a warning saying so.
	SHA1ProvenBefore time.Time
}

// Sunset dates used by VietnamPolicy (read them from a policy it returns:
// HashSunset[crypto.SHA1] and WeakKeySunset).
var (
	// sha1Sunset is when SHA-1 stopped being acceptable for signatures
	// (ETSI TS 119 312 as encoded in EU DSS's default policy: 2012-08-01).
	sha1Sunset = time.Date(2012, 8, 1, 0, 0, 0, 0, time.UTC)
	// circular15Date is the date of Circular 15/2025/TT-BKHCN (15 Aug 2025),
	// which set RSA ≥ 2048 and ECDSA ≥ 256 for Vietnamese verification
	// software. Its entry-into-force date was not read; the issue date is
	// used as the sunset of smaller keys.
	circular15Date = time.Date(2025, 8, 15, 0, 0, 0, 0, time.UTC)
)

// VietnamPolicy returns the policy of Circular 15/2025/TT-BKHCN Appendix I:
// RSA ≥ 2048 bits, ECDSA ≥ 256 bits, and the hash functions it lists:
// SHA-256, SHA-384, SHA-512, SHA-512/224, SHA-512/256, SHA3-224, SHA3-256,
// SHA3-384 and SHA3-512.
// SHA-1 is accepted only with proof of existence before 2012-08-01 (ETSI
// TS 119 312 as encoded in EU DSS's default policy), RSA 1024–2047 and
// ECDSA 224 only before 2025-08-15 (the date of Circular 15/2025); MD5 and
// shorter keys never. Each call returns a new policy, which the caller may
// change.
func VietnamPolicy() *AlgorithmPolicy {
	return &AlgorithmPolicy{
		MinRSABits:   2048,
		MinECDSABits: 256,
		Hashes: []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA512_224, crypto.SHA512_256,
			crypto.SHA3_224, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512},
		HashSunset:         map[crypto.Hash]time.Time{crypto.SHA1: sha1Sunset},
		WeakKeySunset:      circular15Date,
		LegacyMinRSABits:   1024,
		LegacyMinECDSABits: 224,
	}
}

// algoError explains why an algorithm is refused: what names it (a
// message: "hash SHA-1", "RSA key of 1024 bits (minimum 2048)").
type algoError struct {
	what   Message
	sunset time.Time // zero: never acceptable
}

func (e *algoError) Error() string { return e.message().String() }

func (e *algoError) message() Message {
	if e.sunset.IsZero() {
		return msg("algorithm.refused", e.what)
	}
	return msg("algorithm.sunset", e.sunset, e.what)
}

// checkHash accepts h at time at (the proven existence time, or zero when
// there is no proof of existence).
func (p *AlgorithmPolicy) checkHash(h crypto.Hash, poe time.Time) error {
	_, err := p.acceptHash(h, poe)
	return err
}

// acceptHash is checkHash that also returns a remark for the report when
// h was accepted only through SHA1ProvenBefore.
func (p *AlgorithmPolicy) acceptHash(h crypto.Hash, poe time.Time) (Message, error) {
	for _, ok := range p.Hashes {
		if h == ok {
			return Message{}, nil
		}
	}
	what := msg("algorithm.hash", hashName(h))
	if s, ok := p.HashSunset[h]; ok {
		if !poe.IsZero() && poe.Before(s) {
			return Message{}, nil
		}
		if h == crypto.SHA1 && !p.SHA1ProvenBefore.IsZero() && !poe.IsZero() && poe.Before(p.SHA1ProvenBefore) {
			return msg("algorithm.sha1-accepted", poe, p.SHA1ProvenBefore), nil
		}
		return Message{}, &algoError{what: what, sunset: s}
	}
	return Message{}, &algoError{what: what}
}

// checkKey accepts pub at proven existence time poe (zero: none).
func (p *AlgorithmPolicy) checkKey(pub crypto.PublicKey, poe time.Time) error {
	var bits, min, legacy int
	var kind string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		bits, min, legacy, kind = k.N.BitLen(), p.MinRSABits, p.LegacyMinRSABits, "RSA"
	case *ecdsa.PublicKey:
		bits, min, legacy, kind = k.Curve.Params().BitSize, p.MinECDSABits, p.LegacyMinECDSABits, "ECDSA"
	case ed25519.PublicKey:
		return &algoError{what: msg("algorithm.ed25519")}
	default:
		return &algoError{what: msg("algorithm.key-type", fmt.Sprintf("%T", pub))}
	}
	if bits >= min {
		return nil
	}
	what := msg("algorithm.key-size", kind, bits, min)
	if legacy > 0 && bits >= legacy && !p.WeakKeySunset.IsZero() {
		if !poe.IsZero() && poe.Before(p.WeakKeySunset) {
			return nil
		}
		return &algoError{what: what, sunset: p.WeakKeySunset}
	}
	return &algoError{what: what}
}

// certSignatureHash returns the hash of a certificate signature algorithm.
func certSignatureHash(a x509.SignatureAlgorithm) crypto.Hash {
	switch a {
	case x509.MD2WithRSA:
		return 0
	case x509.MD5WithRSA:
		return crypto.MD5
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		return crypto.SHA1
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		return crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return crypto.SHA512
	}
	return 0
}

// isWeakCertAlgorithm reports whether crypto/x509 refuses to build chains
// through a certificate signed with a.
func isWeakCertAlgorithm(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
		return true
	}
	return false
}

func hashName(h crypto.Hash) string {
	switch h {
	case 0:
		return "unknown"
	case crypto.MD5:
		return "MD5"
	case crypto.SHA1:
		return "SHA-1"
	case crypto.SHA512_224:
		return "SHA-512/224"
	case crypto.SHA512_256:
		return "SHA-512/256"
	}
	return h.String()
}
