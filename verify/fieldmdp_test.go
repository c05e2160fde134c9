package verify

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
)

// lockFormPDF is a one-page form: text fields HoTen (object 6, with an
// appearance stream, object 8) and DiaChi (object 7), and KhachHang
// (object 9) with one kid, KhachHang.MST (object 10).
func lockFormPDF() []byte {
	objs := pageObjects("Form", "/AcroForm << /Fields [6 0 R 7 0 R 9 0 R] /DA (/Helv 0 Tf 0 g) >> ", "/Annots [6 0 R 7 0 R 10 0 R] ")
	objs = append(objs,
		"<< /FT /Tx /T (HoTen) /V (a) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R /AP << /N 8 0 R >> >>",
		"<< /FT /Tx /T (DiaChi) /V (b) /Type /Annot /Subtype /Widget /Rect [72 560 300 580] /P 3 0 R >>",
		appearanceStream("a"),
		"<< /FT /Tx /T (KhachHang) /Kids [10 0 R] >>",
		"<< /T (MST) /Parent 9 0 R /V (0100109106) /Type /Annot /Subtype /Widget /Rect [72 520 300 540] /P 3 0 R >>",
	)
	return testutil.BuildPDF(objs)
}

func appearanceStream(text string) string {
	s := fmt.Sprintf("BT /F1 12 Tf 2 4 Td (%s) Tj ET", text)
	return fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0 0 228 20] /Resources << /Font << /F1 5 0 R >> >> /Length %d >>\nstream\n%s\nendstream", len(s), s)
}

// Fill-ins written as a viewer would: the field's new value, and for
// HoTen a new appearance stream (object 50).
var (
	fillHoTen = map[int]string{
		6:  "<< /FT /Tx /T (HoTen) /V (Nguyễn Văn An) /Type /Annot /Subtype /Widget /Rect [72 600 300 620] /P 3 0 R /AP << /N 50 0 R >> >>",
		50: appearanceStream("Nguyen Van An"),
	}
	fillDiaChi = map[int]string{7: "<< /FT /Tx /T (DiaChi) /V (Hà Nội) /Type /Annot /Subtype /Widget /Rect [72 560 300 580] /P 3 0 R >>"}
	fillMST    = map[int]string{10: "<< /T (MST) /Parent 9 0 R /V (0100109107) /Type /Annot /Subtype /Widget /Rect [72 520 300 540] /P 3 0 R >>"}
	// Only the appearance of HoTen, rewritten in place.
	redrawHoTen = map[int]string{8: appearanceStream("Tran Thi Binh")}
)

// Field locks (FieldMDP): filling a field the signature locked is a
// modification the signer did not allow, naming the field; filling a field
// it left open is form filling. Checked for /Action /All, /Include and
// /Exclude as the pdf package writes them (/Lock on the field and a
// FieldMDP transform in the signature), for values and appearances.
func TestPDFFieldLocks(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	doc := lockFormPDF()
	e.pki.SetTime(signAt)
	sign := func(o *pdf.Options) []byte {
		o.Field = "ChuKy"
		return e.signPDF(t, doc, alice, o)
	}
	var (
		none    = sign(&pdf.Options{})
		all     = sign(&pdf.Options{Lock: &pdf.FieldLock{Action: pdf.LockAll}})
		include = sign(&pdf.Options{Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"HoTen", "KhachHang"}}})
		exclude = sign(&pdf.Options{Lock: &pdf.FieldLock{Action: pdf.LockExclude, Fields: []string{"HoTen"}}})
		certP2  = sign(&pdf.Options{Certify: 2, Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"DiaChi"}}})
		certP1  = sign(&pdf.Options{Certify: 1})
	)
	e.pki.SetTime(checkAt)
	require.Contains(t, string(include), "/FieldMDP", "the pdf package writes a FieldMDP transform")
	require.Contains(t, string(include), "/SigFieldLock", "and a /Lock dictionary")

	for _, tc := range []struct {
		name   string
		signed []byte
		fill   map[int]string
		locked string // "" when the fill is allowed; "!name": refused, not for a lock
	}{
		{"no lock: value and new appearance", none, fillHoTen, ""},
		// A new appearance over an unchanged value is not filling in: it
		// shows what was not signed (pdf-insecurity.org "replace").
		{"no lock: appearance redrawn", none, redrawHoTen, "!HoTen"},
		{"no lock: kid field", none, fillMST, ""},
		{"All: value", all, fillHoTen, "HoTen"},
		{"All: other field", all, fillDiaChi, "DiaChi"},
		{"All: appearance only", all, redrawHoTen, "HoTen"},
		{"Include: listed field", include, fillHoTen, "HoTen"},
		{"Include: listed field's appearance", include, redrawHoTen, "HoTen"},
		{"Include: kid of a listed field", include, fillMST, "KhachHang.MST"},
		{"Include: other field", include, fillDiaChi, ""},
		{"Exclude: excluded field", exclude, fillHoTen, ""},
		{"Exclude: excluded field's appearance", exclude, redrawHoTen, "!HoTen"},
		{"Exclude: other field", exclude, fillDiaChi, "DiaChi"},
		{"Exclude: other kid field", exclude, fillMST, "KhachHang.MST"},
		{"certified P=2 with a lock: open field", certP2, fillHoTen, ""},
		{"certified P=2 with a lock: locked field", certP2, fillDiaChi, "DiaChi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyPDF(t, e.online(), appendUpdate(t, tc.signed, tc.fill))
			require.Len(t, rep.Signatures, 1)
			s := rep.Signatures[0]
			assert.True(t, s.Integrity.Intact, "%+v", s.Findings)
			mod := modifiedText(s)
			if tc.locked == "" {
				assert.Equal(t, TotalPassed, s.Indication, "%+v %v", s.Findings, mod)
				assert.Contains(t, codes(s.Coverage.AllowedChanges), "pdf.change.form-filled")
				return
			}
			assert.Equal(t, TotalFailed, s.Indication, "%+v", s.Findings)
			assert.Equal(t, FormatFailure, s.SubIndication)
			if name, ok := strings.CutPrefix(tc.locked, "!"); ok {
				assert.Contains(t, mod, fmt.Sprintf("%q", name))
				assert.Contains(t, mod, "though its value did not")
				return
			}
			assert.Contains(t, mod, fmt.Sprintf("%q", tc.locked))
			assert.Contains(t, mod, "locked")
			assert.Contains(t, s.Text(English), tc.locked)
		})
	}

	// A certification with P=1 still refuses any fill, value or appearance.
	for _, fill := range []map[int]string{fillHoTen, redrawHoTen, fillDiaChi} {
		s := verifyPDF(t, e.online(), appendUpdate(t, certP1, fill)).Signatures[0]
		assert.Equal(t, TotalFailed, s.Indication)
		assert.Contains(t, modifiedText(s), "P=1")
	}
}

