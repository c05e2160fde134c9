package cms

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

func TestTSAClientAcceptsGoodToken(t *testing.T) {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	tsa.user, tsa.pass = "kyso", "mật khẩu"
	digest := sha256.Sum256([]byte("dữ liệu"))
	before := time.Now().Add(-2 * time.Second)
	tok, err := tsa.client().Timestamp(context.Background(), digest[:], crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, digest[:], tok.HashedMessage)
	assert.Equal(t, crypto.SHA256, tok.HashAlgorithm)
	assert.True(t, testPolicy.Equal(tok.Policy))
	assert.Equal(t, 1500*time.Millisecond, tok.Accuracy)
	assert.WithinRange(t, tok.GenTime, before, time.Now().Add(time.Second))
	require.NotNil(t, tok.TSACertificate)
	assert.Equal(t, "Kyso Test TSA", tok.TSACertificate.Subject.CommonName)
	assert.NotNil(t, tok.SerialNumber)
	require.NoError(t, tok.VerifyDigest(digest[:]))

	// The stored token parses again and verifies on its own.
	again, err := ParseToken(tok.DER)
	require.NoError(t, err)
	require.NoError(t, again.VerifyData([]byte("dữ liệu")))
	assert.ErrorIs(t, again.VerifyData([]byte("khác")), ErrHashMismatch)

	// Requested policy must come back.
	c := tsa.client()
	c.Policy = []int{1, 2, 3, 4}
	tok, err = c.Timestamp(context.Background(), digest[:], crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "1.2.3.4", tok.Policy.String())

	// Wrong credentials: the HTTP error is reported.
	c.Password = "sai"
	_, err = c.Timestamp(context.Background(), digest[:], crypto.SHA256)
	assert.ErrorContains(t, err, "401")
}

func TestTSAClientRejectsBadResponses(t *testing.T) {
	pki := newTestPKI(t)
	digest := sha256.Sum256([]byte("x"))
	for _, tc := range []struct {
		name string
		kind leafKind
		mode tsaMode
		is   []error
	}{
		{"bad-nonce", leafTSA, tsaBadNonce, []error{ErrTimestamp}},
		{"no-nonce", leafTSA, tsaNoNonce, []error{ErrTimestamp}},
		{"wrong-imprint", leafTSA, tsaBadImprint, []error{ErrTimestamp, ErrHashMismatch}},
		{"rejection", leafTSA, tsaReject, []error{ErrTSARejected}},
		{"missing-eku", leafECDSA, tsaGood, []error{ErrTimestamp}},
		{"non-critical-eku", leafTSANonCritical, tsaGood, []error{ErrTimestamp}},
		{"oversized", leafTSA, tsaHuge, []error{ErrFormat}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tsa := newTestTSA(t, pki, tc.kind)
			tsa.mode.Store(int32(tc.mode))
			tok, err := tsa.client().Timestamp(context.Background(), digest[:], crypto.SHA256)
			require.Error(t, err)
			assert.Nil(t, tok)
			for _, want := range tc.is {
				assert.ErrorIs(t, err, want)
			}
			if tc.mode == tsaReject {
				var se *TSAStatusError
				require.True(t, errors.As(err, &se))
				assert.Equal(t, StatusRejection, se.Status)
				assert.Equal(t, []string{"badAlg"}, se.FailInfo)
				assert.Equal(t, []string{"thuật toán không hỗ trợ"}, se.Text)
			}
		})
	}
}

