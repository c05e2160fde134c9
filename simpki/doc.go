// Package simpki signs with keys held on SIM cards (SIM PKI, "chữ ký số
// trên SIM"): the application provider (AP) asks the mobile operator's MSSP
// to sign a digest, the phone shows a prompt, the user enters the signature
// PIN, and the signature comes back seconds to minutes later — or the user
// cancels, or the request expires.
//
// The protocol is ETSI TS 102 204 (MSS_Signature, namespace
// http://uri.etsi.org/TS102204/v1.1.2#) over SOAP, in the dialect a
// [Profile] describes as data. The client reads every form real MSSPs
// answer in: SOAP 1.2 or 1.1; document/literal (the message element
// qualified, in an unqualified wrapper or alone in the Body) or rpc/literal
// (the wrapper in the WSDL's namespace and the message element in none,
// WSDL 1.1 §3.5, WS-I BP R2735, as JAX-WS and .NET services write it);
// children qualified or not; SOAP faults with mss:_NNN codes in either
// SOAP version; every valid xs:dateTime, with or without time zone and
// fractional seconds. It writes the form its profile names.
//
// # Entry points
//
//   - [NewClient] configures the connection to one MSSP: endpoint, AP_ID and
//     password, its [Profile], MSSP_ID, signature profile and format,
//     DigestInfo form, messaging mode
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
// # Profiles
//
// [ProfileETSI] (the default) is TS 102 204 v1.1.2 as written and as the
// Kiuru/Valimo and Swisscom MSSPs speak it: document/literal SOAP 1.2, the
// bare digest as application/x-sha256, one endpoint, TS 102 204 status
// codes, the certificate by MSS_ProfileQuery with the Kiuru "certs"
// extension. Sources: the TS 102 204 schema (laverca's MSS-plus.xsd),
// Swisscom's mobileid-docs reference guide and status-code list, the sample
// answers in Swisscom's public .NET and Java clients.
//
// [ProfileVGCA] is the Government CA's mPKI MSSP (Ban Cơ yếu Chính phủ):
// MSSP_ID http://hmssp.mobile-id.vn, SignatureProfile
// http://mobile-id.vn/digitalSignature, the DER DigestInfo as
// application/octet-stream under MSS_Format
// http://uri.etsi.org/TS102204/v1.1.2#PKCS1, a raw signature in
// Base64Signature, one port per operation (MSS_SignaturePort,
// MSS_RegistrationPort, …), status 408 for success (502 in its own client
// code), 405 cancelled, 406 timed out, the certificate by MSS_Registration
// (CertificateResponse/X509Certificate), the signingCertificate additional
// service. Source: the public .NET client of that service (its README and
// Program.cs). Unverified: the operation namespace
// http://ae.mobile-id.vn/TS102204/etsi204 (from the issue that asked for
// this profile; the client's WSDL is not public), the names of the ports
// other than MSS_SignaturePort and MSS_RegistrationPort, the element layout
// of MSS_RegistrationResp, whether async modes and receipts are offered,
// and the code for a blocked PIN. Its README also gives 401–404 and 422
// meanings that contradict TS 102 204 (401 "authentication failed", 402
// "authorization failed", …); they are not mapped, so a SOAP fault or
// status 402 still reads as PIN_NR_BLOCKED.
//
// [ProfileFiCom] follows the FiCom guideline (Finnish operators' mobile
// signature service) as Kiuru MSSPs serve it: rpc/literal SOAP 1.1 in the
// etsi204-kiuru.wsdl namespace, the DER DigestInfo as
// application/octet-stream, the FiCom PKCS1 format answered with fi:PKCS1
// (signature and certificate), the certificate by MSS_ProfileQuery.
// Sources: laverca's FiCom client and formats (MSS_Formats), the FiCom
// PKCS1 format constants in public Vietnamese clients derived from it.
// Unverified: the guideline itself (not public in our sources) — the
// DigestInfo MimeType in particular.
//
// Viettel MobileCA's SOAP service (APWs) is not a profile: its messages
// follow TS 102 204 in spirit but its schema is proprietary and not public
// (only compiled clients exist), so it cannot be written from a source.
//
// Any profile can send the DigestInfo form ([Config.DigestInfo]; RSA keys
// only). An MSSP that answers with a CMS carrying its own signed
// attributes (Swisscom does) signs PDFs through [Signer.SignCMS]: it is
// sent the digest of the PDF's byte ranges and its CMS becomes the
// document's signature (pdf's Prepared.Finish takes a whole CMS whose
// message-digest covers Prepared.DocumentDigest). Such a CMS cannot be
// carried into an XML signature, which needs a raw signature over its
// SignedInfo: Signer.SignDigest refuses it with ErrNotRawSignature.
//
// # Conformance
//
// Every cell below is exercised against the simulator in simpki/mssptest
// playing the profile (TestProfilesWithSimulator/PROFILE/MODE: a PDF and an
// e-invoice signed and verified TOTAL_PASSED; cancel, expiry, PIN blocked
// and the caller's time-out leave no output), and, where marked R, against
// recorded answers in that profile's form (TestRecordedAnswers/CASE: the
// signature checked, then a PDF and an e-invoice signed through the same
// answers and verified TOTAL_PASSED, or the refusal's typed error;
// TestRecordedReceipt; files in testdata/mssp). "—" is an operation the
// mode does not use.
//
//	operation              profile  synch                asynchClientServer     asynchServerServer
//	MSS_Signature          etsi     Sim, R etsi/synch    Sim, R swisscom/async/*  Sim
//	                       vgca     Sim, R vgca/synch    Sim, R vgca/async      Sim
//	                       ficom    Sim, R ficom/synch   Sim, R ficom/async/*   Sim, R ficom/notification
//	MSS_StatusQuery        etsi     —                    Sim, R etsi/async      —
//	                       vgca     —                    Sim, R vgca/async      —
//	                       ficom    —                    Sim, R ficom/async/*   —
//	MSS_Notification       etsi     —                    —                      Sim (posted in the profile's form)
//	                       vgca     —                    —                      Sim
//	                       ficom    —                    —                      Sim, R ficom/notification
//	MSS_Receipt (cancel)   etsi     — (no MSSP_TransID)  Sim, TestRecordedReceipt  Sim
//	                       vgca     —                    Sim                    Sim
//	                       ficom    —                    Sim                    Sim
//	MSS_ProfileQuery       etsi     Sim                  Sim                    Sim
//	                       ficom    Sim, R ficom/*       Sim, R ficom/*         Sim
//	MSS_Registration       vgca     Sim, R vgca/*        Sim, R vgca/*          Sim
//	CMS answer → PDF       all      TestProfilesCMSAnswers/PROFILE/MODE, R swisscom/async/cms
//	DigestInfo option      all      TestDigestInfoOption; TestProfilesWithSimulator (vgca, ficom)
//
// Decoding of every form is also covered by the wire package's
// TestDecodeRPCLiteral, TestDialectsRoundTrip, TestDecodeSOAP11Faults and
// TestParseDateTime. The kyso command's --sim-profile, --sim-mode and
// --sim-format are exercised by cmd/kyso TestSIMProfiles.
//
// # Errors
//
// What the MSSP reports (read through its profile's status codes) comes
// back as a [*StatusError] matching a sentinel
// a caller can act on: [ErrDeclined] (401), [ErrExpired] (208),
// [ErrPINLocked] (402), [ErrCardBlocked] (403), [ErrNoKeyFound] (404),
// [ErrNoCertFound] (422), [ErrUnknownClient] (105), [ErrUnauthorized] (104),
// [ErrOTA] (209), [ErrMSSPInternal] (900), and [ErrRejected] for any other
// fault code. 504 OUTSTANDING_TRANSACTION only means "poll again". SOAP
// faults, HTTP errors, an MSSP that cannot be reached and malformed answers
// are errors ([ErrProtocol]), never signatures; [ErrTimeout] is the client's
// own ceiling on waiting; a signature that does not verify under the
// subscriber's certificate is refused (signer.ErrBadSignature), and so is a
// CMS that does not fit the document ([ErrNotRawSignature],
// [ErrNoSignedAttributes]). [ErrInvalidMSISDN] is a phone number that is not
// a Vietnamese mobile number. Match them all with errors.Is.
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
