package xml

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Documents that stress canonicalization corners. Each has an element with
// Id="target"; the signature template goes before the root's end tag.
var c14nCorpus = map[string]string{
	"namespaces":         `<r xmlns="urn:default" xmlns:a="urn:a" xmlns:b="urn:b"><x:wrap xmlns:x="urn:x" a:k="1"><mid xmlns=""><t Id="target" b:z="2" a:y="3" z="4" y="5"><in xmlns="urn:default"><deep xmlns=""/></in><a:e xmlns:a="urn:a">same</a:e><a:f xmlns:a="urn:a2">changed</a:f></t></mid></x:wrap></r>`,
	"xml-attrs":          `<r xml:lang="vi" xml:space="preserve" xml:base="http://hoadon.example.vn/a/b/"><s xml:base="c/d/" xml:lang="en" xml:id="sid"><t Id="target" xml:id="tid"><u xml:lang="fr">x</u></t></s></r>`,
	"escaping":           "<r><t Id=\"target\" a=\"&#9;tab&#10;nl&#13;cr &lt; &gt; &amp; &quot; '\" b='\"'>text &lt; &gt; &amp; &#13; \" ' <![CDATA[<cdata> & ]]>]]&gt; é đ ư 𝄞</t></r>",
	"comments-pis":       "<?pi-before data?><!-- before --><r><!-- c1 --><t Id=\"target\">a<!-- inside -->b<?pi inside?>c</t><?pi-after?></r><!-- after --><?tail?>",
	"whitespace":         "<r>\n  <t Id=\"target\">\n    <a   x = \"1\"   />\n\t<b></b>\r\n  </t>\n</r>",
	"redundant-ns":       `<r xmlns:a="urn:a" xmlns="urn:d"><t Id="target" xmlns:a="urn:a" xmlns="urn:d"><a:x xmlns:a="urn:a" a:q="1"/><y xmlns=""><z xmlns=""/></y></t></r>`,
	"xml-base-dots":      `<r xml:base="http://ex.vn/a/b/c/"><s xml:base="../../d/./e/"><s2 xml:base="f/../g"><t Id="target"/></s2></s></r>`,
	"attr-normalization": "<r><t Id=\"target\" a=\"x\ty\nz\r\nw\" b=\"&#9;&#10;\">line1\r\nline2\rline3</t></r>",
	"invoice-like":       `<TDiep><DLieu><HDon xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><DLHDon Id="target"><TTChung><THDon>Hóa đơn giá trị gia tăng</THDon></TTChung><NDHDon><NMua><Ten>Công ty A &amp; B</Ten></NMua></NDHDon></DLHDon></HDon></DLieu></TDiep>`,
}

// c14nTargetElem names the target element for xmlsec1's --id-attr when it
// is not "t" ("<namespace URI>:<local name>" for an element in a namespace).
var c14nTargetElem = map[string]string{}

type c14nMethodCase struct {
	name, uri, extra string
}

var c14nMethods = []c14nMethodCase{
	{"c14n", C14N10, ""},
	{"c14n-comments", C14N10Comments, ""},
	{"c14n11", C14N11, ""},
	{"c14n11-comments", C14N11Comments, ""},
	{"exc", ExcC14N, ""},
	{"exc-comments", ExcC14NComments, ""},
	{"exc-prefixlist", ExcC14N, `<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="a b #default"/>`},
}

func TestCanonicalBytesMatchXMLSec(t *testing.T) {
	checkCorpusAgainstXMLSec(t, c14nCorpus, c14nMethods)
}

// checkCorpusAgainstXMLSec signs each document of corpus with xmlsec1 (a
// "#target" reference and a whole-document reference, both using the
// method as transform and as SignedInfo canonicalization), verifies it
// with us and compares our canonical bytes with xmlsec1's
// --store-references output.
func checkCorpusAgainstXMLSec(t *testing.T, corpus map[string]string, methods []c14nMethodCase) {
	p := newPKI(t)
	id := p.MustIssue()
	for name, doc := range corpus {
		for _, m := range methods {
			t.Run(name+"/"+m.name, func(t *testing.T) {
				transform := func(enveloped bool) string {
					s := "<ds:Transforms>"
					if enveloped {
						s += `<ds:Transform Algorithm="` + TransformEnveloped + `"/>`
					}
					return s + `<ds:Transform Algorithm="` + m.uri + `">` + m.extra + `</ds:Transform></ds:Transforms>`
				}
				// The comment and PI inside SignedInfo are kept by the
				// #WithComments methods (PIs by all): the signature only
				// verifies when our canonical SignedInfo equals xmlsec1's.
				sig := `<ds:Signature xmlns:ds="` + NamespaceDSig + `" Id="S"><ds:SignedInfo>` + "<!-- SignedInfo\r\n comment -->\n<?si-pi  data\t?>" + `<ds:CanonicalizationMethod Algorithm="` + m.uri + `">` + m.extra +
					`</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="` + SigECDSASHA256 + `"/>` +
					`<ds:Reference URI="#target">` + transform(false) + `<ds:DigestMethod Algorithm="` + DigestSHA256 + `"/><ds:DigestValue/></ds:Reference>` +
					`<ds:Reference URI="">` + transform(true) + `<ds:DigestMethod Algorithm="` + DigestSHA256 + `"/><ds:DigestValue/></ds:Reference>` +
					`</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>`
				// Put the signature before the end tag of the document element.
				end := strings.LastIndex(doc, "</")
				tmpl := doc[:end] + sig + doc[end:]
				elem := "t"
				if name == "invoice-like" {
					elem = "DLHDon"
				}
				if e, ok := c14nTargetElem[name]; ok {
					elem = e
				}
				signed := xmlsecSign(t, []byte(tmpl), id, elem)
				s := mustVerifyOne(t, signed, "S", nil)
				bufs := xmlsecVerify(t, signed, id.Cert, "S", elem)
				require.Len(t, bufs, 2)
				assert.Equal(t, string(bufs[0]), string(s.References[0].Canonical), "#target")
				assert.Equal(t, string(bufs[1]), string(s.References[1].Canonical), "whole document")
			})
		}
	}
}