// Locks are read from the signed revision: an update that lifts the lock
// (drops /Lock from the signature field) while filling the field does not
// help, nor can it touch the FieldMDP transform in the signed signature
// dictionary.
func TestPDFFieldLockCannotBeLifted(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	signed := e.signPDF(t, lockFormPDF(), alice, &pdf.Options{Field: "ChuKy", Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"DiaChi"}}})
	e.pki.SetTime(checkAt)
	m := regexp.MustCompile(`(\d+) 0 obj\s*(<<[^\n]*/T \(ChuKy\)[^\n]*>>)`).FindSubmatch(signed)
	require.NotNil(t, m, "signature widget as the pdf package writes it")
	unlocked := regexp.MustCompile(`/Lock\s*<<[^>]*>>`).ReplaceAllString(string(m[2]), "")
	require.NotEqual(t, string(m[2]), unlocked)
	upd := map[int]string{mustAtoi(t, string(m[1])): unlocked}
	for k, v := range fillDiaChi {
		upd[k] = v
	}
	s := verifyPDF(t, e.online(), appendUpdate(t, signed, upd)).Signatures[0]
	assert.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, modifiedText(s), `"DiaChi"`)

	// Lifting the lock alone changes nothing the signer cared about.
	s = verifyPDF(t, e.online(), appendUpdate(t, signed, map[int]string{mustAtoi(t, string(m[1])): unlocked})).Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%v", s.Coverage.ModifiedAfterSigning)
}

// A later signature in a new field is allowed under a lock on every field,
// and its own locks then apply to what follows it.
func TestPDFFieldLockLaterSignature(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.pki.MustIssue(), e.pki.MustIssue()
	e.pki.SetTime(signAt)
	first := e.signPDF(t, lockFormPDF(), alice, &pdf.Options{Field: "A", Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"HoTen"}}})
	second := e.signPDF(t, first, bob, &pdf.Options{Field: "B", Lock: &pdf.FieldLock{Action: pdf.LockAll}})
	e.pki.SetTime(checkAt)
	rep := verifyPDF(t, e.online(), second)
	require.Len(t, rep.Signatures, 2)
	for _, s := range rep.Signatures {
		assert.Equal(t, TotalPassed, s.Indication, "%s: %+v %v", s.ID, s.Findings, s.Coverage.ModifiedAfterSigning)
	}
	// Filling DiaChi after both: A allowed it, B did not.
	rep = verifyPDF(t, e.online(), appendUpdate(t, second, fillDiaChi))
	require.Len(t, rep.Signatures, 2)
	byID := map[string]*SignatureReport{}
	for _, s := range rep.Signatures {
		byID[s.ID] = s
	}
	require.Contains(t, byID, "A")
	require.Contains(t, byID, "B")
	assert.Equal(t, TotalPassed, byID["A"].Indication, "%v", byID["A"].Coverage.ModifiedAfterSigning)
	assert.Equal(t, TotalFailed, byID["B"].Indication)
	assert.Contains(t, modifiedText(byID["B"]), `"DiaChi"`)
}

