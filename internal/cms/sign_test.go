package cms

import (
	"context"
	"crypto"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// optsDigest is content's digest with the hash opts names (SHA-256 when
// unset, as Sign defaults).
func optsDigest(opts Options, content []byte) []byte {
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	return hashBytes(h, content)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	pki := newTestPKI(t)
	content := []byte("Cộng hòa Xã hội Chủ nghĩa Việt Nam — văn bản thử nghiệm")
	for _, tc := range []struct {
		name string
		kind leafKind
		opts Options
	}{
		{"rsa-pkcs1-sha256", leafRSA, Options{}},
		{"rsa-pkcs1-sha512", leafRSA, Options{Hash: crypto.SHA512}},
		{"rsa-pss-sha256", leafRSA, Options{PSS: true}},
		{"rsa-pss-sha384", leafRSA, Options{PSS: true, Hash: crypto.SHA384}},
		{"ecdsa-sha256", leafECDSA, Options{}},
		{"ecdsa-sha384-signing-time", leafECDSA, Options{Hash: crypto.SHA384, SigningTime: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pki.issue(t, tc.kind, "Nguyễn Văn An")
			digest := optsDigest(tc.opts, content)
			der, err := Sign(context.Background(), s, digest, tc.opts)
			require.NoError(t, err)

			sd, err := Parse(der)
			require.NoError(t, err)
			require.NoError(t, sd.Verify(digest))
			require.Len(t, sd.SignerInfos, 1)
			si := sd.SignerInfos[0]
			assert.Equal(t, 2, si.SigningCertificateVersion())
			assert.Nil(t, sd.Content)
			assert.Len(t, sd.Certificates, 2)
			st, ok, err := si.SigningTime()
			require.NoError(t, err)
			assert.Equal(t, !tc.opts.SigningTime.IsZero(), ok)
			if ok {
				assert.True(t, st.Equal(tc.opts.SigningTime))
			}

			bad := append([]byte(nil), digest...)
			bad[0] ^= 1
			assert.ErrorIs(t, sd.Verify(bad), ErrHashMismatch)
		})
	}
}

func TestOpenSSLVerifiesOurSignedData(t *testing.T) {
	content := []byte("Quyết định số 123/QĐ-UBND\n")
	openssl, pki, dir, contentPath, ca := opensslFixture(t, content, "content.txt")
	for _, tc := range []opensslCase{
		{"rsa-pkcs1", leafRSA, Options{}},
		{"rsa-pss", leafRSA, Options{PSS: true}},
		{"ecdsa", leafECDSA, Options{Hash: crypto.SHA384}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pki.issue(t, tc.kind, "Trần Thị Bình")
			der, err := Sign(context.Background(), s, optsDigest(tc.opts, content), tc.opts)
			require.NoError(t, err)
			opensslVerifies(t, openssl, filepath.Join(dir, tc.name+".p7s"), der, content, contentPath, ca)
		})
	}
}

// opensslCase is a signer key kind with the signing options to test.
type opensslCase struct {
	name string
	kind leafKind
	opts Options
}

// opensslFixture finds openssl, makes a test PKI and a directory holding
// content (as file name) and the root certificate (ca.pem); it returns
// openssl's path, the PKI, the directory and the two files' paths.
func opensslFixture(t *testing.T, content []byte, name string) (openssl string, pki *testPKI, dir, contentPath, ca string) {
	t.Helper()
	openssl = testutil.Tool(t, "openssl", "openssl")
	pki = newTestPKI(t)
	dir = t.TempDir()
	contentPath = filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(contentPath, content, 0o600))
	ca = writePEM(t, dir, "ca.pem", pki.root)
	return openssl, pki, dir, contentPath, ca
}

// opensslVerifies writes the detached SignedData der to sig and checks
// that openssl cms -verify accepts it over content (at contentPath) with
// the root ca, and rejects it over a changed content.
func opensslVerifies(t *testing.T, openssl, sig string, der, content []byte, contentPath, ca string) {
	t.Helper()
	require.NoError(t, os.WriteFile(sig, der, 0o600))
	out, err := opensslCMSVerify(openssl, sig, contentPath, ca)
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Verification successful")

	// A changed content must fail in openssl as well.
	other := filepath.Join(filepath.Dir(sig), "other.txt")
	require.NoError(t, os.WriteFile(other, append(content, '!'), 0o600))
	out, err = opensslCMSVerify(openssl, sig, other, ca)
	assert.Error(t, err, "%s", out)
}

// opensslCMSVerify runs openssl cms -verify on the detached DER SignedData
// sig over the file content, trusting the root ca.
func opensslCMSVerify(openssl, sig, content, ca string) ([]byte, error) {
	return exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sig,
		"-content", content, "-CAfile", ca, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
}

var _ = sha256.Sum256
