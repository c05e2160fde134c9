package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/ber"
	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/pdf"
)

// PDFVerifier verifies the signatures of a PDF (PAdES, adbe.pkcs7.detached,
// adbe.pkcs7.sha1, and ETSI.RFC3161 document time-stamps). It implements
// Verifier.
//
// Signatures are found through the AcroForm field tree of the final
// revision (never by scanning for signature dictionaries). For each one:
//
//   - /Filter, /ByteRange and /Contents must be present and well typed
//     (universal signature forgery leaves one of them out);
//   - /ByteRange must be [0 a b c] with 0 < a < b, the gap [a, b) exactly
//     the hex string "<…>" whose value is /Contents, and b+c the end of a
//     revision ("startxref n %%EOF"): the signature covers its whole
//     revision (signature wrapping moves or shrinks the ranges);
//   - /Contents must hold one DER CMS (or time-stamp token; BER with
//     indefinite lengths, as NSS writes it, is read to its end-of-contents)
//     followed only by zero bytes;
//   - the covered bytes are hashed in chunks straight from the io.ReaderAt
//     (memory does not grow with the file), and the CMS is checked by
//     internal/cms;
//   - every later revision is compared with the signed one on the object
//     graph (package pdf reads both states; see [pdf.Document.At]): every
//     object number whose cross-reference entry changed (added, changed,
//     freed, re-pointed to an older definition, generation changed), and
//     every object of an object stream that changed, is compared with its
//     signed state, and a real difference is judged by what the object is
//     to the document, as reached from the trailer (catalog, form, field,
//     page, annotation, appearance, signature, DSS, metadata or content).
//     Reject by default; allowed by named rules (ISO 32000-2 §12.8.2.2,
//     ETSI EN 319 142-1):
//     later-signature: new signature fields that are signed, their widgets,
//     /AcroForm /Fields and page /Annots entries (direct or indirect) and
//     any appearance, also /DR resources (not under P=1);
//     document-timestamp: document time-stamps, at every DocMDP level;
//     dss: the DSS and VRI, with or without /Type /DSS, at every level;
//     metadata: /Info, an XMP /Metadata stream, /Version, /Extensions and
//     /Perms with its /DocMDP kept;
//     form-fill: a field's value and the filled field's own appearance
//     (not under P=1; refused where the signature's /Lock or FieldMDP
//     transform, read from the signed revision, locks the field: rule
//     field-lock);
//     annotations-p3: annotations, and signature fields that stay
//     unsigned, only under P=3;
//     unreferenced: objects nothing reaches from the trailer are harmless,
//     except under P=1 (rule docmdp-p1).
//     Any other change (page content, resources, pages, replaced objects,
//     catalog entries, an appearance whose replaced objects other content
//     used, a new appearance over an unchanged value) is refused, as are
//     objects appended outside any revision, linearization dictionaries
//     and a later chain that does not continue from the signed revision
//     (rule structure). Each change is listed in Coverage.Changes with its
//     revision, object number, path from the trailer (e.g.
//     /Root/Pages/Kids[0]/Contents) and rule; refused ones also in
//     Coverage.ModifiedAfterSigning, which makes the verdict
//     TOTAL_FAILED/FORMAT_FAILURE.
//
// Revocation data and certificates in the document's DSS are used as
// embedded evidence.
type PDFVerifier struct {
	Validator *Validator
	// Password opens encrypted documents whose user password is not empty
	// (the user or the owner password). Empty: the empty user password.
	Password string
}

// NewPDFVerifier returns a PDFVerifier using v.
func NewPDFVerifier(v *Validator) *PDFVerifier { return &PDFVerifier{Validator: v} }

// ErrPDF wraps failures to read a PDF's structure.
var ErrPDF = errors.New("verify: unreadable PDF")

const docTimestampFormat = "PAdES document time-stamp"

// hashChunk is the read size when hashing signed byte ranges.
const hashChunk = 1 << 20

// maxContentsHex bounds the /Contents gap read into memory (a CMS with a
// long chain, time-stamp and revocation data fits easily).
const maxContentsHex = 8 << 20

