package cms

import (
	"context"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mutate re-encodes der after f has changed its SignedData.
// mustParse parses der, which must be well-formed.
func mustParse(t *testing.T, der []byte) *SignedData {
	t.Helper()
	sd, err := Parse(der)
	require.NoError(t, err)
	return sd
}

func mutate(t *testing.T, der []byte, f func(sd *signedDataASN)) []byte {
	t.Helper()
	var ci contentInfo
	var raw signedDataASN
	require.NoError(t, unmarshalExact(der, &ci))
	require.NoError(t, unmarshalExact(ci.Content.Bytes, &raw))
	f(&raw)
	out, err := marshalContentInfo(raw)
	require.NoError(t, err)
	return out
}

func TestVerifyRejectsForgeries(t *testing.T) {
	pki := newTestPKI(t)
	ctx := context.Background()
	s := pki.issue(t, leafRSA, "Nguyễn Văn Thật")
	twin := pki.issue(t, leafRSA, "Nguyễn Văn Giả") // same cached RSA key, other certificate
	digest := hashBytes(crypto.SHA256, []byte("nội dung"))
	good, err := Sign(ctx, s, digest, Options{})
	require.NoError(t, err)

	t.Run("ess-names-another-certificate", func(t *testing.T) {
		p, err := Prepare(twin.Certificate(), nil, digest, Options{})
		require.NoError(t, err)
		p.cert, p.chain = s.Certificate(), s.Chain()
		sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
		require.NoError(t, err)
		der, err := p.Finish(sig)
		require.NoError(t, err)
		sd := mustParse(t, der)
		assert.ErrorIs(t, sd.Verify(digest), ErrESSMismatch)
	})
	t.Run("content-type-attribute-differs", func(t *testing.T) {
		p, err := Prepare(s.Certificate(), s.Chain(), digest, Options{ContentType: OIDTSTInfo})
		require.NoError(t, err)
		p.contentType = OIDData
		sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
		require.NoError(t, err)
		der, err := p.Finish(sig)
		require.NoError(t, err)
		sd := mustParse(t, der)
		err = sd.Verify(digest)
		assert.ErrorIs(t, err, ErrFormat)
		assert.ErrorContains(t, err, "differs from eContentType")
	})
	t.Run("signer-certificate-missing", func(t *testing.T) {
		der := mutate(t, good, func(sd *signedDataASN) {
			sd.Certificates = certificateSet(s.Chain())
		})
		sd := mustParse(t, der)
		assert.ErrorIs(t, sd.Verify(digest), ErrNoSignerCertificate)
	})
	t.Run("signature-value-flipped", func(t *testing.T) {
		der := mutate(t, good, func(sd *signedDataASN) {
			sd.SignerInfos[0].Signature = append([]byte(nil), sd.SignerInfos[0].Signature...)
			sd.SignerInfos[0].Signature[10] ^= 1
		})
		sd := mustParse(t, der)
		assert.ErrorIs(t, sd.Verify(digest), ErrSignatureInvalid)
	})
	t.Run("signed-attributes-changed", func(t *testing.T) {
		other := hashBytes(crypto.SHA256, []byte("nội dung khác"))
		p, err := Prepare(s.Certificate(), s.Chain(), other, Options{})
		require.NoError(t, err)
		der := mutate(t, good, func(sd *signedDataASN) {
			sd.SignerInfos[0].SignedAttrs = asn1.RawValue{FullBytes: retag(p.signedAttrs, 0xA0)}
		})
		sd := mustParse(t, der)
		assert.ErrorIs(t, sd.Verify(other), ErrSignatureInvalid)
		assert.ErrorIs(t, sd.Verify(digest), ErrHashMismatch)
	})
	t.Run("digest-algorithm-not-listed", func(t *testing.T) {
		der := mutate(t, good, func(sd *signedDataASN) {
			sd.DigestAlgorithms = []pkix.AlgorithmIdentifier{{Algorithm: oidSHA512}}
		})
		_, err := Parse(der)
		assert.ErrorIs(t, err, ErrFormat)
	})
	t.Run("signature-algorithm-inconsistent", func(t *testing.T) {
		der := mutate(t, good, func(sd *signedDataASN) {
			sd.SignerInfos[0].SignatureAlgorithm = pkix.AlgorithmIdentifier{Algorithm: oidSHA384WithRSA, Parameters: asn1NULL}
		})
		sd := mustParse(t, der)
		assert.ErrorIs(t, sd.Verify(digest), ErrFormat)
	})
	t.Run("mixed-forms", func(t *testing.T) {
		bare := cmsWithoutSignedAttrs(t, s.Certificate(), crypto.SHA256, []byte{1, 2, 3})
		var ci contentInfo
		var b signedDataASN
		require.NoError(t, unmarshalExact(bare, &ci))
		require.NoError(t, unmarshalExact(ci.Content.Bytes, &b))
		der := mutate(t, good, func(sd *signedDataASN) {
			sd.SignerInfos = append(sd.SignerInfos, b.SignerInfos[0])
		})
		_, err := Parse(der)
		assert.ErrorIs(t, err, ErrFormat)
	})
	t.Run("stripped-attributes-forgery", func(t *testing.T) {
		// The signed attributes re-presented as encapsulated content with
		// the signature and no attributes: RSA verifies, we must refuse.
		sd0, err := Parse(good)
		require.NoError(t, err)
		si := sd0.SignerInfos[0]
		der := mutate(t, cmsWithoutSignedAttrs(t, s.Certificate(), crypto.SHA256, si.Signature), func(sd *signedDataASN) {
			oct, _ := asn1.Marshal(si.RawSignedAttrs)
			sd.EncapContentInfo.EContent = asn1.RawValue{FullBytes: encodeTLV(0xA0, oct)}
		})
		sd := mustParse(t, der)
		err = sd.Verify(nil)
		assert.ErrorIs(t, err, ErrFormat)
		assert.ErrorContains(t, err, "itself a SET OF attributes")
	})
	t.Run("trailing-data-and-ber", func(t *testing.T) {
		_, err := Parse(append(append([]byte(nil), good...), 0))
		assert.ErrorIs(t, err, ErrFormat)
		// Indefinite length at the top: parsed as BER, flagged, verifies.
		ber := append([]byte{0x30, 0x80}, good[4:]...)
		ber = append(ber, 0, 0)
		sd := mustParse(t, ber)
		assert.True(t, sd.BER)
		assert.Equal(t, ber, sd.Raw)
		require.NoError(t, sd.Verify(digest))
		// Broken BER (no end-of-contents) is refused.
		_, err = Parse(ber[:len(ber)-2])
		assert.ErrorIs(t, err, ErrFormat)
		sd, err = Parse(good)
		require.NoError(t, err)
		assert.False(t, sd.BER)
	})
	t.Run("wrong-digest-length", func(t *testing.T) {
		sd := mustParse(t, good)
		assert.ErrorIs(t, sd.Verify(digest[:20]), ErrHashMismatch)
	})
}

func TestEncapsulatedContent(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Trịnh Công Sơn")
	content := []byte("<HDon>hóa đơn</HDon>")
	der, err := Sign(context.Background(), s, nil, Options{Content: content, ContentType: asn1.ObjectIdentifier{1, 2, 3, 4}})
	require.NoError(t, err)
	sd := mustParse(t, der)
	assert.Equal(t, 3, sd.Version)
	assert.Equal(t, content, sd.Content)
	assert.Equal(t, "1.2.3.4", sd.ContentType.String())
	require.NoError(t, sd.Verify(nil))
	require.NoError(t, sd.Verify(hashBytes(crypto.SHA256, content)))
	assert.ErrorIs(t, sd.Verify(hashBytes(crypto.SHA256, []byte("x"))), ErrHashMismatch)

	_, err = Prepare(s.Certificate(), nil, hashBytes(crypto.SHA256, []byte("x")), Options{Content: content})
	assert.ErrorIs(t, err, ErrHashMismatch)
}

func TestPrepareRejectsBadInput(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Mai Anh")
	_, err := Prepare(s.Certificate(), nil, make([]byte, 20), Options{Hash: crypto.SHA1})
	assert.ErrorIs(t, err, ErrUnsupportedAlgorithm)
	_, err = Prepare(s.Certificate(), nil, make([]byte, 32), Options{PSS: true})
	assert.ErrorIs(t, err, ErrUnsupportedAlgorithm)
	_, err = Prepare(s.Certificate(), nil, make([]byte, 31), Options{})
	assert.Error(t, err)
	_, err = Prepare(nil, nil, make([]byte, 32), Options{})
	assert.Error(t, err)
	dup := mustAttr(t, OIDAttrSigningTime, asn1.RawValue{FullBytes: []byte{0x05, 0x00}})
	_, err = Prepare(s.Certificate(), nil, make([]byte, 32), Options{SignedAttributes: []Attribute{dup, dup}})
	assert.ErrorIs(t, err, ErrFormat)
	_, err = Prepare(s.Certificate(), nil, make([]byte, 32), Options{SignedAttributes: []Attribute{mustAttr(t, OIDAttrMessageDigest, []byte{1})}})
	assert.ErrorIs(t, err, ErrFormat)
}
