package xml

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tmplRef is a Reference in an xmlsec1 template.
type tmplRef struct {
	uri, typ   string
	transforms []string
	digest     string
}

// template returns the invoice with an unsigned Signature (for xmlsec1
// --sign) in its NBan slot. prefix "" writes the Signature in the default
// namespace, "ds" with the ds: prefix.
func template(inv, prefix, sigID, c14n, method string, refs []tmplRef, keyInfo, objects string) []byte {
	p := ""
	decl := `xmlns="` + NamespaceDSig + `"`
	if prefix != "" {
		p = prefix + ":"
		decl = `xmlns:` + prefix + `="` + NamespaceDSig + `"`
	}
	var b strings.Builder
	b.WriteString(`<` + p + `Signature ` + decl + ` Id="` + sigID + `"><` + p + `SignedInfo><` + p + `CanonicalizationMethod Algorithm="` + c14n + `"/><` + p + `SignatureMethod Algorithm="` + method + `"/>`)
	for _, r := range refs {
		b.WriteString(`<` + p + `Reference URI="` + r.uri + `"`)
		if r.typ != "" {
			b.WriteString(` Type="` + r.typ + `"`)
		}
		b.WriteString(`>`)
		if len(r.transforms) > 0 {
			b.WriteString(`<` + p + `Transforms>`)
			for _, t := range r.transforms {
				b.WriteString(`<` + p + `Transform Algorithm="` + t + `"/>`)
			}
			b.WriteString(`</` + p + `Transforms>`)
		}
		b.WriteString(`<` + p + `DigestMethod Algorithm="` + r.digest + `"/><` + p + `DigestValue/></` + p + `Reference>`)
	}
	b.WriteString(`</` + p + `SignedInfo><` + p + `SignatureValue/>` + keyInfo + objects + `</` + p + `Signature>`)
	return []byte(strings.Replace(inv, "<NBan/>", "<NBan>"+b.String()+"</NBan>", 1))
}

