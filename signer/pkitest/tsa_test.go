package pkitest

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func postTSQ(t *testing.T, url string, tsq []byte) []byte {
	t.Helper()
	resp, err := http.Post(url, "application/timestamp-query", bytes.NewReader(tsq))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/timestamp-reply", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

func runOpenSSL(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	out, err := exec.Command(openssl, args...).CombinedOutput()
	require.NoError(t, err, "openssl %v:\n%s", args, out)
	return string(out)
}

// TestTSAOpenSSLVerify: openssl makes the query, our TSA answers over HTTP,
// openssl ts -verify accepts the reply against the query and the CA chain.
func TestTSAOpenSSLVerify(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	for _, tc := range []struct {
		name string
		opts []Option
		dgst string
	}{
		{"ecdsa-sha256", nil, "-sha256"},
		{"rsa-sha512", []Option{CAOptions(RSAKey(2048)), TSAOptions(RSAKey(2048))}, "-sha512"},
		{"p384-sha1-imprint", []Option{TSAOptions(ECDSAKey(elliptic.P384()))}, "-sha1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(t, tc.opts...)
			dir := t.TempDir()
			data := filepath.Join(dir, "data.txt")
			require.NoError(t, os.WriteFile(data, []byte("Văn bản cần đóng dấu thời gian\n"), 0o644))
			tsq := filepath.Join(dir, "req.tsq")
			runOpenSSL(t, openssl, "ts", "-query", "-data", data, tc.dgst, "-cert", "-out", tsq)
			req, err := os.ReadFile(tsq)
			require.NoError(t, err)
			tsr := filepath.Join(dir, "resp.tsr")
			require.NoError(t, os.WriteFile(tsr, postTSQ(t, p.TSAURL(), req), 0o644))
			chain := filepath.Join(dir, "chain.pem")
			require.NoError(t, os.WriteFile(chain, PEM(p.CA.Cert, p.Root.Cert), 0o644))
			out := runOpenSSL(t, openssl, "ts", "-verify", "-in", tsr, "-queryfile", tsq, "-CAfile", chain)
			assert.Contains(t, out, "Verification: OK")
			text := runOpenSSL(t, openssl, "ts", "-reply", "-in", tsr, "-text")
			assert.Contains(t, text, "Status: Granted.")
			assert.Contains(t, text, "Policy OID: 2.999.1.2")
			assert.Contains(t, text, "Accuracy: 0x01 seconds")
			assert.Contains(t, text, "Nonce: 0x")
		})
	}
}

// TestTSAOpenSSLVerifyDigest checks a token from PKI.Timestamp (no HTTP)
// with openssl ts -verify -digest, and that genTime follows the PKI clock.
func TestTSAOpenSSLVerifyDigest(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	t0 := time.Date(2026, 3, 15, 8, 30, 0, 0, time.UTC)
	p := New(t, WithClock(func() time.Time { return t0 }))
	sum := sha256.Sum256([]byte("chữ ký số"))
	token, err := p.Timestamp(crypto.SHA256, sum[:])
	require.NoError(t, err)
	dir := t.TempDir()
	tok := filepath.Join(dir, "token.der")
	require.NoError(t, os.WriteFile(tok, token, 0o644))
	chain := filepath.Join(dir, "chain.pem")
	require.NoError(t, os.WriteFile(chain, PEM(p.CA.Cert, p.Root.Cert), 0o644))
	out := runOpenSSL(t, openssl, "ts", "-verify", "-token_in", "-in", tok, "-digest", hexString(sum[:]), "-CAfile", chain)
	assert.Contains(t, out, "Verification: OK")
	text := runOpenSSL(t, openssl, "ts", "-reply", "-token_in", "-in", tok, "-text", "-token_out")
	assert.Contains(t, text, "Time stamp: Mar 15 08:30:00 2026 GMT")
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
