package cms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
)

func TestTwoPhaseAcrossProcesses(t *testing.T) {
	pki := newTestPKI(t)
	for _, tc := range []struct {
		name string
		kind leafKind
		opts Options
	}{
		{"rsa-pss-signing-time", leafRSA, Options{PSS: true, SigningTime: time.Now()}},
		{"ecdsa-extra-attrs", leafECDSA, Options{Hash: crypto.SHA512, SignedAttributes: []Attribute{
			mustAttr(t, OIDAttrAdbeRevocation, asn1.RawValue{FullBytes: []byte{0x30, 0x00}}),
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pki.issue(t, tc.kind, "Vũ Quang Huy")
			digest := optsDigest(tc.opts, []byte("tài liệu"))
			p, err := Prepare(s.Certificate(), s.Chain(), digest, tc.opts)
			require.NoError(t, err)
			state, err := p.MarshalBinary()
			require.NoError(t, err)

			// "Another process": only the state bytes and the signature travel.
			var q Prepared
			require.NoError(t, q.UnmarshalBinary(state))
			assert.Equal(t, p.Digest(), q.Digest())
			assert.Equal(t, p.SignerOpts(), q.SignerOpts())
			sig, err := s.SignDigest(context.Background(), q.Digest(), q.SignerOpts())
			require.NoError(t, err)
			der, err := q.Finish(sig)
			require.NoError(t, err)
			sd, err := Parse(der)
			require.NoError(t, err)
			require.NoError(t, sd.Verify(digest))
			if len(tc.opts.SignedAttributes) > 0 {
				assert.Equal(t, []byte{0x30, 0x00}, sd.SignerInfos[0].Attribute(OIDAttrAdbeRevocation))
			}
			// The same signature finishes the original Prepared identically.
			der2, err := p.Finish(sig)
			require.NoError(t, err)
			assert.Equal(t, der, der2)
		})
	}
}

func TestUnmarshalBinaryRejectsTamperedState(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Đỗ Thị Giang")
	p, err := Prepare(s.Certificate(), s.Chain(), make([]byte, 32), Options{})
	require.NoError(t, err)
	state, err := p.MarshalBinary()
	require.NoError(t, err)
	var q Prepared
	for _, bad := range [][]byte{
		nil,
		[]byte("{}"),
		[]byte(`{"v":2}`),
		bytesReplace(state, `"hash":"SHA-256"`, `"hash":"MD5"`),
		bytesReplace(state, `"contentDigest":"AAAA`, `"contentDigest":"AQAA`),
		bytesReplace(state, `"contentType":"1.2.840.113549.1.7.1"`, `"contentType":"1.2.3"`),
	} {
		assert.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState, "%s", bad)
	}
}

// TestUnmarshalBinaryRejectsSwappedCertificate: a state whose certificate
// is not the one the ESS signing-certificate-v2 attribute names would
// finish into a SignedData that can never verify; it is refused up front.
func TestUnmarshalBinaryRejectsSwappedCertificate(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Đỗ Thị Giang")
	other := pki.issue(t, leafECDSA, "Kẻ Mạo Danh")
	p, err := Prepare(s.Certificate(), s.Chain(), make([]byte, 32), Options{})
	require.NoError(t, err)
	state, err := p.MarshalBinary()
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, json.Unmarshal(state, &st))
	st["cert"] = other.Certificate().Raw
	swapped, err := json.Marshal(st)
	require.NoError(t, err)
	var q Prepared
	err = q.UnmarshalBinary(swapped)
	assert.ErrorIs(t, err, ErrBadState)
	assert.ErrorIs(t, err, ErrESSMismatch)
}

func bytesReplace(b []byte, old, new string) []byte {
	s := string(b)
	out := []byte(replaceOnce(s, old, new))
	if string(out) == s {
		panic("pattern not found: " + old)
	}
	return out
}

func replaceOnce(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}

func mustAttr(t testing.TB, oid asn1.ObjectIdentifier, v any) Attribute {
	a, err := NewAttribute(oid, v)
	require.NoError(t, err)
	return a
}

