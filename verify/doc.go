// Package verify decides whether digital signatures count: trust anchors,
// certification paths, revocation, algorithm policy and signing time, with
// verdicts in the ETSI EN 319 102-1 model and reports in Vietnamese and
// English.
//
// Format packages extract each signature with its evidence — certificates,
// the cryptographic result, the claimed signing time, time-stamp tokens,
// embedded CRLs and OCSP responses, what the signature covers — into an
// [Evidence]; [Validator.Validate] alone decides trust and returns a
// [SignatureReport]. The format verifiers here ([PDFVerifier] for PAdES and
// PDF signatures with change analysis, [XMLVerifier] for XML-DSig/XAdES,
// [Validator.VerifyDetached] for CMS) and the sniffing [Mux] return a
// [Report] per document; PDFVerifier, XMLVerifier and Mux implement
// [Verifier].
//
// # The law it encodes
//
// Decree 130/2018 Art. 9, Law 20/2023, Decree 23/2025 and Circular
// 15/2025/TT-BKHCN: a signature counts when it was made while the signer's
// certificate was valid, verifies with that certificate's key, chains to a
// recognised root, and uses RSA ≥ 2048 / ECDSA ≥ 256 with SHA-2 or SHA-3.
// Results are shown in Vietnamese ([Report.Text] with [Vietnamese]).
//
// # Messages
//
// Every remark a report carries (findings, warnings, information, coverage,
// the changes made after signing, timestamp and revocation problems) is a
// [Message]: a stable code, its arguments and, where it reports another
// remark, a cause. [Message.Text] renders it in Vietnamese or English from
// one catalogue of templates; JSON carries code, arguments, cause and the
// English text. Programs match codes ("revocation.unknown",
// "pdf.change.page-added"); people read text. Errors from below kyso
// (crypto/x509, the XML and CMS parsers) travel as the cause with code
// "technical" and are shown as they are.
//
// # Entry points
//
//   - [NewTrustStore] and its loaders ([TrustStore.Add], AddFile, AddDir for
//     PEM, DER and .p7b bundles; [TrustStore.AddPinned]; [TrustStore.AddKnown]
//     for the built-in Vietnamese roots of [KnownAnchors], accepted only when
//     the SHA-256 fingerprint matches). Nothing is trusted by default and
//     system roots are never used.
//   - [New] with [Options]: validation time, offline or online revocation
//     (timeouts, size caps, a shared [Cache]), extra intermediates,
//     clock-skew tolerance, key-usage requirement, [AlgorithmPolicy].
//   - [Validator.Validate] on an [Evidence]; [NewPDFVerifier];
//     [NewXMLVerifier]; [Validator.VerifyDetached]; [Mux] with [IsPDF] and
//     [IsXML].
//   - [CheckSigner] before signing: the signer's certificate is refused
//     when expired, not yet valid, revoked or not for signing (typed
//     errors), and a bilingual warning is returned when its status cannot
//     be determined (Circular 15/2025 Art. 5, Decree 23/2025 Art. 15).
//
// # PDF
//
// PDFVerifier reads the document through io.ReaderAt and hashes signed
// ranges in chunks, so memory stays flat in the file size. The structural
// checks (ByteRange, /Contents, revision boundaries) and the
// reject-by-default analysis of later revisions are described on
// [PDFVerifier]. PDFVerifier is a thin adapter over package pdf, which
// reads the objects, the revisions (each cross-reference section with what
// it defines, frees and re-points), the signature dictionaries, DocMDP,
// field locks and the DSS; the change analysis is split the same way:
// pdf gives the two states of the object graph, verify walks them from the
// trailer, lists every changed object with its path from the catalog, and
// judges it under named rules (see Change and the rule names on
// PDFVerifier).
//
// # Long-term validation
//
// Evidence embedded at signing time carries a signature past the expiry of
// its certificates and past later revocations, offline: the certificates,
// CRLs and OCSP responses of a PDF's DSS (and of CMS revocation values and
// Adobe's revocation attribute, and XAdES CertificateValues /
// RevocationValues) are used for every signature of the document, and an
// ETSI.RFC3161 document time-stamp is proof of existence for every
// signature in the revisions it covers. A signature time-stamped at T with
// revocation data from T for its chain therefore validates at T, whatever
// happened later. DSS and document time-stamp revisions are allowed
// changes after a certification signature at every DocMDP level, P=1
// included (ISO 32000-2 §12.8.2.2, ETSI EN 319 142-1).
//
// Encrypted PDFs (RC4 40/128, AES-128, AES-256 R5 and R6) are read with the
// empty user password or PDFVerifier.Password (a wrong one is an error
// matching pdf.ErrWrongPassword); a signature dictionary's /Contents is taken as
// written (ISO 32000-2 §7.6.2 exempts it from encryption).
//
// # How the verdict is reached
//
// The best signature time is the earliest valid signature time-stamp (its
// TSA chained to an anchor, with the timeStamping EKU, not revoked at its
// time and with known revocation status, strong algorithms). Without one,
// validation happens at the validation time and any claimed time is
// reported as self-declared.
//
// The signer's certificate is checked at that time, the path is built with
// crypto/x509 (Roots always set, ExtKeyUsageAny), then what crypto/x509
// leaves out is checked here: keyUsage (signer: digitalSignature or
// nonRepudiation; CAs: keyCertSign), revocation of every certificate below
// the anchor — CRLs (issuer, signature, scope, thisUpdate/nextUpdate) and
// OCSP (CertID issuer name and key hashes and serial, responder
// authorisation: the CA or a delegated responder it certified for
// id-kp-OCSPSigning, valid when the response was produced; nonce when
// fetched online) — and the algorithm policy. SHA-1 chains, which
// crypto/x509 refuses to build, are found by a separate path builder so
// they are reported as CRYPTO_CONSTRAINTS_FAILURE (or accepted when a
// time-stamp proves existence before the SHA-1 sunset).
//
// A claimed signing time is never used as proof, only against the signer:
// when the signer declares signing after the certificate expired or was
// revoked, the verdict is TOTAL_FAILED/EXPIRED or REVOKED. When only the
// best signature time falls after expiry or revocation, nothing proves the
// signature was made before, and the verdict is INDETERMINATE with
// OUT_OF_BOUNDS_NO_POE or REVOKED_NO_POE (REVOKED_CA_NO_POE for a CA).
// Missing revocation data never passes: INDETERMINATE/TRY_LATER. Revocation
// data issued after the best signature time speaks for it even when its
// nextUpdate has passed (a certificate not listed then was not revoked
// before).
//
// Every failed check is listed in [SignatureReport.Findings]; the verdict
// is the most serious one (proven failures first).
//
// # Errors
//
// A signature that fails is a verdict in the report, not an error. Errors
// are for what cannot be judged at all, and wrap one of the package's
// sentinels (or an error of the context); match them with errors.Is:
// [ErrUnknownFormat] and [ErrPDF] for the document, [ErrNoTrustAnchors],
// [ErrNoCertificates], [ErrFingerprintMismatch], [ErrUnknownAnchor],
// [ErrAnchorUnverified] and [ErrRegimeMismatch] for the trust anchors,
// [ErrFetch] for revocation data and certificates that could not be
// fetched. [CheckSigner] refuses a certificate before signing with
// [ErrCertExpired], [ErrCertNotYetValid], [ErrCertRevoked] or
// [ErrCertNotForSigning].
package verify
