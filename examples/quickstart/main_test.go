package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// TestQuickstart runs the program's logic and checks both verdicts, the
// printed reports, and the signed files with independent tools.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	res, text := testutil.RunExample(t, run, dir)

	for name, rep := range map[string]*verify.Report{"pdf": res.PDF, "invoice": res.Invoice} {
		require.Len(t, rep.Signatures, 1, name)
		s := rep.Signatures[0]
		assert.Equal(t, verify.TotalPassed, s.Indication, name)
		assert.True(t, s.Integrity.Intact, name)
		assert.NotNil(t, s.Anchor, name)
		assert.Equal(t, "online", rep.RevocationMode, name)
		for _, r := range s.Revocation {
			assert.Equal(t, verify.StatusGood, r.Status, "%s: %s", name, r.Subject)
		}
	}
	// The PDF is B-T: its signing time comes from the TSA.
	assert.Equal(t, verify.TimeFromTimestamp, res.PDF.Signatures[0].TimeSource)
	assert.True(t, res.PDF.Signatures[0].Coverage.WholeDocument)
	assert.Equal(t, "Trần Thị Bích Ngọc", res.PDF.Signatures[0].Signer.Name)
	assert.Equal(t, "Công ty TNHH Phần mềm Kyso", res.Invoice.Signatures[0].Signer.Name)

	assert.Contains(t, text, "Kết luận chung: Chữ ký hợp lệ")
	assert.Contains(t, text, "Overall result: Signature valid")
	assert.Contains(t, text, "PDF: TOTAL_PASSED, e-invoice: TOTAL_PASSED")

	check.PDFSig(t, filepath.Join(dir, "sample-signed.pdf"), 1)
	signed, err := os.ReadFile(filepath.Join(dir, "invoice-signed.xml"))
	require.NoError(t, err)
	check.XMLSec(t, signed, "NBan", pkitest.PEM(res.Root))
}
