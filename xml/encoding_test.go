package xml

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func toUTF16(s string, bigEndian, bom bool) []byte {
	var out []byte
	put := func(u uint16) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return out
}

// A signed invoice re-encoded as UTF-16 (with a byte order mark, or with
// only an encoding declaration) verifies, and its canonical bytes are the
// UTF-8 ones xmlsec1 digests.
func TestVerifyUTF16(t *testing.T) {
	signed := string(signedInvoice(t))
	require.True(t, strings.HasPrefix(signed, `<?xml version="1.0" encoding="UTF-8"?>`), signed[:60])
	decl16 := strings.Replace(signed, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	ref, err := Verify([]byte(signed), nil)
	require.NoError(t, err)
	require.NoError(t, ref.Signatures[0].Err)
	for _, c := range []struct {
		name string
		doc  []byte
	}{
		{"LE-BOM", toUTF16(decl16, false, true)},
		{"BE-BOM", toUTF16(decl16, true, true)},
		{"LE-BOM-no-decl", toUTF16(signed[strings.Index(signed, "?>")+2:], false, true)},
		{"LE-decl-only", toUTF16(decl16, false, false)},
		{"BE-decl-only", toUTF16(decl16, true, false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Verify(c.doc, nil)
			require.NoError(t, err)
			assert.Equal(t, "UTF-16", res.Document.Encoding())
			s := res.Signatures[0]
			require.NoError(t, s.Err)
			for i, r := range s.References {
				assert.Equal(t, ref.Signatures[0].References[i].Canonical, r.Canonical)
			}
			if c.name == "LE-BOM" {
				checkWithXMLSec(t, c.doc, s, "DLHDon")
			}
			// Tampering is still seen.
			bad := toUTF16(strings.Replace(decl16, "Hàng hoá 2<", "Hàng hoá 9<", 1), false, true)
			assert.ErrorIs(t, firstErr(t, bad), ErrDigestMismatch)
		})
	}
	// Signing writes UTF-8 only, so it refuses a UTF-16 document rather
	// than mixing encodings.
	_, err = Sign(context.Background(), toUTF16(decl16, false, true), selfSigned(t), Buyer())
	assert.ErrorIs(t, err, ErrEncoding)
}

// ISO-8859-1 and US-ASCII documents signed by xmlsec1 verify; other
// encodings are refused with an error naming them.
func TestVerifyLatin1AndASCII(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	tmpl := func(enc, text string) []byte {
		return []byte(`<?xml version="1.0" encoding="` + enc + `"?>
<Doc><Data Id="d1">` + text + `</Data><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#d1"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature></Doc>`)
	}
	latin := tmpl("ISO-8859-1", "Caf\xe9 cr\xe8me \xbd")
	signed := xmlsecSign(t, latin, id, "Data")
	require.True(t, bytes.Contains(signed, []byte("Caf\xe9")), "xmlsec1 keeps the document in ISO-8859-1")
	res, err := Verify(signed, nil)
	require.NoError(t, err)
	assert.Equal(t, "ISO-8859-1", res.Document.Encoding())
	require.NoError(t, res.Signatures[0].Err)
	assert.Contains(t, string(res.Signatures[0].References[0].Canonical), "Café crème ½")
	assert.ErrorIs(t, firstErr(t, bytes.Replace(signed, []byte("Caf\xe9"), []byte("Caf\xe8"), 1)), ErrDigestMismatch)

	ascii := xmlsecSign(t, tmpl("US-ASCII", "plain &#233; text"), id, "Data")
	res, err = Verify(ascii, nil)
	require.NoError(t, err)
	assert.Equal(t, "US-ASCII", res.Document.Encoding())
	require.NoError(t, res.Signatures[0].Err)
	// A byte above 0x7F is not US-ASCII.
	_, err = Verify(bytes.Replace(ascii, []byte("plain"), []byte("pl\xe0in"), 1), nil)
	assert.ErrorIs(t, err, ErrEncoding)

	for _, enc := range []string{"windows-1258", "Shift_JIS", "TCVN3"} {
		_, err := Verify(tmpl(enc, "x"), nil)
		require.ErrorIs(t, err, ErrEncoding, enc)
		assert.Contains(t, err.Error(), `"`+enc+`"`)
	}
	for name, doc := range map[string][]byte{
		"UTF-32":          append([]byte{0, 0, 0xFE, 0xFF}, 0, 0, 0, '<'),
		"declared-UTF-16": tmpl("UTF-16", "x"),
		"odd-UTF-16":      append(toUTF16(`<?xml version="1.0" encoding="UTF-16"?><a/>`, false, true), 0),
		"lone-surrogate":  append(toUTF16(`<?xml version="1.0" encoding="UTF-16"?><a>`, false, true), 0x00, 0xD8, '<', 0, '/', 0, 'a', 0, '>', 0),
		"BOM-vs-latin1":   append([]byte("\xEF\xBB\xBF"), tmpl("ISO-8859-1", "x")...),
		"UTF-16-as-utf8":  toUTF16(`<?xml version="1.0" encoding="UTF-8"?><a/>`, false, true),
		"no-decl-no-BOM":  toUTF16(`<a/>`, false, false),
	} {
		_, err := Verify(doc, nil)
		assert.ErrorIs(t, err, ErrEncoding, name)
	}
}

// rw24 (invalid UTF-8 despite its declaration) stays unparsable.
func TestRealworldNotUTF8(t *testing.T) {
	data, err := os.ReadFile(testutil.Realworld(t, "rw24_ca2_bban_not_utf8_malformed.xml"))
	require.NoError(t, err)
	_, err = Verify(data, nil)
	assert.ErrorIs(t, err, ErrEncoding)
}
