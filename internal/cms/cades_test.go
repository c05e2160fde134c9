package cms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

func signCAdES(t *testing.T, s signer.Signer, content []byte, encapsulate bool) []byte {
	t.Helper()
	d := sha256.Sum256(content)
	o := Options{SigningTime: time.Now()}
	if encapsulate {
		o.Content = content
	}
	der, err := Sign(context.Background(), s, d[:], o)
	require.NoError(t, err)
	return der
}

func TestAddUnsignedAttributesKeepsSignedPart(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Người Ký")
	content := []byte("tệp đính kèm")
	der := signCAdES(t, s, content, false)
	attr, err := NewAttribute(asn1.ObjectIdentifier{1, 2, 3, 4}, "x")
	require.NoError(t, err)
	out, err := AddUnsignedAttributes(der, 0, attr)
	require.NoError(t, err)
	before, _ := Parse(der)
	after, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, before.SignerInfos[0].RawSignedAttrs, after.SignerInfos[0].RawSignedAttrs)
	assert.Equal(t, before.SignerInfos[0].Signature, after.SignerInfos[0].Signature)
	assert.Len(t, after.SignerInfos[0].UnsignedAttribute(asn1.ObjectIdentifier{1, 2, 3, 4}), 1)
	d := sha256.Sum256(content)
	require.NoError(t, after.Verify(d[:]))

	_, err = AddUnsignedAttributes(der, 1, attr)
	assert.ErrorIs(t, err, ErrFormat)
	_, err = AddUnsignedAttributes(der, 0, Attribute{Type: asn1.ObjectIdentifier{1, 2, 3}})
	assert.ErrorIs(t, err, ErrFormat)
	_, err = AddUnsignedAttributes([]byte{0x30, 0x00}, 0, attr)
	assert.ErrorIs(t, err, ErrFormat)
}

func TestAddValidationData(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafRSA, "Người Ký")
	der := signCAdES(t, s, []byte("x"), false)
	crl := s.Certificate().Raw // any DER SEQUENCE stands for a CRL here
	ocsp := []byte{0x30, 0x03, 0x0a, 0x01, 0x00}
	out, err := AddValidationData(der, [][]byte{pki.root.Raw}, [][]byte{crl}, [][]byte{ocsp})
	require.NoError(t, err)
	sd, err := Parse(out)
	require.NoError(t, err)
	assert.Equal(t, 5, sd.Version, "other revocation formats need version 5")
	require.Len(t, sd.RawCRLs, 2)
	var sawOCSP bool
	for _, c := range sd.RawCRLs {
		if c[0] == 0xA1 {
			sawOCSP = bytes.Contains(c, ocsp)
		}
	}
	assert.True(t, sawOCSP)
	// Adding the same again changes nothing.
	again, err := AddValidationData(out, [][]byte{pki.root.Raw}, [][]byte{crl}, [][]byte{ocsp})
	require.NoError(t, err)
	assert.Equal(t, out, again)
	d := sha256.Sum256([]byte("x"))
	require.NoError(t, sd.Verify(d[:]))

	_, err = AddValidationData(der, [][]byte{{0x04, 0x00}}, nil, nil)
	assert.ErrorIs(t, err, ErrFormat)
}

func TestMerge(t *testing.T) {
	pki := newTestPKI(t)
	a := pki.issue(t, leafRSA, "Người Ký A")
	b := pki.issue(t, leafECDSA, "Người Ký B")
	content := []byte("biên bản")
	both, err := Merge(signCAdES(t, a, content, false), signCAdES(t, b, content, false))
	require.NoError(t, err)
	sd, err := Parse(both)
	require.NoError(t, err)
	require.Len(t, sd.SignerInfos, 2)
	d := sha256.Sum256(content)
	require.NoError(t, sd.Verify(d[:]))
	other := sha256.Sum256([]byte("khác"))
	assert.ErrorIs(t, sd.Verify(other[:]), ErrHashMismatch)

	_, err = Merge(signCAdES(t, a, content, true), signCAdES(t, b, []byte("khác"), true))
	assert.ErrorIs(t, err, ErrHashMismatch)
	_, err = Merge(signCAdES(t, a, content, true), signCAdES(t, b, content, false))
	assert.ErrorIs(t, err, ErrHashMismatch)
}

