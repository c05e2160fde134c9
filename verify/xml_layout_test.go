package verify

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

func layoutInvoice() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<HDon xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1"><DLHDon Id="data"><TTChung><PBan>2.0.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHHDon>C26TAA</KHHDon><SHDon>1</SHDon></TTChung>` +
		`<NDHDon><NBan><Ten>Công ty TNHH Kyso</Ten><MST>0312345678</MST></NBan><TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon></DLHDon><DSCKS><NBan/><NMua/><CCKSKhac/></DSCKS></HDon>`)
}

// wrappings builds the wrapping attacks from a seller-signed invoice: the
// signed DLHDon moved where its Id still resolves, a forged DLHDon with
// other amounts at /HDon/DLHDon.
func wrappings(t *testing.T, doc string) map[string]string {
	t.Helper()
	start := strings.Index(doc, "<DLHDon ")
	end := strings.Index(doc, "</DLHDon>") + len("</DLHDon>")
	orig := doc[start:end]
	forged := strings.Replace(strings.Replace(orig, "1100000", "9900000", 1), ` Id="data"`, "", 1)
	without := doc[:start] + forged + doc[end:]
	return map[string]string{
		"into-CCKSKhac":      strings.Replace(without, "<CCKSKhac/>", "<CCKSKhac>"+orig+"</CCKSKhac>", 1),
		"foreign-ns-nesting": doc[:start] + strings.Replace(forged, "</DLHDon>", "<inv:DLHDon>"+orig+"</inv:DLHDon></DLHDon>", 1) + doc[end:],
		"into-own-object":    strings.Replace(without, "</Signature>", "<Object>"+orig+"</Object></Signature>", 1),
	}
}

// Every wrapping variant of a kyso-signed invoice, XML-DSig and XAdES, is
// TOTAL_FAILED/FORMAT_FAILURE with "the signed data is not the invoice's
// data" in both languages; the genuine invoice is TOTAL_PASSED.
func TestXMLWrappedInvoiceFails(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	e.pki.SetTime(signAt)
	for _, level := range []kxml.Level{kxml.LevelNone, kxml.LevelBT} {
		name := map[kxml.Level]string{kxml.LevelNone: "XML-DSig", kxml.LevelBT: "XAdES"}[level]
		t.Run(name, func(t *testing.T) {
			e.pki.SetTime(signAt)
			opts := kxml.Seller()
			opts.SigningTime = signAt
			opts.Level = level
			if level != kxml.LevelNone {
				opts.TimestampURL, opts.HTTPClient = e.pki.TSAURL(), e.pki.HTTPClient()
			}
			signed, err := kxml.Sign(context.Background(), layoutInvoice(), id.Signer(), opts)
			require.NoError(t, err)
			e.pki.SetTime(checkAt)
			v, err := New(e.online())
			require.NoError(t, err)
			x := NewXMLVerifier(v)

			rep, err := x.VerifyBytes(context.Background(), signed)
			require.NoError(t, err)
			requireKnownCodes(t, rep)
			s := rep.Signatures[0]
			require.Equal(t, TotalPassed, s.Indication, "%s", s.Text(English))
			assert.Equal(t, name, s.Format)
			require.NotNil(t, s.Layout)
			assert.Equal(t, LayoutInfo{Container: "HDon", Role: "NBan", Path: "/HDon", Required: []string{"/HDon/DLHDon"}}, *s.Layout)
			assert.Equal(t, "/HDon/DLHDon", s.SignedElements[0])
			assert.Contains(t, s.Text(Vietnamese), "Vị trí chữ ký: /HDon, NBan — phải ký /HDon/DLHDon")
			assert.Empty(t, rep.Warnings)

			for variant, doc := range wrappings(t, string(signed)) {
				rep, err := x.VerifyBytes(context.Background(), []byte(doc))
				require.NoError(t, err, variant)
				s := rep.Signatures[0]
				en, vi := s.Text(English), s.Text(Vietnamese)
				assert.Equal(t, TotalFailed, s.Indication, "%s: %s", variant, en)
				assert.Equal(t, FormatFailure, s.SubIndication, "%s: %s", variant, en)
				assert.Contains(t, en, "the signed data is not the invoice's data", variant)
				assert.Contains(t, vi, "dữ liệu được ký không phải là dữ liệu của hóa đơn", variant)
				assert.NotContains(t, vi, "(chi tiết kỹ thuật) malformed", variant)
				// The document says so too: the invoice a reader sees is
				// not signed.
				assert.Contains(t, texts(rep.Warnings), "HDon at /HDon is not signed by a valid signature of its own", variant)
				assert.Contains(t, rep.Text(Vietnamese), "HDon tại /HDon không được ký bởi một chữ ký hợp lệ của chính nó", variant)
				if variant != "into-own-object" {
					// The reference still resolves by Id: the mathematics
					// holds, and the report says so.
					assert.True(t, s.Integrity.Intact, "%s: %s", variant, en)
					assert.Contains(t, en, "Integrity: Content intact", variant)
				}
			}
		})
	}
}

