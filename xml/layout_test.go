package xml

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wrapVariants builds, from a seller-signed invoice, the wrapping attacks
// on the e-invoice layout: the signed DLHDon moved elsewhere (where the
// reference still resolves by Id) and a forged one, with other amounts, at
// /HDon/DLHDon where readers look.
func wrapVariants(t *testing.T, doc string) map[string]string {
	t.Helper()
	start := strings.Index(doc, "<DLHDon ")
	end := strings.Index(doc, "</DLHDon>") + len("</DLHDon>")
	require.True(t, start > 0 && end > start)
	orig := doc[start:end]
	forged := strings.Replace(orig, "<TgTTTBSo>", "<TgTTTBSo>9", 1)
	forgedNoID := forged[:len("<DLHDon")] + forged[strings.Index(forged, ">"):]
	without := doc[:start] + forgedNoID + doc[end:]
	sigStart := strings.Index(doc, "<Signature ")
	sigEnd := strings.Index(doc, "</Signature>") + len("</Signature>")
	sig := doc[sigStart:sigEnd]
	return map[string]string{
		// Moved into the other-signers slot.
		"into-CCKSKhac": strings.Replace(without, "<CCKSKhac/>", "<CCKSKhac>"+orig+"</CCKSKhac>", 1),
		// Nested under a DLHDon in a foreign namespace (inv is declared on
		// HDon, so the digest still matches), beside the forged one.
		"foreign-ns-sibling": doc[:start] + forgedNoID + "<inv:DLHDon>" + orig + "</inv:DLHDon>" + doc[end:],
		// ... or inside the forged one.
		"foreign-ns-inside": doc[:start] + strings.Replace(forgedNoID, "</DLHDon>", "<inv:DLHDon>"+orig+"</inv:DLHDon></DLHDon>", 1) + doc[end:],
		// Into the Signature's own ds:Object.
		"into-own-object": strings.Replace(without, "</Signature>", "<Object>"+orig+"</Object></Signature>", 1),
		// Into the SigningTime Object the signature covers.
		"into-signingtime-object": strings.Replace(without, "</SignatureProperties></Object>", "</SignatureProperties>"+orig+"</Object>", 1),
		// A second Id-bearing DLHDon beside the signed one.
		"second-id-bearing": strings.Replace(doc, "<DSCKS>", "<DSCKS><DLHDon Id=\"x\"/>", 1),
		// The whole genuine invoice (with its signature) nested in a forged
		// one's CCKSKhac.
		"nested-invoice": doc[:strings.Index(doc, "<HDon")] + "<HDon>" + forgedNoID + "<DSCKS><NBan/><NMua/><CCKSKhac>" +
			doc[strings.Index(doc, "<HDon"):strings.Index(doc, "</HDon>")+len("</HDon>")] + "</CCKSKhac></DSCKS></HDon>" +
			doc[strings.Index(doc, "</HDon>")+len("</HDon>"):],
		// The signature moved out of DSCKS into a look-alike HDon wrapper
		// inside the forged invoice's data.
		"signature-moved-with-data": strings.Replace(strings.Replace(without, sig, "", 1), "</NDHDon>", "</NDHDon><Ext><HDon>"+orig+"<DSCKS><NBan>"+sig+"</NBan></DSCKS></HDon></Ext>", 1),
	}
}

