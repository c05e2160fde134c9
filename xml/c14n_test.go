package xml

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func canonDoc(t *testing.T, method, in string) string {
	t.Helper()
	d, err := Parse([]byte(in))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Canonicalizer{Method: method}.Document(&b, d))
	return b.String()
}

func canonEl(t *testing.T, c Canonicalizer, in, path string) string {
	t.Helper()
	d, err := Parse([]byte(in))
	require.NoError(t, err)
	el, err := d.FindOne(path)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, c.Element(&b, el))
	return b.String()
}

// W3C C14N 1.0 §3.1 (the DOCTYPE line dropped: kyso refuses DTDs).
func TestW3C_3_1_PIsCommentsOutsideDocument(t *testing.T) {
	in := "<?xml version=\"1.0\"?>\n\n<?xml-stylesheet   href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n\n" +
		"<doc>Hello, world!<!-- Comment 1 --></doc>\n\n<?pi-without-data     ?>\n\n<!-- Comment 2 -->\n\n<!-- Comment 3 -->\n"
	want := "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!</doc>\n<?pi-without-data?>"
	wantC := "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!<!-- Comment 1 --></doc>\n<?pi-without-data?>\n<!-- Comment 2 -->\n<!-- Comment 3 -->"
	for _, m := range []string{C14N10, C14N11, ExcC14N} {
		assert.Equal(t, want, canonDoc(t, m, in), m)
	}
	for _, m := range []string{C14N10Comments, C14N11Comments, ExcC14NComments} {
		assert.Equal(t, wantC, canonDoc(t, m, in), m)
	}
}

// W3C C14N 1.0 §3.2.
func TestW3C_3_2_Whitespace(t *testing.T) {
	in := "<doc>\n   <clean>   </clean>\n   <dirty>   A   B   </dirty>\n   <mixed>\n      A\n      <clean>   </clean>\n      B\n      <dirty>   A   B   </dirty>\n      C\n   </mixed>\n</doc>"
	for _, m := range []string{C14N10, C14N11, ExcC14N} {
		assert.Equal(t, in, canonDoc(t, m, in))
	}
}

// W3C C14N 1.0 §3.3. Without the DTD, e9 gets no defaulted attr="default".
func TestW3C_3_3_StartEndTags(t *testing.T) {
	in := `<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>`
	want := `<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6 xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9 xmlns:a="http://www.ietf.org"></e9>
         </e8>
      </e7>
   </e6>
</doc>`
	assert.Equal(t, want, canonDoc(t, C14N10, in))
	assert.Equal(t, want, canonDoc(t, C14N11, in))
}

// W3C C14N 1.0 §3.4. Without the DTD, normNames and normId are CDATA
// attributes and keep their spaces.
func TestW3C_3_4_CharacterModifications(t *testing.T) {
	in := `<doc>
   <text>First line&#x0d;&#10;Second line</text>
   <value>&#x32;</value>
   <compute><![CDATA[value>"0" && value<"10" ?"valid":"error"]]></compute>
   <compute expr='value>"0" &amp;&amp; value&lt;"10" ?"valid":"error"'>valid</compute>
   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>
   <normNames attr='   A   &#x20;&#13;&#xa;&#9;   B   '/>
   <normId id=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>
</doc>`
	want := `<doc>
   <text>First line&#xD;
Second line</text>
   <value>2</value>
   <compute>value&gt;"0" &amp;&amp; value&lt;"10" ?"valid":"error"</compute>
   <compute expr="value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;">valid</compute>
   <norm attr=" '    &#xD;&#xA;&#x9;   ' "></norm>
   <normNames attr="   A    &#xD;&#xA;&#x9;   B   "></normNames>
   <normId id=" '    &#xD;&#xA;&#x9;   ' "></normId>
</doc>`
	assert.Equal(t, want, canonDoc(t, C14N10, in))
}

// W3C C14N 1.0 §3.5 needs entity declarations: kyso refuses the DOCTYPE.
func TestW3C_3_5_EntityReferencesRefused(t *testing.T) {
	in := "<!DOCTYPE doc [<!ENTITY ent1 \"Hello\">]>\n<doc>&ent1;</doc>"
	_, err := Parse([]byte(in))
	assert.ErrorIs(t, err, ErrDOCTYPE)
	_, err = Parse([]byte("<doc>&ent1;</doc>"))
	assert.ErrorIs(t, err, ErrSyntax)
}

