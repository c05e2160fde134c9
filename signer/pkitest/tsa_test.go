package pkitest

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"io"
	"math/big"
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
		{"sha3-256-imprint", nil, "-sha3-256"},
		{"rsa-sha3-512-imprint", []Option{CAOptions(RSAKey(2048)), TSAOptions(RSAKey(2048))}, "-sha3-512"},
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

// tsq builds a DER TimeStampReq.
func tsq(t *testing.T, h crypto.Hash, digest []byte, nonce int64, policy asn1.ObjectIdentifier) []byte {
	t.Helper()
	req := timeStampReq{Version: 1, CertReq: true, ReqPolicy: policy, MessageImprint: messageImprint{
		HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidByHash[h], Parameters: asn1.NullRawValue},
		HashedMessage: digest,
	}}
	if nonce != 0 {
		req.Nonce = big.NewInt(nonce)
	}
	der, err := asn1.Marshal(req)
	require.NoError(t, err)
	return der
}

// TestTSAResponseFields parses our replies with digitorus/timestamp, an
// independent RFC 3161 implementation (it also checks the token signature).
func TestTSAResponseFields(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 1, 2, 3, 0, time.UTC)
	p := New(t, WithClock(func() time.Time { return t0 }))
	sum := sha256.Sum256([]byte("hóa đơn điện tử"))
	body := postTSQ(t, p.TSAURL(), tsq(t, crypto.SHA256, sum[:], 987654321, OIDTSAPolicy))
	ts, err := timestamp.ParseResponse(body)
	require.NoError(t, err)
	assert.Equal(t, crypto.SHA256, ts.HashAlgorithm)
	assert.Equal(t, sum[:], ts.HashedMessage)
	assert.Equal(t, int64(987654321), ts.Nonce.Int64())
	assert.Equal(t, t0, ts.Time.UTC())
	assert.Equal(t, time.Second, ts.Accuracy)
	assert.True(t, ts.Policy.Equal(OIDTSAPolicy))
	assert.NotZero(t, ts.SerialNumber.Sign())
	require.NotEmpty(t, ts.Certificates)
	assert.Contains(t, ts.Certificates, p.TSA.Cert)

	// Signed attributes, read by digitorus/pkcs7: content type TSTInfo,
	// message digest, and ESS signing-certificate-v2 naming the TSA
	// certificate by SHA-256 hash and issuer/serial.
	p7, err := pkcs7.Parse(ts.RawToken)
	require.NoError(t, err)
	require.NoError(t, p7.VerifyWithChainAtTime(certPool(p.Root.Cert, p.CA.Cert), t0))
	var ct asn1.ObjectIdentifier
	require.NoError(t, p7.UnmarshalSignedAttribute(oidAttrContentType, &ct))
	assert.True(t, ct.Equal(oidTSTInfo))
	var ess signingCertificateV2
	require.NoError(t, p7.UnmarshalSignedAttribute(oidAttrSigningCertV, &ess))
	require.Len(t, ess.Certs, 1)
	certHash := sha256.Sum256(p.TSA.Cert.Raw)
	assert.Equal(t, certHash[:], ess.Certs[0].CertHash)
	assert.Equal(t, p.TSA.Cert.SerialNumber, ess.Certs[0].IssuerSerial.Serial)

	// The TSA certificate: the critical EKU id-kp-timeStamping only.
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, p.TSA.Cert.ExtKeyUsage)
	assert.Empty(t, p.TSA.Cert.UnknownExtKeyUsage)
	for _, e := range p.TSA.Cert.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			assert.True(t, e.Critical)
		}
	}
	require.NoError(t, verifyAtEKU(p, p.TSA.Cert, t0, x509.ExtKeyUsageTimeStamping))

	// Serial numbers differ between tokens; a request without nonce gets none.
	body2 := postTSQ(t, p.TSAURL(), tsq(t, crypto.SHA256, sum[:], 0, nil))
	ts2, err := timestamp.ParseResponse(body2)
	require.NoError(t, err)
	assert.Nil(t, ts2.Nonce)
	assert.NotEqual(t, ts.SerialNumber, ts2.SerialNumber)
}

func verifyAtEKU(p *PKI, cert *x509.Certificate, at time.Time, eku x509.ExtKeyUsage) error {
	_, err := cert.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: p.Intermediates(), CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{eku}})
	return err
}

