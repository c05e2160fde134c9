package verify

import (
	"crypto"
	"crypto/x509"
	"time"
)

// Evidence is what a format package extracts from one signature, without
// deciding anything about trust: the signer's certificate and the other
// certificates found, the cryptographic result, the claimed signing time,
// timestamps with their own certificates, embedded revocation data and what
// the signature covers. [Validator.Validate] turns it into a verdict.
//
// A format package fills the error fields from its own checks; a nil error
// means the check ran and passed. It must not leave a check unrun and nil:
// use FormatErr when the signature could not even be parsed.
type Evidence struct {
	// Format names the signature format: "CMS", "PAdES", "XML-DSig", "XAdES".
	Format string
	// ID identifies the signature in its document (PDF field name, XML Id).
	ID string

	// FormatErr: the signature structure is malformed (unparsable CMS,
	// bad ByteRange, wrapping attack, …). TOTAL_FAILED/FORMAT_FAILURE.
	FormatErr error
	// AlgorithmErr: the signature is well formed but uses an algorithm
	// this verifier cannot check (Ed25519 in CMS, say): its integrity is
	// unknown, which is INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE, never
	// TOTAL_PASSED.
	AlgorithmErr error
	// SignedDataErr: the signed data could not be found or read.
	// INDETERMINATE/SIGNED_DATA_NOT_FOUND.
	SignedDataErr error
	// DigestErr: a digest over the signed data does not match (message
	// digest attribute, XML reference digest). TOTAL_FAILED/HASH_FAILURE.
	DigestErr error
	// SignatureErr: the signature value does not verify with the signer's
	// public key. TOTAL_FAILED/SIG_CRYPTO_FAILURE.
	SignatureErr error

	// SignerCert is the certificate whose key made the signature; nil when
	// the signature does not identify one that was found.
	// INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND.
	SignerCert *x509.Certificate
	// SignerCertErr explains why the signer certificate could not be
	// identified (absent, or not the one the signed attributes bind).
	// INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND.
	SignerCertErr error
	// Certificates are the other certificates the document carries
	// (candidate intermediates), in any order.
	Certificates []*x509.Certificate

	// DigestAlgorithm is the hash the signature was computed over.
	DigestAlgorithm crypto.Hash
	// SignatureAlgorithm names the signature scheme for the report
	// ("RSA PKCS#1 v1.5", "RSASSA-PSS", "ECDSA").
	SignatureAlgorithm string

	// ClaimedTime is the signing time the signer declared (CMS
	// signing-time, PDF /M, XAdES SigningTime); zero when absent. It is
	// self-declared and never used as proof, except against the signer:
	// a claimed time after revocation or expiry is an admission.
	ClaimedTime time.Time
	// Timestamps are RFC 3161 tokens over the signature (or the document).
	Timestamps []Timestamp

	// CRLs and OCSPResponses are DER revocation data embedded in the
	// document (CMS revocationInfoChoices, PDF DSS, XAdES-LT values).
	CRLs          [][]byte
	OCSPResponses [][]byte

	// Coverage says what the signature covers.
	Coverage Coverage
	// Warnings are format-specific remarks for the report.
	Warnings []Message
}

// Timestamp is one RFC 3161 time-stamp token as evidence: the format
// package has parsed it and checked its signature and message imprint.
type Timestamp struct {
	// Kind: "signature" (over the signature value, PAdES/CAdES/XAdES-T),
	// "document" (PDF document timestamp) or "content".
	Kind string
	// GenTime is the time the TSA asserts.
	GenTime time.Time
	// Err is non-nil when the token is malformed, its signature does not
	// verify, or its message imprint does not match what it should cover.
	Err error
	// SignerCert is the TSA certificate; Certificates are others the token
	// carries.
	SignerCert   *x509.Certificate
	Certificates []*x509.Certificate
	// DigestAlgorithm is the token's signature digest algorithm and
	// ImprintAlgorithm the hash of its message imprint.
	DigestAlgorithm  crypto.Hash
	ImprintAlgorithm crypto.Hash
	// CRLs and OCSPResponses are revocation data for the TSA chain carried
	// with the token.
	CRLs          [][]byte
	OCSPResponses [][]byte
}

// Coverage describes what the signature covers.
type Coverage struct {
	// Description says what is covered, e.g. "bytes 0–1234 and
	// 5678–9999 of 9999 (the revision ending at byte 9999)" or "2
	// references: …".
	Description Message `json:"description,omitzero"`
	// WholeDocument is true when the signature covers the entire document
	// as it was verified.
	WholeDocument bool `json:"wholeDocument"`
	// References lists the covered parts (XML reference URIs, PDF byte
	// ranges).
	References []string `json:"references,omitempty"`
	// ModifiedAfterSigning lists changes made after the signature that its
	// permissions do not allow. Non-empty makes the verdict
	// TOTAL_FAILED/FORMAT_FAILURE.
	ModifiedAfterSigning []Message `json:"modifiedAfterSigning,omitempty"`
	// AllowedChanges lists later changes that were allowed (signatures,
	// DSS, form filling).
	AllowedChanges []Message `json:"allowedChanges,omitempty"`
	// Changes lists every change found after the signed revision (PDF),
	// allowed or refused, with where it was made and the rule that
	// decided.
	Changes []Change `json:"changes,omitempty"`
}

// Change is one change made to a PDF after a signature, as the change
// analysis judged it.
type Change struct {
	// Revision is the revision that made the change, counted from 1 (the
	// original document).
	Revision int `json:"revision"`
	// Object is the object number (0 for the trailer or the file's
	// structure).
	Object int `json:"object,omitempty"`
	// Path is where the object sits, from the trailer, e.g.
	// /Root/Pages/Kids[0]/Contents ("" when nothing reaches it).
	Path string `json:"path,omitempty"`
	// XRef says what the cross-reference data did: added, changed, freed,
	// re-pointed to an older definition, generation changed, or "" for
	// objects changed through their object stream.
	XRef string `json:"xref,omitempty"`
	// Rule names the rule that allowed or refused it (see PDFVerifier).
	Rule string `json:"rule"`
	// Allowed reports whether the rule allows the change.
	Allowed bool `json:"allowed"`
	// Detail says what changed.
	Detail Message `json:"detail"`
}