// W3C C14N 1.0 §3.6: the input is ISO-8859-1, the canonical form UTF-8.
func TestW3C_3_6_UTF8(t *testing.T) {
	assert.Equal(t, "<doc>©</doc>", canonDoc(t, C14N10, `<?xml version="1.0" encoding="UTF-8"?><doc>&#169;</doc>`))
	assert.Equal(t, "<doc>©</doc>", canonDoc(t, C14N10, `<?xml version="1.0" encoding="ISO-8859-1"?><doc>&#169;</doc>`))
	assert.Equal(t, "<doc>©</doc>", canonDoc(t, C14N10, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><doc>\xa9</doc>"))
	_, err := Parse([]byte(`<?xml version="1.0" encoding="KOI8-R"?><doc>&#169;</doc>`))
	assert.ErrorIs(t, err, ErrEncoding)
}

// W3C C14N 1.0 §3.7 in the form signatures use: a document subset rooted at
// an element, with ancestors' namespaces and xml:* attributes.
func TestW3C_3_7_DocumentSubset(t *testing.T) {
	in := `<doc xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" xml:lang="en" xml:base="http://www.ietf.org/base/"><e1 xmlns="" xml:space="preserve"><e2 xmlns=""><e3 id="E3" xml:id="x"/></e2></e1><e4 xml:id="y"><e5/></e4></doc>`
	assert.Equal(t,
		`<e1 xmlns:w3c="http://www.w3.org" xml:base="http://www.ietf.org/base/" xml:lang="en" xml:space="preserve"><e2><e3 id="E3" xml:id="x"></e3></e2></e1>`,
		canonEl(t, Canonicalizer{Method: C14N10}, in, "/doc/e1"))
	// C14N 1.1: xml:lang and xml:space inherited, xml:base fixed up, xml:id not inherited.
	assert.Equal(t,
		`<e5 xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" xml:base="http://www.ietf.org/base/" xml:lang="en"></e5>`,
		canonEl(t, Canonicalizer{Method: C14N11}, in, "/doc/e4/e5"))
	assert.Equal(t,
		`<e5 xmlns="http://www.ietf.org" xmlns:w3c="http://www.w3.org" xml:base="http://www.ietf.org/base/" xml:id="y" xml:lang="en"></e5>`,
		canonEl(t, Canonicalizer{Method: C14N10}, in, "/doc/e4/e5"))
	// Exclusive: nothing inherited, only utilized namespaces.
	assert.Equal(t, `<e5 xmlns="http://www.ietf.org"></e5>`,
		canonEl(t, Canonicalizer{Method: ExcC14N}, in, "/doc/e4/e5"))
	assert.Equal(t, `<e1 xml:space="preserve"><e2><e3 id="E3" xml:id="x"></e3></e2></e1>`,
		canonEl(t, Canonicalizer{Method: ExcC14N}, in, "/doc/e1"))
}

// C14N 1.1 xml:base fix-up (after the C14N 1.1 spec's xml:base example).
func TestC14N11_XMLBaseFixup(t *testing.T) {
	in := `<ietf:c14n11XmlBaseDoc1 xmlns:ietf="http://www.ietf.org" xml:base="http://xmlbase.example.org/xmlbase0/"><ietf:e1 xml:base="/xmlbase1/"><ietf:e11 xml:base="/xmlbase11/"><ietf:e111 xml:base="/xmlbase111/"/></ietf:e11><ietf:e12 at="2"><ietf:e121 xml:base="/xmlbase121/"/></ietf:e12></ietf:e1><ietf:e2><ietf:e21 xml:base="xmlbase21/"/></ietf:e2></ietf:c14n11XmlBaseDoc1>`
	assert.Equal(t,
		`<ietf:e11 xmlns:ietf="http://www.ietf.org" xml:base="http://xmlbase.example.org/xmlbase11/"><ietf:e111 xml:base="/xmlbase111/"></ietf:e111></ietf:e11>`,
		canonEl(t, Canonicalizer{Method: C14N11}, in, "//e11"))
	assert.Equal(t,
		`<ietf:e12 xmlns:ietf="http://www.ietf.org" at="2" xml:base="http://xmlbase.example.org/xmlbase1/"><ietf:e121 xml:base="/xmlbase121/"></ietf:e121></ietf:e12>`,
		canonEl(t, Canonicalizer{Method: C14N11}, in, "//e12"))
	assert.Equal(t,
		`<ietf:e21 xmlns:ietf="http://www.ietf.org" xml:base="http://xmlbase.example.org/xmlbase0/xmlbase21/"></ietf:e21>`,
		canonEl(t, Canonicalizer{Method: C14N11}, in, "//e21"))
	// C14N 1.0 copies the nearest ancestor value instead.
	assert.Equal(t,
		`<ietf:e12 xmlns:ietf="http://www.ietf.org" at="2" xml:base="/xmlbase1/"><ietf:e121 xml:base="/xmlbase121/"></ietf:e121></ietf:e12>`,
		canonEl(t, Canonicalizer{Method: C14N10}, in, "//e12"))
}

// Exclusive XML Canonicalization 1.0 §2.2 examples.
func TestExcC14N_SpecExamples(t *testing.T) {
	doc1 := `<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>`
	doc2 := `<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n2:pdu>`
	exc := `<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>`
	assert.Equal(t, exc, canonEl(t, Canonicalizer{Method: ExcC14N}, doc1, "//elem2"))
	assert.Equal(t, exc, canonEl(t, Canonicalizer{Method: ExcC14N}, doc2, "//elem2"))
	assert.Equal(t,
		`<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>`,
		canonEl(t, Canonicalizer{Method: C14N10}, doc1, "//elem2"))
	assert.Equal(t,
		`<n1:elem2 xmlns:n1="http://example.net" xmlns:n2="http://foo.example" xml:lang="en" xml:space="retain"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>`,
		canonEl(t, Canonicalizer{Method: C14N10}, doc2, "//elem2"))
	// InclusiveNamespaces PrefixList: n0 rendered although unused.
	assert.Equal(t,
		`<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>`,
		canonEl(t, Canonicalizer{Method: ExcC14N, InclusivePrefixes: []string{"n0"}}, doc1, "//elem2"))
}

func TestC14N_DefaultNamespaceUndeclaration(t *testing.T) {
	in := `<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:c"><d xmlns=""/></c></b></a>`
	assert.Equal(t, `<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:c"><d xmlns=""></d></c></b></a>`, canonDoc(t, C14N10, in))
	assert.Equal(t, `<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:c"><d xmlns=""></d></c></b></a>`, canonDoc(t, ExcC14N, in))
	// Subset at b: xmlns="" has nothing to undo.
	assert.Equal(t, `<b><c xmlns="urn:c"><d xmlns=""></d></c></b>`, canonEl(t, Canonicalizer{Method: C14N10}, in, "/a/b"))
	assert.Equal(t, `<b><c xmlns="urn:c"><d xmlns=""></d></c></b>`, canonEl(t, Canonicalizer{Method: ExcC14N}, in, "/a/b"))
	// Exclusive: an unused prefixed namespace is not rendered, a redeclared one is.
	in2 := `<p:a xmlns:p="urn:p" xmlns:q="urn:q"><p:b><q:c/><p:d xmlns:p="urn:p2"/></p:b></p:a>`
	assert.Equal(t, `<p:b xmlns:p="urn:p"><q:c xmlns:q="urn:q"></q:c><p:d xmlns:p="urn:p2"></p:d></p:b>`, canonEl(t, Canonicalizer{Method: ExcC14N}, in2, "//b"))
}

func TestC14N_ExcludeAndComments(t *testing.T) {
	in := `<r xmlns:ds="urn:x"><a Id="A">x<!--c-->y<Signature><s/></Signature></a><Signature/></r>`
	d, err := Parse([]byte(in))
	require.NoError(t, err)
	a, _ := d.FindOne("/r/a")
	sig, _ := d.FindOne("/r/a/Signature")
	var b bytes.Buffer
	require.NoError(t, Canonicalizer{Method: C14N10, Exclude: sig}.Element(&b, a))
	assert.Equal(t, `<a xmlns:ds="urn:x" Id="A">xy</a>`, b.String())
	b.Reset()
	require.NoError(t, Canonicalizer{Method: C14N10Comments}.Element(&b, a))
	assert.Equal(t, `<a xmlns:ds="urn:x" Id="A">x<!--c-->y<Signature><s></s></Signature></a>`, b.String())
	// Excluding an ancestor leaves nothing.
	b.Reset()
	require.NoError(t, Canonicalizer{Method: C14N10, Exclude: a}.Element(&b, sig))
	assert.Equal(t, "", b.String())
}

func TestC14N_UnknownMethod(t *testing.T) {
	d, err := Parse([]byte("<a/>"))
	require.NoError(t, err)
	err = Canonicalizer{Method: "http://www.w3.org/TR/1999/REC-xslt-19991116"}.Document(&bytes.Buffer{}, d)
	assert.ErrorIs(t, err, ErrUnsupportedAlgorithm)
}

func TestC14N_LargeStreams(t *testing.T) {
	// Output larger than the flush threshold streams in pieces.
	var sb strings.Builder
	sb.WriteString("<r>")
	for i := 0; i < 50000; i++ {
		sb.WriteString("<i a=\"1\">x &amp; y</i>")
	}
	sb.WriteString("</r>")
	out := canonDoc(t, C14N10, sb.String())
	assert.Equal(t, sb.String(), out)
}
