package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	"github.com/kyso-vn/kyso/xml"
)

func TestEInvoice(t *testing.T) {
	res, out := testutil.RunExample(t, run, t.TempDir())

	require.Len(t, res.Report.Signatures, 3)
	names := map[string]bool{}
	for _, s := range res.Report.Signatures {
		assert.Equal(t, verify.TotalPassed, s.Indication, s.ID)
		require.NotNil(t, s.Signer)
		names[s.Signer.Name] = true
	}
	assert.Equal(t, map[string]bool{"Công ty TNHH Phần mềm Kyso": true, "Cục Thuế": true, "Công ty Cổ phần Thương mại Đồng Nai": true}, names)

	// Each signature sits in its slot and covers what its role must.
	r, err := xml.Verify(res.Signed, nil)
	require.NoError(t, err)
	require.True(t, r.Valid())
	for _, slot := range []string{"NBan", "NMua", "CQT"} {
		ok, err := r.Covered("//HDon/DLHDon", "//HDon/DSCKS/"+slot)
		require.NoError(t, err)
		assert.True(t, ok, "%s covers DLHDon", slot)
	}
	ok, err := r.Covered("//HDon/MCCQT", "//HDon/DSCKS/CQT")
	require.NoError(t, err)
	assert.True(t, ok, "CQT covers MCCQT")

	assert.Contains(t, out, "Cơ quan thuế cấp mã 00")
	assert.Contains(t, out, "Kết luận chung: Chữ ký hợp lệ")

	// xmlsec1 agrees on every slot.
	root := pkitest.PEM(res.Root)
	for _, slot := range []string{"NBan", "CQT", "NMua"} {
		check.XMLSec(t, res.Signed, slot, root)
	}
}