func TestTSAClientHonoursContext(t *testing.T) {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	digest := sha256.Sum256(nil)
	_, err := tsa.client().Timestamp(ctx, digest[:], crypto.SHA256)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestAddTimestamp(t *testing.T) {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	content := []byte("Công văn số 45/CV-STTTT")
	for _, kind := range []leafKind{leafRSA, leafECDSA} {
		s := pki.issue(t, kind, "Lê Văn Cường")
		digest := hashBytes(crypto.SHA256, content)
		der, err := Sign(context.Background(), s, digest, Options{})
		require.NoError(t, err)
		withTS, err := AddTimestamp(context.Background(), der, tsa.client())
		require.NoError(t, err)

		sd, err := Parse(withTS)
		require.NoError(t, err)
		si := sd.SignerInfos[0]
		require.Len(t, si.Timestamps, 1)
		require.NoError(t, sd.Verify(digest))
		assert.Equal(t, hashBytes(crypto.SHA256, si.Signature), si.Timestamps[0].HashedMessage)

		// The signed part is unchanged: the original SignerInfo's signed
		// attributes and signature are in the new encoding.
		orig, err := Parse(der)
		require.NoError(t, err)
		assert.Equal(t, orig.SignerInfos[0].RawSignedAttrs, si.RawSignedAttrs)
		assert.Equal(t, orig.SignerInfos[0].Signature, si.Signature)

		// A second time-stamp adds a second token.
		twice, err := AddTimestamp(context.Background(), withTS, tsa.client())
		require.NoError(t, err)
		sd2, err := Parse(twice)
		require.NoError(t, err)
		assert.Len(t, sd2.SignerInfos[0].Timestamps, 2)
		require.NoError(t, sd2.Verify(digest))

		// A token over another signature value is caught.
		otherDigest := hashBytes(crypto.SHA256, []byte("văn bản khác"))
		other, err := Sign(context.Background(), s, otherDigest, Options{})
		require.NoError(t, err)
		swapped := graftTimestamp(t, other, si.Timestamps[0].DER)
		sdx, err := Parse(swapped)
		require.NoError(t, err)
		err = sdx.Verify(otherDigest)
		assert.ErrorIs(t, err, ErrTimestamp)
		assert.ErrorIs(t, err, ErrHashMismatch)
		require.NoError(t, sdx.VerifySignerInfo(sdx.SignerInfos[0], otherDigest), "the signature itself is intact")
	}
}

// graftTimestamp puts token into der's SignerInfo as a signature time-stamp.
func graftTimestamp(t *testing.T, der, token []byte) []byte {
	var ci contentInfo
	var raw signedDataASN
	require.NoError(t, unmarshalExact(der, &ci))
	require.NoError(t, unmarshalExact(ci.Content.Bytes, &raw))
	u, err := encodeAttributes([]Attribute{{Type: OIDAttrTimestampToken, Values: []asn1.RawValue{{FullBytes: token}}}})
	require.NoError(t, err)
	raw.SignerInfos[0].UnsignedAttrs = asn1.RawValue{FullBytes: retag(u, 0xA1)}
	out, err := marshalContentInfo(raw)
	require.NoError(t, err)
	return out
}

func TestOpenSSLAcceptsTimestampedSignedData(t *testing.T) {
	content := []byte("Hợp đồng điện tử\n")
	openssl, pki, dir, contentPath, ca := opensslFixture(t, content, "content.bin")
	tsa := newTestTSA(t, pki, leafTSA)
	for _, tc := range []opensslCase{
		{"rsa-pkcs1", leafRSA, Options{}},
		{"rsa-pss", leafRSA, Options{PSS: true}},
		{"ecdsa", leafECDSA, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pki.issue(t, tc.kind, "Phạm Minh Đức")
			der, err := Sign(context.Background(), s, hashBytes(crypto.SHA256, content), tc.opts)
			require.NoError(t, err)
			der, err = AddTimestamp(context.Background(), der, tsa.client())
			require.NoError(t, err)
			sigPath := filepath.Join(dir, tc.name+".p7s")
			require.NoError(t, os.WriteFile(sigPath, der, 0o600))
			out, err := opensslCMSVerify(openssl, sigPath, contentPath, ca)
			require.NoError(t, err, "%s", out)

			// openssl ts -verify accepts the embedded token over the
			// signature value.
			sd, err := Parse(der)
			require.NoError(t, err)
			si := sd.SignerInfos[0]
			tokPath := filepath.Join(dir, tc.name+".tst")
			require.NoError(t, os.WriteFile(tokPath, si.Timestamps[0].DER, 0o600))
			out, err = exec.Command(openssl, "ts", "-verify", "-token_in", "-in", tokPath,
				"-digest", hex.EncodeToString(hashBytes(crypto.SHA256, si.Signature)), "-CAfile", ca).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "Verification: OK")
		})
	}
}

