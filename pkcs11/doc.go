// Package pkcs11 turns a key on a PKCS#11 token (the USB tokens of VNPT-CA,
// Viettel-CA, BKAV-CA, FPT-CA, Ban Cơ yếu, …) into a signer.Signer.
//
// It is built on github.com/miekg/pkcs11 and is the only kyso package that
// uses cgo.
//
// # Entry points
//
//   - [Open] loads a module by path. A module is loaded and C_Initialize'd
//     once per process however many times it is opened; C_Finalize runs
//     when the last handle is closed. [Discover] finds the modules of the
//     Vietnamese CAs' middleware (only when asked) and [CheckArchitecture]
//     tells a 32-bit library from a 64-bit one before loading it.
//   - [Module.Slots] and [Module.Tokens] list slots and tokens (labels
//     trimmed of spaces and NULs, Vietnamese UTF-8 kept).
//   - [Module.OpenToken] selects one token by serial, label or slot
//     ([ErrAmbiguousToken] rather than a guess) and holds a small session
//     pool bounded by the token's limits.
//   - [Token.Certificates] lists certificates with their thumbprints;
//     [SelectCertificate] picks one by thumbprint or serial.
//   - [Token.Signer] finds the private key of a certificate (CKA_ID, then
//     public key; ambiguity is an error) and returns a [Signer].
//
// # The token's life
//
// The cycle the CAs' instructions describe (a certificate issued new or
// renewed, a device locked by wrong PINs unlocked) is done on the token:
//
//   - [Token.GenerateKey] makes an RSA 2048/3072 or ECDSA P-256/P-384 key
//     pair on the token (private key sensitive, never extractable, signing
//     only; CKA_ID shared with the public key) and
//     [KeyPair.CertificateRequest] a PKCS#10 request signed by it, with a
//     Vietnamese subject (signer.ParseSubject, signer.UIDAttribute: UTF-8
//     text, UID "CCCD:…", "MST:…") and the attributes a CA asks for.
//     A renewal generates a new key beside the old one.
//   - [Token.ImportCertificate] stores the issued certificate (and its CA
//     chain) beside its key, found by public key, under the key's CKA_ID and
//     a label the user recognises ([CertificateLabel]); a certificate whose
//     key is not on the token is refused ([ErrKeyNotOnToken]).
//   - [Token.ChangePIN] (C_SetPIN) and [Token.UnblockPIN] (SO login and
//     C_InitPIN) report the PIN flags before and after ([PINChange]); a
//     wrong SO PIN is tried once ([ErrSOPINIncorrect]). Pinpad readers get
//     NULL PINs.
//   - [Token.DeleteCertificate] removes a certificate and, if asked, its key
//     (the old one after a renewal), refusing a key still certified by
//     another certificate ([ErrKeyInUse]).
//
// These run in a read/write session of their own, so a Token opened for
// signing needs no other options.
//
// # PINs
//
// The PIN comes from a [PINFunc] callback, called once per login attempt
// and never retried on the user's behalf: a wrong PIN returns a *[PINError]
// (errors.Is ErrPINIncorrect and signer.ErrWrongPassword) carrying the
// token's count-low / final-try / locked flags. A token whose flags say the
// PIN is locked is refused before any login. Pinpad readers
// (CKF_PROTECTED_AUTHENTICATION_PATH) get a NULL PIN; keys marked
// CKA_ALWAYS_AUTHENTICATE get a context-specific login per signature.
// Goroutines that need a login at the same time (a user login, or the
// context-specific login of concurrent signatures) wait for one attempt and
// share a failure, so a wrong PIN costs one try, not one per goroutine;
// [FixedPIN] serves unattended programs and stops at the final try.
//
// # Sessions and recovery
//
// Login state belongs to the whole process, not to a session, so logins on
// a slot are serialised and a session is logged in only when it is not
// already. Every borrowed session is checked with C_GetSessionInfo; a dead
// one (another application closed all sessions, the token was re-inserted)
// is replaced, the token is looked for again by serial number, the key by
// its certificate, and the user is asked for the PIN again. If the loss
// shows up during a signature (CKR_SESSION_HANDLE_INVALID,
// CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT), that
// call fails with [ErrSessionLost] or [ErrTokenNotPresent] and the next one
// starts afresh. Every signature is verified against the certificate before
// it is returned, so a signature by the wrong key is never handed out.
//
// # Testing
//
// The tests run against SoftHSM2 (Debian softhsm2) with tokens prepared by
// softhsm2-util and pkcs11-tool (Debian opensc) in a temporary directory.
// They find the module through KYSO_PKCS11_MODULE or a list of known paths.
//
// # Errors
//
// Errors wrap the package's sentinels (or signer's, or an error
// of the context); match them with errors.Is: [ErrModuleLoad] and
// [ErrWrongArchitecture] for the module, [ErrTokenNotFound],
// [ErrAmbiguousToken], [ErrTokenNotPresent], [ErrTokenBusy] and [ErrClosed]
// for the token, [ErrPINRequired], [ErrPINIncorrect], [ErrPINLocked],
// [ErrPINExpired], [ErrPINCountLow] and [ErrPINFinalTry] (a [*PINError]),
// [ErrSOPINIncorrect], [ErrSOPINLocked] and [ErrNewPINInvalid] for PINs,
// [ErrAmbiguousKey], [ErrMechanismNotSupported], [ErrSessionLost] and
// [ErrNoSession] for signing, [ErrKeyNotOnToken], [ErrKeyInUse],
// [ErrBadChain], [ErrKeyNotProtected], [ErrBadCSR] and [ErrBadKeyType] for the
// token's life.
package pkcs11
