package cades

import "errors"

// Sentinel errors; every error of this package wraps one of them or an
// error of the signer (signer.ErrBadSignature, a token's or TSA's error)
// or of the context.
var (
	// ErrMalformed: the .p7s given is not a well-formed CMS SignedData
	// (or uses a form kyso refuses, such as mixed signed-attribute forms).
	ErrMalformed = errors.New("cades: malformed CMS signature")
	// ErrBadOptions: the options are inconsistent (B-T without a TSA, an
	// unknown level or hash, a key the hash cannot be used with).
	ErrBadOptions = errors.New("cades: bad options")
	// ErrTooLarge: enveloping content over MaxEnvelopedSize.
	ErrTooLarge = errors.New("cades: content too large to envelop")
	// ErrContentMismatch: the content given does not match what the
	// existing signatures of a .p7s signed (AddSigner checks this before
	// adding a signer), or two signatures merged sign different content.
	ErrContentMismatch = errors.New("cades: content does not match the existing signatures")
	// ErrTimestamp: the TSA refused, failed or returned a token that does
	// not check out.
	ErrTimestamp = errors.New("cades: time-stamp failed")
	// ErrValidationData: a certificate chain or a revocation answer
	// needed for B-LT could not be found, fetched or checked.
	ErrValidationData = errors.New("cades: validation data unavailable")
	// ErrBadState: a serialised Prepared state is corrupt or of an unknown
	// version.
	ErrBadState = errors.New("cades: invalid prepared state")
)
