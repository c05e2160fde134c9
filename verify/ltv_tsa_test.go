package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// opensslTSA is an independent RFC 3161 TSA: openssl ts -reply with a
// -chain holding only the TSA's issuing CA, so its tokens omit the root.
type opensslTSA struct {
	openssl, dir string
	mu           sync.Mutex
}

func startOpenSSLTSA(t *testing.T, unit *pkitest.Identity, issuing *x509.Certificate) *httptest.Server {
	t.Helper()
	ts := &opensslTSA{openssl: testutil.Tool(t, "openssl", "openssl"), dir: t.TempDir()}
	key, err := unit.KeyPEM()
	require.NoError(t, err)
	conf := `[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = ` + filepath.Join(ts.dir, "serial") + `
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`
	for name, b := range map[string][]byte{"tsa.pem": unit.CertPEM(), "tsakey.pem": key, "chain.pem": pkitest.PEM(issuing),
		"serial": []byte("01\n"), "tsa.cnf": []byte(conf)} {
		require.NoError(t, os.WriteFile(filepath.Join(ts.dir, name), b, 0o600))
	}
	srv := httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(srv.Close)
	return srv
}

func (ts *opensslTSA) serve(w http.ResponseWriter, r *http.Request) {
	q, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	qf, rf := filepath.Join(ts.dir, "q.tsq"), filepath.Join(ts.dir, "r.tsr")
	if err := os.WriteFile(qf, q, 0o600); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out, err := exec.Command(ts.openssl, "ts", "-reply", "-config", filepath.Join(ts.dir, "tsa.cnf"), "-queryfile", qf,
		"-signer", filepath.Join(ts.dir, "tsa.pem"), "-inkey", filepath.Join(ts.dir, "tsakey.pem"),
		"-chain", filepath.Join(ts.dir, "chain.pem"), "-out", rf).CombinedOutput()
	if err != nil {
		http.Error(w, string(out), http.StatusInternalServerError)
		return
	}
	resp, err := os.ReadFile(rf)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

// B-LTA with an independent TSA whose tokens carry the TSA certificate and
// its issuing CA but not the root (which the signer's chain holds; the
// issuing CA names no caIssuers URL): every TSA and signer chain is built
// from all certificates at hand, and the document verifies TOTAL_PASSED
// offline ten years later.
func TestPDFLTAIndependentTSAWithoutRoot(t *testing.T) {
	p := pkitest.New(t)
	tsaCA := p.MustNewCA(pkitest.NoCAIssuers())
	unit := p.MustIssue(pkitest.IssuedBy(tsaCA), pkitest.TimeStamping(), pkitest.RSAKey(2048))
	tsa := startOpenSSLTSA(t, unit, tsaCA.Cert)
	id := p.MustIssue()

	in := testutil.BuildPDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
	})
	var out bytes.Buffer
	err := pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), id.Signer(),
		&pdf.Options{Level: pdf.LevelBLTA, TimestampURL: tsa.URL, LTV: &pdf.LTVOptions{HTTPClient: p.HTTPClient()}})
	require.NoError(t, err)

	at := p.Now().AddDate(10, 0, 0)
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Time: at, Revocation: verify.RevocationOffline})
	require.NoError(t, err)
	rep, err := verify.NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()))
	require.NoError(t, err)
	require.Len(t, rep.Signatures, 2, rep.Text(verify.English))
	for _, s := range rep.Signatures {
		assert.Equal(t, verify.TotalPassed, s.Indication, "%s: %+v\n%s", s.ID, s.Findings, s.Text(verify.English))
	}
	sig := rep.Signatures[0]
	require.NotEmpty(t, sig.Timestamps)
	assert.True(t, sig.Timestamps[0].Valid, "%+v", sig.Timestamps[0])
	assert.Equal(t, verify.TimeFromTimestamp, sig.TimeSource)
}
