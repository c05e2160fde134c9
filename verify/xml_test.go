package verify

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

func realworldXML(t *testing.T) []byte {
	data, err := os.ReadFile(testutil.Realworld(t, "ts24_tdiep202.xml"))
	require.NoError(t, err)
	return data
}

// The real tax-authority message: both signatures intact, chains not
// trusted (the roots are not shipped).
func TestRealworldXMLUntrusted(t *testing.T) {
	data := realworldXML(t)
	v, err := New(Options{Trust: NewTrustStore()})
	require.NoError(t, err)
	rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), data)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 2)
	for _, s := range rep.Signatures {
		assert.True(t, s.Integrity.Intact, "%s: %+v", s.ID, s.Findings)
		assert.Equal(t, Indeterminate, s.Indication, s.ID)
		assert.Equal(t, NoCertificateChainFound, s.SubIndication, s.ID)
		assert.Nil(t, s.Anchor)
	}
	seller := rep.Signatures[0]
	assert.Equal(t, "NBan", seller.ID)
	require.NotNil(t, seller.Signer)
	assert.Contains(t, seller.Signer.Identifiers, IdentifierInfo{Type: "MST", Value: "0106324653"})
	assert.Len(t, seller.Coverage.References, 2)
	vi := rep.Text(Vietnamese)
	assert.Contains(t, vi, "Mã số thuế: 0106324653")
	assert.Contains(t, vi, "Không xây dựng được đường dẫn tin cậy tới chứng thư số gốc được công nhận")
	assert.Contains(t, vi, "Nội dung còn nguyên vẹn")
}

// Pinning the seller's certificate makes that signature trusted while the
// certificate was valid; validated today, it has expired and nothing
// proves the signature existed before (no timestamp).
func TestRealworldXMLPinnedLeaf(t *testing.T) {
	data := realworldXML(t)
	pem, err := os.ReadFile(testutil.Realworld(t, "ts24_seller_cert.pem"))
	require.NoError(t, err)
	trust := NewTrustStore()
	_, err = trust.Add(pem, "ts24_seller_cert.pem")
	require.NoError(t, err)

	for _, c := range []struct {
		at  time.Time
		ind Indication
		sub SubIndication
	}{
		{time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC), TotalPassed, ""},
		{time.Time{}, Indeterminate, OutOfBoundsNoPOE},
	} {
		v, err := New(Options{Trust: trust, Time: c.at})
		require.NoError(t, err)
		rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), data)
		require.NoError(t, err)
		requireKnownCodes(t, rep)
		require.Len(t, rep.Signatures, 2)
		s := rep.Signatures[0]
		assert.Equal(t, c.ind, s.Indication, "%v: %+v", c.at, s.Findings)
		assert.Equal(t, c.sub, s.SubIndication, "%v", c.at)
		require.NotNil(t, s.Anchor)
		assert.Equal(t, NoCertificateChainFound, rep.Signatures[1].SubIndication, "the tax authority's chain stays untrusted")
	}
}

func invoice() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon Id="data"><TTChung><PBan>2.0.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHHDon>C26TAA</KHHDon><SHDon>1</SHDon></TTChung>` +
		`<NDHDon><NBan><Ten>Công ty TNHH Kyso</Ten><MST>0312345678</MST></NBan><TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon></DLHDon><DSCKS><NBan/></DSCKS></HDon>`)
}

func TestXMLInvoiceWithPKI(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	e.pki.SetTime(signAt)
	opts := kxml.Seller()
	opts.SigningTime = signAt
	opts.IncludeChain = true
	opts.Level = kxml.LevelBT
	opts.TimestampURL, opts.HTTPClient = e.pki.TSAURL(), e.pki.HTTPClient()
	signed, err := kxml.Sign(context.Background(), invoice(), id.Signer(), opts)
	require.NoError(t, err)
	e.pki.SetTime(checkAt)

	v, err := New(e.online())
	require.NoError(t, err)
	rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), signed)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 1)
	s := rep.Signatures[0]
	assert.Equal(t, TotalPassed, s.Indication, "%+v\n%s", s.Findings, s.Text(English))
	assert.Equal(t, "XAdES", s.Format)
	assert.Equal(t, TimeFromTimestamp, s.TimeSource)
	assert.Contains(t, s.Signer.Identifiers, IdentifierInfo{Type: "MST", Value: "0312345678"})

	tampered := bytes.Replace(signed, []byte("1100000"), []byte("9100000"), 1)
	rep, err = NewXMLVerifier(v).VerifyBytes(context.Background(), tampered)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, TotalFailed, rep.Signatures[0].Indication)
	assert.Equal(t, HashFailure, rep.Signatures[0].SubIndication)

	// Through the sniffing Mux.
	var m Mux
	m.Handle("XML", IsXML, NewXMLVerifier(v))
	rep, err = VerifyBytes(context.Background(), &m, signed)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, TotalPassed, rep.Indication())
	_, err = VerifyBytes(context.Background(), &m, []byte("%PDF-1.7\n"))
	assert.ErrorIs(t, err, ErrUnknownFormat)

	// No signature at all.
	rep, err = NewXMLVerifier(v).VerifyBytes(context.Background(), invoice())
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, NoSignatureFound, rep.Indication())
	assert.True(t, strings.Contains(rep.Text(Vietnamese), "Tài liệu không có chữ ký số."))
}
