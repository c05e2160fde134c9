package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// appendXrefOnly appends an incremental update made of a cross-reference
// table and trailer alone: it frees the objects in free and points the
// objects in repoint at the given (older) offsets. Nothing new is written:
// the update only changes which bytes the objects are.
func appendXrefOnly(t *testing.T, doc []byte, free []int, repoint map[int]int64) []byte {
	t.Helper()
	d, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)), nil)
	require.NoError(t, err)
	revs := d.Revisions()
	var b bytes.Buffer
	b.Write(doc)
	x := b.Len()
	b.WriteString("xref\n")
	type ent struct {
		n   int
		off int64
	}
	var ents []ent
	for _, n := range free {
		ents = append(ents, ent{n, -1})
	}
	for n, off := range repoint {
		ents = append(ents, ent{n, off})
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].n < ents[j].n })
	for _, e := range ents {
		if e.off < 0 {
			fmt.Fprintf(&b, "%d 1\n0000000000 00001 f \n", e.n)
		} else {
			fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", e.n, e.off)
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %v /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		d.NumObjects(), d.Trailer()["Root"], revs[len(revs)-1].XRef, x)
	return b.Bytes()
}

func contentStream(text string) string {
	c := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (%s) Tj ET", text)
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c)
}

// changeOf returns the refused changes of s as JSON-decoded Change values
// (through the report's JSON, as integrators read it).
func refusedChanges(t *testing.T, s *SignatureReport) []Change {
	t.Helper()
	b, err := json.Marshal(s.Coverage)
	require.NoError(t, err)
	var c Coverage
	require.NoError(t, json.Unmarshal(b, &c))
	var out []Change
	for _, ch := range c.Changes {
		if !ch.Allowed {
			out = append(out, ch)
		}
	}
	return out
}

// An update holding only cross-reference data changes what every viewer
// shows: re-pointing the page content to the draft it replaced before
// signing ("FINAL: PAY 1000 VND" becomes "DRAFT: PAY 1000000000 VND"), or
// freeing it. Both are refused, naming the revision, the object, its path
// from the catalog and the rule; an xref-only update that changes nothing
// (an entry re-stated) or touches an object nothing uses passes.
func TestPDFXrefOnlyUpdates(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	draft := testutil.BuildPDF(pageObjects("DRAFT: PAY 1000000000 VND", "", ""))
	draftAt := int64(bytes.Index(draft, []byte("\n4 0 obj")) + 1)
	final := appendUpdate(t, draft, map[int]string{4: contentStream("FINAL: PAY 1000 VND"), 9: "<< /Unused true >>"})
	e.pki.SetTime(signAt)
	signed := e.signPDF(t, final, alice, &pdf.Options{Field: "A"})
	e.pki.SetTime(checkAt)
	nrev := len(mustOpen(t, signed).Revisions())

	s := verifyPDF(t, e.online(), signed).Signatures[0]
	require.Equal(t, TotalPassed, s.Indication, "%+v", s.Findings)

	for _, tc := range []struct {
		name string
		doc  []byte
		xref string
	}{
		{"re-pointed to the draft", appendXrefOnly(t, signed, nil, map[int]int64{4: draftAt}), "re-pointed to an older definition"},
		{"content freed", appendXrefOnly(t, signed, []int{4}, nil), "freed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyPDF(t, e.online(), tc.doc)
			s := rep.Signatures[0]
			assert.Equal(t, TotalFailed, s.Indication)
			assert.Equal(t, FormatFailure, s.SubIndication)
			ch := refusedChanges(t, s)
			require.NotEmpty(t, ch, "%v", s.Coverage.ModifiedAfterSigning)
			assert.Equal(t, nrev+1, ch[0].Revision)
			assert.Equal(t, 4, ch[0].Object)
			assert.Equal(t, "/Root/Pages/Kids[0]/Contents", ch[0].Path)
			assert.Equal(t, tc.xref, ch[0].XRef)
			assert.Equal(t, ruleDefault, ch[0].Rule)
			assert.Contains(t, s.Text(English), "/Root/Pages/Kids[0]/Contents")
			assert.Contains(t, s.Text(Vietnamese), "phiên bản")
		})
	}

	// The same entry re-stated, and an unused object freed: no change.
	d := mustOpen(t, signed)
	cur, ok := d.Entry(4)
	require.True(t, ok)
	for _, doc := range [][]byte{
		appendXrefOnly(t, signed, nil, map[int]int64{4: cur.Offset}),
		appendXrefOnly(t, signed, []int{9}, nil),
	} {
		s := verifyPDF(t, e.online(), doc).Signatures[0]
		assert.Equal(t, TotalPassed, s.Indication, "%v", s.Coverage.ModifiedAfterSigning)
	}
}