// For documents outside the known layouts the report gives the absolute
// path of every signed element (text and JSON) and warns where a reader
// would not look: inside another signature, inside ds:Object, under an
// element of a foreign namespace.
func TestXMLUnknownLayoutPlacementWarnings(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?><Root xmlns="urn:doc"><Data Id="d1">genuine</Data><x:Wrap xmlns:x="urn:evil"><Data Id="d2">nested</Data></x:Wrap><Slot/></Root>`)
	o := &kxml.SignOptions{Location: "/Root/Slot", References: []kxml.Ref{{Path: "/Root/Data"}, {Path: "/Root/Wrap/Data"}}, SigningTimeObject: true}
	signed, err := kxml.Sign(context.Background(), doc, id.Signer(), o)
	require.NoError(t, err)
	v, err := New(e.offline())
	require.NoError(t, err)
	rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), signed)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	s := rep.Signatures[0]
	assert.Nil(t, s.Layout)
	assert.True(t, s.Integrity.Intact)
	assert.Equal(t, []string{"/Root/Data", "/Root/Wrap/Data", "/Root/Slot/Signature/Object"}, s.SignedElements)
	en := s.Text(English)
	assert.Contains(t, en, "3 references: /Root/Data, /Root/Wrap/Data, /Root/Slot/Signature/Object")
	assert.Contains(t, en, "signed element /Root/Wrap/Data lies inside /Root/Wrap, in the foreign namespace urn:evil")
	assert.NotContains(t, en, "/Root/Slot/Signature/Object lies inside a ds:Object", "the signature's own signing time is not flagged")
	vi := s.Text(Vietnamese)
	assert.Contains(t, vi, "3 tham chiếu: /Root/Data, /Root/Wrap/Data")
	assert.Contains(t, vi, "phần tử được ký /Root/Wrap/Data nằm bên trong /Root/Wrap, thuộc không gian tên lạ urn:evil")
	js, err := rep.JSON()
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, s.SignedElements, back.Signatures[0].SignedElements)

	// Data moved into a ds:Object and inside another signature.
	inObj := strings.Replace(string(signed), "</Signature>", `<Object><Data Id="d3">enveloped</Data></Object></Signature>`, 1)
	o2 := &kxml.SignOptions{Location: "/Root", References: []kxml.Ref{{Path: "/Root/Slot/Signature/Object[2]/Data"}}, SignatureID: "second"}
	two, err := kxml.Sign(context.Background(), []byte(inObj), id.Signer(), o2)
	require.NoError(t, err)
	rep, err = NewXMLVerifier(v).VerifyBytes(context.Background(), two)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 2)
	en = rep.Signatures[1].Text(English)
	assert.Contains(t, en, "signed element /Root/Slot/Signature/Object[2]/Data lies inside another signature (/Root/Slot/Signature)")
	assert.Contains(t, en, "signed element /Root/Slot/Signature/Object[2]/Data lies inside a ds:Object, where readers of the document do not look")
	assert.Contains(t, rep.Signatures[1].Text(Vietnamese), "nằm bên trong một chữ ký khác")
}

// Honest reports: integrity is "intact" whenever the digests and the
// signature value verify, whatever else fails (a KeyValue naming another
// key); a signature that fails before its references are read says
// integrity was not checked and claims no reference count; the .NET
// reading of the enveloped transform is a warning in both languages.
func TestXMLHonestReports(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	other := e.pki.MustIssue(pkitest.RSAKey(2048))
	signed, err := kxml.Sign(context.Background(), layoutInvoice(), id.Signer(), kxml.Seller())
	require.NoError(t, err)
	v, err := New(e.offline())
	require.NoError(t, err)
	x := NewXMLVerifier(v)

	// A KeyValue that names another key: the signature's content is intact,
	// the key statement contradicts it.
	kv := `<KeyValue><RSAKeyValue><Modulus>` + base64.StdEncoding.EncodeToString(other.Cert.PublicKey.(*rsa.PublicKey).N.Bytes()) + `</Modulus><Exponent>AQAB</Exponent></RSAKeyValue></KeyValue>`
	withKV := strings.Replace(string(signed), "<KeyInfo>", "<KeyInfo>"+kv, 1)
	rep, err := x.VerifyBytes(context.Background(), []byte(withKV))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	s := rep.Signatures[0]
	assert.NotEqual(t, TotalPassed, s.Indication)
	assert.True(t, s.Integrity.Intact, "%s", s.Text(English))
	assert.Contains(t, s.Text(English), "Content intact")
	assert.Contains(t, s.Text(Vietnamese), "Nội dung còn nguyên vẹn")

	// Malformed before any reference is read.
	broken := strings.Replace(string(signed), "<SignatureMethod ", "<Junk/><SignatureMethod ", 1)
	rep, err = x.VerifyBytes(context.Background(), []byte(broken))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	s = rep.Signatures[0]
	assert.Equal(t, FormatFailure, s.SubIndication)
	assert.False(t, s.Integrity.Intact)
	assert.True(t, s.Integrity.NotChecked)
	assert.NotContains(t, s.Text(English), "0 references")
	assert.NotContains(t, s.Text(English), "Content changed")
	assert.Contains(t, s.Text(English), "Integrity: Not checked")
	assert.Contains(t, s.Text(Vietnamese), "Chưa kiểm tra được")

	// Changed content is still reported as changed.
	changed := strings.Replace(string(signed), "1100000", "1100001", 1)
	rep, err = x.VerifyBytes(context.Background(), []byte(changed))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, HashFailure, rep.Signatures[0].SubIndication)
	assert.Contains(t, rep.Signatures[0].Text(English), "Content changed")
}

// SmartSign (rw33) references its own SignatureProperty with the enveloped
// transform; the .NET reading is accepted for that object only and shown
// as a warning in both languages.
func TestXMLDotNetEnvelopedWarning(t *testing.T) {
	data, err := os.ReadFile(testutil.Realworld(t, "rw33_smartsign_vina_hdon_v1_enveloped_on_sigprop.xml"))
	require.NoError(t, err)
	v, err := New(Options{Trust: NewTrustStore()})
	require.NoError(t, err)
	rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), data)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	s := rep.Signatures[0]
	assert.True(t, s.Integrity.Intact)
	assert.Contains(t, s.Text(English), "reference #nguoiban: the enveloped-signature transform was applied to the signature's own SignatureProperties /HDon/DSCKS/NBan/Signature/Object/SignatureProperties/SignatureProperty, digested whole as .NET does (xmlsec1 rejects it)")
	assert.Contains(t, s.Text(Vietnamese), "được băm nguyên vẹn theo cách của .NET")
}

// A signature time-stamp that fails says why in the report, and a damaged
// one shows no zero time.
func TestXMLFailedTimestampReported(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	e.pki.SetTime(signAt)
	opts := kxml.Seller()
	opts.SigningTime = signAt
	opts.Level = kxml.LevelBT
	opts.TimestampURL, opts.HTTPClient = e.pki.TSAURL(), e.pki.HTTPClient()
	signed, err := kxml.Sign(context.Background(), layoutInvoice(), id.Signer(), opts)
	require.NoError(t, err)
	e.pki.SetTime(checkAt)
	v, err := New(e.online())
	require.NoError(t, err)
	doc := string(signed)
	i := strings.Index(doc, "<xades:EncapsulatedTimeStamp>") + len("<xades:EncapsulatedTimeStamp>")
	j := strings.Index(doc, "</xades:EncapsulatedTimeStamp>")
	require.True(t, i > 0 && j > i)
	tok, err := base64.StdEncoding.DecodeString(doc[i:j])
	require.NoError(t, err)

	damaged := doc[:i] + base64.StdEncoding.EncodeToString([]byte("not a time-stamp token")) + doc[j:]
	// A sound token that time-stamps another signature's value.
	other, err := kxml.Sign(context.Background(), layoutInvoice(), id.Signer(), opts)
	require.NoError(t, err)
	oi := strings.Index(string(other), "<xades:EncapsulatedTimeStamp>") + len("<xades:EncapsulatedTimeStamp>")
	oj := strings.Index(string(other), "</xades:EncapsulatedTimeStamp>")
	foreign := doc[:i] + string(other)[oi:oj] + doc[j:]
	require.NotEqual(t, base64.StdEncoding.EncodeToString(tok), string(other)[oi:oj])

	for name, d := range map[string]string{"damaged": damaged, "other-signature": foreign} {
		rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), []byte(d))
		require.NoError(t, err, name)
		s := rep.Signatures[0]
		require.Len(t, s.Timestamps, 1, name)
		assert.False(t, s.Timestamps[0].Valid, name)
		assert.True(t, s.Integrity.Intact, name)
		en, vi := s.Text(English), s.Text(Vietnamese)
		assert.NotContains(t, en, "0001-01-01", name)
		assert.Contains(t, en, "invalid — invalid timestamp: ", name)
		assert.Contains(t, vi, "không hợp lệ — dấu thời gian không hợp lệ: ", name)
		js, err := rep.JSON()
		require.NoError(t, err)
		assert.NotContains(t, string(js), "0001-01-01", name)
		if name == "damaged" {
			assert.True(t, s.Timestamps[0].GenTime.IsZero())
		}
	}
}

// A UTF-16 invoice is recognised as XML and verified like its UTF-8
// original; an unsupported encoding is an error naming it.
func TestXMLUTF16AndUnsupportedEncoding(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	signed, err := kxml.Sign(context.Background(), layoutInvoice(), id.Signer(), kxml.Seller())
	require.NoError(t, err)
	v, err := New(e.offline())
	require.NoError(t, err)
	var m Mux
	m.Handle("XML", IsXML, NewXMLVerifier(v))
	text := strings.Replace(string(signed), `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	for name, bigEndian := range map[string]bool{"LE": false, "BE": true} {
		u16 := []byte{0xFF, 0xFE}
		if bigEndian {
			u16 = []byte{0xFE, 0xFF}
		}
		for _, u := range utf16.Encode([]rune(text)) {
			if bigEndian {
				u16 = append(u16, byte(u>>8), byte(u))
			} else {
				u16 = append(u16, byte(u), byte(u>>8))
			}
		}
		rep, err := VerifyBytes(context.Background(), &m, u16)
		require.NoError(t, err, name)
		require.Len(t, rep.Signatures, 1, name)
		assert.True(t, rep.Signatures[0].Integrity.Intact, name)
		assert.Equal(t, []string{"/HDon/DLHDon"}, rep.Signatures[0].Layout.Required, name)
	}
	_, err = NewXMLVerifier(v).VerifyBytes(context.Background(), []byte(strings.Replace(string(signed), `encoding="UTF-8"`, `encoding="windows-1258"`, 1)))
	require.ErrorIs(t, err, kxml.ErrEncoding)
	assert.Contains(t, err.Error(), `"windows-1258"`)
}