// Verify implements Verifier. Errors reading the document's structure wrap
// ErrPDF and the pdf package's error (errors.Is(err, pdf.ErrWrongPassword)
// holds for an encrypted document opened with the wrong password).
func (p *PDFVerifier) Verify(ctx context.Context, doc io.ReaderAt, size int64) (*Report, error) {
	rep := p.Validator.NewReport("PDF")
	final, err := pdf.Open(doc, size, []byte(p.Password))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPDF, err)
	}
	sigs, err := final.Signatures()
	if err != nil {
		return nil, fmt.Errorf("%w: reading the AcroForm: %w", ErrPDF, err)
	}
	dss := readDSS(final)
	docMDP := final.DocMDP()
	evs := make([]*Evidence, len(sigs))
	ends := make([]int64, len(sigs))
	for i := range sigs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		evs[i], ends[i] = p.evidence(ctx, doc, size, final, &sigs[i], dss, docMDP)
	}
	// A document time-stamp is proof of existence for every signature in
	// the revisions it covers (PAdES-LTA).
	for i, dt := range evs {
		if dt.Format != docTimestampFormat || dt.FormatErr != nil || len(dt.Timestamps) == 0 {
			continue
		}
		for j, ev := range evs {
			if j != i && ev.Format != docTimestampFormat && ends[j] > 0 && ends[j] <= ends[i] {
				ev.Timestamps = append(ev.Timestamps, dt.Timestamps[0])
			}
		}
	}
	for _, ev := range evs {
		rep.Signatures = append(rep.Signatures, p.Validator.Validate(ctx, ev))
	}
	if tail := trailingBytes(doc, size); tail > 0 {
		rep.Warnings = append(rep.Warnings, msg("pdf.trailing-bytes", tail))
	}
	return rep, nil
}

// evidence extracts one signature's evidence.
// It returns the evidence and the end of the signed revision (0 when the
// byte range is unusable).
func (p *PDFVerifier) evidence(ctx context.Context, doc io.ReaderAt, size int64, final *pdf.Document, f *pdf.Signature, dss pdfDSS, docMDP int) (*Evidence, int64) {
	ev, end := p.extract(ctx, doc, size, final, f, dss, docMDP)
	if ev.FormatErr != nil {
		end = 0
	}
	return ev, end
}