func sigByID(t *testing.T, rep *Report, id string) *SignatureReport {
	t.Helper()
	for _, s := range rep.Signatures {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no signature %q in the report", id)
	return nil
}

func mustOpen(t *testing.T, doc []byte) *pdf.Document {
	t.Helper()
	d, err := pdf.Open(bytes.NewReader(doc), int64(len(doc)), nil)
	require.NoError(t, err)
	return d
}

// The objects of a later signature as PDFBox and Adobe Reader write them:
// a new field with a merged widget whose /AP is an indirect dictionary, a
// new indirect /Annots array on the page, the field added to /AcroForm
// /Fields. Whether the new signature verifies does not matter to the
// first one's analysis. signed is the new field's /V: with false, the
// field stays empty.
func laterSignatureUpdate(t *testing.T, doc []byte, signed bool, overlay string) map[int]string {
	page := pageWithAnnot(t, doc, "")
	i := strings.Index(page, "/Annots [")
	require.GreaterOrEqual(t, i, 0)
	j := strings.Index(page[i:], "]")
	annots := page[i+len("/Annots [") : i+j]
	page = page[:i] + "/Annots 34 0 R" + page[i+j+1:]
	v := ""
	if signed {
		v = "/V 31 0 R"
	}
	form := acroFormOf(t, doc)
	k := strings.Index(form, "/Fields [")
	require.GreaterOrEqual(t, k, 0)
	form = form[:k+len("/Fields [")] + "30 0 R " + form[k+len("/Fields ["):]
	return map[int]string{
		3:                   page,
		30:                  "<< /FT /Sig /T (Second) /Type /Annot /Subtype /Widget /F 4 /Rect [0 0 595 842] /P 3 0 R /AP 32 0 R " + v + " >>",
		31:                  "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 10 20 30] /Contents <3000> >>",
		32:                  "<< /N 33 0 R >>",
		33:                  "<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Length " + fmt.Sprint(len(overlay)) + " >>\nstream\n" + overlay + "\nendstream",
		34:                  "[" + strings.TrimSpace(annots) + " 30 0 R]",
		acroFormNum(t, doc): form,
	}
}

// acroFormOf returns the newest body of the AcroForm object kyso wrote.
func acroFormOf(t *testing.T, doc []byte) string {
	n := acroFormNum(t, doc)
	i := bytes.LastIndex(doc, []byte(fmt.Sprintf("\n%d 0 obj", n)))
	require.GreaterOrEqual(t, i, 0)
	body := doc[i+len(fmt.Sprintf("\n%d 0 obj", n)):]
	return string(bytes.TrimSpace(body[:bytes.Index(body, []byte("endobj"))]))
}

func acroFormNum(t *testing.T, doc []byte) int {
	d := mustOpen(t, doc)
	_, cat, err := d.Catalog()
	require.NoError(t, err)
	r, ok := cat["AcroForm"].(pdf.Ref)
	require.True(t, ok, "kyso writes an indirect /AcroForm")
	return r.Num
}

// Later signatures are allowed however their objects are written; a
// signature field that stays unsigned is a change like any other
// annotation (the sneaky signature attack: a full-page widget appearance
// over the signed content), refused under an approval signature and under
// certification P=2 and P=1, allowed only at P=3.
func TestPDFLaterSignatureRules(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	approval := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "A"})
	p1 := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "A", Certify: 1})
	p2 := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "A", Certify: 2})
	p3 := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "A", Certify: 3})
	e.pki.SetTime(checkAt)
	overlay := "1 1 1 rg 0 0 595 842 re f BT /F1 24 Tf 72 720 Td (Pay 1000000 VND) Tj ET"

	for _, tc := range []struct {
		name   string
		doc    []byte
		signed bool
		pass   bool
		want   string
	}{
		{"approval: later signature, indirect /AP and /Annots", approval, true, true, "signature added"},
		{"P=2: later signature", p2, true, true, "signature added"},
		{"P=1: later signature", p1, true, false, "P=1"},
		{"approval: unsigned field (sneaky signature)", approval, false, false, "not signed"},
		{"P=2: unsigned field (sneaky signature)", p2, false, false, "not signed"},
		{"P=1: unsigned field (sneaky signature)", p1, false, false, ""},
		{"P=3: unsigned field is an annotation", p3, false, true, "certification level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := appendUpdate(t, tc.doc, laterSignatureUpdate(t, tc.doc, tc.signed, overlay))
			assertRuleOutcome(t, e, doc, tc.pass, tc.want)
		})
	}
}

