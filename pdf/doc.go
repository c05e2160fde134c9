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
//   - [Prepare] and [Prepared.Finish] / [Prepared.FinishFile] split signing
//     in two phases for keys that live elsewhere (a browser plugin holding a
//     USB token, a SIM card behind an MSSP): Prepare pins the signing time,
//     the field, the placeholder and the byte ranges and returns the digest
//     to sign; the state survives [Prepared.MarshalBinary] and
//     [Prepared.UnmarshalBinary], so Finish may run minutes later in another
//     process, with a raw signature or a whole CMS.
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
// This package makes no trust decision about existing signatures; package
// verify does.
package pdf
