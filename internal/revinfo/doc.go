// Package revinfo collects the validation data that long-term signatures
// embed: for each certificate of a chain (the signer's, a TSA's) the
// certificates up to a self-signed root and a revocation answer for every
// certificate below the root — an OCSP response (preferred) or a CRL. The
// pdf package writes what it collects into a PAdES DSS (B-LT) and the xml
// package into XAdES CertificateValues / RevocationValues (XAdES-LT).
//
// # Entry points
//
//   - [Fetcher.Collect] builds the chain of each target certificate from
//     the candidate certificates it is given (and, when allowed, from the
//     certificates' AIA caIssuers URLs), then for every certificate below
//     the root takes a supplied answer that checks out, or fetches one:
//     OCSP from the certificate's AIA responder URL, then the CRLs of its
//     distribution points. It returns a [Set] of DER certificates, OCSP
//     responses and CRLs, deduplicated.
//   - [Set] holds validation data and merges sets without duplicates;
//     [Set.AddSupplied], [Set.AddCert] and friends let callers supply their
//     own evidence.
//   - [CheckOCSP] and [CheckCRL] are the checks applied to every answer,
//     fetched or supplied.
//   - The layer below them is shared with the verify package, so that what
//     B-LT embeds and what verify accepts are checked by the same code:
//     [ParseOCSP], [MatchCertID], [CheckResponder], [CheckSingle],
//     [NewOCSPRequest] and [NonceMatches] for OCSP; [ParseCRL] (DER or
//     PEM), [EvalCRL] and [ParseIDP] for CRLs; [Request] for bounded HTTP
//     GET and OCSP POST; [Cache], the one cache of fetched data (verify's
//     Cache keeps its expiry policy over one). verify keeps the judgement:
//     which evidence counts for which time, verdicts and report wording.
//
// # What is checked
//
// An OCSP response must be successful and signed, answer for this very
// certificate (serial number and the issuer name and key hashes of its
// CertID), be signed by the issuing CA itself or by a responder certificate
// that CA issued for id-kp-OCSPSigning and that was valid when the response
// was produced, say good or revoked (not unknown), and be current
// (thisUpdate not in the future, nextUpdate not passed, with the clock
// skew allowed). A CRL must be signed by the issuer, name it as its issuer,
// and be current in the same sense. Answers are not judged beyond that:
// whether a revoked certificate still supports a signature is the verify
// package's decision, so a "revoked" answer is embedded like any other.
//
// Network access uses the Fetcher's HTTP client with a timeout per request,
// a cap on each response's size and http/https URLs only; OCSP requests
// carry a SHA-256 CertID and a nonce, and a response echoing another nonce
// is refused; [Fetcher.Offline] forbids it, so that
// only supplied evidence is used. Fetched answers are cached by the
// Fetcher, so collecting for several signatures asks each responder once.
package revinfo
