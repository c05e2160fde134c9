package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// TestSIMProfiles signs a PDF and an e-invoice through the MSSP simulator
// playing each profile, in synch and async mode, with the raw-signature
// and (PDF) the CMS format; kyso verify calls every file TOTAL_PASSED.
// The user's and the MSSP's refusals exit 1 with a Vietnamese and English
// message and leave no output; bad flag values exit 2.
func TestSIMProfiles(t *testing.T) {
	pki := pkitest.New(t)
	dir := t.TempDir()
	pdfIn, xmlIn := samples(t)
	rootPEM := filepath.Join(dir, "root.pem")
	require.NoError(t, os.WriteFile(rootPEM, pkitest.PEM(pki.Root.Cert), 0o644))
	env := []string{"KYSO_TEST_AP_PASS=ap-secret"}

	var outs []string
	for pi, p := range simpki.Profiles() {
		for _, cms := range []bool{false, true} {
			mssp := mssptest.New(t, mssptest.Config{APPassword: "ap-secret", Profile: p, CMSSignedAttributes: cms})
			id := pki.MustIssue(pkitest.RSAKey(2048), pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
			msisdn := fmt.Sprintf("0912%d0000%d", pi, map[bool]int{false: 0, true: 1}[cms])
			require.NoError(t, mssp.AddSubscriber(mssptest.Subscriber{MSISDN: msisdn, Key: id.Signer()}))
			base := []string{"--sim", msisdn, "--mssp", mssp.URL(), "--ap-id", mssp.APID(), "--ap-pass-env", "KYSO_TEST_AP_PASS", "--sim-profile", p.Name}
			format := "pkcs1"
			if cms {
				format = "cms"
			}
			for _, m := range []string{"synch", "async"} {
				name := fmt.Sprintf("%s-%s-%s", p.Name, m, format)
				out := filepath.Join(dir, name+".pdf")
				r := kyso(t, env, "", append([]string{"sign", "pdf", pdfIn, out, "--sim-mode", m, "--sim-format", format, "--display", "Công văn 42"}, base...)...)
				require.Equal(t, 0, r.code, "%s: %s", name, r.stderr)
				assert.Regexp(t, `mã xác minh \d{6}`, r.stderr)
				check.PDFSig(t, out, 1)
				outs = append(outs, out)
				xout := filepath.Join(dir, name+".xml")
				r = kyso(t, env, "", append([]string{"sign", "xml", xmlIn, xout, "--sim-mode", m, "--sim-format", format}, base...)...)
				if cms {
					// An XML signature cannot carry the MSSP's signed
					// attributes: a clear refusal, nothing written.
					assert.Equal(t, 1, r.code, r.stderr)
					assert.Contains(t, r.stderr, "không đưa được vào chữ ký XML")
					assert.Contains(t, r.stderr, "an XML signature cannot carry")
					assert.NoFileExists(t, xout)
					continue
				}
				require.Equal(t, 0, r.code, "%s: %s", name, r.stderr)
				outs = append(outs, xout)
			}
			if cms && p.Name == "etsi" {
				// The MSSP's CMS gets the signature time-stamp (B-T).
				out := filepath.Join(dir, "etsi-cms-bt.pdf")
				r := kyso(t, env, "", append([]string{"sign", "pdf", pdfIn, out, "--sim-format", "cms", "--tsa", pki.TSAURL()}, base...)...)
				require.Equal(t, 0, r.code, r.stderr)
				assert.Contains(t, r.stdout, "PAdES B-T")
				outs = append(outs, out)
			}
			// What went over the wire: the profile's form and endpoints.
			for _, q := range mssp.Requests() {
				assert.Equal(t, p.RPC, q.RPC, q.Operation)
				assert.Equal(t, p.SOAP11, q.SOAP11, q.Operation)
				if q.Operation == "MSS_SignatureReq" {
					assert.Equal(t, p.DigestInfo, q.DigestInfo)
				}
			}
		}
	}
	r := kyso(t, nil, "", append([]string{"verify", "--json", "--trust", rootPEM}, outs...)...)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	v := parseVerifyJSON(t, r)
	require.Len(t, v.Files, len(outs))
	for _, f := range v.Files {
		assert.Equal(t, "TOTAL_PASSED", f.Indication, f.File)
	}

	// Refusals: exit 1, a message in both languages, no output.
	for pi, p := range simpki.Profiles() {
		mssp := mssptest.New(t, mssptest.Config{Profile: p})
		id := pki.MustIssue(pkitest.RSAKey(2048))
		for i, tc := range []struct {
			step     mssptest.Step
			vi, en   string
			extra    []string
			xmlToo   bool
			onlyOnce bool
		}{
			{mssptest.Step{Outcome: mssptest.Cancel, Delay: 20 * time.Millisecond}, "người ký đã từ chối", "the signer declined", nil, true, false},
			{mssptest.Step{Outcome: mssptest.Expire, Delay: 50 * time.Millisecond}, "hết thời gian chờ người ký", "the request expired", nil, true, false},
			{mssptest.Step{Outcome: mssptest.WrongPIN, Delay: 5 * time.Millisecond}, "mã PIN ký số trên SIM đã bị khóa", "PIN is blocked", nil, true, false},
			{mssptest.Step{Outcome: mssptest.Approve, Delay: time.Minute}, "thời gian chờ", "in time", []string{"--sim-timeout", "1s"}, false, true},
		} {
			if tc.onlyOnce && pi > 0 {
				continue // 3 s each: one profile shows it
			}
			msisdn := fmt.Sprintf("0388%d0000%d", pi, i)
			require.NoError(t, mssp.AddSubscriber(mssptest.Subscriber{MSISDN: msisdn, Key: id.Signer(), Script: []mssptest.Step{tc.step}}))
			args := append([]string{"--sim", msisdn, "--mssp", mssp.URL(), "--sim-profile", p.Name, "--mssp-id", mssp.MSSPID()}, tc.extra...)
			out := filepath.Join(dir, fmt.Sprintf("no-%d-%d.pdf", pi, i))
			r := kyso(t, nil, "", append([]string{"sign", "pdf", pdfIn, out}, args...)...)
			assert.Equal(t, 1, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.vi)
			assert.Contains(t, r.stderr, tc.en)
			assert.NoFileExists(t, out)
			if tc.xmlToo {
				xout := filepath.Join(dir, fmt.Sprintf("no-%d-%d.xml", pi, i))
				r = kyso(t, nil, "", append([]string{"sign", "xml", xmlIn, xout}, args...)...)
				assert.Equal(t, 1, r.code, r.stderr)
				assert.Contains(t, r.stderr, tc.vi)
				assert.NoFileExists(t, xout)
			}
		}
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, matches, "no temporary files left")
	hidden, err := filepath.Glob(filepath.Join(dir, ".*"))
	require.NoError(t, err)
	assert.Empty(t, hidden, "no temporary files left")

	// --mssp-status / --mssp-receipt name the endpoints explicitly: the
	// Government CA's simulator serves MSS_StatusQuery only at its port.
	vg := mssptest.New(t, mssptest.Config{Profile: simpki.ProfileVGCA()})
	vid := pki.MustIssue(pkitest.RSAKey(2048))
	require.NoError(t, vg.AddSubscriber(mssptest.Subscriber{MSISDN: "0977000001", Key: vid.Signer()}))
	for _, tc := range []struct {
		status string
		code   int
	}{{vg.URL(), 1}, {vg.URLFor(simpki.OpStatus), 0}} {
		out := filepath.Join(dir, fmt.Sprintf("vg-%d.pdf", tc.code))
		r := kyso(t, nil, "", "sign", "pdf", pdfIn, out, "--sim", "0977000001", "--mssp", vg.URL(), "--sim-profile", "vgca",
			"--mssp-status", tc.status, "--mssp-receipt", vg.URLFor(simpki.OpReceipt))
		assert.Equal(t, tc.code, r.code, r.stderr)
		if tc.code == 1 {
			assert.Contains(t, r.stderr, "MSSP từ chối yêu cầu")
			assert.NoFileExists(t, out)
		} else {
			check.PDFSig(t, out, 1)
		}
	}

	// Bad flag values: usage errors.
	for _, bad := range [][]string{{"--sim-mode", "notify"}, {"--sim-profile", "viettel"}, {"--sim-format", "xades"}} {
		r := kyso(t, nil, "", append([]string{"sign", "pdf", pdfIn, filepath.Join(dir, "u.pdf"), "--sim", "0912345678", "--mssp", "http://127.0.0.1:1/"}, bad...)...)
		assert.Equal(t, 2, r.code, r.stderr)
		assert.Contains(t, r.stderr, strings.TrimPrefix(bad[0], "--"))
	}
}

// "kyso pki serve --sim-profile vgca" plays the Government CA's MSSP (an
// RSA SIM key for its DigestInfo form); "kyso sign --sim-profile vgca"
// signs through it and the result verifies online through the served PKI.
func TestServeSIMProfile(t *testing.T) {
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	r := kyso(t, nil, "", "pki", "init", pkiDir)
	require.Equal(t, 0, r.code, r.stderr)
	srv := servePKIArgs(t, pkiDir, "--sim", "0987 654 321", "--sim-delay", "100ms", "--sim-profile", "vgca")
	m := srv.waitFor(t, regexp.MustCompile(`--mssp (http://127\.0\.0\.1:\d+/\S+) --sim-profile vgca`))
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "vgca.pdf")
	r = kyso(t, nil, "", "sign", "pdf", pdfIn, out, "--sim", "0987654321", "--mssp", m[1], "--sim-profile", "vgca", "--sim-mode", "synch")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, m[1], "/MSS_SignaturePort")
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "verify", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), out, "--json")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	r = kyso(t, nil, "", "pki", "serve", pkiDir, "--sim-profile", "viettel")
	assert.Equal(t, 2, r.code, r.stderr)
	srv.stop(t)
}
