package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// Sentinel errors. Every failure a service reports comes back as an
// [*Error] that matches one of them with errors.Is.
var (
	// ErrWrongCredentials: the service refused the client's own
	// credentials (CSC auth/login user and password, OAuth2 client, the
	// sp769 sp_id and sp_password), or its access token.
	ErrWrongCredentials = errors.New("remote: wrong service credentials")
	// ErrPINIncorrect: the signer's PIN or OTP was not accepted
	// (credentials/authorize). It also matches signer.ErrWrongPassword.
	ErrPINIncorrect = errors.New("remote: wrong PIN or OTP")
	// ErrSADExpired: the Signature Activation Data expired before
	// signatures/signHash used it.
	ErrSADExpired = errors.New("remote: signature activation data expired")
	// ErrDeclined: the user refused the request on the phone.
	ErrDeclined = errors.New("remote: the user declined the request")
	// ErrTimeout: the user did not confirm in time, either as the service
	// reports it or because the caller's wait ran out (then the error also
	// matches context.DeadlineExceeded).
	ErrTimeout = errors.New("remote: no confirmation in time")
	// ErrCredentialDisabled: the signing key or certificate is disabled,
	// locked, suspended or expired at the service.
	ErrCredentialDisabled = errors.New("remote: credential disabled")
	// ErrRateLimited: the service asks the client to slow down (HTTP 429).
	ErrRateLimited = errors.New("remote: rate limited by the service")
	// ErrNotFound: the user, credential or transaction is unknown.
	ErrNotFound = errors.New("remote: user, credential or transaction not found")
	// ErrProtocol: the service answered something this client cannot use
	// (malformed JSON, a missing field, the wrong number of signatures).
	ErrProtocol = errors.New("remote: protocol error")
	// ErrService: any other error the service reported.
	ErrService = errors.New("remote: service error")
	// ErrBatch: the documents of a batch cannot be signed together (mixed
	// hash algorithms, none at all, more than the service allows).
	ErrBatch = errors.New("remote: invalid batch")
)

// Error is an error reported by a remote signing service.
type Error struct {
	API        string        // "csc" or "sp769"
	Op         string        // the method: "credentials/authorize", "sign", ...
	HTTPStatus int           // the HTTP status code (0 if not from HTTP)
	Code       string        // CSC "error", or the sp769 status_code
	Message    string        // CSC "error_description", or the sp769 message
	RetryAfter time.Duration // from a Retry-After header, for ErrRateLimited
	Kind       error         // the sentinel it matches
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "remote: %s %s", e.API, e.Op)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Kind != nil {
		fmt.Fprintf(&b, " (%s)", strings.TrimPrefix(e.Kind.Error(), "remote: "))
	}
	return b.String()
}

// Unwrap returns the sentinel (and, for ErrPINIncorrect, signer.ErrWrongPassword).
func (e *Error) Unwrap() []error {
	switch e.Kind {
	case nil:
		return []error{ErrService}
	case ErrPINIncorrect:
		return []error{ErrPINIncorrect, signer.ErrWrongPassword}
	}
	return []error{e.Kind}
}

// waitError reports that the caller's context ended while waiting for the
// user: a deadline is ErrTimeout, a cancellation is context.Canceled.
func waitError(api, op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("remote: %s %s: %w (%w)", api, op, ErrTimeout, err)
	}
	return fmt.Errorf("remote: %s %s: %w", api, op, err)
}
