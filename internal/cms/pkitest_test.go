package cms

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// These tests run this package against signer/pkitest, an independent
// implementation of the test PKI and of an RFC 3161 TSA.

func TestPKITestTSATokensAccepted(t *testing.T) {
	p := pkitest.New(t)
	client := &TSAClient{URL: p.TSAURL(), HTTPClient: p.HTTPClient()}
	digest := hashBytes(crypto.SHA256, []byte("dấu thời gian"))
	tok, err := client.Timestamp(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, p.TSA.Cert.Raw, tok.TSACertificate.Raw)
	assert.True(t, pkitest.OIDTSAPolicy.Equal(tok.Policy))
	assert.False(t, tok.GenTime.IsZero())

	sha512 := &TSAClient{URL: p.TSAURL(), HTTPClient: p.HTTPClient(), Hash: crypto.SHA512}
	_, err = sha512.Timestamp(context.Background(), hashBytes(crypto.SHA512, []byte("x")), 0)
	require.NoError(t, err)

	sha3 := &TSAClient{URL: p.TSAURL(), HTTPClient: p.HTTPClient(), Hash: crypto.SHA3_256}
	tok, err = sha3.Timestamp(context.Background(), hashBytes(crypto.SHA3_256, []byte("x")), 0)
	require.NoError(t, err)
	assert.Equal(t, crypto.SHA3_256, tok.HashAlgorithm)
	direct, err := p.Timestamp(crypto.SHA3_512, hashBytes(crypto.SHA3_512, []byte("x")))
	require.NoError(t, err)
	tok, err = ParseToken(direct)
	require.NoError(t, err)
	require.NoError(t, tok.VerifyData([]byte("x")))
}

func TestPKITestTSAFailuresRejected(t *testing.T) {
	p := pkitest.New(t)
	client := &TSAClient{URL: p.TSAURL(), HTTPClient: p.HTTPClient()}
	digest := hashBytes(crypto.SHA256, []byte("x"))
	for _, tc := range []struct {
		name string
		mode pkitest.TSAMode
		is   error
	}{
		{"unavailable", pkitest.TSAUnavailable, nil},
		{"rejection", pkitest.TSARejection, ErrTSARejected},
		{"bad-nonce", pkitest.TSABadNonce, ErrTimestamp},
		{"wrong-imprint", pkitest.TSAWrongImprint, ErrHashMismatch},
		{"bad-signature", pkitest.TSABadSignature, ErrSignatureInvalid},
		{"malformed", pkitest.TSAMalformed, ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.SetTSAMode(tc.mode)
			defer p.SetTSAMode(pkitest.TSANormal)
			tok, err := client.Timestamp(context.Background(), digest, crypto.SHA256)
			require.Error(t, err)
			assert.Nil(t, tok)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			if tc.mode == pkitest.TSARejection {
				var se *TSAStatusError
				require.True(t, errors.As(err, &se))
				assert.Equal(t, []string{"systemFailure"}, se.FailInfo)
			}
		})
	}
}

func TestPKITestIdentitiesSignTimestampAndOpenSSLVerify(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := pkitest.New(t)
	client := &TSAClient{URL: p.TSAURL(), HTTPClient: p.HTTPClient()}
	dir := t.TempDir()
	content := []byte("Tờ trình số 7/TTr-UBND\n")
	contentPath := filepath.Join(dir, "content.bin")
	require.NoError(t, os.WriteFile(contentPath, content, 0o600))
	caPath := filepath.Join(dir, "root.pem")
	require.NoError(t, os.WriteFile(caPath, pkitest.PEM(p.Root.Cert), 0o600))
	for _, tc := range []struct {
		name string
		id   *pkitest.Identity
		opts Options
	}{
		{"ecdsa-p256", p.MustIssue(pkitest.Person("Nguyễn Thị Hồng", "001190012345")), Options{}},
		{"ecdsa-p384", p.MustIssue(pkitest.Person("Lý Văn Tài", "001190012346"), pkitest.ECDSAKey(elliptic.P384())), Options{Hash: crypto.SHA384}},
		{"rsa-pss", p.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0101234567"), pkitest.RSAKey(2048)), Options{PSS: true}},
		{"rsa-pkcs1", p.MustIssue(pkitest.Organization("Sở Tư pháp", "0101234568"), pkitest.RSAKey(2048)), Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.id.Signer()
			digest := optsDigest(tc.opts, content)
			der, err := Sign(context.Background(), s, digest, tc.opts)
			require.NoError(t, err)
			der, err = AddTimestamp(context.Background(), der, client)
			require.NoError(t, err)
			sd, err := Parse(der)
			require.NoError(t, err)
			require.NoError(t, sd.Verify(digest))
			require.Len(t, sd.SignerInfos[0].Timestamps, 1)

			sigPath := filepath.Join(dir, tc.name+".p7s")
			require.NoError(t, os.WriteFile(sigPath, der, 0o600))
			out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath,
				"-content", contentPath, "-CAfile", caPath, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
			require.NoError(t, err, "%s", out)
		})
	}
}
