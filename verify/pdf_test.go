package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// minimalPDF returns a one-page PDF written by hand: objects 1–5 (catalog,
// pages, page, content stream, font).
func minimalPDF(text string) []byte {
	return testutil.BuildPDF(pageObjects(text, "", ""))
}

func pageObjects(text, catalogExtra, pageExtra string) []string {
	content := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (%s) Tj ET", text)
	return []string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + ">>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> " + pageExtra + ">>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
}

var startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF`)

// appendUpdate appends an incremental update redefining objs (number →
// body) to doc, as an attacker (or a careless tool) would.
func appendUpdate(t *testing.T, doc []byte, objs map[int]string) []byte {
	t.Helper()
	m := startxrefRE.FindAllSubmatch(doc, -1)
	require.NotEmpty(t, m)
	prev, err := strconv.Atoi(string(m[len(m)-1][1]))
	require.NoError(t, err)
	sizeRE := regexp.MustCompile(`/Size (\d+)`)
	sz := sizeRE.FindAllSubmatch(doc, -1)
	size := 0
	if len(sz) > 0 {
		size, _ = strconv.Atoi(string(sz[len(sz)-1][1]))
	}
	var b bytes.Buffer
	b.Write(doc)
	if !bytes.HasSuffix(doc, []byte("\n")) {
		b.WriteString("\n")
	}
	offs := map[int]int{}
	nums := []int{}
	for n := range objs {
		nums = append(nums, n)
	}
	for _, n := range sortInts(nums) {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, objs[n])
		if n+1 > size {
			size = n + 1
		}
	}
	x := b.Len()
	b.WriteString("xref\n")
	for _, n := range sortInts(nums) {
		fmt.Fprintf(&b, "%d 1\n%010d 00000 n \n", n, offs[n])
	}
	root := regexp.MustCompile(`/Root (\d+ \d+ R)`).FindAllSubmatch(doc, -1)
	require.NotEmpty(t, root)
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", size, root[len(root)-1][1], prev, x)
	return b.Bytes()
}

func sortInts(a []int) []int {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if a[j] < a[i] {
				a[i], a[j] = a[j], a[i]
			}
		}
	}
	return a
}

func (e *env) signPDF(t *testing.T, doc []byte, id *pkitest.Identity, o *pdf.Options) []byte {
	t.Helper()
	if o == nil {
		o = &pdf.Options{}
	}
	if o.TimestampURL == "" {
		o.TimestampURL, o.HTTPClient = e.pki.TSAURL(), e.pki.HTTPClient()
	}
	var out bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(), o))
	return out.Bytes()
}

func verifyPDF(t *testing.T, o Options, doc []byte) *Report {
	t.Helper()
	v, err := New(o)
	require.NoError(t, err)
	rep, err := NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	return rep
}

func TestPDFSignatures(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	bob := e.pki.MustIssue(pkitest.Person("Trần Thị Bình", "001190012345"))
	e.pki.SetTime(signAt)
	one := e.signPDF(t, minimalPDF("Hello"), alice, &pdf.Options{Field: "Alice"})
	two := e.signPDF(t, one, bob, &pdf.Options{Field: "Bob"})
	e.pki.SetTime(checkAt)

	rep := verifyPDF(t, e.online(), one)
	require.Len(t, rep.Signatures, 1)
	s := rep.Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%+v", s.Findings)
	assert.Equal(t, "Alice", s.ID)
	assert.True(t, s.Coverage.WholeDocument)
	assert.Equal(t, TimeFromTimestamp, s.TimeSource)

	rep = verifyPDF(t, e.online(), two)
	require.Len(t, rep.Signatures, 2)
	for _, s := range rep.Signatures {
		assert.Equal(t, TotalPassed, s.Indication, "%s: %+v %v", s.ID, s.Findings, s.Coverage.ModifiedAfterSigning)
	}
	first := rep.Signatures[0]
	assert.False(t, first.Coverage.WholeDocument)
	assert.Empty(t, first.Coverage.ModifiedAfterSigning)
	assert.Contains(t, codes(first.Coverage.AllowedChanges), "pdf.change.signature-added")
	assert.Equal(t, "Trần Thị Bình", rep.Signatures[1].Signer.Name)

	// Through the Mux.
	v, err := New(e.online())
	require.NoError(t, err)
	r2, err := VerifyBytes(context.Background(), NewMux(v), two)
	require.NoError(t, err)
	assert.Equal(t, TotalPassed, r2.Indication())

	// Unsigned PDF.
	r3 := verifyPDF(t, e.online(), minimalPDF("x"))
	assert.Equal(t, NoSignatureFound, r3.Indication())
}

// Attacks on signed PDFs, each a generated file: the verdict must never be
// TOTAL_PASSED.
func TestPDFAttacks(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	signed := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "Alice"})
	certified := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "Cert", Certify: 1})
	certified3 := e.signPDF(t, minimalPDF("Pay 100 VND"), alice, &pdf.Options{Field: "Cert", Certify: 3})
	e.pki.SetTime(checkAt)

	same := func(doc []byte, old, new string) []byte {
		require.Equal(t, len(old), len(new))
		i := bytes.Index(doc, []byte(old))
		require.GreaterOrEqual(t, i, 0, old)
		out := bytes.Clone(doc)
		copy(out[i:], new)
		return out
	}
	br := regexp.MustCompile(`/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindSubmatch(signed)
	require.NotNil(t, br)
	contentsAt, _ := strconv.Atoi(string(br[1]))
	gapEnd, _ := strconv.Atoi(string(br[2]))
	lastLen := string(br[3])

	type attack struct {
		name string
		doc  []byte
		ind  Indication
		sub  SubIndication
		want string // substring of a finding or change
	}
	zeroContents := bytes.Clone(signed)
	for i := contentsAt + 1; i < gapEnd-1; i++ {
		zeroContents[i] = '0'
	}
	hidden := bytes.Clone(signed)
	copy(hidden[gapEnd-5:], "41")
	shorter := strconv.Itoa(mustAtoi(t, lastLen) - 20)
	for len(shorter) < len(lastLen) {
		shorter = " " + shorter
	}
	attacks := []attack{
		{"USF: /Contents all zeros", zeroContents, TotalFailed, FormatFailure, "DER"},
		{"USF: no /Filter", same(signed, "/Filter", "/Filtex"), TotalFailed, FormatFailure, "/Filter"},
		{"USF: no /ByteRange", same(signed, "/ByteRange", "/ByteRangX"), TotalFailed, FormatFailure, "/ByteRange"},
		{"SWA: ByteRange not starting at 0", same(signed, "/ByteRange [0 ", "/ByteRange [1 "), TotalFailed, FormatFailure, ""},
		{"SWA: ByteRange short of the revision end", same(signed, " "+lastLen+"]", " "+shorter+"]"), TotalFailed, FormatFailure, ""},
		{"hidden data after the CMS in /Contents", hidden, TotalFailed, FormatFailure, "hidden data"},
		{"ISA: page content replaced", appendUpdate(t, signed, map[int]string{
			4: "<< /Length 40 >>\nstream\nBT /F1 24 Tf 72 720 Td (Pay 1000000) Tj ET\nendstream"}), TotalFailed, FormatFailure, "object 4"},
		{"shadow: page added", appendUpdate(t, signed, map[int]string{
			2:  "<< /Type /Pages /Kids [3 0 R 20 0 R] /Count 2 >>",
			20: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"}), TotalFailed, FormatFailure, "page"},
		{"shadow: resources replaced (hide and replace)", appendUpdate(t, signed, map[int]string{
			5: "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>"}), TotalFailed, FormatFailure, "object 5"},
		{"overlay annotation after an approval signature", appendUpdate(t, signed, map[int]string{
			3:  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [21 0 R] >>",
			21: "<< /Type /Annot /Subtype /FreeText /Rect [72 700 400 760] /Contents (Pay 1000000) /DA (/Helv 24 Tf) >>"}), TotalFailed, FormatFailure, "annotation"},
		{"certification P=1: later signature forbidden (sneaky signature)", appendUpdate(t, certified, map[int]string{
			30: "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Contents <3000> /ByteRange [0 1 2 3] >>"}), TotalFailed, FormatFailure, "P=1"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			rep := verifyPDF(t, e.online(), a.doc)
			require.NotEmpty(t, rep.Signatures)
			s := rep.Signatures[0]
			assert.Equal(t, a.ind, s.Indication, "%+v %v", s.Findings, s.Coverage.ModifiedAfterSigning)
			assert.Equal(t, a.sub, s.SubIndication)
			all := modifiedText(s)
			for _, f := range s.Findings {
				all += "\n" + f.Detail.String()
			}
			assert.Contains(t, all, a.want)
		})
	}

	// Objects appended without cross-reference data, behind a stray %%EOF.
	stray := append(bytes.Clone(signed), []byte("4 0 obj\n<< /Length 10 >>\nstream\nBT ET q Q\nendstream\nendobj\n%%EOF\n")...)
	rep0 := verifyPDF(t, e.online(), stray)
	assert.Equal(t, TotalFailed, rep0.Signatures[0].Indication)
	assert.Contains(t, modifiedText(rep0.Signatures[0]), "stray")
	lin := appendUpdate(t, signed, map[int]string{40: "<< /Linearized 1 /L 1000 /O 3 /E 100 /N 1 /T 900 /H [0 0] >>"})
	rep0 = verifyPDF(t, e.online(), lin)
	assert.Equal(t, TotalFailed, rep0.Signatures[0].Indication)
	assert.Contains(t, modifiedText(rep0.Signatures[0]), "linearization")

	// A copy of the signature dictionary added in a later revision, under a
	// new field, is not a second signature.
	sigBody := func(doc []byte) string {
		i := bytes.LastIndex(doc, []byte("/Type /Sig"))
		j := bytes.LastIndex(doc[:i], []byte("<<"))
		k := bytes.Index(doc[i:], []byte("endobj"))
		return string(bytes.TrimSpace(doc[j : i+k]))
	}
	dup := appendUpdate(t, signed, map[int]string{
		6:  "<</Fields [8 0 R 31 0 R]/SigFlags 3>>",
		30: sigBody(signed),
		31: "<</Type /Annot/FT /Sig/F 132/P 3 0 R/Rect [0 0 0 0]/Subtype /Widget/T (Copy)/V 30 0 R>>",
	})
	rep0 = verifyPDF(t, e.online(), dup)
	require.Len(t, rep0.Signatures, 2)
	assert.Equal(t, TotalFailed, rep0.Signatures[1].Indication, "%+v", rep0.Signatures[1].Findings)
	assert.Contains(t, rep0.Signatures[1].Findings[0].Detail.String(), "not part of the revision it signs")

	// Certification P=3 permits annotations: the overlay is allowed, and
	// reported.
	withAnnot := appendUpdate(t, certified3, map[int]string{
		3:  pageWithAnnot(t, certified3, "21 0 R"),
		21: "<< /Type /Annot /Subtype /Text /Rect [72 700 90 718] /Contents (ok) >>"})
	rep := verifyPDF(t, e.online(), withAnnot)
	s := rep.Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%+v %v", s.Findings, s.Coverage.ModifiedAfterSigning)
	assert.Contains(t, allowedText(s), "certification level")

	// Junk after %%EOF is reported, not a change of the signed revision.
	junk := append(bytes.Clone(signed), []byte("garbage after the end")...)
	rep = verifyPDF(t, e.online(), junk)
	assert.Equal(t, TotalPassed, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
	assert.NotEmpty(t, rep.Warnings)
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	require.NoError(t, err)
	return n
}

// pageWithAnnot returns the latest body of object 3 (the page) in doc with
// ref added to its /Annots.
func pageWithAnnot(t *testing.T, doc []byte, ref string) string {
	i := bytes.LastIndex(doc, []byte("\n3 0 obj"))
	require.GreaterOrEqual(t, i, 0)
	body := doc[i+len("\n3 0 obj"):]
	body = body[:bytes.Index(body, []byte("endobj"))]
	s := string(bytes.TrimSpace(body))
	if strings.Contains(s, "/Annots [") {
		return strings.Replace(s, "/Annots [", "/Annots ["+ref+" ", 1)
	}
	return strings.TrimSuffix(s, ">>") + " /Annots [" + ref + "] >>"
}

// formPDF is minimalPDF with an empty signature field (object 6) on the
// page, for producers that sign existing fields.
func formPDF() []byte {
	objs := pageObjects("Form", "/AcroForm << /Fields [6 0 R] /SigFlags 3 >> ", "/Annots [6 0 R] ")
	objs = append(objs, "<< /FT /Sig /T (Sig1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>")
	return testutil.BuildPDF(objs)
}

// Signatures made by another producer (mutool sign) verify.
func TestPDFFromMutool(t *testing.T) {
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.RSAKey(2048)) // mutool signs with RSA keys only
	dir := t.TempDir()
	p12, err := id.PKCS12Legacy("pw")
	require.NoError(t, err)
	in, out, pfx := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf"), filepath.Join(dir, "id.p12")
	require.NoError(t, os.WriteFile(in, formPDF(), 0o644))
	require.NoError(t, os.WriteFile(pfx, p12, 0o600))
	e.pki.SetTime(time.Now())
	res, err := exec.Command(mutool, "sign", "-s", pfx, "-P", "pw", "-o", out, in, "6").CombinedOutput()
	require.NoError(t, err, string(res))
	signed, err := os.ReadFile(out)
	require.NoError(t, err)

	o := e.online()
	o.Time = time.Now()
	o.Intermediates = id.Chain
	rep := verifyPDF(t, o, signed)
	require.Len(t, rep.Signatures, 1, "%s", rep.Text(English))
	s := rep.Signatures[0]
	assert.Equal(t, "Sig1", s.ID)
	assert.True(t, s.Integrity.Intact, "%+v", s.Findings)
	assert.Equal(t, pkitest.DefaultPersonName, s.Signer.Name)
	require.NotNil(t, s.Anchor)
	// mutool hashes with SHA-1, which Circular 15/2025 no longer accepts.
	assert.Equal(t, Indeterminate, s.Indication, "%+v\n%s", s.Findings, s.Text(English))
	assert.Equal(t, CryptoConstraintsFailure, s.SubIndication)
	assert.Contains(t, s.Findings[0].Detail.String(), "SHA-1")

	// Everything else holds: under a policy that still accepts SHA-1 it passes.
	lax := VietnamPolicy()
	lax.Hashes = append(lax.Hashes, crypto.SHA1)
	o.Algorithms = lax
	s = verifyPDF(t, o, signed).Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%+v", s.Findings)
}

// Form filling after a certification signature: allowed with P=2,
// forbidden with P=1.
func TestPDFFormFilling(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	objs := pageObjects("Form", "/AcroForm << /Fields [6 0 R] >> ", "/Annots [6 0 R] ")
	objs = append(objs, "<< /FT /Tx /T (HoTen) /V (a) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R >>")
	doc := testutil.BuildPDF(objs)
	filled := "<< /FT /Tx /T (HoTen) /V (Nguyễn Văn An) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R >>"
	e.pki.SetTime(signAt)
	p2 := e.signPDF(t, doc, alice, &pdf.Options{Field: "Cert", Certify: 2})
	p1 := e.signPDF(t, doc, alice, &pdf.Options{Field: "Cert", Certify: 1})
	e.pki.SetTime(checkAt)

	s := verifyPDF(t, e.online(), appendUpdate(t, p2, map[int]string{6: filled})).Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%+v %v", s.Findings, s.Coverage.ModifiedAfterSigning)
	assert.Contains(t, codes(s.Coverage.AllowedChanges), "pdf.change.form-filled")

	s = verifyPDF(t, e.online(), appendUpdate(t, p1, map[int]string{6: filled})).Signatures[0]
	assert.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, modifiedText(s), "P=1")

	// Changing more than the value (moving the field) is not form filling.
	moved := strings.Replace(filled, "[72 600 300 620]", "[72 100 300 120]", 1)
	s = verifyPDF(t, e.online(), appendUpdate(t, p2, map[int]string{6: moved})).Signatures[0]
	assert.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, modifiedText(s), "/Rect")
}

