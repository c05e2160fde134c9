// Package xml signs and verifies XML-DSig (and XAdES B-B/B-T/B-LT) signatures in
// the layouts of Vietnamese e-invoices and tax-authority messages (Decree
// 123/2020, Circular 78/2021, Decision 1450/QĐ-TCT): several independent
// signatures in sibling slots (HDon/DSCKS/NBan, NMua, CQT; TKhai/DSCKS/NNT;
// TBao/DSCKS/TTCQT and CQT), each referencing business data by Id and
// carrying its own Object/SignatureProperties/SigningTime.
//
// # Entry points
//
//   - [Sign] adds one signature with a [signer.Signer]; the profiles
//     [Seller], [Buyer], [TaxAuthority], [Registrant], [TaxNoticeOfficer]
//     and [TaxNoticeAgency] return [SignOptions] for each layout. Signing
//     keeps every byte of the document outside the inserted Signature (and
//     any Id or MCCQT it was asked to add), so earlier signatures stay
//     valid, and the TDiep transport wrapper is never signed. Where an
//     earlier signature covers the slot or an element that would get an Id
//     (a whole-document reference, say), it refuses with
//     [ErrBreaksSignature] instead.
//   - [Prepare] and [Prepared.Finish] split signing in two phases for USB
//     token plugins and SIM PKI: Prepare returns the SignedInfo digest and a
//     serialisable state ([Prepared.MarshalBinary]); Finish inserts the
//     raw signature (RSA, or ECDSA as DER or r||s) after checking it.
//   - [SignOptions.Level] adds XAdES qualifying properties next to the
//     plain invoice layout: B-B (SignedProperties), B-T (a
//     SignatureTimeStamp from [SignOptions.TimestampURL]) or B-LT
//     ([LevelBLT]: also CertificateValues and RevocationValues for
//     the signer's and the TSA's chains, fetched online or supplied in
//     [LTVOptions], so the invoice validates offline after its
//     certificates expire).
//   - [Verify] checks every signature in a document, or the one chosen by
//     [VerifyOptions.Path]. Each [Signature] reports its certificate
//     evidence and, for each [Reference], the exact canonical bytes that
//     were digested and the element covered; [Signature.Covers] and
//     [Result.Covered] answer "is element X covered by signature S". Trust
//     in the certificate is decided by package verify, not here.
//   - [ResolveLayout] gives a signature the layout its place implies (the
//     seller's NBan signature covers its own HDon/DLHDon, the tax
//     authority's CQT signature also MCCQT, a TDiep/CKSNNT signature the
//     message's DLieu, and so on); [Verify] fails a signature that signs
//     anything else in [Signature.LayoutErr] (see "Profile-aware
//     verification" below). [Signature.Intact] says whether the digests
//     and the signature value verified, whatever else failed.
//   - [Parse] is the hardened parser; [Canonicalizer] implements inclusive
//     C14N 1.0, C14N 1.1 and exclusive C14N, each with and without
//     comments, over whole documents and element subsets.
//
// # Why not goxmldsig
//
// github.com/russellhaering/goxmldsig cannot verify or produce these
// documents: it signs only with the Signature as the last child of the
// signed element and one Reference; it verifies only a signature whose
// Reference names the element it is given and checks only that Reference;
// its enveloped transform fails when the Signature lies outside the
// referenced element (where invoices put it); it has no Object or
// SignatureProperties; its default for a Reference without a
// canonicalization transform drops the ancestors' namespaces that inclusive
// C14N 1.0 requires (so the DLHDon digest of a real invoice does not match);
// its ECDSA SignatureValue is DER instead of r||s; and on an 18 MB invoice
// it spends about 5 s and 1.4 GB (measured in the project notes). Fixing
// that is most of a library, so this package has its own.
//
// # Parser and canonicalization
//
// The parser is hand-written over the input bytes (one copy to a string;
// names and most text are substrings of it, nodes come from doubling slabs),
// so parsing and canonicalization are linear in time and the number of
// allocations grows only logarithmically (about 240 to verify an 18 MB
// invoice, against 150 for a 180 KB one). It refuses DOCTYPE (no DTD, no
// entities, no XXE), duplicate attributes (also a:x and b:x bound to one
// namespace), undeclared prefixes, encodings other than UTF-8, UTF-16 (with
// a byte order mark or a declaration), ISO-8859-1 and US-ASCII (naming the
// encoding), and control characters, and enforces [Limits] on size, depth, node count, attributes and
// namespace declarations in scope. It
// normalizes attribute values (a literal tab or newline becomes a space) and
// line ends as XML 1.0 says, as libxml2 and .NET do.
//
// Canonicalization follows the document-subset semantics of each method:
// for a "#Id" reference the namespaces declared on the element's ancestors
// are rendered on it (inclusive methods), xmlns="" is emitted only when it
// undoes a rendered default namespace, C14N 1.0 copies xml:* attributes
// from ancestors, C14N 1.1 copies xml:lang and xml:space and joins xml:base,
// and exclusive C14N renders only visibly used namespaces plus the
// InclusiveNamespaces PrefixList. The output equals xmlsec1's
// --store-references bytes on the test documents.
//
// # Verification hardening
//
// Each Signature must have the XML-DSig shape (one SignedInfo, one
// SignatureValue, optional KeyInfo, Objects). Every Reference is checked
// before anything is digested: only "" and "#Id" URIs (no external or
// XPointer references), transforms limited to enveloped-signature, the
// canonicalization methods and Base64 (a canonicalization after another
// one, or after Base64, re-parses the octets as XML-DSig §4.3.3.2 says),
// and digest/signature algorithms from an
// allow-list (SHA-1 only with [VerifyOptions.AllowSHA1]). Ids are looked up
// over all Id attribute names ([DefaultIDAttrs], plus xml:id) and an Id
// carried by two elements is an error, which defeats duplicated-element
// wrapping; moved or nested elements are caught by asking whether the
// element the application reads is covered ([Result.Covered], whose
// signature path must name exactly one signature). Every KeyValue must name
// the key that verified the signature (RSAKeyValue, ECKeyValue or the RFC
// 4050 ECDSAKeyValue; anything else is refused). The verifier tolerates
// the vendor variance seen in Vietnamese documents: Id on Object or on
// SignatureProperty, SigningTime in the dsig namespace, in no namespace or
// another one, with or without a zone (a time without a zone is read as
// Vietnam time, UTC+7), Microsoft-style X509SubjectName (reported, never
// relied on), empty slots and stray DSCKS elements, and the .NET reading of
// an enveloped transform on a SignatureProperty inside its own Signature
// (the element digested whole; reported in Reference.Note). A SigningTime is
// reported only when the signature covers it. Data referenced by several
// signatures is canonicalized once, and the total canonical output of one
// verification is capped at 16 times the document size, checked while the
// output is written (exclusive C14N can repeat a long namespace URI on every
// element); KeyInfo may hold at most [Limits].MaxCertificates certificates.
//
// # Profile-aware verification
//
// A reference resolves by Id wherever the element is, so a seller-signed
// DLHDon moved into HDon/DSCKS/CCKSKhac, nested under a DLHDon of another
// namespace, or put into the Signature's own ds:Object still digests,
// while a forged DLHDon sits at /HDon/DLHDon where people and e-invoice
// systems read. For a signature inside HDon, TBao, TKhai or BBan (or in a
// TDiep slot), the verifier therefore requires: the container in a place
// readers look (not inside another container, a Signature or an Object),
// exactly one child of each data name, one Id-bearing element of the data
// name inside the container, every reference resolving to the container's
// data (DLHDon, MCCQT; DLTBao, STBao; DLTKhai; NDBBan; DLieu) or to the
// signature's own objects (holding no data element), the role's required
// elements covered, and the SigningTime the signature carries signed. Otherwise Signature.LayoutErr wraps
// ErrNotDocumentData ("the signed data is not the invoice's data"). Other
// documents are verified as they are; package verify reports each signed
// element's path and flags signed elements inside another signature, a
// ds:Object or a foreign namespace.
//
// # Performance
//
// BenchmarkSign18MB and BenchmarkVerify18MB run side by side with
// BenchmarkXmlsec1Sign18MB and BenchmarkXmlsec1Verify18MB on the same
// generated 18.6 MB invoice (100,000 line items, internal/gen). On the
// shared, loaded 2-core test machine, within the same runs, signing took
// 0.5–0.8 s against 2.3–6.3 s for xmlsec1 --sign (0.1–0.35×), and
// verification 0.34–1.1 s against 1.5–24 s for xmlsec1 --verify (0.04–0.27×),
// with about 240 allocations and 215–310 MB allocated per operation; peak
// RSS of one verification was 225 MB against 278 MB for xmlsec1.
//
// BenchmarkVerify7KB verifies a 7 KB invoice (RSA-2048) beside
// BenchmarkRSA2048VerifySHA256 (hashing it and one raw RSA verification)
// and BenchmarkXmlsec1Verify7KB; on the same shared machine it took
// 0.18–0.23 ms with 229 allocations (94 KB) against 0.04–0.07 ms for the
// raw RSA reference (the rest is parsing the certificate and the document
// and canonicalizing), while one xmlsec1 process took about 265 ms, mostly
// start-up. package verify's BenchmarkXMLVerify7KBOffline adds the chain,
// CRLs and policy: 0.8–1.0 ms, 1,357 allocations.
//
// # Errors
//
// Errors wrap the package's sentinels (or an error of the
// signer or the context); match them with errors.Is: [ErrSyntax],
// [ErrDOCTYPE], [ErrDuplicateAttr], [ErrUndeclaredPrefix], [ErrEncoding] and
// [ErrLimit] (a [*SyntaxError]) for the input, [ErrNotFound] and
// [ErrAmbiguous] for paths and Ids, [ErrBadOptions] and
// [ErrUnsupportedAlgorithm] for the options, [ErrSlotOccupied] and
// [ErrBreaksSignature] for where the signature would go, [ErrTimestamp] and
// [ErrValidationData] for the time-stamp authority and the B-LT evidence,
// [ErrBadState] for the two phases, [ErrNoSignatures] for a document
// without signatures. Verification reports each signature's failure in
// [Signature.Err]: [ErrMalformed], [ErrReference], [ErrDigestMismatch],
// [ErrSignatureInvalid], [ErrKeyInfo], [ErrSHA1], or [ErrNotDocumentData]
// (a [*LayoutError]).
package xml