// mutoolFillJS sets the text widget at an index of page 1 to a value,
// regenerates its appearance and saves incrementally, as a viewer would.
const mutoolFillJS = `var doc = new PDFDocument(scriptArgs[0]);
var w = doc.loadPage(0).getWidgets()[parseInt(scriptArgs[2])];
w.setTextValue(scriptArgs[3]);
w.update();
doc.save(scriptArgs[1], "incremental");
`

// Field locks against fill-ins written by another producer: MuPDF (mutool
// run) fills a field of a form signed with a lock, writing the new value, a
// regenerated appearance stream and its font in an incremental update.
func TestPDFFieldLocksMutoolFill(t *testing.T) {
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	e := newEnv(t)
	alice := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	include := e.signPDF(t, lockFormPDF(), alice, &pdf.Options{Field: "ChuKy", Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"HoTen"}}})
	exclude := e.signPDF(t, lockFormPDF(), alice, &pdf.Options{Field: "ChuKy", Lock: &pdf.FieldLock{Action: pdf.LockExclude, Fields: []string{"HoTen"}}})
	e.pki.SetTime(checkAt)

	dir := t.TempDir()
	js := filepath.Join(dir, "fill.js")
	require.NoError(t, os.WriteFile(js, []byte(mutoolFillJS), 0o644))
	fill := func(signed []byte, widget int, value string) []byte {
		in, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
		require.NoError(t, os.WriteFile(in, signed, 0o644))
		res, err := exec.Command(mutool, "run", js, in, out, strconv.Itoa(widget), value).CombinedOutput()
		require.NoError(t, err, string(res))
		filled, err := os.ReadFile(out)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(filled, signed), "an incremental update")
		require.Contains(t, string(filled[len(signed):]), "/V("+value+")")
		return filled
	}
	// Widgets on the page, in /Annots order: HoTen, DiaChi, KhachHang.MST.
	for _, tc := range []struct {
		name   string
		signed []byte
		widget int
		locked string
	}{
		{"Include: HoTen", include, 0, "HoTen"},
		{"Include: DiaChi", include, 1, ""},
		{"Include: KhachHang.MST", include, 2, ""},
		{"Exclude: HoTen", exclude, 0, ""},
		{"Exclude: DiaChi", exclude, 1, "DiaChi"},
		{"Exclude: KhachHang.MST", exclude, 2, "KhachHang.MST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := verifyPDF(t, e.online(), fill(tc.signed, tc.widget, "Nguyen Van An")).Signatures[0]
			assert.True(t, s.Integrity.Intact)
			mod := modifiedText(s)
			if tc.locked == "" {
				assert.Equal(t, TotalPassed, s.Indication, "%v", mod)
				assert.Contains(t, codes(s.Coverage.AllowedChanges), "pdf.change.form-filled")
				return
			}
			assert.Equal(t, TotalFailed, s.Indication)
			assert.Equal(t, FormatFailure, s.SubIndication)
			assert.Contains(t, mod, fmt.Sprintf("%q", tc.locked))
		})
	}
}

// An empty signature field a signature locked cannot be signed later (its
// value changes); one it left open can.
func TestPDFFieldLockEmptySignatureField(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.pki.MustIssue(), e.pki.MustIssue()
	e.pki.SetTime(signAt)
	form := formPDF() // an empty signature field, Sig1
	all := e.signPDF(t, form, alice, &pdf.Options{Field: "A", Lock: &pdf.FieldLock{Action: pdf.LockAll}})
	other := e.signPDF(t, form, alice, &pdf.Options{Field: "A", Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"Other"}}})
	lockedThenSigned := e.signPDF(t, all, bob, &pdf.Options{Field: "Sig1"})
	openThenSigned := e.signPDF(t, other, bob, &pdf.Options{Field: "Sig1"})
	e.pki.SetTime(checkAt)

	byID := func(rep *Report) map[string]*SignatureReport {
		m := map[string]*SignatureReport{}
		for _, s := range rep.Signatures {
			m[s.ID] = s
		}
		return m
	}
	got := byID(verifyPDF(t, e.online(), lockedThenSigned))
	require.Contains(t, got, "A")
	require.Contains(t, got, "Sig1")
	assert.Equal(t, TotalFailed, got["A"].Indication)
	assert.Contains(t, modifiedText(got["A"]), `signature field "Sig1"`)
	assert.Equal(t, TotalPassed, got["Sig1"].Indication, "%+v", got["Sig1"].Findings)

	got = byID(verifyPDF(t, e.online(), openThenSigned))
	for _, id := range []string{"A", "Sig1"} {
		require.Contains(t, got, id)
		assert.Equal(t, TotalPassed, got[id].Indication, "%s: %v", id, got[id].Coverage.ModifiedAfterSigning)
	}
}