// A genuine signed invoice tucked into an unknown wrapper, beside an
// unsigned forged one where readers look: the genuine signature is valid
// for its own invoice, and the report warns that the other is unsigned.
func TestXMLUnsignedInvoiceBesideSignedOne(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	signed, err := kxml.Sign(context.Background(), layoutInvoice(), id.Signer(), kxml.Seller())
	require.NoError(t, err)
	doc := string(signed)
	hdon := doc[strings.Index(doc, "<HDon"):]
	forged := `<HDon><DLHDon><TToan><TgTTTBSo>9900000</TgTTTBSo></TToan></DLHDon><DSCKS><NBan/></DSCKS></HDon>`
	wrapped := `<?xml version="1.0" encoding="UTF-8"?><TDiep><DLieu>` + forged + `<Ext>` + hdon + `</Ext></DLieu></TDiep>`
	v, err := New(e.offline())
	require.NoError(t, err)
	rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), []byte(wrapped))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 1)
	assert.True(t, rep.Signatures[0].Integrity.Intact)
	assert.Equal(t, "/TDiep/DLieu/Ext/HDon", rep.Signatures[0].Layout.Path)
	assert.Equal(t, []string{"HDon at /TDiep/DLieu/HDon is not signed by a valid signature of its own"}, texts(rep.Warnings))
}