func (p *PDFVerifier) extract(ctx context.Context, doc io.ReaderAt, size int64, final *pdf.Document, f *pdf.Signature, dss pdfDSS, docMDP int) (*Evidence, int64) {
	ev := &Evidence{Format: "PAdES", ID: f.Name}
	if f.Dict == nil {
		ev.FormatErr = errorMsg("pdf.v-not-dictionary")
		return ev, 0
	}
	isDocTS := f.DocTimeStamp()
	if isDocTS {
		ev.Format = docTimestampFormat
	}
	if _, ok := f.Dict["Filter"].(pdf.Name); !ok {
		ev.FormatErr = errorMsg("pdf.no-filter")
		return ev, 0
	}
	if len(f.Contents) == 0 {
		ev.FormatErr = errorMsg("pdf.no-contents")
		return ev, 0
	}
	contents := f.Contents
	br, err := byteRange(f.ByteRange, size)
	if err != nil {
		ev.FormatErr = err
		return ev, 0
	}
	end := br[2] + br[3]
	ev.Coverage.References = []string{fmt.Sprintf("bytes %d–%d", 0, br[1]), fmt.Sprintf("bytes %d–%d", br[2], end)}
	ev.Coverage.WholeDocument = end == size
	ev.Coverage.Description = msg("pdf.coverage", br[1], br[2], end, size)
	if err := checkGap(doc, br, contents); err != nil {
		ev.FormatErr = err
		return ev, 0
	}
	if err := checkRevisionEnd(doc, end, size); err != nil {
		ev.FormatErr = err
		return ev, 0
	}
	der, err := derPrefix(contents)
	if err != nil {
		ev.FormatErr = err
		return ev, 0
	}

	// Changes after the signed revision.
	if end < size {
		signedRev, err := final.At(end)
		if err != nil {
			ev.FormatErr = errorMsg("pdf.signed-revision-unreadable", err)
			return ev, 0
		}
		// The signature dictionary must be part of the revision it signs
		// (a copy added later, pointing at an old revision, is not).
		if f.Value.Num != 0 {
			old, err := signedRev.Object(f.Value.Num)
			if err != nil || !sameObject(signedRev, old, final, f.Dict, 0) {
				ev.FormatErr = errorMsg("pdf.signature-outside-revision")
				return ev, 0
			}
		}
		// The certification level as signed, or a stricter one the final
		// revision declares (a later update cannot relax it: changing
		// /Perms /DocMDP is itself refused).
		level := signedRev.DocMDP()
		if level == 0 || (docMDP != 0 && docMDP < level) {
			level = docMDP
		}
		changes := analyzeChanges(doc, final, signedRev, end, level, signatureLocks(signedRev, f))
		for _, c := range changes {
			if c.Allowed {
				if !slices.ContainsFunc(ev.Coverage.AllowedChanges, c.Detail.equal) {
					ev.Coverage.AllowedChanges = append(ev.Coverage.AllowedChanges, c.Detail)
				}
			} else {
				ev.Coverage.ModifiedAfterSigning = append(ev.Coverage.ModifiedAfterSigning, c.Message())
			}
		}
		ev.Coverage.Changes = changes
		slices.SortFunc(ev.Coverage.AllowedChanges, func(a, b Message) int { return strings.Compare(a.String(), b.String()) })
	}

	var out *Evidence
	if isDocTS {
		out = docTimestampEvidence(doc, br, der)
	} else {
		out = cmsPDFEvidence(doc, br, der, f.SubFilter)
	}
	out.ID, out.Coverage = f.Name, ev.Coverage
	if out.ClaimedTime.IsZero() && !isDocTS && f.M != "" {
		if t, err := parsePDFDate(f.M); err == nil {
			out.ClaimedTime = t
		}
	}
	out.CRLs = append(out.CRLs, dss.crls...)
	out.OCSPResponses = append(out.OCSPResponses, dss.ocsps...)
	out.Certificates = append(out.Certificates, dss.certs...)
	return out, end
}

// byteRange reads and checks /ByteRange: [0 a b c], 0 < a < b, b+c ≤ size.
func byteRange(v []int64, size int64) ([4]int64, error) {
	var br [4]int64
	if len(v) != 4 {
		return br, errorMsg("pdf.byterange-shape")
	}
	copy(br[:], v)
	switch {
	case br[0] != 0:
		return br, errorMsg("pdf.byterange-start", br[0])
	case br[1] <= 0 || br[2] <= br[1]+1 || br[3] < 0:
		return br, errorMsg("pdf.byterange-order", fmt.Sprint(br))
	case br[2]+br[3] > size:
		return br, errorMsg("pdf.byterange-past-end", fmt.Sprint(br), size)
	case br[2]-br[1] > maxContentsHex:
		return br, errorMsg("pdf.byterange-gap-large", br[2]-br[1])
	}
	return br, nil
}

// checkGap verifies that the gap between the ranges is exactly the hex
// string holding /Contents.
func checkGap(doc io.ReaderAt, br [4]int64, contents []byte) error {
	gap := make([]byte, br[2]-br[1])
	if _, err := doc.ReadAt(gap, br[1]); err != nil {
		return errorMsg("pdf.contents-unreadable", err)
	}
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return errorMsg("pdf.gap-not-contents")
	}
	raw, err := hex.DecodeString(string(gap[1 : len(gap)-1]))
	if err != nil {
		return errorMsg("pdf.gap-not-hex")
	}
	if !bytes.Equal(raw, contents) {
		return errorMsg("pdf.gap-other-contents")
	}
	return nil
}

// checkRevisionEnd verifies that end closes a revision: "startxref", an
// offset and "%%EOF" (with an optional end-of-line) just before it.
func checkRevisionEnd(doc io.ReaderAt, end, size int64) error {
	n := int64(64)
	if end < n {
		n = end
	}
	tail := make([]byte, n)
	if _, err := doc.ReadAt(tail, end-n); err != nil && !errors.Is(err, io.EOF) {
		return errorMsg("pdf.revision-end-unreadable", err)
	}
	t := bytes.TrimRight(tail, "\r\n")
	if len(tail)-len(t) > 2 || !bytes.HasSuffix(t, []byte("%%EOF")) || !bytes.Contains(t, []byte("startxref")) {
		return errorMsg("pdf.range-not-revision-end", end)
	}
	if end < size {
		// A revision ends at the first end-of-line after %%EOF: the rest of
		// a CRLF pair must not be left out.
		next := make([]byte, 1)
		if _, err := doc.ReadAt(next, end); err == nil && next[0] == '\n' && bytes.HasSuffix(tail, []byte("\r")) {
			return errorMsg("pdf.range-splits-eol")
		}
	}
	return nil
}

