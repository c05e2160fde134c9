package xml

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file sets x509negativeserial (test binary only) so that rw30's
// self-made certificate, whose serial number is negative, parses and the
// signature's integrity can be checked; reading such certificates in
// production is decided outside this package.

func transformTemplate(refs string, objects string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<HDon xmlns:inv="urn:inv"><DLHDon Id="data"><Ten>Công ty <b>A</b></Ten><!-- note --><Tien>100</Tien></DLHDon><DSCKS><NBan><Signature Id="S" xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
		refs + `</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo>` + objects + `</Signature></NBan></DSCKS></HDon>`)
}

func refXML(uri string, transforms ...string) string {
	s := `<Reference URI="` + uri + `">`
	if len(transforms) > 0 {
		s += "<Transforms>"
		for _, t := range transforms {
			s += `<Transform Algorithm="` + t + `"/>`
		}
		s += "</Transforms>"
	}
	return s + `<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference>`
}

// Transforms after a canonicalization re-parse its octets (XML-DSig
// §4.3.3.2), and the Base64 transform decodes an Object's text (§6.6.2):
// documents signed so by xmlsec1 verify, with xmlsec1's pre-digest bytes.
func TestTransformsAfterCanonicalizationAndBase64(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	payload := base64.StdEncoding.EncodeToString([]byte("<x>binary attachment ½</x>"))
	wrapped := payload[:20] + "\n" + payload[20:]
	for _, c := range []struct {
		name    string
		refs    string
		objects string
	}{
		{"exc-then-c14n", refXML("#data", TransformEnveloped, ExcC14N, C14N10) + refXML("#obj", ExcC14N, C14N10), `<Object Id="obj"><SignatureProperties><SignatureProperty Target="#S"><SigningTime>2026-12-01T10:00:00</SigningTime></SignatureProperty></SignatureProperties></Object>`},
		{"c14n-then-exc-then-c14n11", refXML("#data", C14N10, ExcC14N, C14N11), ""},
		{"base64-object", refXML("#data") + refXML("#b64", TransformBase64), `<Object Id="b64">` + wrapped + `</Object>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			signed := xmlsecSign(t, transformTemplate(c.refs, c.objects), id, "DLHDon")
			res, err := Verify(signed, nil)
			require.NoError(t, err)
			s := res.Signatures[0]
			require.NoError(t, s.Err)
			checkWithXMLSec(t, signed, s, "DLHDon")
			if strings.HasPrefix(c.name, "base64") {
				assert.Equal(t, "<x>binary attachment ½</x>", string(s.References[1].Canonical))
				bad := strings.Replace(string(signed), payload[:20], payload[:19]+"A", 1)
				assert.ErrorIs(t, firstErr(t, []byte(bad)), ErrDigestMismatch)
			}
			bad := strings.Replace(string(signed), "<Tien>100<", "<Tien>900<", 1)
			assert.ErrorIs(t, firstErr(t, []byte(bad)), ErrDigestMismatch)
		})
	}
}

// rw30 (VNInvoice/VNPAY): the SigningTime reference applies exclusive C14N
// and then inclusive C14N. Both references and the signature value verify,
// with xmlsec1's bytes.
func TestRealworldExcC14NThenC14N(t *testing.T) {
	data, err := os.ReadFile(testutil.Realworld(t, "rw30_vninvoice_vnpay_excc14n_then_c14n.xml"))
	require.NoError(t, err)
	res, err := Verify(data, &VerifyOptions{AllowSHA1: true})
	require.NoError(t, err)
	require.Len(t, res.Signatures, 1)
	s := res.Signatures[0]
	require.NoError(t, s.Err)
	require.Len(t, s.References, 2)
	assert.Equal(t, []string{ExcC14N, C14N10}, s.References[1].Transforms)
	assert.Equal(t, "2023-10-19T11:11:51", s.SigningTimeText)
	checkWithXMLSec(t, data, s, "DLHDon")
}