func TestLayoutWrappingVariants(t *testing.T) {
	for _, xades := range []bool{false, true} {
		name := "XML-DSig"
		if xades {
			name = "XAdES"
		}
		t.Run(name, func(t *testing.T) {
			o := Seller()
			if xades {
				o.Level = LevelBB
			}
			signed, err := Sign(context.Background(), gen.Invoice(3, true), selfSigned(t), o)
			require.NoError(t, err)
			res, err := Verify(signed, nil)
			require.NoError(t, err)
			s := res.Signatures[0]
			require.NoError(t, s.Err)
			require.NoError(t, s.LayoutErr)
			require.True(t, res.Valid())
			require.NotNil(t, s.Layout)
			assert.Equal(t, "HDon", s.Layout.Container)
			assert.Equal(t, "NBan", s.Layout.Role)
			assert.Equal(t, "/TDiep/DLieu/HDon/DLHDon", s.Layout.Data)
			if xades {
				require.NotNil(t, s.XAdES)
			}
			for v, doc := range wrapVariants(t, string(signed)) {
				res, err := Verify([]byte(doc), nil)
				require.NoError(t, err, v)
				var target *Signature
				for _, sg := range res.Signatures {
					if sg.ID == "NBan" {
						target = sg
					}
				}
				require.NotNil(t, target, v)
				assert.ErrorIs(t, target.LayoutErr, ErrNotDocumentData, v)
				assert.Contains(t, errString(target.LayoutErr), "the signed data is not the invoice's data", v)
				assert.False(t, res.Valid(), v)
				if v == "into-CCKSKhac" || v == "foreign-ns-sibling" || v == "foreign-ns-inside" {
					assert.True(t, target.Intact, "%s: the reference still resolves and digests", v)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// The tax authority must sign MCCQT as well as DLHDon.
func TestLayoutTaxAuthorityMustSignMCCQT(t *testing.T) {
	seller, err := Sign(context.Background(), gen.Invoice(2, false), selfSigned(t), Seller())
	require.NoError(t, err)
	cqt, err := Sign(context.Background(), seller, selfSigned(t), TaxAuthority("0047459700AA"))
	require.NoError(t, err)
	res, err := Verify(cqt, nil)
	require.NoError(t, err)
	require.True(t, res.Valid())
	assert.Equal(t, "CQT", res.Signatures[1].Layout.Role)
	assert.Equal(t, []string{"/HDon/DLHDon", "/HDon/MCCQT"}, res.Signatures[1].Layout.Required)

	o := TaxAuthority("0047459700AA")
	o.References = o.References[:1]
	only, err := Sign(context.Background(), seller, selfSigned(t), o)
	require.NoError(t, err)
	res, err = Verify(only, nil)
	require.NoError(t, err)
	assert.NoError(t, res.Signatures[1].Err)
	assert.ErrorIs(t, res.Signatures[1].LayoutErr, ErrNotDocumentData)
	assert.Contains(t, res.Signatures[1].LayoutErr.Error(), "does not sign /HDon/MCCQT")
}

func TestResolveLayout(t *testing.T) {
	for _, c := range []struct {
		doc, sigPath, container, role, data string
	}{
		{`<HDon><DLHDon/><DSCKS><NBan><S/></NBan></DSCKS></HDon>`, "/HDon/DSCKS/NBan/S", "HDon", "NBan", "/HDon/DLHDon"},
		{`<TDiep><DLieu><TBao><DLTBao/><DSCKS><TTCQT><S/></TTCQT></DSCKS></TBao></DLieu></TDiep>`, "//TTCQT/S", "TBao", "TTCQT", "/TDiep/DLieu/TBao/DLTBao"},
		{`<TKhai><DLTKhai/><DSCKS><NNT><S/></NNT></DSCKS></TKhai>`, "//NNT/S", "TKhai", "NNT", "/TKhai/DLTKhai"},
		{`<BBan><NDBBan/><DSCKS><NMua><S/></NMua></DSCKS></BBan>`, "//NMua/S", "BBan", "NMua", "/BBan/NDBBan"},
		{`<TDiep><DLieu/><CKSNNT><S/></CKSNNT></TDiep>`, "//CKSNNT/S", "TDiep", "CKSNNT", "/TDiep/DLieu"},
		{`<HDon><DLHDon/><DSCKS><S/></DSCKS></HDon>`, "//DSCKS/S", "HDon", "", "/HDon/DLHDon"},
		// A Signature anywhere inside an invoice answers to the invoice.
		{`<HDon><DLHDon><S/></DLHDon></HDon>`, "//DLHDon/S", "HDon", "DLHDon", "/HDon/DLHDon"},
		// Unknown layouts.
		{`<TDiep><DLieu><BKe><DSCKS><NBan><S/></NBan></DSCKS></BKe></DLieu></TDiep>`, "//NBan/S", "", "", ""},
		{`<invoice><S/></invoice>`, "/invoice/S", "", "", ""},
	} {
		d, err := Parse([]byte(c.doc))
		require.NoError(t, err)
		el, err := d.FindOne(c.sigPath)
		require.NoError(t, err)
		l := ResolveLayout(el)
		if c.container == "" {
			assert.Nil(t, l, c.doc)
			continue
		}
		require.NotNil(t, l, c.doc)
		assert.Equal(t, c.container, l.Container, c.doc)
		assert.Equal(t, c.role, l.Role, c.doc)
		assert.Equal(t, c.data, l.Data, c.doc)
	}
}

// FuzzLayout checks profile resolution on arbitrary documents: it never
// panics, a resolved container encloses the signature (or, for TDiep, one
// of its slots), the data path lies under it, and the layout check of
// references pointing anywhere in the document ends in nil or
// ErrNotDocumentData.
func FuzzLayout(f *testing.F) {
	f.Add([]byte(`<HDon><DLHDon Id="a"/><MCCQT Id="m"/><DSCKS><CQT><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><Object Id="o"/></Signature></CQT></DSCKS></HDon>`))
	f.Add([]byte(`<TDiep><DLieu Id="d"/><CKSNNT><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></CKSNNT></TDiep>`))
	f.Add([]byte(`<HDon><x:DLHDon xmlns:x="urn:x"><DLHDon Id="a"/></x:DLHDon><DSCKS><CCKSKhac><HDon><DLHDon Id="b"/><DSCKS><NBan><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></NBan></DSCKS></HDon></CCKSKhac></DSCKS></HDon>`))
	f.Add([]byte(`<TBao><DLTBao Id="a"/><STBao Id="s"/><DSCKS><TTCQT><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></TTCQT></DSCKS></TBao>`))
	f.Add(gen.Invoice(1, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseWithLimits(data, Limits{MaxDepth: 64, MaxNodes: 5000})
		if err != nil {
			return
		}
		var all []*Node
		walkElements(d.Root(), func(n *Node) bool { all = append(all, n); return len(all) < 200 })
		for _, sig := range all {
			l := ResolveLayout(sig)
			if l == nil {
				continue
			}
			if l.Container != "TDiep" && !l.container.IsAncestorOf(sig) {
				t.Fatalf("container %s does not enclose %s", l.ContainerPath, sig.Path())
			}
			if !strings.HasPrefix(l.Data, l.ContainerPath+"/") || len(l.Required) == 0 || l.Required[0] != l.Data {
				t.Fatalf("bad layout %+v", l)
			}
			for i, el := range all {
				refs := []Reference{{Element: el}, {Element: all[(i*7)%len(all)], Excluded: sig}}
				if err := l.check(sig, refs, nil); err != nil && !errors.Is(err, ErrNotDocumentData) {
					t.Fatalf("check: %v", err)
				}
			}
		}
	})
}

// The .NET reading of the enveloped transform (the element inside the
// Signature digested whole) is kept only for the signature's own
// SignatureProperties objects; data put into the Signature and signed that
// way is a digest mismatch, as xmlsec1 says.
func TestDotNetEnvelopedOnlyForSignatureProperties(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	inv := string(gen.Invoice(1, false))
	build := func(objects, target string) []byte {
		refs := []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA256},
			{uri: "#p1", transforms: []string{TransformEnveloped}, digest: DigestSHA256}}
		tmpl := template(inv, "", "S", C14N10, SigRSASHA256, refs, `<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>`, objects)
		d := mustParse(t, tmpl)
		dig := func(el *Node, excl *Node) string {
			h := crypto.SHA256.New()
			require.NoError(t, Canonicalizer{Method: C14N10, Exclude: excl}.Element(h, el))
			return b64(h.Sum(nil))
		}
		sigEl, _ := d.FindOne("//Signature")
		dl, _ := d.FindOne("/HDon/DLHDon")
		el, err := d.FindOne(target)
		require.NoError(t, err)
		doc := strings.Replace(string(tmpl), "<DigestValue/>", "<DigestValue>"+dig(dl, sigEl)+"</DigestValue>", 1)
		doc = strings.Replace(doc, "<DigestValue/>", "<DigestValue>"+dig(el, nil)+"</DigestValue>", 1)
		doc = strings.Replace(doc, "<X509Certificate/>", "<X509Certificate>"+b64(id.Cert.Raw)+"</X509Certificate>", 1)
		si, _ := mustParse(t, []byte(doc)).FindOne("//Signature/SignedInfo")
		h := crypto.SHA256.New()
		require.NoError(t, Canonicalizer{Method: C14N10}.Element(h, si))
		sig, err := id.Signer().SignDigest(context.Background(), h.Sum(nil), crypto.SHA256)
		require.NoError(t, err)
		return []byte(strings.Replace(doc, "<SignatureValue/>", "<SignatureValue>"+b64(sig)+"</SignatureValue>", 1))
	}
	// Accepted: the Object holding only SignatureProperties.
	ok := build(`<Object Id="p1"><SignatureProperties><SignatureProperty Target="#S"><SigningTime>2021-11-05T14:48:47</SigningTime></SignatureProperty></SignatureProperties></Object>`, "//Object")
	s := mustVerifyOne(t, ok, "S", nil)
	assert.Equal(t, NoteDotNetEnveloped, s.References[1].Note)
	for name, c := range map[string][2]string{
		"data-object":      {`<Object Id="p1"><Ten>Hàng giả</Ten></Object>`, "//Object"},
		"data-element":     {`<Object><DLHDon Id="p1"><Ten>x</Ten></DLHDon></Object>`, "//Object/DLHDon"},
		"mixed-object":     {`<Object Id="p1"><SignatureProperties><SignatureProperty Target="#S"><SigningTime>2021-11-05T14:48:47</SigningTime></SignatureProperty></SignatureProperties><Ten>x</Ten></Object>`, "//Object"},
		"property-in-data": {`<Object><Ten><SignatureProperty Id="p1"/></Ten></Object>`, "//Ten/SignatureProperty"},
	} {
		assert.ErrorIs(t, firstErr(t, build(c[0], c[1])), ErrDigestMismatch, name)
	}
}

// The other layouts kyso signs: the genuine document is valid, and moving
// the signed data into the signature slots with forged data in its place
// fails the signature with ErrNotDocumentData.
func TestLayoutOtherContainers(t *testing.T) {
	bban := []byte(`<?xml version="1.0" encoding="UTF-8"?><BBan><NDBBan Id="bb1"><Ten>Biên bản điều chỉnh hóa đơn</Ten><LDo>Sai đơn giá</LDo></NDBBan><DSCKS><NBan/><NMua/></DSCKS></BBan>`)
	tdiep := []byte(`<?xml version="1.0" encoding="UTF-8"?><TDiep><TTChung><MLTDiep>100</MLTDiep></TTChung><DLieu Id="dl1"><TKhai><Ten>Tờ khai</Ten></TKhai></DLieu><CKSNNT/></TDiep>`)
	bbanOpts := &SignOptions{Location: "//BBan/DSCKS/NBan", References: []Ref{{Path: "//BBan/NDBBan"}}, Enveloped: true, SignatureID: "S", SigningTimeObject: true}
	tdiepOpts := &SignOptions{Location: "/TDiep/CKSNNT", References: []Ref{{Path: "/TDiep/DLieu"}}, Enveloped: true, SignatureID: "S", SigningTimeObject: true}
	reg := Registrant()
	reg.SignatureID = "S"
	off := TaxNoticeOfficer()
	off.SignatureID = "S"
	agency := TaxNoticeAgency()
	agency.SignatureID = "S"
	for _, c := range []struct {
		name      string
		doc       []byte
		opts      *SignOptions
		container string
		data      string
		slot      string
		noun      string
	}{
		{"TKhai-NNT", gen.Registration(), reg, "TKhai", "DLTKhai", "NNT", "declaration"},
		{"TBao-TTCQT", gen.Notice(), off, "TBao", "DLTBao", "TTCQT", "notice"},
		{"TBao-CQT", gen.Notice(), agency, "TBao", "DLTBao", "CQT", "notice"},
		{"BBan-NBan", bban, bbanOpts, "BBan", "NDBBan", "NBan", "record"},
		{"TDiep-CKSNNT", tdiep, tdiepOpts, "TDiep", "DLieu", "CKSNNT", "message"},
	} {
		t.Run(c.name, func(t *testing.T) {
			signed, err := Sign(context.Background(), c.doc, selfSigned(t), c.opts)
			require.NoError(t, err)
			res, err := Verify(signed, nil)
			require.NoError(t, err)
			s := res.Signatures[0]
			require.NoError(t, s.Err)
			require.NoError(t, s.LayoutErr)
			require.NotNil(t, s.Layout)
			assert.Equal(t, c.container, s.Layout.Container)
			assert.Equal(t, c.slot, s.Layout.Role)

			doc := string(signed)
			start := strings.Index(doc, "<"+c.data+" ")
			end := strings.Index(doc, "</"+c.data+">") + len("</"+c.data+">")
			require.True(t, start > 0 && end > start)
			orig := doc[start:end]
			forged := "<" + c.data + ">forged</" + c.data + ">"
			moved := doc[:start] + forged + doc[end:]
			// Into the signature's slot, beside the Signature.
			moved = strings.Replace(moved, "</"+c.slot+">", orig+"</"+c.slot+">", 1)
			res, err = Verify([]byte(moved), nil)
			require.NoError(t, err)
			s = res.Signatures[0]
			assert.ErrorIs(t, s.LayoutErr, ErrNotDocumentData)
			assert.Contains(t, errString(s.LayoutErr), "the signed data is not the "+c.noun+"'s data")
			assert.False(t, res.Valid())
		})
	}
}