// derPrefix returns the DER element at the start of contents and checks
// that everything after it is zero padding.
func derPrefix(contents []byte) ([]byte, error) {
	if len(contents) < 2 || contents[0] != 0x30 {
		return nil, errorMsg("pdf.contents-not-der")
	}
	total, err := ber.Len(contents)
	if err != nil {
		if contents[1] == 0x80 {
			return nil, errorMsg("pdf.contents-ber-unterminated")
		}
		return nil, errorMsg("pdf.contents-der-length")
	}
	for _, b := range contents[total:] {
		if b != 0 {
			return nil, errorMsg("pdf.contents-hidden-data")
		}
	}
	return contents[:total], nil
}

// hashRanges hashes the two signed ranges with every hash in hs, reading
// in chunks.
func hashRanges(doc io.ReaderAt, br [4]int64, hs []crypto.Hash) (map[crypto.Hash][]byte, error) {
	type hw struct {
		h crypto.Hash
		w interface {
			io.Writer
			Sum([]byte) []byte
		}
	}
	var ws []hw
	var mw []io.Writer
	for _, h := range hs {
		if h == 0 || !h.Available() {
			continue
		}
		dup := false
		for _, x := range ws {
			dup = dup || x.h == h
		}
		if dup {
			continue
		}
		w := h.New()
		ws = append(ws, hw{h, w})
		mw = append(mw, w)
	}
	dst := io.MultiWriter(mw...)
	buf := make([]byte, min(hashChunk, max(br[1], br[3], 1)))
	for _, rg := range [][2]int64{{br[0], br[1]}, {br[2], br[3]}} {
		if _, err := io.CopyBuffer(dst, io.NewSectionReader(doc, rg[0], rg[1]), buf); err != nil {
			return nil, fmt.Errorf("reading signed bytes: %w", err)
		}
	}
	out := map[crypto.Hash][]byte{}
	for _, x := range ws {
		out[x.h] = x.w.Sum(nil)
	}
	return out, nil
}

// cmsPDFEvidence checks a CMS signature over the byte ranges.
func cmsPDFEvidence(doc io.ReaderAt, br [4]int64, der []byte, subFilter string) *Evidence {
	sd, err := cms.Parse(der)
	if err != nil {
		return &Evidence{Format: "PAdES", FormatErr: err}
	}
	if len(sd.SignerInfos) != 1 {
		return &Evidence{Format: "PAdES", FormatErr: errorMsg("pdf.signerinfo-count", len(sd.SignerInfos))}
	}
	hs := []crypto.Hash{sd.SignerInfos[0].Hash}
	if subFilter == "adbe.pkcs7.sha1" {
		hs = append(hs, crypto.SHA1)
	}
	digests, err := hashRanges(doc, br, hs)
	if err != nil {
		return &Evidence{Format: "PAdES", SignedDataErr: err}
	}
	format := "PAdES"
	if subFilter != "ETSI.CAdES.detached" {
		format = "PDF " + subFilter
	}
	if subFilter == "adbe.pkcs7.sha1" {
		// The CMS signs (encapsulates) the SHA-1 digest of the ranges.
		ev := cmsEvidence(sd, map[crypto.Hash][]byte{}, format)[0]
		if sd.Content == nil {
			ev.FormatErr = errorMsg("pdf.sha1-no-digest")
		} else if !bytes.Equal(sd.Content, digests[crypto.SHA1]) && ev.FormatErr == nil {
			ev.DigestErr = errorMsg("pdf.sha1-digest-mismatch")
		}
		if ev.DigestAlgorithm != crypto.SHA1 {
			ev.Warnings = append(ev.Warnings, msg("pdf.sha1-document-hash"))
		}
		ev.DigestAlgorithm = crypto.SHA1
		return ev
	}
	if sd.Content != nil {
		return &Evidence{Format: format, FormatErr: errorMsg("pdf.detached-with-content")}
	}
	return cmsEvidence(sd, digests, format)[0]
}