func TestFinishRejectsWrongKeySignature(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Ngô Văn Hải")
	other := pki.issue(t, leafECDSA, "Kẻ Mạo Danh")
	p, err := Prepare(s.Certificate(), s.Chain(), make([]byte, 32), Options{})
	require.NoError(t, err)
	sig, err := other.SignDigest(context.Background(), p.Digest(), p.SignerOpts())
	require.NoError(t, err)
	der, err := p.Finish(sig)
	assert.ErrorIs(t, err, signer.ErrBadSignature)
	assert.Nil(t, der)
	_, err = p.Finish(nil)
	assert.ErrorIs(t, err, signer.ErrBadSignature)

	// PKCS#1 v1.5 signature offered for a PSS preparation.
	r := pki.issue(t, leafRSA, "Ngô Văn Hải")
	pp, err := Prepare(r.Certificate(), r.Chain(), make([]byte, 32), Options{PSS: true})
	require.NoError(t, err)
	sig, err = r.SignDigest(context.Background(), pp.Digest(), crypto.SHA256)
	require.NoError(t, err)
	_, err = pp.Finish(sig)
	assert.ErrorIs(t, err, signer.ErrBadSignature)
}

func TestFinishAcceptsRawECDSA(t *testing.T) {
	pki := newTestPKI(t)
	s, key := pki.issueWithKey(t, leafECDSA, "Bùi Thị Lan")
	p, err := Prepare(s.Certificate(), s.Chain(), make([]byte, 32), Options{})
	require.NoError(t, err)
	r, sv, err := ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), p.Digest())
	require.NoError(t, err)
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sv.FillBytes(raw[32:])
	der, err := p.Finish(raw)
	require.NoError(t, err)
	sd, err := Parse(der)
	require.NoError(t, err)
	require.NoError(t, sd.Verify(make([]byte, 32)))
	var v struct{ R, S *big.Int }
	_, err = asn1.Unmarshal(sd.SignerInfos[0].Signature, &v)
	require.NoError(t, err, "signature embedded as DER")
	assert.Equal(t, r, v.R)
}

// cmsWithoutSignedAttrs wraps a raw signature into a SignedData with no
// signed attributes, as a hash-signing service that returns "PKCS#7" does.
func cmsWithoutSignedAttrs(t testing.TB, cert *x509.Certificate, h crypto.Hash, sig []byte) []byte {
	sigAlg, err := signatureAlgorithmID(cert.PublicKey, h, false)
	require.NoError(t, err)
	digAlg, err := hashAlgorithmID(h)
	require.NoError(t, err)
	sid, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber})
	require.NoError(t, err)
	der, err := marshalContentInfo(signedDataASN{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digAlg},
		EncapContentInfo: encapContentInfo{EContentType: OIDData},
		Certificates:     certificateSet([]*x509.Certificate{cert}),
		SignerInfos: []signerInfoASN{{
			Version: 1, SID: asn1.RawValue{FullBytes: sid}, DigestAlgorithm: digAlg,
			SignatureAlgorithm: sigAlg, Signature: sig,
		}},
	})
	require.NoError(t, err)
	return der
}

func TestFinishHandlesBackendCMS(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafRSA, "Đặng Văn Khoa")
	ctx := context.Background()
	contentDigest := hashBytes(crypto.SHA256, []byte("văn bản gốc"))
	p, err := Prepare(s.Certificate(), s.Chain(), contentDigest, Options{})
	require.NoError(t, err)

	t.Run("no-signed-attributes", func(t *testing.T) {
		sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
		require.NoError(t, err)
		der, err := p.Finish(cmsWithoutSignedAttrs(t, s.Certificate(), crypto.SHA256, sig))
		require.NoError(t, err)
		want, err := p.Finish(sig)
		require.NoError(t, err)
		assert.Equal(t, want, der, "the signature value was unwrapped into our SignedData")
	})
	t.Run("no-signed-attributes-wrong-data", func(t *testing.T) {
		sig, err := s.SignDigest(ctx, contentDigest, crypto.SHA256)
		require.NoError(t, err)
		_, err = p.Finish(cmsWithoutSignedAttrs(t, s.Certificate(), crypto.SHA256, sig))
		assert.ErrorIs(t, err, signer.ErrBadSignature)
	})
	t.Run("full-cms-over-original-content", func(t *testing.T) {
		theirs, err := Sign(ctx, s, contentDigest, Options{SigningTime: time.Now()})
		require.NoError(t, err)
		der, err := p.Finish(theirs)
		require.NoError(t, err)
		assert.Equal(t, theirs, der, "adopted as it is")
	})
	t.Run("full-cms-in-ber", func(t *testing.T) {
		theirs, err := Sign(ctx, s, contentDigest, Options{})
		require.NoError(t, err)
		ber := append(append([]byte{0x30, 0x80}, theirs[4:]...), 0, 0)
		der, err := p.Finish(ber)
		require.NoError(t, err)
		assert.Equal(t, theirs, der, "adopted, as DER")
	})
	t.Run("full-cms-over-our-digest", func(t *testing.T) {
		theirs, err := Sign(ctx, s, p.Digest(), Options{})
		require.NoError(t, err)
		_, err = p.Finish(theirs)
		assert.ErrorIs(t, err, ErrUnusableCMS)
	})
	t.Run("full-cms-other-certificate", func(t *testing.T) {
		other := pki.issue(t, leafECDSA, "Người Khác")
		theirs, err := Sign(ctx, other, contentDigest, Options{})
		require.NoError(t, err)
		_, err = p.Finish(theirs)
		assert.ErrorIs(t, err, ErrUnusableCMS)
	})
	t.Run("full-cms-broken-signature", func(t *testing.T) {
		theirs, err := Sign(ctx, s, contentDigest, Options{SigningTime: time.Now()})
		require.NoError(t, err)
		theirs[len(theirs)-5] ^= 1 // inside the signature value
		_, err = p.Finish(theirs)
		assert.ErrorIs(t, err, ErrSignatureInvalid)
	})
}

