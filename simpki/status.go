package simpki

import (
	"errors"
	"fmt"

	"github.com/kyso-vn/kyso/signer"
)

// StatusCode is an ETSI TS 102 204 status or fault code.
type StatusCode int

// Status and fault codes (TS 102 204 §10.2 and the codes public MSSPs use).
const (
	RequestOK              StatusCode = 100
	WrongParam             StatusCode = 101
	MissingParam           StatusCode = 102
	WrongDataLength        StatusCode = 103
	UnauthorizedAccess     StatusCode = 104
	UnknownClient          StatusCode = 105
	InappropriateData      StatusCode = 107
	IncompatibleInterface  StatusCode = 108
	UnsupportedProfile     StatusCode = 109
	ExpiredTransaction     StatusCode = 208
	OTAError               StatusCode = 209
	UserCancel             StatusCode = 401
	PINNRBlocked           StatusCode = 402
	CardBlocked            StatusCode = 403
	NoKeyFound             StatusCode = 404
	PBSignatureProcess     StatusCode = 406
	NoCertFound            StatusCode = 422
	Signature              StatusCode = 500
	RevokedCertificate     StatusCode = 501
	ValidSignature         StatusCode = 502
	InvalidSignature       StatusCode = 503
	OutstandingTransaction StatusCode = 504
	InternalError          StatusCode = 900
)

var statusNames = map[StatusCode]string{
	RequestOK: "REQUEST_OK", WrongParam: "WRONG_PARAM", MissingParam: "MISSING_PARAM",
	WrongDataLength: "WRONG_DATA_LENGTH", UnauthorizedAccess: "UNAUTHORIZED_ACCESS",
	UnknownClient: "UNKNOWN_CLIENT", InappropriateData: "INAPPROPRIATE_DATA",
	IncompatibleInterface: "INCOMPATIBLE_INTERFACE", UnsupportedProfile: "UNSUPPORTED_PROFILE",
	ExpiredTransaction: "EXPIRED_TRANSACTION", OTAError: "OTA_ERROR", UserCancel: "USER_CANCEL",
	PINNRBlocked: "PIN_NR_BLOCKED", CardBlocked: "CARD_BLOCKED", NoKeyFound: "NO_KEY_FOUND",
	PBSignatureProcess: "PB_SIGNATURE_PROCESS", NoCertFound: "NO_CERT_FOUND",
	Signature: "SIGNATURE", RevokedCertificate: "REVOKED_CERTIFICATE",
	ValidSignature: "VALID_SIGNATURE", InvalidSignature: "INVALID_SIGNATURE",
	OutstandingTransaction: "OUTSTANDING_TRANSACTION", InternalError: "INTERNAL_ERROR",
}

// String returns the code's TS 102 204 name, such as "USER_CANCEL".
func (c StatusCode) String() string {
	if n, ok := statusNames[c]; ok {
		return n
	}
	return fmt.Sprintf("STATUS_%d", int(c))
}