// A PAdES-LTA style document time-stamp, added by hand as an incremental
// update (ETSI.RFC3161 over the whole revision): it verifies, and it is the
// proof of existence of the earlier signature, which has no time-stamp of
// its own.
func TestPDFDocumentTimestamp(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	doc := minimalPDF("LTA")
	var out bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), alice.Signer(), &pdf.Options{Field: "Alice"}))
	signed := out.Bytes()
	require.Contains(t, string(signed), "/Fields [8 0 R]", "layout written by package pdf")

	e.pki.SetTime(signAt.Add(time.Hour))
	const hexLen = 16384
	placeholder := "[0 0000000000 0000000000 0000000000]"
	withTS := appendUpdate(t, signed, map[int]string{
		3:  pageWithAnnot(t, signed, "11 0 R"),
		6:  "<</Fields [8 0 R 11 0 R]/SigFlags 3>>",
		10: "<</Type /DocTimeStamp/Filter /Adobe.PPKLite/SubFilter /ETSI.RFC3161/ByteRange " + placeholder + "/Contents <" + strings.Repeat("0", hexLen) + ">>>",
		11: "<</Type /Annot/FT /Sig/F 132/P 3 0 R/Rect [0 0 0 0]/Subtype /Widget/T (DocTS)/V 10 0 R>>",
	})
	at := bytes.LastIndex(withTS, []byte("/Contents <")) + len("/Contents ")
	a, b := at, at+hexLen+2
	c := len(withTS) - b
	br := fmt.Sprintf("[0 %d %d %d", a, b, c)
	br += strings.Repeat(" ", len(placeholder)-len(br)-1) + "]"
	i := bytes.LastIndex(withTS, []byte(placeholder))
	copy(withTS[i:], br)
	h := sha256.New()
	h.Write(withTS[:a])
	h.Write(withTS[b:])
	tok, err := e.pki.Timestamp(crypto.SHA256, h.Sum(nil))
	require.NoError(t, err)
	copy(withTS[a+1:], hex.EncodeToString(tok))
	e.pki.SetTime(checkAt)

	rep := verifyPDF(t, e.online(), withTS)
	require.Len(t, rep.Signatures, 2)
	sig, ts := rep.Signatures[0], rep.Signatures[1]
	assert.Equal(t, "DocTS", ts.ID)
	assert.Equal(t, docTimestampFormat, ts.Format)
	assert.Equal(t, TotalPassed, ts.Indication, "%+v", ts.Findings)
	assert.True(t, ts.Coverage.WholeDocument)

	assert.Equal(t, TotalPassed, sig.Indication, "%+v %v", sig.Findings, sig.Coverage.ModifiedAfterSigning)
	assert.Contains(t, codes(sig.Coverage.AllowedChanges), "pdf.change.document-timestamp")
	assert.Equal(t, TimeFromTimestamp, sig.TimeSource, "the document time-stamp is the signature's POE")
	assert.Equal(t, signAt.Add(time.Hour), sig.BestSignatureTime)

	// Tampering with the time-stamped revision breaks the time-stamp.
	bad := bytes.Clone(withTS)
	bad[bytes.LastIndex(bad, []byte("/Rect [0 0 0 0]/Subtype"))+7] = '1'
	rep = verifyPDF(t, e.online(), bad)
	require.Len(t, rep.Signatures, 2)
	assert.Equal(t, TotalFailed, rep.Signatures[1].Indication)
	assert.Equal(t, HashFailure, rep.Signatures[1].SubIndication)
}

