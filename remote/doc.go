// Package remote signs with keys held by a remote-signing service ("ký số
// từ xa"): the CA keeps the key in its HSM, the signer confirms each
// request on the phone, and the application sends only digests. Two APIs
// are implemented, each as a [signer.Signer] that the pdf, xml and CAdES
// packages sign with unchanged, and as a [BatchSigner] that signs N
// documents under one confirmation:
//
//   - The Cloud Signature Consortium API v2 ("Architectures and protocols
//     for remote signature applications", v2.0.0.2), the protocol ETSI TS
//     119 432 profiles: [NewCSCClient] with auth/login (HTTP Basic) or the
//     OAuth 2.0 client-credentials grant, credentials/list,
//     credentials/info (the certificate chain), credentials/authorize
//     (PIN/OTP authData → SAD; a 202 answer is polled with
//     credentials/authorizeCheck while the user confirms on the phone) and
//     signatures/signHash, synchronous or asynchronous (responseID, then
//     signatures/signPolling). Request and response fields are spelt as
//     the specification spells them; see testdata/csc-v2-spec for the
//     specification's samples the client is tested against.
//   - The API of Decision 769/QĐ-BTTTT ("sp769") behind NEAC's eSign
//     gateway and VNPT SmartCA: [NewSP769Client] with get_certificate and
//     sign (sp_id, sp_password, user_id, transaction_id, serial_number,
//     sign_files[] of doc_id, file_type, sign_type "hash" and
//     data_to_be_signed as hex), answers with status_code, message and
//     data.signed_files[] (doc_id, signature_value), and the wait for the
//     user either by polling the status method or through a call-back
//     ([SP769Callbacks]).
//
// # Batches
//
// [SignPrepared] and [SignFiles] take the first phase of any two-phase
// format — anything with Digest() and SignerOpts(), which pdf.Prepared,
// xml.Prepared and a CAdES prepared signature all have — and sign all
// digests with one credentials/authorize (numSignatures = N, the N hashes
// bound to the SAD) and one signatures/signHash with N hashes, or one
// sp769 sign with N sign_files. SignFiles then finishes every document
// into a temporary file and renames them into place only when all are
// complete: a refusal, an expired request, a TSA failure or a full disk
// leaves no output. [Sequential] turns any other signer (a software key, a
// token) into a BatchSigner, for the same code path.
//
// # Errors and waiting
//
// A service's refusal is an [*Error] matching one sentinel: [ErrWrongCredentials]
// (the application's own credentials or token), [ErrPINIncorrect] (also
// signer.ErrWrongPassword), [ErrSADExpired], [ErrDeclined],
// [ErrTimeout] (the service let the request expire, or the client's wait
// ran out: then it also matches context.DeadlineExceeded),
// [ErrCredentialDisabled] (disabled, locked, suspended or expired),
// [ErrRateLimited] (HTTP 429, with RetryAfter), [ErrNotFound],
// [ErrProtocol] and [ErrService]. Every returned signature is checked
// against the certificate first; one that does not verify is
// signer.ErrBadSignature and never reaches a document. Waits honour the
// context (Ctrl-C cancels at once; neither API has a cancel method, so
// the prompt stays on the phone until it expires) and report progress
// through OnWait ([Waiting] carries the deadline, for "time left").
//
// Package remote/remotetest simulates both APIs on loopback for tests.
//
// # Vietnamese services and how they differ from CSC
//
// Real services cannot be reached from the tests. What public sources
// (application code on GitHub that calls these services; no vendor
// published a specification) establish, so that adapters can follow; all
// of it is unverified against the services themselves:
//
//   - VNPT SmartCA: the sp769 shape (v4.1). UAT base
//     https://rmgateway.vnptit.vn/sca/sp769/v1, production
//     https://gwsca.vnpt.vn/sca/sp769/v1; POST credentials/get_certificate
//     answers data.user_certificates[] {cert_id, serial_number, cert_data,
//     chain_data}; POST signatures/sign answers status_code 200, message
//     "sig_wait_for_user_confirm", data {transaction_id, tran_code}; the
//     client polls POST signatures/sign/{tran_code}/status (clients poll
//     every 5-10 s for 2-4 minutes) until data.signatures[] {doc_id,
//     signature_value, timestamp_signature}, or receives a webhook. This
//     client's defaults are these paths, and it reads both signed_files and
//     signatures. A "SmartCA TH" variant (v2/signatures/sign with password
//     and OTP returning a sad, then v2/signatures/confirm) skips the phone;
//     it is not implemented. A CSC-flavoured VNPT gateway also appears
//     (auth/token, csc/credentials/list|info, csc/signature/signhash,
//     csc/credentials/gettraninfo): its method names differ from CSC v2
//     (singular "signature", "signhash", an extra gettraninfo poll), so it
//     needs an adapter.
//   - NEAC eSign gateway (Circular 15/2025 Appendix III): the sp769 field
//     names as methics/laverca's NEAC client sends them, with the methods
//     at BASE/get_certificate and BASE/sign (set GetCertificatePath and
//     SignPath) and file_type/sign_type inside a file_options object in
//     that client (set FileOptions; by default they are flat, as SmartCA
//     clients send them). That client's sample shows data_to_be_signed in
//     base64 while its usage passes a hex digest; this client sends hex.
//     Whether the gateway answers synchronously or asks to poll is not
//     established; both are handled.
//   - Viettel MySign: Ascertia ADSS RAS. Login is POST
//     adss/service/ras/v1/login {client_id, client_secret, user_id,
//     profile_id} (not auth/login), then CSC v1 methods under
//     adss/service/ras/csc/v1/. CSC v1 names differ from v2: "hash" for
//     "hashes", "hashAlgo" for "hashAlgorithmOID", "PIN"/"OTP" fields for
//     "authData", no credentials/authorizeCheck, "authMode" for "auth/mode"
//     (credentials/info's v1 authMode is read). A newer vtss/service/signHash
//     {client_id, client_secret, credentialID, numSignatures, documents[],
//     hash[], hashAlgo, signAlgo, async: 2} is polled with
//     vtss/service/requests/status {transactionId}. Both need an adapter.
//   - The Government CA (Ban Cơ yếu Chính phủ) mPKI2: a third-party
//     configuration names https://mpki2.ca.gov.vn/mpki/v2/ with auth/token,
//     certificate, sign and transaction methods; their fields are unknown.
//   - BKAV-CA, MISA eSign and EFY-CA remote signing: no public client code
//     or documentation was found; whether they follow CSC or sp769 is
//     unknown.
//   - Public clients disagree on whether sp769's signature_value is a raw
//     signature or a CMS; this client expects a raw signature over the
//     digest (sign_type "hash") and refuses anything that does not verify.
//     sp769 has no way to ask for RSA-PSS, which is refused.
//
// Only status_code 200 and "sig_wait_for_user_confirm" are established for
// sp769; other codes are read with their HTTP meaning (401 credentials,
// 404 not found, 408 expired, 423 locked, 429 rate limited) and the
// message is searched for the usual words (rejected, expired, locked, in
// English and Vietnamese), so that the typed errors work with services
// whose codes are not public.
package remote