// Sentinel errors a caller can act on; match them with errors.Is. Every
// error the MSSP reports is a *StatusError that matches one of them.
var (
	// ErrDeclined (401): the user declined on the phone. Do not retry
	// without asking the user.
	ErrDeclined = errors.New("simpki: the user cancelled the request on the phone")
	// ErrExpired (208): the user did not answer before the MSSP's time-out.
	// The request may be sent again.
	ErrExpired = errors.New("simpki: the request expired before the user answered")
	// ErrPINLocked (402): too many wrong PINs; the signature PIN is blocked
	// and must be unblocked with the PUK at the operator. Also matches
	// signer.ErrWrongPassword.
	ErrPINLocked = errors.New("simpki: the signature PIN is blocked")
	// ErrCardBlocked (403): the SIM card is blocked; the operator must help.
	ErrCardBlocked = errors.New("simpki: the SIM card is blocked")
	// ErrNoKeyFound (404): the SIM has no signature key. Also matches
	// signer.ErrNoKey.
	ErrNoKeyFound = errors.New("simpki: no signature key on the SIM")
	// ErrNoCertFound (422): the MSSP holds no certificate for the key. Also
	// matches signer.ErrNoCertificate.
	ErrNoCertFound = errors.New("simpki: no certificate for the SIM key")
	// ErrUnknownClient (105): the number has no mobile signature service.
	ErrUnknownClient = errors.New("simpki: the number is not registered for mobile signature")
	// ErrUnauthorized (104): the MSSP refused the AP's credentials.
	ErrUnauthorized = errors.New("simpki: the MSSP refused the application provider's credentials")
	// ErrOTA (209): the MSSP could not reach the SIM over the air (phone
	// off, no coverage). The request may be sent again later.
	ErrOTA = errors.New("simpki: the MSSP could not reach the phone")
	// ErrMSSPInternal (900): the MSSP failed internally.
	ErrMSSPInternal = errors.New("simpki: MSSP internal error")
	// ErrRejected: any other fault code (wrong or missing parameter,
	// unsupported profile, …); the request itself needs fixing.
	ErrRejected = errors.New("simpki: the MSSP rejected the request")
	// ErrProtocol: the MSSP's answer was not a valid TS 102 204 response
	// (HTTP error, malformed XML, unexpected status, a signature over
	// something other than what was asked). Never a signature.
	ErrProtocol = errors.New("simpki: invalid response from the MSSP")
	// ErrTimeout: the client stopped polling at its ceiling (Config.MaxWait)
	// without a final answer.
	ErrTimeout = errors.New("simpki: no answer from the MSSP in time")
	// ErrNotRawSignature: the MSSP returned a CMS whose signature covers its
	// own signed attributes, not the requested digest, so it cannot be used
	// as a raw signature (Client.Sign still returns the CMS).
	ErrNotRawSignature = errors.New("simpki: the MSSP's CMS signature is not over the requested digest")
	// ErrNoSignedAttributes: Signer.SignCMS got a CMS without signed
	// attributes, whose signature is over the bare digest; a document
	// signature cannot be built from it (ask for the PKCS1 format).
	ErrNoSignedAttributes = errors.New("simpki: the MSSP's CMS has no signed attributes to carry into a document signature")
)

// StatusError is a status or fault code reported by the MSSP. It matches
// the sentinel for its code with errors.Is.
type StatusError struct {
	Code        StatusCode // the ETSI TS 102 204 status code, e.g. 401 USER_CANCEL
	Message     string     // StatusMessage or the fault reason
	Detail      string     // fault detail, if any
	Fault       bool       // reported as a SOAP fault rather than a status
	MSSPTransID string     // the transaction, when known
	// Raw is the code as the MSSP wrote it when its profile gives it
	// another meaning than TS 102 204 (the Government CA's 405 for
	// USER_CANCEL); 0 otherwise.
	Raw int
}

// Error gives the code, its name and the MSSP's message.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("simpki: MSSP answered %d %s", int(e.Code), e.Code)
	if e.Raw != 0 {
		s = fmt.Sprintf("simpki: MSSP answered %d (%s)", e.Raw, e.Code)
	}
	if e.Message != "" && e.Message != e.Code.String() {
		s += ": " + e.Message
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.MSSPTransID != "" {
		s += " [transaction " + e.MSSPTransID + "]"
	}
	return s
}

// Unwrap returns the sentinel errors e matches.
func (e *StatusError) Unwrap() []error {
	switch e.Code {
	case UserCancel:
		return []error{ErrDeclined}
	case ExpiredTransaction:
		return []error{ErrExpired}
	case PINNRBlocked:
		return []error{ErrPINLocked, signer.ErrWrongPassword}
	case CardBlocked:
		return []error{ErrCardBlocked}
	case NoKeyFound:
		return []error{ErrNoKeyFound, signer.ErrNoKey}
	case NoCertFound:
		return []error{ErrNoCertFound, signer.ErrNoCertificate}
	case UnknownClient:
		return []error{ErrUnknownClient}
	case UnauthorizedAccess:
		return []error{ErrUnauthorized}
	case OTAError:
		return []error{ErrOTA}
	case InternalError:
		return []error{ErrMSSPInternal}
	case InvalidSignature, RevokedCertificate, RequestOK, OutstandingTransaction, Signature, ValidSignature:
		return []error{ErrProtocol}
	}
	return []error{ErrRejected}
}