func TestVerifyOpenSSLSignedData(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	pki := newTestPKI(t)
	dir := t.TempDir()
	content := []byte("Báo cáo tài chính quý IV\n")
	contentPath := filepath.Join(dir, "content.bin")
	require.NoError(t, os.WriteFile(contentPath, content, 0o600))
	for _, tc := range []struct {
		name string
		kind leafKind
		args []string
		hash crypto.Hash
		ess  int
		pss  bool
	}{
		{"rsa-sha256", leafRSA, []string{"-md", "sha256"}, crypto.SHA256, 0, false},
		{"rsa-pss-cades", leafRSA, []string{"-md", "sha256", "-keyopt", "rsa_padding_mode:pss", "-cades"}, crypto.SHA256, 2, true},
		{"ecdsa-sha384-cades", leafECDSA, []string{"-md", "sha384", "-cades"}, crypto.SHA384, 2, false},
		{"ecdsa-sha512", leafECDSA, []string{"-md", "sha512"}, crypto.SHA512, 0, false},
		{"rsa-no-signed-attrs", leafRSA, []string{"-md", "sha256", "-noattr"}, crypto.SHA256, 0, false},
		{"rsa-sha1-legacy", leafRSA, []string{"-md", "sha1"}, crypto.SHA1, 0, false},
		{"ecdsa-streamed-ber", leafECDSA, []string{"-md", "sha256", "-stream"}, crypto.SHA256, 0, false},
		{"rsa-encapsulated-ber", leafRSA, []string{"-md", "sha256", "-stream", "-nodetach"}, crypto.SHA256, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, key := pki.issueWithKey(t, tc.kind, "Openssl Người Ký")
			keyDER, err := x509.MarshalPKCS8PrivateKey(key)
			require.NoError(t, err)
			keyPath := filepath.Join(dir, tc.name+".key")
			require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
			certPath := writePEM(t, dir, tc.name+".pem", s.Certificate())
			chainPath := writePEM(t, dir, "chain.pem", pki.root)
			sigPath := filepath.Join(dir, tc.name+".p7s")
			args := append([]string{"cms", "-sign", "-binary", "-nosmimecap", "-in", contentPath, "-signer", certPath,
				"-inkey", keyPath, "-certfile", chainPath, "-outform", "DER", "-out", sigPath}, tc.args...)
			out, err := exec.Command(openssl, args...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			der, err := os.ReadFile(sigPath)
			require.NoError(t, err)

			sd, err := Parse(der)
			require.NoError(t, err)
			assert.Equal(t, strings.Contains(tc.name, "ber"), sd.BER)
			if strings.Contains(tc.name, "encapsulated") {
				assert.Equal(t, content, sd.Content)
			}
			require.Len(t, sd.SignerInfos, 1)
			si := sd.SignerInfos[0]
			assert.Equal(t, tc.hash, si.Hash)
			assert.Equal(t, tc.ess, si.SigningCertificateVersion())
			opts, err := si.SignerOpts(s.Certificate().PublicKey)
			require.NoError(t, err)
			_, isPSS := opts.(*rsa.PSSOptions)
			assert.Equal(t, tc.pss, isPSS)
			cert, err := sd.SignerCertificate(si)
			require.NoError(t, err)
			assert.Equal(t, s.Certificate().Raw, cert.Raw)

			digest := hashBytes(tc.hash, content)
			require.NoError(t, sd.Verify(digest))
			assert.ErrorIs(t, sd.Verify(hashBytes(tc.hash, []byte("khác"))), map[bool]error{true: ErrSignatureInvalid, false: ErrHashMismatch}[si.RawSignedAttrs == nil])
		})
	}
}
