package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// kyso sign refuses (exit 3, bilingual reason, no output file) a
// certificate that is expired, not yet valid, revoked (OCSP or CRL) or not
// for signing; signs with a warning when the status cannot be determined
// and with --no-cert-check.
func TestSignCertificateCheck(t *testing.T) {
	p := pkitest.New(t)
	dir := t.TempDir()
	pdfIn, xmlIn := samples(t)
	write := func(name string, id *pkitest.Identity) string {
		b, err := id.PKCS12("pw")
		require.NoError(t, err)
		path := filepath.Join(dir, name+".p12")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	env := []string{"KYSO_P12_PASS=pw"}
	revOCSP := p.MustIssue()
	p.MustRevoke(revOCSP.Cert, p.Now().Add(-time.Hour), 1)
	revCRL := p.MustIssue()
	p.MustRevoke(revCRL.Cert, p.Now().Add(-time.Hour), 1)
	cases := []struct {
		name   string
		id     *pkitest.Identity
		ocsp   pkitest.OCSPMode
		vi, en string
	}{
		{"expired", p.MustIssue(pkitest.Expired()), pkitest.OCSPNormal, "hết hạn", "expired"},
		{"notyet", p.MustIssue(pkitest.NotYetValid()), pkitest.OCSPNormal, "chưa có hiệu lực", "not yet valid"},
		{"revoked-ocsp", revOCSP, pkitest.OCSPNormal, "bị thu hồi", "revoked"},
		{"revoked-crl", revCRL, pkitest.OCSPUnavailable, "bị thu hồi", "revoked"},
		{"keyusage", p.MustIssue(pkitest.WrongKeyUsage()), pkitest.OCSPNormal, "không dùng để ký", "not for signing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p.SetOCSPMode(c.ocsp)
			defer p.SetOCSPMode(pkitest.OCSPNormal)
			p12 := write(c.name, c.id)
			for _, f := range []struct{ format, in, ext string }{{"pdf", pdfIn, "pdf"}, {"xml", xmlIn, "xml"}, {"file", pdfIn, "p7s"}} {
				out := filepath.Join(dir, c.name+"."+f.ext)
				r := kyso(t, env, "", "sign", f.format, f.in, out, "--p12", p12, "--pass-env", "KYSO_P12_PASS")
				assert.Equal(t, 3, r.code, "%s %s: %s", c.name, f.format, r.stderr)
				assert.Contains(t, r.stderr, c.vi)
				assert.Contains(t, r.stderr, c.en)
				_, err := os.Stat(out)
				assert.True(t, os.IsNotExist(err), "%s: output written", out)
				left, _ := filepath.Glob(filepath.Join(dir, "."+c.name+"*"))
				assert.Empty(t, left, "temporary files left")

				r = kyso(t, env, "", "sign", f.format, f.in, out, "--p12", p12, "--pass-env", "KYSO_P12_PASS", "--no-cert-check")
				require.Equal(t, 0, r.code, r.stderr)
				assert.Contains(t, r.stderr, "Chưa kiểm tra chứng thư số")
				assert.Contains(t, r.stderr, "not checked")
				_, err = os.Stat(out)
				assert.NoError(t, err)
			}
			// A batch (--out-dir) is refused the same way, nothing written.
			batch := t.TempDir()
			r := kyso(t, env, "", "sign", "pdf", pdfIn, "--out-dir", batch, "--p12", p12, "--pass-env", "KYSO_P12_PASS")
			assert.Equal(t, 3, r.code, "%s batch: %s", c.name, r.stderr)
			entries, err := os.ReadDir(batch)
			require.NoError(t, err)
			assert.Empty(t, entries)
		})
	}

	// A good certificate signs without a warning; an unreachable responder
	// and CRL server give a warning and a signed file.
	good := write("good", p.MustIssue())
	out := filepath.Join(dir, "good.pdf")
	r := kyso(t, env, "", "sign", "pdf", pdfIn, out, "--p12", good, "--pass-env", "KYSO_P12_PASS")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "Cảnh báo")
	// --cert-check-offline: validity and key usage only, and a warning.
	r = kyso(t, env, "", "sign", "pdf", pdfIn, filepath.Join(dir, "offline.pdf"), "--p12", good, "--pass-env", "KYSO_P12_PASS", "--cert-check-offline")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "không có dữ liệu thu hồi dùng được")
	r = kyso(t, env, "", "sign", "pdf", pdfIn, filepath.Join(dir, "offline-expired.pdf"), "--p12", write("expired2", p.MustIssue(pkitest.Expired())), "--pass-env", "KYSO_P12_PASS", "--cert-check-offline")
	assert.Equal(t, 3, r.code, r.stderr)

	p.SetOCSPMode(pkitest.OCSPUnavailable)
	p.SetCRLMode(pkitest.CRLUnavailable)
	defer p.SetOCSPMode(pkitest.OCSPNormal)
	defer p.SetCRLMode(pkitest.CRLNormal)
	out = filepath.Join(dir, "unreachable.xml")
	r = kyso(t, env, "", "sign", "xml", xmlIn, out, "--p12", good, "--pass-env", "KYSO_P12_PASS")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stderr, "không xác định được trạng thái")
	assert.Contains(t, r.stderr, "could not be determined")
	_, err := os.Stat(out)
	assert.NoError(t, err)
}

// The CLI reads a PKCS#12 whose certificate has a negative serial number
// (//go:debug x509negativeserial=1) and signs with it.
func TestSignNegativeSerialP12(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.NegativeSerial())
	b, err := id.PKCS12("pw")
	require.NoError(t, err)
	dir := t.TempDir()
	p12 := filepath.Join(dir, "neg.p12")
	require.NoError(t, os.WriteFile(p12, b, 0o600))
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "neg.pdf")
	r := kyso(t, []string{"KYSO_P12_PASS=pw"}, "", "sign", "pdf", pdfIn, out, "--p12", p12, "--pass-env", "KYSO_P12_PASS")
	require.Equal(t, 0, r.code, r.stderr)
	require.FileExists(t, out)
}