func TestCountersignature(t *testing.T) {
	pki := newTestPKI(t)
	a := pki.issue(t, leafRSA, "Người Ký")
	c := pki.issue(t, leafECDSA, "Người Xác Nhận")
	content := []byte("quyết định")
	der := signCAdES(t, a, content, false)
	sd, err := Parse(der)
	require.NoError(t, err)
	sigValue := sd.SignerInfos[0].Signature

	_, err = PrepareCountersignature(c.Certificate(), c.Chain(), sigValue, Options{Content: []byte("x")})
	assert.ErrorIs(t, err, ErrFormat)
	p, err := PrepareCountersignature(c.Certificate(), c.Chain(), sigValue, Options{SigningTime: time.Now()})
	require.NoError(t, err)
	assert.True(t, p.IsCountersignature())

	// The state survives serialisation.
	state, err := p.MarshalBinary()
	require.NoError(t, err)
	var q Prepared
	require.NoError(t, q.UnmarshalBinary(state))
	assert.True(t, q.IsCountersignature())
	// A countersignature state cannot pass for a normal one.
	var r Prepared
	assert.ErrorIs(t, r.UnmarshalBinary([]byte(strings.Replace(string(state), `"counter":true`, `"counter":false`, 1))), ErrBadState)

	sig, err := c.SignDigest(context.Background(), q.Digest(), q.SignerOpts())
	require.NoError(t, err)
	si, err := q.FinishSignerInfo(sig)
	require.NoError(t, err)
	out, err := AddCountersignature(der, 0, si, append([]*x509.Certificate{c.Certificate()}, c.Chain()...))
	require.NoError(t, err)
	sd, err = Parse(out)
	require.NoError(t, err)
	counters, err := sd.SignerInfos[0].Countersignatures()
	require.NoError(t, err)
	require.Len(t, counters, 1)
	require.NoError(t, sd.VerifyCountersignature(sd.SignerInfos[0], counters[0]))
	assert.Nil(t, counters[0].Attribute(OIDAttrContentType))
	d := sha256.Sum256(content)
	require.NoError(t, sd.Verify(d[:]))

	// Onto another signature: refused, and the verifier says why.
	der2 := signCAdES(t, a, []byte("nội dung khác"), false)
	_, err = AddCountersignature(der2, 0, si, []*x509.Certificate{c.Certificate()})
	assert.ErrorIs(t, err, ErrHashMismatch)
	sd2, _ := Parse(der2)
	assert.ErrorIs(t, sd.VerifyCountersignature(sd2.SignerInfos[0], counters[0]), ErrHashMismatch)
	// Without the countersigner's certificate.
	_, err = AddCountersignature(der, 0, si, nil)
	assert.ErrorIs(t, err, ErrNoSignerCertificate)
	// A normal Prepared has no SignerInfo form.
	np, err := Prepare(a.Certificate(), a.Chain(), d[:], Options{})
	require.NoError(t, err)
	_, err = np.FinishSignerInfo(sig)
	assert.ErrorIs(t, err, ErrBadState)
	// A forged signature value is refused.
	bad := append([]byte(nil), sig...)
	bad[len(bad)-3] ^= 1
	_, err = q.FinishSignerInfo(bad)
	assert.ErrorIs(t, err, signer.ErrBadSignature)
	// A countersignature carrying a content-type does not parse.
	withCT, err := Prepare(c.Certificate(), c.Chain(), sha256Of(sigValue), Options{})
	require.NoError(t, err)
	ctSig, err := c.SignDigest(context.Background(), withCT.Digest(), withCT.SignerOpts())
	require.NoError(t, err)
	full, err := withCT.Finish(ctSig)
	require.NoError(t, err)
	fsd, err := Parse(full)
	require.NoError(t, err)
	siDER, err := asn1.Marshal(fsd.SignerInfos[0].raw)
	require.NoError(t, err)
	_, err = parseCountersignature(siDER)
	assert.ErrorIs(t, err, ErrFormat)
}

func sha256Of(b []byte) []byte { d := sha256.Sum256(b); return d[:] }
