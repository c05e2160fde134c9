// Package simpki signs with keys held on SIM cards (SIM PKI, "chữ ký số
// trên SIM"): the application provider (AP) asks the mobile operator's MSSP
// to sign a digest, the phone shows a prompt, the user enters the signature
// PIN, and the signature comes back seconds to minutes later — or the user
// cancels, or the request expires.
//
// The protocol is ETSI TS 102 204 (MSS_Signature, namespace
// http://uri.etsi.org/TS102204/v1.1.2#) over SOAP 1.2, in the dialect of the
// public MSSPs (Kiuru/Valimo, Swisscom): SOAP faults with mss:_NNN subcodes,
// FiCom PKCS1 or CMS signature formats, the Kiuru/Swisscom profile-query
// extension for certificates.
//
// Entry points:
//
//   - [NewClient] configures the connection to one MSSP: endpoint, AP_ID and
//     password, MSSP_ID, signature profile and format, messaging mode
//     ([Synch], [AsynchClientServer] with MSS_StatusReq polling,
//     [AsynchServerServer] with a [NotificationHandler] receiving the
//     MSSP's callback), TLS client certificates, and optional signing of
//     every request with the AP's key.
//   - [New] turns a phone number into a [Signer], a signer.Signer that the
//     pdf and xml packages sign with like any other key. Its certificate
//     comes from configuration, from the MSSP's profile query, or from a
//     first CMS signature of a challenge.
//   - [Client.Sign] is the low-level call: one digest, one transaction, the
//     raw signature and, for CMS formats, the MSSP's CMS.
//   - [NormalizeMSISDN] reads Vietnamese numbers in every usual spelling
//     (0912…, +84912…, 84912…).
//
// What the MSSP reports comes back as a [*StatusError] matching a sentinel
// a caller can act on: [ErrUserCancel] (401), [ErrExpired] (208),
// [ErrPINBlocked] (402), [ErrCardBlocked] (403), [ErrNoKeyFound] (404),
// [ErrNoCertFound] (422), [ErrUnknownClient] (105), [ErrUnauthorized] (104),
// [ErrOTA] (209), [ErrMSSPInternal] (900). 504 OUTSTANDING_TRANSACTION only
// means "poll again". SOAP faults, HTTP errors and malformed answers are
// errors ([ErrProtocol]), never signatures, and a signature that does not
// verify under the subscriber's certificate is refused
// (signer.ErrBadSignature).
//
// When the caller's context ends while the user has not answered, the
// client sends the MSSP an MSS_ReceiptReq with status 401 and a message for
// the phone. TS 102 204 has no cancel operation; MSSPs that honour such a
// receipt (and the simulator in simpki/mssptest) stop the prompt, others
// ignore it. [Config.DisableCancelReceipt] turns it off. In Synch mode the
// MSSP_TransID only arrives with the final answer, so a synch request the
// caller abandons cannot be called off: prefer AsynchClientServer when
// callers may give up.
//
// SIM keys sign RSA PKCS#1 v1.5 or ECDSA over SHA-1/SHA-2 digests; RSA-PSS
// is refused with signer.ErrUnsupportedAlgorithm.
//
// Package simpki/mssptest is an MSSP simulator for tests.
package simpki