// docTimestampEvidence checks an ETSI.RFC3161 document time-stamp.
func docTimestampEvidence(doc io.ReaderAt, br [4]int64, der []byte) *Evidence {
	const format = docTimestampFormat
	tok, err := cms.ParseToken(der)
	if err != nil {
		return &Evidence{Format: format, FormatErr: err}
	}
	digests, err := hashRanges(doc, br, []crypto.Hash{tok.HashAlgorithm})
	if err != nil {
		return &Evidence{Format: format, SignedDataErr: err}
	}
	ev := &Evidence{Format: format, SignerCert: tok.TSACertificate, DigestAlgorithm: tok.HashAlgorithm,
		SignatureAlgorithm: "RFC 3161 time-stamp token", ClaimedTime: tok.GenTime}
	for _, c := range tok.Certificates {
		if c != tok.TSACertificate {
			ev.Certificates = append(ev.Certificates, c)
		}
	}
	verr := tok.VerifyDigest(digests[tok.HashAlgorithm])
	switch {
	case verr == nil:
	case errors.Is(verr, cms.ErrHashMismatch):
		ev.DigestErr = verr
	case errors.Is(verr, cms.ErrNoSignerCertificate):
		ev.SignerCertErr = verr
	case errors.Is(verr, cms.ErrSignatureInvalid):
		ev.SignatureErr = verr
	default:
		ev.FormatErr = verr
	}
	ev.Timestamps = []Timestamp{tokenEvidence(tok, "document", verr)}
	return ev
}

// pdfDSS is the validation data of a PDF's Document Security Store.
type pdfDSS struct {
	certs       []*x509.Certificate
	crls, ocsps [][]byte
}

// readDSS reads the DSS of the final revision; unreadable items are left
// out (they are evidence, not what is signed).
func readDSS(r *pdf.Document) pdfDSS {
	var out pdfDSS
	d, err := r.DSS()
	if err != nil {
		return out
	}
	for _, b := range d.Certs {
		if c, err := certparse.Parse(b); err == nil {
			out.certs = append(out.certs, c)
		}
	}
	out.crls, out.ocsps = d.CRLs, d.OCSPs
	return out
}

// trailingBytes counts bytes after the last %%EOF (and its end-of-line).
func trailingBytes(doc io.ReaderAt, size int64) int64 {
	n := int64(1024)
	if size < n {
		n = size
	}
	tail := make([]byte, n)
	if _, err := doc.ReadAt(tail, size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	i := bytes.LastIndex(tail, []byte("%%EOF"))
	if i < 0 {
		return 0
	}
	rest := bytes.TrimLeft(tail[i+5:], "\r\n")
	return int64(len(bytes.TrimRight(rest, "\x00 \t\r\n")))
}

// parsePDFDate reads a PDF date string "D:YYYYMMDDHHmmSSOHH'mm'".
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "D:")
	if len(s) < 4 {
		return time.Time{}, errors.New("short date")
	}
	if _, err := strconv.Atoi(s[:4]); err != nil {
		return time.Time{}, errors.New("date without a year")
	}
	digits := func(i, n, def int) int {
		if len(s) < i+n {
			return def
		}
		v, err := strconv.Atoi(s[i : i+n])
		if err != nil {
			return def
		}
		return v
	}
	t := time.Date(digits(0, 4, 0), time.Month(digits(4, 2, 1)), digits(6, 2, 1), digits(8, 2, 0), digits(10, 2, 0), digits(12, 2, 0), 0, time.UTC)
	if len(s) > 14 && (s[14] == '+' || s[14] == '-') {
		off := time.Duration(digits(15, 2, 0))*time.Hour + time.Duration(digits(18, 2, 0))*time.Minute
		if s[14] == '+' {
			t = t.Add(-off)
		} else {
			t = t.Add(off)
		}
	}
	return t, nil
}