// TestTSARejections: bad requests get a rejection with the right failInfo.
func TestTSARejections(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := New(t)
	sum := sha256.Sum256([]byte("x"))
	dir := t.TempDir()
	for _, tc := range []struct {
		name, failure string
		req           []byte
	}{
		{"policy", "unaccepted policy", tsq(t, crypto.SHA256, sum[:], 1, asn1.ObjectIdentifier{1, 2, 3})},
		{"imprint-length", "the data submitted has the wrong format", tsq(t, crypto.SHA512, sum[:], 1, nil)},
		{"garbage", "the data submitted has the wrong format", []byte("not a request")},
		{"hash", "unrecognized or unsupported algorithm", func() []byte {
			der, err := asn1.Marshal(timeStampReq{Version: 1, MessageImprint: messageImprint{
				HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}}, // MD5
				HashedMessage: make([]byte, 16)}})
			require.NoError(t, err)
			return der
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := postTSQ(t, p.TSAURL(), tc.req)
			_, err := timestamp.ParseResponse(body)
			assert.Error(t, err)
			f := writeFile(t, dir, tc.name+".tsr", body)
			text := runOpenSSL(t, openssl, "ts", "-reply", "-in", f, "-text")
			assert.Contains(t, text, "Status: Rejected.")
			assert.Contains(t, text, tc.failure)
		})
	}

	// Transport errors.
	resp, err := http.Get(p.TSAURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Post(p.TSAURL(), "application/octet-stream", bytes.NewReader(tsq(t, crypto.SHA256, sum[:], 1, nil)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
}

// TestTSAModes: each failure mode is caught by openssl ts -verify (or is a
// transport or status failure).
func TestTSAModes(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := New(t)
	dir := t.TempDir()
	data := writeFile(t, dir, "data.txt", []byte("dữ liệu"))
	query := filepath.Join(dir, "q.tsq")
	runOpenSSL(t, openssl, "ts", "-query", "-data", data, "-sha256", "-cert", "-out", query)
	req, err := os.ReadFile(query)
	require.NoError(t, err)
	chain := writeFile(t, dir, "chain.pem", PEM(p.CA.Cert, p.Root.Cert))

	for _, tc := range []struct {
		mode TSAMode
		want string
	}{
		{TSABadNonce, "nonce mismatch"},
		{TSAWrongImprint, "message imprint mismatch"},
		{TSABadSignature, "signature failure"},
	} {
		p.SetTSAMode(tc.mode)
		f := writeFile(t, dir, "r.tsr", postTSQ(t, p.TSAURL(), req))
		out, err := runCmd(openssl, "ts", "-verify", "-in", f, "-queryfile", query, "-CAfile", chain)
		assert.Error(t, err, "mode %d", tc.mode)
		assert.Contains(t, out, tc.want, "mode %d", tc.mode)
	}

	p.SetTSAMode(TSARejection)
	f := writeFile(t, dir, "r.tsr", postTSQ(t, p.TSAURL(), req))
	assert.Contains(t, runOpenSSL(t, openssl, "ts", "-reply", "-in", f, "-text"), "system failure")

	p.SetTSAMode(TSAMalformed)
	_, err = timestamp.ParseResponse(postTSQ(t, p.TSAURL(), req))
	assert.Error(t, err)

	p.SetTSAMode(TSAUnavailable)
	resp, err := http.Post(p.TSAURL(), "application/timestamp-query", bytes.NewReader(req))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	p.SetTSAMode(TSANormal)
	f = writeFile(t, dir, "r.tsr", postTSQ(t, p.TSAURL(), req))
	assert.Contains(t, runOpenSSL(t, openssl, "ts", "-verify", "-in", f, "-queryfile", query, "-CAfile", chain), "Verification: OK")
}

func certPool(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// TestTSATokenIsDER: the SET OF fields of a token are in DER order (sorted
// encodings). An RSA TSA certificate encodes larger than its ECDSA CA's, so
// a TSA-first certificate set would not be DER.
func TestTSATokenIsDER(t *testing.T) {
	p := New(t, TSAOptions(RSAKey(2048)))
	sum := sha256.Sum256([]byte("DER"))
	tok, err := p.Timestamp(crypto.SHA256, sum[:])
	require.NoError(t, err)
	var ci contentInfo
	_, err = asn1.Unmarshal(tok, &ci)
	require.NoError(t, err)
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		Content          asn1.RawValue
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
		SignerInfos      asn1.RawValue
	}
	rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd)
	require.NoError(t, err)
	require.Empty(t, rest)
	var si struct {
		Version     int
		SID         asn1.RawValue
		DigestAlg   asn1.RawValue
		SignedAttrs asn1.RawValue `asn1:"tag:0"`
		SigAlg      asn1.RawValue
		Signature   []byte
	}
	_, err = asn1.Unmarshal(sd.SignerInfos.Bytes, &si)
	require.NoError(t, err)
	for name, set := range map[string][]byte{
		"digestAlgorithms": sd.DigestAlgorithms.Bytes,
		"certificates":     sd.Certificates.Bytes,
		"signerInfos":      sd.SignerInfos.Bytes,
		"signedAttrs":      si.SignedAttrs.Bytes,
	} {
		var prev []byte
		n := 0
		for b := set; len(b) > 0; n++ {
			var v asn1.RawValue
			b, err = asn1.Unmarshal(b, &v)
			require.NoError(t, err)
			assert.LessOrEqual(t, bytes.Compare(prev, v.FullBytes), 0, "%s: element %d sorts before element %d", name, n, n-1)
			prev = v.FullBytes
		}
	}
	ts, err := timestamp.Parse(tok)
	require.NoError(t, err)
	assert.Len(t, ts.Certificates, 2)
}