func TestEstimateSize(t *testing.T) {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	tsSize, err := tsa.client().TokenSize(context.Background())
	require.NoError(t, err)
	for _, kind := range []leafKind{leafRSA, leafECDSA} {
		s := pki.issue(t, kind, "Hoàng Thị Em")
		for _, withTS := range []bool{false, true} {
			for _, opts := range []Options{{}, {SigningTime: time.Now()}, {Hash: crypto.SHA512}, {Hash: crypto.SHA3_384}} {
				size := 0
				if withTS {
					size = tsSize
				}
				est, err := EstimateSize(s.Certificate(), s.Chain(), opts, size)
				require.NoError(t, err)
				for i := 0; i < 3; i++ {
					h := opts.Hash
					if h == 0 {
						h = crypto.SHA256
					}
					der, err := Sign(context.Background(), s, make([]byte, h.Size()), opts)
					require.NoError(t, err)
					if withTS {
						der, err = AddTimestamp(context.Background(), der, tsa.client())
						require.NoError(t, err)
					}
					assert.LessOrEqual(t, len(der), est)
					assert.Greater(t, len(der), est-100-size/8, "estimate far too large")
				}
			}
		}
	}
}

// TestTokenBindsTSACertificate: a token's ESS signing-certificate must name
// the certificate that verifies it, and its signed content-type must be
// id-ct-TSTInfo; a token signed for one TSA certificate but carrying
// another is refused.
func TestTokenBindsTSACertificate(t *testing.T) {
	pki := newTestPKI(t)
	tsaSigner := pki.issue(t, leafTSA, "Kyso Test TSA")
	otherTSA := pki.issue(t, leafTSA, "Kyso Other TSA")
	data := []byte("chữ ký")
	info, err := asn1.Marshal(tstInfoASN{
		Version:        1,
		Policy:         testPolicy,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: hashBytes(crypto.SHA256, data)},
		SerialNumber:   big.NewInt(7),
		GenTime:        time.Now().UTC().Truncate(time.Second),
	})
	require.NoError(t, err)
	token := func(essFor signer.Signer, ct asn1.ObjectIdentifier) []byte {
		p, err := Prepare(essFor.Certificate(), nil, nil, Options{ContentType: ct, Content: info})
		require.NoError(t, err)
		p.cert, p.contentType = tsaSigner.Certificate(), OIDTSTInfo
		sig, err := tsaSigner.SignDigest(context.Background(), p.Digest(), p.SignerOpts())
		require.NoError(t, err)
		der, err := p.Finish(sig)
		require.NoError(t, err)
		return der
	}

	good, err := ParseToken(token(tsaSigner, OIDTSTInfo))
	require.NoError(t, err)
	require.NoError(t, good.VerifyData(data))

	wrongESS, err := ParseToken(token(otherTSA, OIDTSTInfo))
	require.NoError(t, err)
	err = wrongESS.VerifyData(data)
	assert.ErrorIs(t, err, ErrTimestamp)
	assert.ErrorIs(t, err, ErrESSMismatch)

	wrongCT, err := ParseToken(token(tsaSigner, OIDData))
	require.NoError(t, err)
	err = wrongCT.VerifyData(data)
	assert.ErrorIs(t, err, ErrTimestamp)
	assert.ErrorIs(t, err, ErrFormat)
}

