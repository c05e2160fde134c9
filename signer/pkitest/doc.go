// Package pkitest is a complete test PKI that runs inside the test process:
// a root CA and an issuing CA with Vietnamese certificate profiles, end-entity
// certificates and their keys, and a CRL server, an OCSP responder and an
// RFC 3161 time-stamping authority, each an httptest server on 127.0.0.1
// whose URLs are placed in the certificates (CRL distribution points,
// authority information access).
//
// It is meant for kyso's own tests and for the test suites of programs that
// use kyso. Never trust anything it produces outside tests: the RSA keys it
// uses are published with the source code.
//
// # Entry points
//
//   - [New] builds a PKI for a test (servers closed by t.Cleanup);
//     [Start] and [PKI.Close] do the same outside a test.
//   - [PKI.Issue] issues an end-entity [Identity] (certificate, key, chain);
//     [CertOption]s choose the subject ([Person], [Organization], [UID]),
//     the key ([RSAKey], [ECDSAKey], [PublicKey] for a key on a token) and
//     variants: [Expired], [NotYetValid], [Validity], [WrongKeyUsage],
//     [Weak] (RSA-1024 key, SHA-1 signature), [DocumentSigning],
//     [SignatureAlgorithm] (e.g. RSA-PSS), [Policies], [IssuedBy].
//   - [PKI.NewCA] makes more issuing CAs (an expired CA, a CA to revoke).
//   - [PKI.Revoke] revokes a certificate at a chosen time for a chosen
//     reason; the CRLs and OCSP responses reflect it from that time on.
//   - [PKI.CRLURL], [PKI.OCSPURL], [PKI.TSAURL] give the servers;
//     [PKI.CRL], [PKI.OCSP] and [PKI.Timestamp] give the same answers
//     without HTTP. [PKI.SetCRLMode], [PKI.SetOCSPMode] and [PKI.SetTSAMode]
//     make the servers fail in controlled ways.
//   - [WithClock] and [PKI.SetTime] control the time used for default
//     validity, CRL and OCSP thisUpdate and TSA genTime.
//   - [Deterministic] makes keys, serials and times fixed for golden tests.
//   - [Identity.Signer], [Identity.PKCS12], [Identity.PKCS12Legacy],
//     [Identity.ChainPEM], [Identity.KeyPEM], [PKI.Roots],
//     [PKI.Intermediates] and [PKI.WriteDir] hand the results to the code
//     under test.
//
// # Profiles
//
// Subjects are encoded as Vietnamese CAs do: C=VN as PrintableString, every
// other attribute as NFC-normalised UTF8String, and UID attributes
// (0.9.2342.19200300.100.1.1) holding "CCCD:…" for persons and "MST:…" for
// organisations, several per subject if asked. End-entity certificates have
// a critical keyUsage digitalSignature+nonRepudiation; CA certificates
// keyCertSign+cRLSign and basicConstraints CA:TRUE; all have subject and
// authority key identifiers, a CRL distribution point and AIA (OCSP and
// caIssuers) URLs on the loopback servers.
//
// Each CA has a delegated OCSP responder certificate (id-kp-OCSPSigning and
// id-pkix-ocsp-nocheck) unless [OCSPSignedByCA] is given. The TSA
// certificate has the critical extended key usage id-kp-timeStamping only;
// the TSA takes SHA-1, SHA-2 and SHA-3 message imprints.
//
// # Speed
//
// Keys are ECDSA P-256 unless asked otherwise, which costs well under a
// millisecond each. RSA keys of 1024, 2048, 3072 and 4096 bits come from
// keys embedded in the package (a PKI takes distinct keys from a random
// offset), so an RSA PKI costs no key generation either. CA names carry a
// per-PKI tag ("Kyso test PKI 3fa2c1d0") so two PKIs that happen to share a
// cached key never validate each other's certificates. BenchmarkNewPKI
// measures the cost of a whole PKI with its servers.
//
// # Implementation notes
//
// The OCSP responder and the TSA are written with encoding/asn1 rather than
// with ocsp.CreateResponse or a CMS library: ocsp.CreateResponse takes
// producedAt from the wall clock and cannot carry the nonce in the response
// extensions, and a TSA independent of kyso's own CMS code makes the tests
// of that code meaningful. Both are checked against openssl and
// golang.org/x/crypto/ocsp in the tests.
package pkitest