// Validation data and document time-stamps are allowed at every DocMDP
// level, P=1 included, with or without /Type /DSS; document metadata
// (/Info, an XMP /Metadata stream, /Version, /Extensions) too. A /Metadata
// that is not XMP, and content changed in the same update, are refused.
func TestPDFDSSAndMetadataRules(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	p1 := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "A", Certify: 1})
	approval := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "A"})
	e.pki.SetTime(checkAt)
	catalog := func(doc []byte, extra string) string {
		i := bytes.LastIndex(doc, []byte("\n1 0 obj"))
		body := doc[i+len("\n1 0 obj"):]
		s := strings.TrimSpace(string(body[:bytes.Index(body, []byte("endobj"))]))
		return strings.TrimSuffix(s, ">>") + " " + extra + " >>"
	}
	xmp := `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta><?xpacket end="w"?>`
	stream := func(hdr, data string) string {
		return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", hdr, len(data), data)
	}
	for _, tc := range []struct {
		name string
		doc  []byte
		upd  func(doc []byte) map[int]string
		pass bool
		want string
	}{
		{"P=1: DSS without /Type", p1, func(doc []byte) map[int]string {
			return map[int]string{1: catalog(doc, "/DSS 40 0 R"), 40: "<< /Certs [41 0 R] /VRI << /ABC << /Cert [41 0 R] >> >> >>", 41: stream("", "0")}
		}, true, "DSS"},
		{"P=1: DSS and a document time-stamp field", p1, func(doc []byte) map[int]string {
			m := laterSignatureUpdate(t, doc, true, "")
			m[31] = "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange [0 10 20 30] /Contents <3000> >>"
			m[1] = catalog(doc, "/DSS << /Type /DSS /Certs [41 0 R] >>")
			m[41] = stream("", "0")
			return m
		}, true, "document time-stamp added"},
		{"P=1: metadata", p1, func(doc []byte) map[int]string {
			return map[int]string{1: catalog(doc, "/Metadata 42 0 R /Version /2.0 /Extensions << /ADBE << /BaseVersion /1.7 /ExtensionLevel 8 >> >>"), 42: stream("/Type /Metadata /Subtype /XML", xmp)}
		}, true, "metadata"},
		{"bogus /Metadata", approval, func(doc []byte) map[int]string {
			return map[int]string{1: catalog(doc, "/Metadata 42 0 R"), 42: stream("", "This is bogus data, yay!")}
		}, false, "XMP"},
		{"DSS plus content", approval, func(doc []byte) map[int]string {
			return map[int]string{1: catalog(doc, "/DSS 40 0 R"), 40: "<< /Certs [] >>", 4: contentStream("Pay 1000000 VND")}
		}, false, "object 4"},
		{"P=1: certification removed from /Perms", p1, func(doc []byte) map[int]string {
			c := catalog(doc, "")
			i := strings.Index(c, "/Perms")
			require.GreaterOrEqual(t, i, 0)
			j := strings.Index(c[i:], ">>")
			return map[int]string{1: c[:i] + c[i+j+2:]}
		}, false, "/Perms /DocMDP"},
		{"catalog gains /OpenAction", approval, func(doc []byte) map[int]string {
			return map[int]string{1: catalog(doc, "/OpenAction 43 0 R"), 43: "<< /S /JavaScript /JS (app.alert(1)) >>"}
		}, false, "/OpenAction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := appendUpdate(t, tc.doc, tc.upd(tc.doc))
			assertRuleOutcome(t, e, doc, tc.pass, tc.want)
		})
	}
}

