package xml

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dlID = "K24TAA-0000123"

func signedInvoice(t *testing.T) []byte {
	t.Helper()
	p := newPKI(t)
	id := p.MustIssue()
	out, err := Sign(context.Background(), gen.Invoice(3, true), id.Signer(), Seller())
	require.NoError(t, err)
	return out
}

func firstErr(t *testing.T, doc []byte) error {
	t.Helper()
	res, err := Verify(doc, nil)
	if err != nil {
		return err
	}
	return res.Signatures[0].Err
}

func TestAttackTampering(t *testing.T) {
	doc := signedInvoice(t)
	require.NoError(t, firstErr(t, doc))

	// Data changed.
	assert.ErrorIs(t, firstErr(t, replaceOnce(t, doc, "Hàng hoá 2<", "Hàng hoá 9<")), ErrDigestMismatch)
	// Namespace on an ancestor changed: inclusive C14N carries it into
	// SignedInfo (and DLHDon), so the signature breaks.
	assert.ErrorIs(t, firstErr(t, replaceOnce(t, doc, `xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1"`, `xmlns:inv="urn:x"`)), ErrSignatureInvalid)
	// SignedInfo changed.
	assert.ErrorIs(t, firstErr(t, replaceOnce(t, doc, `<CanonicalizationMethod Algorithm="`+C14N10+`"/>`, `<CanonicalizationMethod Algorithm="`+C14N10Comments+`"/>`)), ErrSignatureInvalid)
	// SigningTime changed.
	i := strings.Index(string(doc), "<SigningTime>")
	forged := []byte(string(doc[:i+13]) + "1999" + string(doc[i+17:]))
	assert.ErrorIs(t, firstErr(t, forged), ErrDigestMismatch)
	// A comment inside DigestValue changes nothing (canonical SignedInfo
	// drops it and DigestValue is read without it).
	j := strings.Index(string(doc), "<DigestValue>") + 13
	commented := []byte(string(doc[:j+4]) + "<!-- x -->" + string(doc[j+4:]))
	assert.NoError(t, firstErr(t, commented))
}

func TestAttackSignatureWrapping(t *testing.T) {
	doc := signedInvoice(t)
	s := string(doc)
	start := strings.Index(s, "<DLHDon ")
	end := strings.Index(s, "</DLHDon>") + len("</DLHDon>")
	orig := s[start:end]
	forgedData := strings.Replace(strings.Replace(orig, "Hàng hoá 1<", "Hàng giả<", 1), `Id="`+dlID+`"`, `Id="forged"`, 1)

	// Duplicated: a second element with the signed Id is ambiguous.
	dup := strings.Replace(s, "<TTChung>", "<TTChung>"+orig, 1)
	assert.ErrorIs(t, firstErr(t, []byte(dup)), ErrReference)
	// Same Id under another Id attribute name: still ambiguous.
	dup2 := strings.Replace(s, "<MTDTChieu/>", `<MTDTChieu ID="`+dlID+`"/>`, 1)
	assert.ErrorIs(t, firstErr(t, []byte(dup2)), ErrReference)

	// Moved: the signed DLHDon hidden in CCKSKhac, a forged one in its place.
	moved := s[:start] + forgedData + s[end:]
	moved = strings.Replace(moved, "<CCKSKhac/>", "<CCKSKhac>"+orig+"</CCKSKhac>", 1)
	res, err := Verify([]byte(moved), nil)
	require.NoError(t, err)
	require.NoError(t, res.Signatures[0].Err, "the signature itself still verifies")
	ok, err := res.Covered("//HDon/DLHDon", "//DSCKS/NBan")
	require.NoError(t, err)
	assert.False(t, ok, "the element the application reads is not covered")

	// Nested: the signed DLHDon inside a forged one.
	nested := s[:start] + strings.Replace(forgedData, "</DLHDon>", orig+"</DLHDon>", 1) + s[end:]
	res, err = Verify([]byte(nested), nil)
	require.NoError(t, err)
	require.NoError(t, res.Signatures[0].Err)
	ok, err = res.Covered("//HDon/DLHDon", "//DSCKS/NBan")
	require.NoError(t, err)
	assert.False(t, ok)

	// Forged data under a second signature slot with the same signature.
	sigStart := strings.Index(s, "<Signature ")
	sigEnd := strings.Index(s, "</Signature>") + len("</Signature>")
	twice := strings.Replace(s, "<NMua/>", "<NMua>"+s[sigStart:sigEnd]+"</NMua>", 1)
	assert.ErrorIs(t, firstErr(t, []byte(twice)), ErrReference, "duplicated signature Ids are ambiguous")
}

