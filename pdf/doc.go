// Package pdf signs PDF documents with PAdES signatures the way Vietnamese
// e-office systems need them: every signature in its own incremental
// update, so a leader's signature, then the clerk's organisation signature
// with the red seal, all stay valid.
//
// # Entry points
//
//   - [Sign] signs a document read through an io.ReaderAt and writes the
//     result to an io.Writer.
//   - [SignFile] signs a file into another (or the same) file atomically:
//     a temporary file renamed on success, so a failure leaves no partial
//     output. It reads the input once, hashing while it copies.
//   - [Prepare] and [Prepared.Finish] (over files: [PrepareFile] and
//     [Prepared.FinishFile]) split signing in two phases for keys that live
//     elsewhere (a browser plugin holding a USB token, a SIM card behind an
//     MSSP): Prepare pins the signing time,
//     the field, the placeholder and the byte ranges and returns the digest
//     to sign; the state survives [Prepared.MarshalBinary] and
//     [Prepared.UnmarshalBinary], so Finish may run minutes later in another
//     process, with a raw signature or a whole CMS.
//   - [Options.Level] signs at PAdES B-B, B-T, B-LT or B-LTA in one call.
//     [AddDSS] (B-LT), [AddDocumentTimestamp] and [Augment] /
//     [AugmentFile] (B-LT, B-LTA, and renewal of an archived file) raise a
//     document signed earlier — by kyso or any other tool — without
//     touching its revisions.
//
// [Options] selects the field (an existing empty signature field by name, or
// a new one), PAdES B-B (ETSI.CAdES.detached, no CMS signing-time, /M in the
// signature dictionary) or B-T (TimestampURL), the legacy
// adbe.pkcs7.detached SubFilter, certification (DocMDP P=1/2/3, only as the
// first signature), field locks (/Lock and a FieldMDP transform) and a
// visible [Appearance].
//
// # What is written
//
// The original bytes are never changed: the output is the input followed
// by one incremental update holding the signature dictionary, the
// field/widget, its appearance, and new versions of the objects that must
// change (the AcroForm or catalog, the page's /Annots). The catalog keeps
// its object number; existing fields, /DR, /DA, /Encrypt and /ID are kept.
// The cross-reference section has the same form as the document's newest one
// (a table, or an xref stream). The /ByteRange placeholder has room for
// 12-digit offsets, and /Contents is sized from the real certificate chain,
// the signature size and a probe token from the TSA, with headroom: if the
// final CMS still does not fit, signing fails with [ErrPlaceholderTooSmall]
// instead of starting over.
//
// # Long-term validation
//
// B-LT appends, after the signature's update, a second update with the
// Document Security Store: /Certs, /OCSPs and /CRLs streams with the
// certificates of the signer's chain and of every time-stamp authority's
// chain up to the root, and an OCSP response (preferred) or a CRL for each
// certificate below the root, deduplicated against what the DSS already
// holds (VRI dictionaries only when [LTVOptions.VRI] asks). The evidence is
// fetched online (package internal/revinfo: AIA OCSP and CRL distribution
// points, timeouts, size caps, and each answer checked to be for that
// certificate, signed by its CA or an authorised responder, and current) or
// supplied by the caller. B-LTA appends a third update with a document
// time-stamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161, its token's
// imprint the hash of the byte ranges as for a signature); the TSA is asked
// once before the DSS is written, so that the DSS also holds the evidence
// for the document time-stamp's own TSA chain and the file validates
// offline as it is. Renewal ([Augment] with LevelBLTA on an archived file)
// adds fresh evidence for every signature and document time-stamp, then a
// new document time-stamp. These updates are allowed on certified
// documents, including DocMDP P=1 (ISO 32000-2 and PAdES allow DSS and
// document time-stamps; Acrobat nevertheless flags P=1 files).
//
// Encrypted documents (RC4 40/128-bit, AES-128, AES-256 with the standard
// security handler) are signed with the empty user password or
// [Options.Password] (user or owner): new strings and streams are encrypted
// as the document requires, the signature's /Contents is not (ISO 32000-2
// §7.6.2).
//
// Visible signatures draw text with an embedded, subsetted TrueType font
// (Liberation Serif by default, metric-compatible with Times New Roman; any
// TrueType font) as a Type0/CIDFontType2 font with Identity-H encoding, /W
// widths and a ToUnicode CMap, so text can be searched and copied. Text is
// normalised to NFC. Images are PNG (alpha kept as an SMask, for a red seal)
// or JPEG (passed through as DCTDecode). The default template reads "Ký bởi:
// <CN>", "Cơ quan: <O>", "Thời gian ký: dd/mm/yyyy hh:mm:ss" in
// Asia/Ho_Chi_Minh time.
//
// # Reading
//
// The package has its own PDF reader rather than using
// github.com/digitorus/pdf: signing needs random access through an
// io.ReaderAt without loading the file, the exact offset and form of the
// newest cross-reference section, hybrid-reference files (/XRefStm), free
// entries that hide older objects, object streams, and decryption with the
// file key that is then reused to encrypt the appended objects; and bad
// input must end in a typed error ([ErrMalformed], …), never a panic or a
// hang (/Prev loops, page-tree and object-stream cycles and compression
// bombs are bounded). Only the objects the signer needs are read; stream
// data stays in the file. Memory does not grow with the input: a 100 MB
// document is signed with a few MB of heap.
//
// [Open] exports the same reader for verification: a [Document] lists its
// revisions in order (each cross-reference section or stream with its
// trailer, end offset, and the objects it defines, frees and re-points),
// resolves objects as of the newest revision or, through [Document.At],
// any earlier one, decodes streams under the parse budget, and extracts
// the signatures (field, widgets, /ByteRange, /Contents, /Reference,
// /Lock), the DocMDP level and the DSS.
//
// This package makes no trust decision about existing signatures; package
// verify does.
//
// # Errors
//
// Errors wrap the package's sentinels (or an error of the
// signer or the context); match them with errors.Is: [ErrMalformed],
// [ErrUnsupported] and [ErrWrongPassword] for the input, [ErrBadOptions]
// (and [ErrBadRect], [ErrAnchorNotFound]) for the options, [ErrFieldNotFound],
// [ErrFieldSigned] and [ErrNotPermitted] for where the signature would go,
// [ErrTimestamp] and [ErrValidationData] for the time-stamp authority and
// the B-LT evidence, [ErrPlaceholderTooSmall], [ErrInputChanged] and
// [ErrBadState] for the two phases, [ErrNoSignatures] for validation data
// asked of an unsigned document.
package pdf
