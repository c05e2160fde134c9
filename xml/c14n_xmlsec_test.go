package xml

import "testing"

// Nastier canonicalization corners, each compared byte for byte with
// xmlsec1 --store-references under every method.
var c14nNastyCorpus = map[string]string{
	// xmlns="" on the apex of the subset, and undeclaration/redeclaration
	// of the default namespace below it.
	"default-undecl-apex": `<r xmlns="urn:d" xmlns:p="urn:p"><t Id="target" xmlns=""><u/><p:v><w xmlns="urn:d"><x xmlns=""/></w></p:v></t></r>`,
	// The default namespace used below a prefixed apex that does not use it.
	"default-below-prefixed": `<r xmlns="urn:d"><p:t xmlns:p="urn:p" Id="target"><x xmlns=""/><y/><p:z><y2/></p:z></p:t></r>`,
	// Attribute order: no namespace first, then by namespace URI (not
	// prefix), then local name.
	"attr-sort": `<r xmlns:a="urn:z" xmlns:b="urn:a"><t Id="target" b:attr="1" a:attr="2" attr="3" a:b="4" b:a="5" z="6" xmlns:c="urn:a2" c:a="7" A="8"/></r>`,
	// xml:lang/xml:space inheritance into the apex, with an empty
	// xml:lang nearer than a non-empty one.
	"xml-space-lang": `<r xml:space="preserve" xml:lang="vi"><m xml:lang=""><t Id="target"><u xml:space="default"/></t></m></r>`,
	// A prefix redefined on the way down and back.
	"prefix-redefinition": `<r xmlns:a="urn:1"><a:t Id="target" xmlns:a="urn:2"><a:u xmlns:a="urn:1" a:x="1"><a:v xmlns:a="urn:2"/></a:u></a:t></r>`,
	// Superfluous declarations everywhere, and unused ones on ancestors.
	"superfluous": `<r xmlns="urn:d" xmlns:a="urn:a" xmlns:unused="urn:u"><a:t Id="target" xmlns:a="urn:a"><u xmlns="urn:d"/><a:v xmlns="" xmlns:a="urn:a"><w xmlns=""/></a:v></a:t></r>`,
	// Character and entity references, CR/LF in text and attributes.
	"text-escaping": "<r><t Id=\"target\" a=\"&#13;&#10;&#9; &gt;&lt;&amp;&quot;\t\r\n\">&#13;&#10;a\r\nb&gt;c]]&gt;d&#xD;e&#x9;f\t<![CDATA[\r\n>]]></t></r>",
	// PrefixList prefixes (a b #default) bound, rebound and unbound at
	// several levels below the apex, some visibly used, some not.
	"prefixlist-levels": `<r xmlns:a="urn:a" xmlns="urn:d0"><t Id="target"><u xmlns:b="urn:b"><v xmlns:a="urn:a2"><w xmlns="urn:d"><x xmlns=""><y xmlns:b="urn:b" xmlns:a="urn:a"/></x></w></v><a:z xmlns:a="urn:a"/></u></t></r>`,
	// The xml namespace declared explicitly.
	"xml-ns-decl": `<r xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="en"><t Id="target" xmlns:xml="http://www.w3.org/XML/1998/namespace"/></r>`,
}

func init() {
	c14nTargetElem["default-below-prefixed"] = "urn:p:t"
	c14nTargetElem["prefix-redefinition"] = "urn:2:t"
	c14nTargetElem["superfluous"] = "urn:a:t"
	c14nTargetElem["prefixlist-levels"] = "urn:d0:t"
}

func TestCanonicalBytesMatchXMLSecNasty(t *testing.T) {
	checkCorpusAgainstXMLSec(t, c14nNastyCorpus, c14nMethods)
}
