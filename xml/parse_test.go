package xml

import (
	"context"
	"testing"
	"unicode/utf16"

	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utf16Bytes(s string, bigEndian bool) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(u)+2)
	if bigEndian {
		out = append(out, 0xFE, 0xFF)
	} else {
		out = append(out, 0xFF, 0xFE)
	}
	for _, c := range u {
		if bigEndian {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

// Encodings and byte-order marks: a UTF-8 BOM is accepted and kept when
// signing; UTF-16 with a BOM, ISO-8859-1 and US-ASCII are read (see
// encoding_test.go); anything else is refused rather than misread.
func TestParserEncodings(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	doc := append([]byte("\xEF\xBB\xBF"), gen.Invoice(1, true)...)
	out, err := Sign(context.Background(), doc, id.Signer(), Seller())
	require.NoError(t, err)
	assert.Equal(t, "\xEF\xBB\xBF", string(out[:3]), "the BOM is kept")
	s := mustVerifyOne(t, out, "NBan", nil)
	checkWithXMLSec(t, out, s, "DLHDon")

	for name, in := range map[string][]byte{
		"utf16le-no-bom":      utf16Bytes(`<a/>`, false)[2:],
		"declared-utf16":      []byte(`<?xml version="1.0" encoding="UTF-16"?><a/>`),
		"latin1-bytes":        []byte("<a>\xe9</a>"),
		"bom-then-utf16-decl": []byte("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>"),
	} {
		_, err := Parse(in)
		assert.Error(t, err, name)
	}
	for name, in := range map[string][]byte{
		"utf16le-bom":     utf16Bytes(`<?xml version="1.0" encoding="UTF-16"?><a/>`, false),
		"utf16be-bom":     utf16Bytes(`<?xml version="1.0" encoding="UTF-16"?><a/>`, true),
		"declared-latin1": []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`),
	} {
		d, err := Parse(in)
		require.NoError(t, err, name)
		assert.Equal(t, "a", d.Root().Name(), name)
	}
}

// Misuse of the reserved xml and xmlns prefixes and namespaces is refused.
func TestParserReservedPrefixes(t *testing.T) {
	for _, in := range []string{
		`<a xmlns:xml="urn:other"/>`,
		`<a xmlns:x="http://www.w3.org/XML/1998/namespace"/>`,
		`<a xmlns="http://www.w3.org/XML/1998/namespace"/>`,
		`<a xmlns:xmlns="urn:x"/>`,
		`<a xmlns:x="http://www.w3.org/2000/xmlns/"/>`,
		`<xmlns:a/>`,
		`<a xmlns:p=""/>`,
		`<a p:x="1"/>`,
	} {
		_, err := Parse([]byte(in))
		assert.Error(t, err, in)
	}
	// The xml prefix bound to its own namespace, and xml:* attributes, are fine.
	_, err := Parse([]byte(`<a xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="vi" xml:space="preserve"/>`))
	assert.NoError(t, err)
}

// Elements a Location asks to create are written into the document as
// names: anything that is not an XML name is refused up front instead of
// being spliced into markup.
func TestSignLocationNamesValidated(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	doc := []byte(`<HDon><DLHDon Id="D"><A>1</A></DLHDon></HDon>`)
	for _, loc := range []string{
		"/HDon/DSCKS/NBan><x",
		`/HDon/DSCKS/NBan a="1"`,
		"/HDon/DSCKS/1NBan",
		"/HDon/DSCKS/N&amp;Ban",
		"/HDon/DSCKS/NBan\x00",
	} {
		o := Seller()
		o.Location = loc
		_, err := Sign(context.Background(), doc, id.Signer(), o)
		require.Error(t, err, loc)
		assert.Contains(t, err.Error(), "cannot create", loc)
	}
	o := Seller()
	o.Location = "/HDon/DSCKS/Người_bán.1"
	out, err := Sign(context.Background(), doc, id.Signer(), o)
	require.NoError(t, err)
	mustVerifyOne(t, out, "NBan", nil)
}

// CRLF line ends, literal tabs and newlines in attributes, character
// references and CDATA in the signed data: Sign keeps the source bytes and
// digests the parsed (normalized) form, which must be what xmlsec1 digests
// from the output.
func TestSignNormalizationCornersWithXMLSec(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	doc := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<HDon>\r\n <DLHDon Id=\"D\" a=\"x\ty\r\nz\" b=\"&#9;&#13;&#10;\">\r\n  <Ten>Công ty &amp; \r\n<![CDATA[<A>\r\n]]> &#13;&#x1F600;</Ten>\r\n </DLHDon>\r\n <DSCKS><NBan /></DSCKS>\r\n</HDon>\r\n"
	out, err := Sign(context.Background(), []byte(doc), id.Signer(), Seller())
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	checkWithXMLSec(t, out, s, "DLHDon")
}