func TestXMLSecSignedVerifiesWithUs(t *testing.T) {
	p := newPKI(t)
	rsaID := p.MustIssue(pkitest.RSAKey(2048))
	ecID := p.MustIssue(pkitest.ECDSAKey(elliptic.P256()))
	inv := string(gen.Invoice(3, true))
	obj := func(id, inner string) string {
		return `<Object Id="` + id + `"><SignatureProperties><SignatureProperty Target="#S">` + inner + `</SignatureProperty></SignatureProperties></Object>`
	}
	x509KI := `<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>`
	cases := []struct {
		name      string
		id        *pkitest.Identity
		prefix    string
		c14n      string
		method    string
		refs      []tmplRef
		keyInfo   string
		objects   string
		allowSHA1 bool
		wantTime  string
		// unsignedTime: the spec's reading leaves the SigningTime out of
		// the signature, which the invoice layout does not accept.
		unsignedTime bool
	}{
		{name: "seller-layout-rsa", id: rsaID, c14n: C14N10, method: SigRSASHA256,
			refs: []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA256},
				{uri: "#TimeStamp", typ: TypeSignatureProperties, digest: DigestSHA256}},
			keyInfo: x509KI, objects: obj("TimeStamp", `<SigningTime>2021-11-05T14:48:47</SigningTime>`), wantTime: "2021-11-05T14:48:47"},
		{name: "ecdsa-ds-prefix", id: ecID, prefix: "ds", c14n: C14N10, method: SigECDSASHA256,
			refs:    []tmplRef{{uri: "#" + dlID, digest: DigestSHA256}},
			keyInfo: `<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>`},
		{name: "exc-c14n-sha512", id: rsaID, c14n: ExcC14N, method: SigRSASHA512,
			refs:    []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped, ExcC14N}, digest: DigestSHA512}},
			keyInfo: x509KI},
		{name: "c14n11-whole-document", id: rsaID, c14n: C14N11, method: SigRSASHA384,
			refs:    []tmplRef{{uri: "", transforms: []string{TransformEnveloped, C14N11}, digest: DigestSHA384}},
			keyInfo: x509KI},
		{name: "sha1-legacy", id: rsaID, c14n: C14N10, method: SigRSASHA1, allowSHA1: true,
			refs:    []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA1}},
			keyInfo: x509KI},
		// Vendor variance (notes §3.3): Id on SignatureProperty referenced
		// with an enveloped transform (an empty node-set by the spec), a
		// SigningTime in no namespace and in "yyyy-MM-dd HH:mm:ss".
		{name: "id-on-signatureproperty", id: rsaID, c14n: C14N10, method: SigRSASHA256,
			refs: []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA256},
				{uri: "#nguoiban", transforms: []string{TransformEnveloped}, digest: DigestSHA256}},
			keyInfo:      x509KI,
			objects:      `<Object><SignatureProperties><SignatureProperty Id="nguoiban" Target="#S"><SigningTime xmlns="">2021-11-05 14:48:47</SigningTime></SignatureProperty></SignatureProperties></Object>`,
			unsignedTime: true},
		{name: "signingtime-example-ns-zulu", id: ecID, c14n: C14N10, method: SigECDSASHA256,
			refs:    []tmplRef{{uri: "#" + dlID, digest: DigestSHA256}, {uri: "#ST", digest: DigestSHA256}},
			keyInfo: x509KI, objects: obj("ST", `<SigningTime xmlns="http://example.org/#signatureProperties">2021-11-05T07:48:47Z</SigningTime>`),
			wantTime: "2021-11-05T07:48:47Z"},
		// KeyValue beside X509Data.
		{name: "keyvalue-and-x509data", id: rsaID, c14n: C14N10, method: SigRSASHA256,
			refs:    []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA256}},
			keyInfo: `<KeyInfo><KeyValue/><X509Data><X509SubjectName/><X509Certificate/></X509Data></KeyInfo>`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl := template(inv, c.prefix, "S", c.c14n, c.method, c.refs, c.keyInfo, c.objects)
			signed := xmlsecSign(t, tmpl, c.id, "DLHDon", "SignatureProperty")
			opts := &VerifyOptions{AllowSHA1: c.allowSHA1}
			s := mustVerifyOne(t, signed, "S", opts)
			assert.Equal(t, c.id.Cert.Raw, s.Certificate.Raw)
			assert.Len(t, s.References, len(c.refs))
			if c.wantTime != "" {
				assert.Equal(t, c.wantTime, s.SigningTimeText)
				assert.False(t, s.SigningTime.IsZero())
			}
			ok, err := (&Result{Document: mustParse(t, signed), Signatures: []*Signature{s}}).Covered("//HDon/DLHDon", "")
			require.NoError(t, err)
			_ = ok
			if c.unsignedTime {
				assert.ErrorIs(t, s.LayoutErr, ErrNotDocumentData)
				assert.Contains(t, s.LayoutErr.Error(), "does not sign its SigningTime")
			} else {
				assert.NoError(t, s.LayoutErr)
				assert.True(t, s.Covers(s.References[0].Element))
			}
			if c.allowSHA1 {
				res, err := Verify(signed, nil)
				require.NoError(t, err)
				assert.ErrorIs(t, res.Signatures[0].Err, ErrSHA1, "SHA-1 needs the explicit option")
			}
			// Our canonical bytes equal xmlsec1's pre-digest buffers.
			checkWithXMLSec(t, signed, s, "DLHDon", "SignatureProperty")
		})
	}

	// A Microsoft-style X509SubjectName (not signed) is reported as written.
	tmpl := template(inv, "", "S", C14N10, SigRSASHA256,
		[]tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA256}},
		`<KeyInfo><X509Data><X509SubjectName/><X509Certificate/></X509Data></KeyInfo>`, "")
	signed := string(xmlsecSign(t, tmpl, rsaID, "DLHDon"))
	ms := "C=VN, S=Hà Nội, OID.0.9.2342.19200300.100.1.1=MST:0106324653, CN=Công ty A"
	require.Contains(t, signed, "<X509SubjectName/>")
	signed = strings.Replace(signed, "<X509SubjectName/>", "<X509SubjectName>"+ms+"</X509SubjectName>", 1)
	s := mustVerifyOne(t, []byte(signed), "S", nil)
	assert.Equal(t, ms, s.SubjectName)

	// KeyValue that names another key is refused.
	other := p.MustIssue(pkitest.RSAKey(2048))
	tmpl = template(inv, "", "S", C14N10, SigRSASHA256,
		[]tmplRef{{uri: "#" + dlID, digest: DigestSHA256}}, `<KeyInfo><KeyValue/><X509Data><X509Certificate/></X509Data></KeyInfo>`, "")
	signedKV := string(xmlsecSign(t, tmpl, rsaID, "DLHDon"))
	mi := strings.Index(signedKV, "<Modulus>") + len("<Modulus>")
	mj := strings.Index(signedKV, "</Modulus>")
	require.True(t, mi > len("<Modulus>") && mj > mi, "xmlsec1 wrote an RSAKeyValue")
	forged := signedKV[:mi] + b64(other.Cert.PublicKey.(*rsa.PublicKey).N.Bytes()) + signedKV[mj:]
	res, err := Verify([]byte(forged), &VerifyOptions{})
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrKeyInfo)
}

