package xml

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sigErr(t *testing.T, doc string, opts *VerifyOptions) error {
	t.Helper()
	res, err := Verify([]byte(doc), opts)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 1)
	return res.Signatures[0].Err
}

// KeyInfo is not signed, so everything in it can be swapped. Every KeyValue
// must name the key of the certificate that verified the signature.
func TestKeyValueMustNameTheVerifyingKey(t *testing.T) {
	p := newPKI(t)
	inv := string(gen.Invoice(2, true))
	ref := []tmplRef{{uri: "#" + dlID, digest: DigestSHA256}}

	// RSA: xmlsec1 writes RSAKeyValue; a second, mismatched KeyValue (the
	// checker only looked at the last one) or a DSAKeyValue is refused.
	rsaID := p.MustIssue(pkitest.RSAKey(2048))
	other := p.MustIssue(pkitest.RSAKey(2048))
	signed := string(xmlsecSign(t, template(inv, "", "S", C14N10, SigRSASHA256, ref,
		`<KeyInfo><KeyValue/><X509Data><X509Certificate/></X509Data></KeyInfo>`, ""), rsaID, "DLHDon"))
	require.NoError(t, sigErr(t, signed, nil))
	kvStart := strings.Index(signed, "<KeyValue>")
	kvEnd := strings.Index(signed, "</KeyValue>") + len("</KeyValue>")
	require.True(t, kvStart > 0 && kvEnd > kvStart)
	good := signed[kvStart:kvEnd]
	mi := strings.Index(good, "<Modulus>") + len("<Modulus>")
	mj := strings.Index(good, "</Modulus>")
	require.True(t, mi > len("<Modulus>") && mj > mi)
	bad := good[:mi] + b64(other.Cert.PublicKey.(*rsa.PublicKey).N.Bytes()) + good[mj:]
	require.NotEqual(t, good, bad)
	assert.ErrorIs(t, sigErr(t, signed[:kvStart]+bad+good+signed[kvEnd:], nil), ErrKeyInfo, "mismatched KeyValue before a matching one")
	assert.ErrorIs(t, sigErr(t, signed[:kvStart]+good+bad+signed[kvEnd:], nil), ErrKeyInfo, "mismatched KeyValue after a matching one")
	dsa := `<KeyValue><DSAKeyValue><P>AQ==</P><Q>AQ==</Q><G>AQ==</G><Y>AQ==</Y></DSAKeyValue></KeyValue>`
	assert.ErrorIs(t, sigErr(t, signed[:kvStart]+dsa+signed[kvEnd:], nil), ErrKeyInfo, "a KeyValue that cannot name the certificate's key")

	// Without X509Certificate in KeyInfo the supplied certificate is used;
	// a KeyValue naming another key is still refused.
	noCert := signed[:kvStart] + bad + signed[kvEnd:]
	xs := strings.Index(noCert, "<X509Data>")
	xe := strings.Index(noCert, "</X509Data>") + len("</X509Data>")
	noCert = noCert[:xs] + noCert[xe:]
	assert.ErrorIs(t, sigErr(t, noCert, &VerifyOptions{Certificates: []*x509.Certificate{rsaID.Cert}}), ErrKeyInfo)
	okNoCert := signed[:kvStart] + good + signed[kvEnd:]
	xs = strings.Index(okNoCert, "<X509Data>")
	xe = strings.Index(okNoCert, "</X509Data>") + len("</X509Data>")
	assert.NoError(t, sigErr(t, okNoCert[:xs]+okNoCert[xe:], &VerifyOptions{Certificates: []*x509.Certificate{rsaID.Cert}}))

	// ECDSA (xmlsec1 1.2 cannot write EC KeyValues, so the XML-DSig 1.1
	// ECKeyValue is written here): one naming another EC key (only the key
	// type was compared) or another curve is refused.
	ecID := p.MustIssue(pkitest.ECDSAKey(elliptic.P256()))
	ecOther := p.MustIssue(pkitest.ECDSAKey(elliptic.P256()))
	signed = string(xmlsecSign(t, template(inv, "", "S", C14N10, SigECDSASHA256, ref,
		`<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>`, ""), ecID, "DLHDon"))
	require.NoError(t, sigErr(t, signed, nil))
	point := func(id *pkitest.Identity) string {
		k, err := id.Cert.PublicKey.(*ecdsa.PublicKey).ECDH()
		require.NoError(t, err)
		return b64(k.Bytes())
	}
	ecKV := func(curve, pt string) string {
		return `<KeyValue><dsig11:ECKeyValue xmlns:dsig11="http://www.w3.org/2009/xmldsig11#"><dsig11:NamedCurve URI="urn:oid:` + curve +
			`"/><dsig11:PublicKey>` + pt + `</dsig11:PublicKey></dsig11:ECKeyValue></KeyValue>`
	}
	withKV := func(kv string) string { return strings.Replace(signed, "<KeyInfo>", "<KeyInfo>"+kv, 1) }
	assert.NoError(t, sigErr(t, withKV(ecKV("1.2.840.10045.3.1.7", point(ecID))), nil))
	assert.ErrorIs(t, sigErr(t, withKV(ecKV("1.2.840.10045.3.1.7", point(ecOther))), nil), ErrKeyInfo)
	assert.ErrorIs(t, sigErr(t, withKV(ecKV("1.3.132.0.34", point(ecID))), nil), ErrKeyInfo)

	// The RFC 4050 form .NET writes (ECDSAKeyValue with X and Y) is compared too.
	k := ecID.Cert.PublicKey.(*ecdsa.PublicKey)
	ko := ecOther.Cert.PublicKey.(*ecdsa.PublicKey)
	rfc4050 := func(k *ecdsa.PublicKey) string {
		pt, err := k.Bytes()
		require.NoError(t, err)
		size := (len(pt) - 1) / 2
		x, y := new(big.Int).SetBytes(pt[1:1+size]), new(big.Int).SetBytes(pt[1+size:])
		return `<KeyValue><ECDSAKeyValue xmlns="http://www.w3.org/2001/04/xmldsig-more#"><DomainParameters><NamedCurve URN="urn:oid:1.2.840.10045.3.1.7"/></DomainParameters><PublicKey><X Value="` +
			x.String() + `"/><Y Value="` + y.String() + `"/></PublicKey></ECDSAKeyValue></KeyValue>`
	}
	assert.NoError(t, sigErr(t, withKV(rfc4050(k)), nil))
	assert.ErrorIs(t, sigErr(t, withKV(rfc4050(ko)), nil), ErrKeyInfo)
}
