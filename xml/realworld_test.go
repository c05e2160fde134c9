package xml

import (
	"context"
	"os"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRealworldTS24(t *testing.T) {
	data, err := os.ReadFile(testutil.Realworld(t, "ts24_tdiep202.xml"))
	require.NoError(t, err)
	res, err := Verify(data, nil)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 2)
	seller, cqt := res.Signatures[0], res.Signatures[1]
	require.NoError(t, seller.Err)
	require.NoError(t, cqt.Err)
	assert.Equal(t, "NBan", seller.ID)
	assert.Equal(t, "/TDiep/DLieu/HDon/DSCKS[1]/NBan/Signature", seller.Path)
	assert.Len(t, seller.References, 2)
	assert.Len(t, cqt.References, 3)
	assert.Equal(t, "2021-11-05T14:48:47", seller.SigningTimeText)
	assert.Equal(t, "2021-11-05T14:49:44", cqt.SigningTimeText)
	assert.Contains(t, seller.SubjectName, "MST:0106324653")
	assert.Contains(t, string(seller.Certificate.Subject.CommonName), "TEST 109")

	// The DLHDon canonical form carries the namespaces declared on HDon.
	dl := seller.References[0]
	assert.Equal(t, "DLHDon", dl.Element.LocalName())
	assert.Contains(t, string(dl.Canonical[:200]), `<DLHDon xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1" Id="`)

	// Coverage: DLHDon and MCCQT by CQT; TDiep's header by nobody.
	ok, err := res.Covered("//HDon/DLHDon", "//DSCKS/NBan")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = res.Covered("//HDon/MCCQT", "//DSCKS/CQT")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = res.Covered("//HDon/MCCQT", "//DSCKS/NBan")
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = res.Covered("/TDiep/TTChung", "")
	require.NoError(t, err)
	assert.False(t, ok)

	// Our canonical bytes equal xmlsec1's pre-digest buffers.
	checkWithXMLSec(t, data, seller, "DLHDon", "MCCQT")
	checkWithXMLSec(t, data, cqt, "DLHDon", "MCCQT")

	// One signature by path.
	one, err := Verify(data, &VerifyOptions{Path: "//HDon/DSCKS/CQT"})
	require.NoError(t, err)
	require.Len(t, one.Signatures, 1)
	assert.True(t, one.Valid())
	assert.Len(t, one.Signatures[0].References, 3)
}

// Adding a buyer signature to the real document keeps the seller's and the
// tax authority's signatures valid (for us and for xmlsec1).
func TestRealworldTS24AddBuyerSignature(t *testing.T) {
	data, err := os.ReadFile(testutil.Realworld(t, "ts24_tdiep202.xml"))
	require.NoError(t, err)
	p := newPKI(t)
	buyer := p.MustIssue(pkitest.Organization("Công ty test", "0106322455"))
	o := Buyer()
	o.SignatureID = "NMua"
	out, err := Sign(context.Background(), data, buyer.Signer(), o)
	require.NoError(t, err)
	res, err := Verify(out, nil)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 3)
	require.True(t, res.Valid())
	for _, s := range res.Signatures {
		checkWithXMLSec(t, out, s, "DLHDon", "MCCQT")
	}
	ok, err := res.Covered("//HDon/DLHDon", "//DSCKS/NMua")
	require.NoError(t, err)
	assert.True(t, ok)
}