// TestTokenAccuracyOutOfRange: an accuracy that time.Duration cannot hold
// is a malformed token, not a wrapped-around (negative) accuracy.
func TestTokenAccuracyOutOfRange(t *testing.T) {
	pki := newTestPKI(t)
	tsaSigner := pki.issue(t, leafTSA, "Kyso Test TSA")
	for _, tc := range []struct {
		seconds int
		ok      bool
	}{{3600, true}, {1 << 40, false}, {int(^uint(0) >> 1), false}} {
		info, err := asn1.Marshal(tstInfoASN{
			Version:        1,
			Policy:         testPolicy,
			MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: make([]byte, 32)},
			SerialNumber:   big.NewInt(1),
			GenTime:        time.Now().UTC().Truncate(time.Second),
			Accuracy:       accuracyASN{Seconds: tc.seconds},
		})
		require.NoError(t, err)
		der, err := Sign(context.Background(), tsaSigner, nil, Options{ContentType: OIDTSTInfo, Content: info})
		require.NoError(t, err)
		tok, err := ParseToken(der)
		if tc.ok {
			require.NoError(t, err)
			assert.Equal(t, time.Duration(tc.seconds)*time.Second, tok.Accuracy)
			continue
		}
		assert.ErrorIs(t, err, ErrFormat, "accuracy %d s", tc.seconds)
	}
}

// TestTSAClientTimeout: a TSA that never answers does not hang the caller,
// even with an http.Client without a Timeout and a context without a
// deadline.
func TestTSAClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &TSAClient{URL: srv.URL, HTTPClient: &http.Client{}, Timeout: 200 * time.Millisecond}
	digest := sha256.Sum256(nil)
	done := make(chan error, 1)
	go func() {
		_, err := c.Timestamp(context.Background(), digest[:], crypto.SHA256)
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("Timestamp did not return: no timeout")
	}
}

// TestUnparsableTimestampKeepsSignature: unsigned attributes lie outside
// the signature (in a PDF, outside the ByteRange too), so anyone can put a
// broken or unsupported token there. It costs the time-stamp, not the
// signature: Parse succeeds, the token's error is reported, Verify fails
// with ErrTimestamp and VerifySignerInfo still passes.
func TestUnparsableTimestampKeepsSignature(t *testing.T) {
	pki := newTestPKI(t)
	tsaSigner := pki.issue(t, leafTSA, "Kyso Test TSA")
	s := pki.issue(t, leafECDSA, "Bùi Thị Xuân")
	digest := hashBytes(crypto.SHA256, []byte("văn bản"))
	der, err := Sign(context.Background(), s, digest, Options{})
	require.NoError(t, err)

	// A token whose imprint uses SHA-224, which this package does not
	// implement.
	info, err := asn1.Marshal(tstInfoASN{
		Version: 1, Policy: testPolicy, SerialNumber: big.NewInt(1), GenTime: time.Now().UTC().Truncate(time.Second),
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}}, HashedMessage: make([]byte, 28)},
	})
	require.NoError(t, err)
	sha224Token, err := Sign(context.Background(), tsaSigner, nil, Options{ContentType: OIDTSTInfo, Content: info})
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		token []byte
		is    error
	}{
		{"garbage", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, ErrFormat},
		{"sha-224-imprint", sha224Token, ErrUnsupportedAlgorithm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := Parse(graftTimestamp(t, der, tc.token))
			require.NoError(t, err)
			si := sd.SignerInfos[0]
			assert.Empty(t, si.Timestamps)
			require.Len(t, si.TimestampErrors, 1)
			assert.ErrorIs(t, si.TimestampErrors[0], tc.is)
			err = sd.Verify(digest)
			assert.ErrorIs(t, err, ErrTimestamp)
			assert.ErrorIs(t, err, tc.is)
			require.NoError(t, sd.VerifySignerInfo(si, digest))
		})
	}
}