// PAdES B-LTA made by package pdf (signature time-stamp, DSS with OCSP
// responses, document time-stamp) verifies offline from the embedded data
// alone, long after signing.
func TestPDFLongTermOffline(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	signed := e.signPDF(t, minimalPDF("LTV"), alice, &pdf.Options{Field: "Alice"})
	var lta bytes.Buffer
	err := pdf.Augment(context.Background(), &lta, bytes.NewReader(signed), int64(len(signed)), pdf.LevelBLTA,
		&pdf.LTVOptions{HTTPClient: e.pki.HTTPClient(), Time: signAt},
		&pdf.DocTimestampOptions{TimestampURL: e.pki.TSAURL(), HTTPClient: e.pki.HTTPClient()})
	require.NoError(t, err)
	e.pki.SetTime(checkAt)

	rep := verifyPDF(t, e.offline(), lta.Bytes())
	require.Len(t, rep.Signatures, 2, rep.Text(English))
	for _, s := range rep.Signatures {
		assert.Equal(t, TotalPassed, s.Indication, "%s: %+v %v", s.ID, s.Findings, s.Coverage.ModifiedAfterSigning)
	}
	s := rep.Signatures[0]
	assert.Equal(t, TimeFromTimestamp, s.TimeSource)
	for _, rv := range s.Revocation {
		assert.Equal(t, "embedded", rv.Origin, rv.Subject)
	}
	assert.Contains(t, codes(s.Coverage.AllowedChanges), "pdf.change.dss-added")
	assert.Contains(t, codes(s.Coverage.AllowedChanges), "pdf.change.document-timestamp")

	// The same signature without its DSS is INDETERMINATE offline.
	rep = verifyPDF(t, e.offline(), signed)
	assert.Equal(t, TryLater, rep.Signatures[0].SubIndication)
}
