package cms

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them (or
// a signer sentinel such as signer.ErrBadSignature), so callers — the verify
// package in particular — can map them to ETSI EN 319 102-1 sub-indications
// with errors.Is.
var (
	// ErrFormat: the input is not well-formed CMS / RFC 3161 data, or it
	// uses a form this package refuses (mixed forms, several values where
	// one is required, trailing data). ETSI: FORMAT_FAILURE.
	ErrFormat = errors.New("cms: malformed or unsupported structure")
	// ErrHashMismatch: the message-digest attribute (or a timestamp's
	// message imprint) does not match the data. ETSI: HASH_FAILURE.
	ErrHashMismatch = errors.New("cms: digest does not match the signed data")
	// ErrSignatureInvalid: the signature value does not verify under the
	// signer's public key. ETSI: SIG_CRYPTO_FAILURE.
	ErrSignatureInvalid = errors.New("cms: signature value does not verify")
	// ErrNoSignerCertificate: the certificate identified by the SignerInfo
	// is not in the SignedData. ETSI: NO_SIGNING_CERTIFICATE_FOUND.
	ErrNoSignerCertificate = errors.New("cms: signer certificate not found")
	// ErrESSMismatch: the ESS signing-certificate(-v2) attribute does not
	// name the signer certificate. ETSI: NO_SIGNING_CERTIFICATE_FOUND.
	ErrESSMismatch = errors.New("cms: ESS signing-certificate attribute does not match the signer certificate")
	// ErrUnsupportedAlgorithm: a digest or signature algorithm this package
	// does not implement (or refuses, such as SHA-1 for new signatures).
	ErrUnsupportedAlgorithm = errors.New("cms: unsupported algorithm")
	// ErrTimestamp: a time-stamp token or response failed a check (nonce,
	// imprint, TSA certificate, EKU, token signature). The wrapped chain
	// names the failed check and may also wrap ErrHashMismatch or
	// ErrSignatureInvalid.
	ErrTimestamp = errors.New("cms: time-stamp check failed")
	// ErrTSARejected: the TSA answered with a PKIStatus other than granted
	// or grantedWithMods. The concrete error is a *TSAStatusError.
	ErrTSARejected = errors.New("cms: time-stamp request rejected by the TSA")
	// ErrUnusableCMS: a signing backend returned a whole CMS SignedData
	// that can be neither unwrapped nor adopted (it signs some other data,
	// or was made with another certificate).
	ErrUnusableCMS = errors.New("cms: backend returned a CMS that does not sign this content")
	// ErrBadState: a serialised Prepared state is corrupt or of an unknown
	// version.
	ErrBadState = errors.New("cms: invalid prepared state")
)

func formatErr(format string, args ...any) error {
	return fmt.Errorf("cms: %s: %w", fmt.Sprintf(format, args...), ErrFormat)
}
