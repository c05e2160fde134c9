package xml

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SigningTime search walked every referenced element inside the
// signature and asked Covers for each SigningTime found: with references
// whose enveloped transform leaves everything out (valid: they digest the
// empty node-set), none is covered and each of many deeply nested
// SigningTime elements cost 30 ancestor walks (2 minutes for 200,000 of
// them in a 3 MB document). The search now walks only the covered part of
// each referenced element, once.
func TestAttackSigningTimeSearch(t *testing.T) {
	ss := selfSigned(t)
	var obj strings.Builder
	obj.WriteString(`<Object Id="obj">` + strings.Repeat("<a>", 200))
	obj.WriteString(strings.Repeat("<SigningTime/>", 200000))
	obj.WriteString(strings.Repeat("</a>", 200) + `</Object>`)
	empty := sha256.Sum256(nil)
	var refs strings.Builder
	refs.WriteString(`<Reference URI="#` + dlID + `"><DigestMethod Algorithm="` + DigestSHA256 + `"/><DigestValue>DLHDON</DigestValue></Reference>`)
	for i := 0; i < 29; i++ {
		refs.WriteString(`<Reference URI="#obj"><Transforms><Transform Algorithm="` + TransformEnveloped + `"/></Transforms><DigestMethod Algorithm="` +
			DigestSHA256 + `"/><DigestValue>` + base64.StdEncoding.EncodeToString(empty[:]) + `</DigestValue></Reference>`)
	}
	sig := `<Signature xmlns="` + NamespaceDSig + `" Id="S"><SignedInfo><CanonicalizationMethod Algorithm="` + C14N10 + `"/><SignatureMethod Algorithm="` +
		SigECDSASHA256 + `"/>` + refs.String() + `</SignedInfo><SignatureValue>SIGVALUE</SignatureValue><KeyInfo><X509Data><X509Certificate>` +
		base64.StdEncoding.EncodeToString(ss.Certificate().Raw) + `</X509Certificate></X509Data></KeyInfo>` + obj.String() + `</Signature>`
	doc := strings.Replace(string(gen.Invoice(1, false)), "<NBan/>", "<NBan>"+sig+"</NBan>", 1)

	// Digest DLHDon, then sign the canonical SignedInfo.
	d, err := Parse([]byte(doc))
	require.NoError(t, err)
	dl, err := d.FindOne("//HDon/DLHDon")
	require.NoError(t, err)
	h := sha256.New()
	require.NoError(t, Canonicalizer{Method: C14N10}.Element(h, dl))
	doc = strings.Replace(doc, "DLHDON", base64.StdEncoding.EncodeToString(h.Sum(nil)), 1)
	d, err = Parse([]byte(doc))
	require.NoError(t, err)
	si, err := d.FindOne("//NBan/Signature/SignedInfo")
	require.NoError(t, err)
	h = sha256.New()
	require.NoError(t, Canonicalizer{Method: C14N10}.Element(h, si))
	der, err := ss.SignDigest(context.Background(), h.Sum(nil), crypto.SHA256)
	require.NoError(t, err)
	raw, err := ecdsaRaw(ss.Certificate().PublicKey.(*ecdsa.PublicKey), der)
	require.NoError(t, err)
	doc = strings.Replace(doc, "SIGVALUE", base64.StdEncoding.EncodeToString(raw), 1)

	// The work is bounded by construction (each referenced subtree is
	// searched once, here and in the layout check); no wall-clock bound,
	// which the race detector and a loaded machine make meaningless.
	res, err := Verify([]byte(doc), &VerifyOptions{Certificates: []*x509.Certificate{ss.Certificate()}})
	require.NoError(t, err)
	require.NoError(t, res.Signatures[0].Err)
	assert.True(t, res.Signatures[0].SigningTime.IsZero(), "no covered SigningTime")
}
