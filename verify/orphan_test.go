package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
)

// Objects added after signing that nothing refers to (poppler leaves its
// discarded appearance drafts so) are harmless and allowed, except under a
// DocMDP P=1 certification; an object an earlier revision already referred
// to (a planted reference, filled in later) is not unreferenced.
func TestPDFUnreferencedObjects(t *testing.T) {
	e := newEnv(t)
	alice := e.pki.MustIssue()
	// The page refers to annotation 40, which does not exist yet.
	planted := testutil.BuildPDF(pageObjects("Planted", "", "/Annots [40 0 R] "))
	e.pki.SetTime(signAt)
	signed := e.signPDF(t, minimalPDF("Orphans"), alice, &pdf.Options{Field: "A"})
	plantedSigned := e.signPDF(t, planted, alice, &pdf.Options{Field: "A"})
	certified := e.signPDF(t, minimalPDF("Orphans"), alice, &pdf.Options{Field: "A", Certify: 1})
	e.pki.SetTime(checkAt)

	orphan := map[int]string{40: "<< /Type /Annot /Subtype /FreeText /Rect [72 700 400 760] /Contents (Pay 1000000) /DA (/Helv 24 Tf) >>"}

	s := verifyPDF(t, e.online(), appendUpdate(t, signed, orphan)).Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%v", s.Coverage.ModifiedAfterSigning)
	assert.Contains(t, codes(s.Coverage.AllowedChanges), "pdf.change.unreferenced")

	s = verifyPDF(t, e.online(), appendUpdate(t, plantedSigned, orphan)).Signatures[0]
	assert.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, modifiedText(s), "annotation added")

	s = verifyPDF(t, e.online(), appendUpdate(t, certified, orphan)).Signatures[0]
	assert.Equal(t, TotalFailed, s.Indication)

	// Referenced from the page in the same update: an ordinary overlay.
	page := pageWithAnnot(t, signed, "40 0 R")
	upd := map[int]string{3: page, 40: orphan[40]}
	s = verifyPDF(t, e.online(), appendUpdate(t, signed, upd)).Signatures[0]
	require.Equal(t, TotalFailed, s.Indication)
	assert.Contains(t, modifiedText(s), "annotation")
}