func mustParse(t *testing.T, b []byte) *Document {
	t.Helper()
	d, err := Parse(b)
	require.NoError(t, err)
	return d
}

// The .NET reading of an enveloped transform on a SignatureProperty inside
// the Signature (the element itself is digested) is tolerated, and the
// SigningTime it holds is then covered; with the spec's reading (empty
// node-set, as xmlsec1 signs it) the SigningTime is not reported.
func TestDotNetEnvelopedSignatureProperty(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	inv := string(gen.Invoice(1, false))
	objects := `<Object><SignatureProperties><SignatureProperty Id="nguoiban" Target="#S"><SigningTime>2021-11-05T14:48:47</SigningTime></SignatureProperty></SignatureProperties></Object>`
	refs := []tmplRef{{uri: "#" + dlID, transforms: []string{TransformEnveloped}, digest: DigestSHA256},
		{uri: "#nguoiban", transforms: []string{TransformEnveloped}, digest: DigestSHA256}}
	tmpl := template(inv, "", "S", C14N10, SigRSASHA256, refs, `<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>`, objects)

	// Spec reading (xmlsec1): the property is not covered.
	specDoc := xmlsecSign(t, tmpl, id, "DLHDon", "SignatureProperty")
	s := mustVerifyOne(t, specDoc, "S", nil)
	assert.Empty(t, s.References[1].Canonical)
	assert.Empty(t, s.SigningTimeText, "an uncovered SigningTime is not reported")

	// .NET reading: build the digests ourselves and sign SignedInfo.
	d := mustParse(t, tmpl)
	dig := func(el *Node, excl *Node) string {
		h := crypto.SHA256.New()
		require.NoError(t, Canonicalizer{Method: C14N10, Exclude: excl}.Element(h, el))
		return b64(h.Sum(nil))
	}
	sigEl, _ := d.FindOne("//Signature")
	dl, _ := d.FindOne("//DLHDon")
	prop, _ := d.FindOne("//SignatureProperty")
	doc := strings.Replace(string(tmpl), "<DigestValue/>", "<DigestValue>"+dig(dl, sigEl)+"</DigestValue>", 1)
	doc = strings.Replace(doc, "<DigestValue/>", "<DigestValue>"+dig(prop, nil)+"</DigestValue>", 1)
	doc = strings.Replace(doc, "<X509Certificate/>", "<X509Certificate>"+b64(id.Cert.Raw)+"</X509Certificate>", 1)
	d2 := mustParse(t, []byte(doc))
	si, _ := d2.FindOne("//Signature/SignedInfo")
	h := crypto.SHA256.New()
	require.NoError(t, Canonicalizer{Method: C14N10}.Element(h, si))
	sig, err := id.Signer().SignDigest(context.Background(), h.Sum(nil), crypto.SHA256)
	require.NoError(t, err)
	doc = strings.Replace(doc, "<SignatureValue/>", "<SignatureValue>"+b64(sig)+"</SignatureValue>", 1)
	s = mustVerifyOne(t, []byte(doc), "S", nil)
	assert.NotEmpty(t, s.References[1].Note)
	assert.True(t, s.Covers(s.References[1].Element))
	assert.Equal(t, "2021-11-05T14:48:47", s.SigningTimeText)
}
