package xml

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
)

// ltvValues returns the decoded EncapsulatedX509Certificate,
// EncapsulatedOCSPValue and EncapsulatedCRLValue texts of doc.
func ltvValues(t *testing.T, doc []byte) (certs, ocsps, crls [][]byte) {
	t.Helper()
	s := string(doc)
	grab := func(tag string) [][]byte {
		var out [][]byte
		rest := s
		for {
			i := strings.Index(rest, "<xades:"+tag+">")
			if i < 0 {
				return out
			}
			rest = rest[i+len(tag)+8:]
			j := strings.Index(rest, "</xades:"+tag+">")
			require.GreaterOrEqual(t, j, 0)
			der, err := base64.StdEncoding.DecodeString(rest[:j])
			require.NoError(t, err)
			out = append(out, der)
		}
	}
	return grab("EncapsulatedX509Certificate"), grab("EncapsulatedOCSPValue"), grab("EncapsulatedCRLValue")
}

func TestXAdESBaselineLT(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	ctx := context.Background()
	o := Seller()
	o.Level, o.TimestampURL = LevelBLT, p.TSAURL()
	o.LTV = &LTVOptions{HTTPClient: p.HTTPClient()}
	out, err := Sign(ctx, gen.Invoice(2, false), id.Signer(), o)
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	require.Len(t, s.XAdES.Timestamps, 1)
	require.NoError(t, s.XAdES.Timestamps[0].Err)
	checkWithXMLSec(t, out, s, "DLHDon")

	// The values follow the time-stamp, inside UnsignedSignatureProperties.
	str := string(out)
	ts := strings.Index(str, "</xades:SignatureTimeStamp>")
	cv := strings.Index(str, "<xades:CertificateValues>")
	rv := strings.Index(str, "<xades:RevocationValues>")
	end := strings.Index(str, "</xades:UnsignedSignatureProperties>")
	require.True(t, ts > 0 && ts < cv && cv < rv && rv < end, "order: SignatureTimeStamp, CertificateValues, RevocationValues")

	certs, ocsps, crls := ltvValues(t, out)
	has := func(c *x509.Certificate) bool {
		for _, d := range certs {
			if bytes.Equal(d, c.Raw) {
				return true
			}
		}
		return false
	}
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert, p.Root.Cert, p.TSA.Cert} {
		assert.True(t, has(c), c.Subject.CommonName)
	}
	assert.Len(t, ocsps, 3, "signer, TSA and issuing CA")
	assert.Empty(t, crls)

	// Offline with supplied evidence, through the two-phase API.
	var sup [][]byte
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert, p.TSA.Cert} {
		r, err := p.OCSP(c)
		require.NoError(t, err)
		sup = append(sup, r)
	}
	o.LTV = nil
	prep, err := Prepare(ctx, gen.Invoice(1, false), id.Cert, id.Chain, o)
	require.NoError(t, err)
	state, err := prep.MarshalBinary()
	require.NoError(t, err)
	var later Prepared
	require.NoError(t, later.UnmarshalBinary(state))
	later.LTV = &LTVOptions{Offline: true, OCSPResponses: sup, Certificates: append(id.Chain, p.Root.Cert)}
	sig, err := id.Signer().SignDigest(ctx, prep.Digest(), prep.SignerOpts())
	require.NoError(t, err)
	out, err = later.Finish(ctx, sig)
	require.NoError(t, err)
	mustVerifyOne(t, out, "NBan", nil)
	_, ocsps, _ = ltvValues(t, out)
	assert.Len(t, ocsps, 3)

	// Offline without the TSA's answer: a clear error.
	later.LTV = &LTVOptions{Offline: true, OCSPResponses: sup[:2], Certificates: append(id.Chain, p.Root.Cert)}
	_, err = later.Finish(ctx, sig)
	require.ErrorIs(t, err, ErrValidationData)
	require.ErrorIs(t, err, revinfo.ErrNoRevocationInfo)
}