func TestAttackParserAndReferences(t *testing.T) {
	doc := signedInvoice(t)
	s := string(doc)

	_, err := Verify([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>`+s[strings.Index(s, "<TDiep>"):]), nil)
	assert.ErrorIs(t, err, ErrDOCTYPE)
	_, err = Verify([]byte(strings.Replace(s, `<DLHDon Id="`, `<DLHDon Id="x" Id="`, 1)), nil)
	assert.ErrorIs(t, err, ErrDuplicateAttr)
	_, err = Verify([]byte(strings.Replace(s, "<NMua/>", `<NMua><a xmlns:p="urn:1" xmlns:q="urn:1" p:x="1" q:x="2"/></NMua>`, 1)), nil)
	assert.ErrorIs(t, err, ErrDuplicateAttr)
	_, err = Verify([]byte(strings.Replace(s, "<NMua/>", `<p:NMua/>`, 1)), nil)
	assert.ErrorIs(t, err, ErrUndeclaredPrefix)
	_, err = Verify([]byte(strings.Repeat("<a>", 300)+strings.Repeat("</a>", 300)), nil)
	assert.ErrorIs(t, err, ErrLimit)
	_, err = Verify([]byte("<a>"+strings.Repeat("<b/>", 100)+"</a>"), &VerifyOptions{Limits: Limits{MaxNodes: 50}})
	assert.ErrorIs(t, err, ErrLimit)
	_, err = Verify([]byte(s), &VerifyOptions{Limits: Limits{MaxBytes: 100}})
	assert.ErrorIs(t, err, ErrLimit)
	_, err = Verify([]byte(`<a>&#0;</a>`), nil)
	assert.ErrorIs(t, err, ErrSyntax)
	_, err = Verify([]byte("<a>\xff</a>"), nil)
	assert.ErrorIs(t, err, ErrEncoding)
	_, err = Verify([]byte("<a/>"), nil)
	assert.ErrorIs(t, err, ErrNoSignatures)

	// Reference URIs and transforms outside the whitelist.
	for _, c := range []struct{ old, new string }{
		{`URI="#` + dlID + `"`, `URI="http://evil.example/x.xml"`},
		{`URI="#` + dlID + `"`, `URI="#xpointer(/)"`},
		{`URI="#` + dlID + `"`, `URI="#nowhere"`},
		{`<Transform Algorithm="` + TransformEnveloped + `"/>`, `<Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"/>`},
		{`<Transform Algorithm="` + TransformEnveloped + `"/>`, `<Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"/>`},
		{`<Transform Algorithm="` + TransformEnveloped + `"/>`, `<Transform Algorithm="` + C14N10 + `"/><Transform Algorithm="` + TransformEnveloped + `"/>`},
	} {
		assert.ErrorIs(t, firstErr(t, []byte(strings.Replace(s, c.old, c.new, 1))), ErrReference, c.new)
	}
	// Too many references.
	refStart := strings.Index(s, "<Reference ")
	refEnd := strings.Index(s, "</Reference>") + len("</Reference>")
	many := s[:refEnd] + strings.Repeat(s[refStart:refEnd], 40) + s[refEnd:]
	assert.ErrorIs(t, firstErr(t, []byte(many)), ErrLimit)
	// Shape: two SignedInfo, missing SignatureValue, unknown child.
	siStart := strings.Index(s, "<SignedInfo>")
	siEnd := strings.Index(s, "</SignedInfo>") + len("</SignedInfo>")
	assert.ErrorIs(t, firstErr(t, []byte(s[:siEnd]+s[siStart:siEnd]+s[siEnd:])), ErrMalformed)
	svStart := strings.Index(s, "<SignatureValue>")
	svEnd := strings.Index(s, "</SignatureValue>") + len("</SignatureValue>")
	assert.ErrorIs(t, firstErr(t, []byte(s[:svStart]+s[svEnd:])), ErrMalformed)
	assert.ErrorIs(t, firstErr(t, []byte(strings.Replace(s, "</KeyInfo>", "</KeyInfo><Foo/>", 1))), ErrMalformed)
	// Unknown algorithms.
	assert.ErrorIs(t, firstErr(t, []byte(strings.Replace(s, DigestSHA256, "http://www.w3.org/2001/04/xmldsig-more#md5", 1))), ErrUnsupportedAlgorithm)
}

// A signed document whose references make the verifier canonicalize the
// whole document again and again is stopped by the canonical-data budget;
// identical references are served from the cache.
func TestAttackCanonicalizationBudget(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	inv := string(gen.Invoice(600, false))
	build := func(distinct bool) []byte {
		var refs strings.Builder
		for i := 0; i < 30; i++ {
			pl := "a"
			if distinct {
				pl = fmt.Sprintf("p%d", i)
			}
			refs.WriteString(`<Reference URI=""><Transforms><Transform Algorithm="` + TransformEnveloped + `"/><Transform Algorithm="` + ExcC14N +
				`"><InclusiveNamespaces xmlns="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="` + pl + `"/></Transform></Transforms><DigestMethod Algorithm="` +
				DigestSHA256 + `"/><DigestValue/></Reference>`)
		}
		sig := `<Signature xmlns="` + NamespaceDSig + `" Id="S"><SignedInfo><CanonicalizationMethod Algorithm="` + C14N10 + `"/><SignatureMethod Algorithm="` +
			SigECDSASHA256 + `"/>` + refs.String() + `</SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>`
		return xmlsecSign(t, []byte(strings.Replace(inv, "<NBan/>", "<NBan>"+sig+"</NBan>", 1)), id)
	}
	res, err := Verify(build(false), nil)
	require.NoError(t, err)
	require.NoError(t, res.Signatures[0].Err, "30 identical references are cheap")
	assert.Len(t, res.Signatures[0].References, 30)

	res, err = Verify(build(true), nil)
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrLimit)
}
