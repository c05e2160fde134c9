package pkcs11

import (
	"errors"
	"fmt"

	p11 "github.com/miekg/pkcs11"

	"github.com/kyso-vn/kyso/signer"
)

// Sentinel errors. Match them with errors.Is; the underlying PKCS#11 return
// value, when there is one, is also in the chain as a
// github.com/miekg/pkcs11.Error (errors.As).
var (
	// ErrModuleLoad: the library exists but could not be loaded as a
	// PKCS#11 module (not a PKCS#11 library, missing dependencies, or no
	// C_GetFunctionList export).
	ErrModuleLoad = errors.New("pkcs11: cannot load module")
	// ErrWrongArchitecture: the library was built for another CPU or word
	// size than this process (typically a 32-bit vendor DLL in a 64-bit
	// program). See [ArchError].
	ErrWrongArchitecture = errors.New("pkcs11: module built for another architecture")
	// ErrClosed: the Module or Token was closed.
	ErrClosed = errors.New("pkcs11: closed")

	// ErrTokenNotFound: no present token matches the selection.
	ErrTokenNotFound = errors.New("pkcs11: no matching token")
	// ErrAmbiguousToken: more than one present token matches the selection.
	ErrAmbiguousToken = errors.New("pkcs11: more than one token matches")
	// ErrTokenNotPresent: the token was removed (CKR_TOKEN_NOT_PRESENT,
	// CKR_DEVICE_REMOVED, CKR_SLOT_ID_INVALID). The next call looks for it
	// again by serial number.
	ErrTokenNotPresent = errors.New("pkcs11: token not present")
	// ErrSessionLost: the session or the login was lost (another
	// application closed all sessions or logged out:
	// CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
	// CKR_USER_NOT_LOGGED_IN). The next call opens a new session and logs
	// in again through the PIN callback.
	ErrSessionLost = errors.New("pkcs11: session or login lost")
	// ErrNoSession: the token refused to open a session (CKR_SESSION_COUNT)
	// and this Token holds none it could wait for.
	ErrNoSession = errors.New("pkcs11: token has no free session")

	// ErrPINRequired: the token needs a login and Options.PIN is nil.
	ErrPINRequired = errors.New("pkcs11: token needs a PIN and no PIN callback was given")
	// ErrPINIncorrect: CKR_PIN_INCORRECT. It also matches
	// signer.ErrWrongPassword. The PIN is never retried automatically.
	ErrPINIncorrect = errors.New("pkcs11: PIN incorrect")
	// ErrPINLocked: CKR_PIN_LOCKED, or CKF_USER_PIN_LOCKED was set before
	// the login was attempted. Only the security officer can unlock it.
	ErrPINLocked = errors.New("pkcs11: PIN locked")
	// ErrPINExpired: CKR_PIN_EXPIRED or CKF_USER_PIN_TO_BE_CHANGED.
	ErrPINExpired = errors.New("pkcs11: PIN expired, change it with the vendor tool")
	// ErrPINCountLow: the token reports CKF_USER_PIN_COUNT_LOW (an
	// incorrect PIN was entered since the last successful login).
	ErrPINCountLow = errors.New("pkcs11: an incorrect PIN was entered since the last login")
	// ErrPINFinalTry: the token reports CKF_USER_PIN_FINAL_TRY: one more
	// incorrect PIN locks it.
	ErrPINFinalTry = errors.New("pkcs11: one more incorrect PIN locks the token")

	// ErrAmbiguousKey: more than one private key matches the certificate.
	ErrAmbiguousKey = errors.New("pkcs11: more than one private key matches the certificate")
	// ErrMechanismNotSupported: the token does not list the mechanism the
	// signature needs (or not for signing). It also matches
	// signer.ErrUnsupportedAlgorithm.
	ErrMechanismNotSupported = errors.New("pkcs11: token does not offer the mechanism")
)

// PINError reports a failed or refused login together with the PIN state
// flags the token reported right after it. errors.Is matches Err
// (ErrPINIncorrect, ErrPINLocked, ErrPINExpired), ErrPINCountLow and
// ErrPINFinalTry when the corresponding flag is set, and
// signer.ErrWrongPassword for an incorrect PIN.
type PINError struct {
	Err      error  // ErrPINIncorrect, ErrPINLocked, ErrPINExpired or ErrPINFinalTry (refused by FixedPIN)
	Token    string // token label
	CountLow bool   // CKF_USER_PIN_COUNT_LOW after the attempt
	FinalTry bool   // CKF_USER_PIN_FINAL_TRY after the attempt
	Locked   bool   // CKF_USER_PIN_LOCKED after the attempt
	Context  bool   // the failed login was a context-specific one (CKA_ALWAYS_AUTHENTICATE)
	SO       bool   // the PIN is the security officer's; the flags are the SO PIN's
	cause    error  // PKCS#11 return value, if any
}

// Error names the failure and the token, and says when the PIN is now
// locked or the next wrong attempt will lock it.
func (e *PINError) Error() string {
	msg := fmt.Sprintf("%v (token %q)", e.Err, e.Token)
	switch {
	case e.Locked && !errors.Is(e.Err, ErrPINLocked) && !errors.Is(e.Err, ErrSOPINLocked):
		msg += ": the PIN is now locked"
	case e.FinalTry:
		msg += ": one more incorrect PIN locks the token"
	case e.CountLow:
		msg += ": the token reports a low retry count"
	}
	return msg
}

// Unwrap exposes the sentinels described on PINError.
func (e *PINError) Unwrap() []error {
	errs := []error{e.Err}
	if errors.Is(e.Err, ErrPINIncorrect) || errors.Is(e.Err, ErrSOPINIncorrect) {
		errs = append(errs, signer.ErrWrongPassword)
	}
	if e.CountLow {
		errs = append(errs, ErrPINCountLow)
	}
	if e.FinalTry {
		errs = append(errs, ErrPINFinalTry)
	}
	if e.Locked && !e.SO && !errors.Is(e.Err, ErrPINLocked) {
		errs = append(errs, ErrPINLocked)
	}
	if e.Locked && e.SO && !errors.Is(e.Err, ErrSOPINLocked) {
		errs = append(errs, ErrSOPINLocked)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// rv returns the PKCS#11 return value in err's chain, or 0 (CKR_OK).
func rv(err error) uint {
	var e p11.Error
	if errors.As(err, &e) {
		return uint(e)
	}
	return p11.CKR_OK
}

// lossKind classifies a PKCS#11 error: it returns ErrTokenNotPresent or
// ErrSessionLost when the error means the session (or the whole token) is
// gone and every cached session and handle must be dropped, or nil.
func lossKind(err error) error {
	switch rv(err) {
	case p11.CKR_DEVICE_REMOVED, p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_SLOT_ID_INVALID,
		p11.CKR_TOKEN_NOT_RECOGNIZED, p11.CKR_DEVICE_ERROR:
		return ErrTokenNotPresent
	case p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED, p11.CKR_USER_NOT_LOGGED_IN,
		p11.CKR_CRYPTOKI_NOT_INITIALIZED:
		return ErrSessionLost
	}
	return nil
}

// wrapLoss wraps err with its loss class when it has one.
func wrapLoss(op string, err error) error {
	if k := lossKind(err); k != nil {
		return fmt.Errorf("pkcs11: %s: %w: %w", op, k, err)
	}
	return fmt.Errorf("pkcs11: %s: %w", op, err)
}