// A kyso signature, then one by mutool (MuPDF) in the form's empty field:
// the first signature stays valid, MuPDF's update being an allowed later
// signature; a content change after both is refused for both.
func TestPDFKysoThenMutool(t *testing.T) {
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	e := newEnv(t)
	alice := e.pki.MustIssue()
	bob := e.pki.MustIssue(pkitest.RSAKey(2048))
	e.pki.SetTime(time.Now())
	first := e.signPDF(t, formPDF(), alice, &pdf.Options{Field: "Kyso"})
	dir := t.TempDir()
	p12, err := bob.PKCS12Legacy("pw")
	require.NoError(t, err)
	in, out, pfx := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf"), filepath.Join(dir, "id.p12")
	require.NoError(t, os.WriteFile(in, first, 0o644))
	require.NoError(t, os.WriteFile(pfx, p12, 0o600))
	res, err := exec.Command(mutool, "sign", "-s", pfx, "-P", "pw", "-o", out, in, "6").CombinedOutput()
	require.NoError(t, err, string(res))
	both, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(both, first), "mutool appends an incremental update")

	o := e.online()
	o.Time = time.Now()
	rep := verifyPDF(t, o, both)
	require.Len(t, rep.Signatures, 2, "%s", rep.Text(English))
	byID := map[string]*SignatureReport{}
	for _, s := range rep.Signatures {
		byID[s.ID] = s
	}
	require.Contains(t, byID, "Kyso")
	k := byID["Kyso"]
	assert.Equal(t, TotalPassed, k.Indication, "%+v %v", k.Findings, k.Coverage.ModifiedAfterSigning)
	assert.Contains(t, codes(k.Coverage.AllowedChanges), "pdf.change.signature-added")

	tampered := appendUpdate(t, both, map[int]string{4: contentStream("Pay 1000000 VND")})
	for _, s := range verifyPDF(t, o, tampered).Signatures {
		assert.Equal(t, TotalFailed, s.Indication, s.ID)
		assert.Contains(t, modifiedText(s), "/Root/Pages/Kids[0]/Contents")
	}
}

// Annotations written directly in a page's /Annots (no object of their
// own) are compared by value: replacing one is refused; the page kept as
// it was passes.
func TestPDFDirectAnnotations(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	doc := testutil.BuildPDF(pageObjects("Direct", "", "/Annots [<< /Type /Annot /Subtype /Text /Rect [10 10 20 20] /Contents (ok) >>] "))
	e.pki.SetTime(signAt)
	signed := e.signPDF(t, doc, alice, &pdf.Options{Field: "A"})
	e.pki.SetTime(checkAt)
	page := pageWithAnnot(t, signed, "")
	replaced := strings.Replace(page, "(ok)", "(Pay 1000000 VND)", 1)
	require.NotEqual(t, page, replaced)
	s := sigByID(t, verifyPDF(t, e.online(), appendUpdate(t, signed, map[int]string{3: replaced})), "A")
	assert.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, modifiedText(s), "direct annotations")
	s = sigByID(t, verifyPDF(t, e.online(), appendUpdate(t, signed, map[int]string{3: page})), "A")
	assert.Equal(t, TotalPassed, s.Indication, "%v", s.Coverage.ModifiedAfterSigning)
}

// assertRuleOutcome checks signature "A" of doc: TOTAL_PASSED with want
// among the allowed changes, or TOTAL_FAILED with want among the refused.
func assertRuleOutcome(t *testing.T, e *env, doc []byte, pass bool, want string) {
	t.Helper()
	s := sigByID(t, verifyPDF(t, e.online(), doc), "A")
	mod := modifiedText(s)
	if pass {
		assert.Equal(t, TotalPassed, s.Indication, "%v %+v", mod, s.Findings)
		assert.Contains(t, allowedText(s), want)
		return
	}
	assert.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, mod, want)
}
