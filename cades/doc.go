// Package cades makes and augments CAdES signatures (ETSI EN 319 122-1/-2
// baseline, RFC 5652 CMS SignedData) over any file: the detached .p7s that
// accompanies an attachment of an iGate filing, or, for small payloads, an
// enveloping .p7m that carries its content.
//
// # Entry points
//
//   - [Sign] reads the content once through an io.Reader (memory does not
//     grow with its size) and signs it with any [signer.Signer] (software
//     key, PKCS#11 token, SIM PKI, remote service) at [LevelBB], [LevelBT]
//     or [LevelBLT].
//   - [Prepare] and [Prepared.Finish] split signing in two: the signed
//     attributes are fixed (signing time included) and the digest is
//     signed elsewhere; [Prepared.MarshalBinary] carries the state to
//     another process.
//   - [Augment] raises an existing .p7s (kyso's or another producer's) from
//     B-B to B-T and B-LT without touching what was signed.
//   - [AddSigner] adds a second signer of the same content (a parallel
//     SignerInfo; [PrepareAddSigner] in two phases); [Merge] joins a
//     signature of the same content made elsewhere; [CounterSign]
//     ([PrepareCounterSign]) adds an RFC 5652 countersignature of an
//     existing signature. [CheckContent] checks a .p7s against its content
//     before it is extended.
//
// Verification is the verify package's job: [verify.Validator.VerifyDetached]
// gives ETSI EN 319 102-1 verdicts for every signer and countersigner, and
// [verify.Mux] recognises CMS input.
//
// # What is signed
//
// The SignedData has eContentType id-data and no eContent (detached)
// unless [Options.Enveloping] is set. Each SignerInfo carries the signed
// attributes content-type, message-digest, signing-time and ESS
// signing-certificate-v2 (CAdES-B-B). B-T adds a signature time-stamp
// (id-aa-signatureTimeStampToken) from an RFC 3161 TSA; B-LT then adds the
// certificates of the signer's and the TSA's chains and an OCSP response or
// CRL for each certificate below the roots, collected by internal/revinfo,
// to SignedData.certificates and SignedData.crls (OCSP responses as RFC
// 5940 id-ri-ocsp-response), which is where EN 319 122-1 B-LT puts them.
// The verifier also reads the certificate-values and revocation-values
// unsigned attributes that some producers write instead. B-LTA (archive
// time-stamps) is not made here.
//
// # A second signer: parallel SignerInfo or countersignature
//
// "A second signer on the same attachment" is, by default, a parallel
// SignerInfo ([AddSigner]): the second signer signs the file itself, so
// each signature stands on its own, is checked against the content by
// every CMS verifier (openssl cms -verify checks all signers) and survives
// the other's certificate being revoked. This is what two officials
// co-signing a document mean. [AddSigner] first checks the existing signatures
// against the content, so a wrong content file cannot yield a .p7s whose
// signers signed different files.
//
// An RFC 5652 countersignature ([CounterSign]) signs one signer's
// signature value instead of the file: it attests that signature (a
// reviewer approving a signature, a notary's endorsement), fails when that
// signature is replaced, and needs no access to the content. It is stored
// as an unsigned attribute, so plain CMS verifiers such as openssl ignore
// it; kyso's verifier reports every countersignature as a signature of its
// own.
//
// # Streaming and size
//
// Detached signing reads the content once, in 1 MiB chunks, hashing as it
// goes: signing a 1 GB file costs no more than sha256sum of it (Go's
// SHA-256 uses the CPU's SHA extensions), and memory stays flat
// (BenchmarkSign1GB compares the two side by side).
// Enveloping signatures hold their content in memory and are limited to
// [MaxEnvelopedSize].
//
// # Errors
//
// Errors wrap the package's sentinels (or an error of the
// signer or the context); match them with errors.Is: [ErrMalformed] for the
// input, [ErrBadOptions] and [ErrTooLarge] for the options,
// [ErrContentMismatch] for content that is not what was signed,
// [ErrTimestamp] and [ErrValidationData] for the time-stamp authority and
// the B-LT evidence, [ErrBadState] for the two phases.
package cades
