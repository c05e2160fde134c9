// Package cms builds, parses and verifies CMS SignedData (RFC 5652) in the
// CAdES/PAdES profile, and is kyso's RFC 3161 time-stamp client. The pdf and
// verify packages (and any format that needs CMS) build on it.
//
// # Signing
//
// [Sign] makes a SignedData in one call from a [signer.Signer] and the
// digest of the content. Two-phase signing splits it: [Prepare] fixes the
// signed attributes (content-type, message-digest, ESS
// signing-certificate-v2, optionally signing-time and any extra attributes)
// and returns a [Prepared] whose [Prepared.Digest] is what the key must sign
// with [Prepared.SignerOpts]; [Prepared.Finish] assembles the DER ContentInfo
// from the signature. The Prepared state survives [Prepared.MarshalBinary] /
// [Prepared.UnmarshalBinary], so a SIM user or a browser token agent may
// sign minutes later, in another process.
//
// Finish accepts RSA signatures (PKCS#1 v1.5 or PSS), ECDSA signatures in
// DER or raw r‖s form, and whole CMS SignedData returned by backends that
// build their own (Vietnamese remote signing and SIM PKI MSSPs do): a
// SignedData without signed attributes gives up its signature value, one
// whose message-digest is the original content digest is verified and
// adopted. Finish always verifies the signature against the certificate
// before embedding it.
//
// The SignedData has one SignerInfo (issuerAndSerialNumber, version 1), the
// signer certificate and its chain (a SET OF in DER order), and
// SHA-256/384/512 with sha*WithRSAEncryption, id-RSASSA-PSS (full
// parameters, salt = hash length) or ecdsa-with-SHA*, or SHA3-256/384/512
// with id-rsassa-pkcs1-v1_5-with-sha3-*, id-RSASSA-PSS or
// id-ecdsa-with-sha3-*. Digest algorithm identifiers have absent
// parameters (RFC 5754). It is detached (eContentType id-data, no content) as
// PAdES ETSI.CAdES.detached and adbe.pkcs7.detached both need, unless
// [Options.Content] asks for encapsulated content with any eContentType
// (a TSTInfo, for instance). Options.SigningTime zero leaves signing-time
// out, as PAdES requires.
//
// # Time-stamps
//
// [TSAClient] asks an RFC 3161 TSA for a token over HTTP (nonce, certReq,
// basic auth, size cap, a timeout of its own) and checks the answer:
// PKIStatus, nonce, message imprint, token signature, and the TSA
// certificate's critical id-kp-timeStamping EKU. [AddTimestamp] adds a signature time-stamp
// (id-aa-signatureTimeStampToken over the signature value) to a SignedData;
// [EstimateSize] and [TSAClient.TokenSize] size a PDF placeholder.
//
// # Extending a SignedData (CAdES)
//
// [AddUnsignedAttributes] adds unsigned attributes to one SignerInfo (a
// signature time-stamp: [TimestampAttribute]); [AddValidationData] adds
// certificates, CRLs and RFC 5940 OCSP responses to SignedData.certificates
// and crls (CAdES B-LT); [Merge] adds the SignerInfos of a second
// SignedData over the same content (parallel signers);
// [PrepareCountersignature], [Prepared.FinishSignerInfo] and
// [AddCountersignature] make an RFC 5652 §11.4 countersignature, which
// [SignerInfo.Countersignatures] and [SignedData.VerifyCountersignature]
// read and check. All of them keep signed attributes, signature values and
// encapsulated content byte for byte.
//
// # Parsing and verification
//
// [Parse] decodes strict DER (no BER, no trailing data, bounded size) into a
// [SignedData] exposing certificates, SignerInfos, signed and unsigned
// attributes and parsed time-stamp [Token]s. [SignedData.Verify] checks the
// signature over the DER SET OF signed attributes, the message-digest and
// content-type bindings, the ESS signing-certificate(-v2) binding, digest
// algorithm consistency, the with/without-signed-attributes mix, and each
// time-stamp (signature, imprint = hash of the signature value, TSA EKU).
// Errors wrap sentinels ([ErrHashMismatch], [ErrSignatureInvalid],
// [ErrFormat], [ErrNoSignerCertificate], [ErrESSMismatch], [ErrTimestamp],
// …) that the verify package maps to ETSI EN 319 102-1 sub-indications.
// This package makes no trust decision: chains, validity periods and
// revocation are the verify package's job.
//
// # Why not a pkcs7 library
//
// The Go pkcs7 forks (digitorus/pkcs7 at the version that builds here,
// smallstep/pkcs7) cannot sign with RSA-PSS, do not add ESS
// signing-certificate-v2, take the content rather than a precomputed
// digest, and always write signing-time, so two-phase signing would not be
// deterministic. digitorus/timestamp has no HTTP client and checks neither
// nonce nor imprint. SignedData is small, so this package writes it with
// encoding/asn1: every signed byte is held as raw DER, so what is signed is
// exactly what is written and re-encoding (adding a time-stamp) never
// disturbs it.
package cms
