package verify

// Indication is the ETSI EN 319 102-1 main status of a signature validation.
type Indication string

// Indications, as EN 319 102-1 §5.1.3 names them.
const (
	// TotalPassed: every check passed; the signature is valid under the
	// options used.
	TotalPassed Indication = "TOTAL_PASSED"
	// TotalFailed: the signature is proven invalid (forged, altered, made
	// with a revoked or expired certificate, malformed).
	TotalFailed Indication = "TOTAL_FAILED"
	// Indeterminate: the available evidence allows neither conclusion
	// (untrusted chain, missing revocation data, weak algorithm, …).
	Indeterminate Indication = "INDETERMINATE"
)

// SubIndication refines an Indication, with EN 319 102-1 §5.1.3 names.
type SubIndication string

// Sub-indications used by this package.
const (
	// TOTAL_FAILED
	FormatFailure    SubIndication = "FORMAT_FAILURE"
	HashFailure      SubIndication = "HASH_FAILURE"
	SigCryptoFailure SubIndication = "SIG_CRYPTO_FAILURE"
	Revoked          SubIndication = "REVOKED"
	Expired          SubIndication = "EXPIRED"
	NotYetValid      SubIndication = "NOT_YET_VALID"
	// INDETERMINATE
	SigConstraintsFailure     SubIndication = "SIG_CONSTRAINTS_FAILURE"
	ChainConstraintsFailure   SubIndication = "CHAIN_CONSTRAINTS_FAILURE"
	CertificateChainGeneral   SubIndication = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
	CryptoConstraintsFailure  SubIndication = "CRYPTO_CONSTRAINTS_FAILURE"
	NoCertificateChainFound   SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
	NoSigningCertificateFound SubIndication = "NO_SIGNING_CERTIFICATE_FOUND"
	RevokedNoPOE              SubIndication = "REVOKED_NO_POE"
	RevokedCANoPOE            SubIndication = "REVOKED_CA_NO_POE"
	OutOfBoundsNoPOE          SubIndication = "OUT_OF_BOUNDS_NO_POE"
	TryLater                  SubIndication = "TRY_LATER"
	SignedDataNotFound        SubIndication = "SIGNED_DATA_NOT_FOUND"
)

// indicationOf returns the main indication a sub-indication belongs to.
func indicationOf(s SubIndication) Indication {
	switch s {
	case FormatFailure, HashFailure, SigCryptoFailure, Revoked, Expired, NotYetValid:
		return TotalFailed
	case "":
		return TotalPassed
	}
	return Indeterminate
}

// precedence orders sub-indications when several checks fail: a proven
// failure beats an open question, and among those the more fundamental
// problem is reported first. Every finding stays listed in the report.
var precedence = []SubIndication{
	FormatFailure, HashFailure, SigCryptoFailure, Revoked, Expired, NotYetValid,
	SignedDataNotFound, NoSigningCertificateFound, NoCertificateChainFound,
	CryptoConstraintsFailure, ChainConstraintsFailure, CertificateChainGeneral,
	SigConstraintsFailure, RevokedNoPOE, RevokedCANoPOE, OutOfBoundsNoPOE, TryLater,
}

func rank(s SubIndication) int {
	for i, p := range precedence {
		if p == s {
			return i
		}
	}
	return len(precedence)
}
