package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// flowKey runs "kyso pki init" in dir and returns the PKI's directory, the
// environment holding the signer's PKCS#12 password and the flags that
// sign quietly with it.
func flowKey(t *testing.T, dir string) (pkiDir string, env, key []string) {
	t.Helper()
	pkiDir, pass := initPKI(t, dir)
	return pkiDir, []string{"KYSO_TEST_P12_PASS=" + pass}, []string{"--p12", filepath.Join(pkiDir, pkitest.FileSigner), "--pass-env", "KYSO_TEST_P12_PASS", "--quiet"}
}

// TestFlows runs the e-office flows from the command line on the sample
// letter: initials, the director's approval placed under "GIAM DOC", the
// clerk's issuing (number, date, seal over the director's signature), the
// incoming stamp and a certified copy; then an appendix. Every signature
// verifies with pdfsig and kyso verify; what the flows wrote reads back.
func TestFlows(t *testing.T) {
	dir := t.TempDir()
	pkiDir, env, key := flowKey(t, dir)
	in := testutil.SamplePath(t, sample.PDF)
	seal := sealPNG(t)

	steps := []struct {
		name string
		args []string
	}{
		{"initials", []string{"--flow", "initials"}},
		{"approve", []string{"--flow", "approve", "--anchor", "giam doc", "--field", "GiamDoc", "--signature-image", seal}},
		{"issue", []string{"--flow", "issue", "--over", "GiamDoc", "--seal", seal, "--number", "43/STTTT-VP",
			"--number-anchor", "CONG VAN", "--date-anchor", "dien tu", "--date", "(phát hành 03/12/2026)"}},
		{"incoming", []string{"--flow", "incoming", "--number", "1234", "--agency", "SỞ NỘI VỤ", "--transfer", "Văn phòng", "--visible", "1:72,560,190,70"}},
		{"copy", []string{"--flow", "copy", "--agency", "SỞ NỘI VỤ TỈNH ĐỒNG NAI", "--number", "27/SY-SNV", "--place", "Đồng Nai", "--seal", seal}},
	}
	cur := in
	for i, s := range steps {
		out := filepath.Join(dir, s.name+".pdf")
		r := kyso(t, env, "", append(append([]string{"sign", "pdf", cur, out}, key...), s.args...)...)
		require.Equal(t, 0, r.code, "%s: %s", s.name, r.stderr)
		assert.Equal(t, i+1, pdfsigFields(t, out), s.name)
		cur = out
	}
	r := kyso(t, nil, "", "verify", "--trust", filepath.Join(pkiDir, pkitest.FileRoot), "--offline", cur)
	assert.NotContains(t, r.stdout, "TOTAL_FAILED", r.stdout)
	text, err := exec.Command(testutil.Tool(t, "pdftotext", "poppler-utils"), cur, "-").Output()
	require.NoError(t, err)
	flat := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"43/STTTT-VP", "(phát hành 03/12/2026)", "ĐẾN Số: 1234", "SAO Y", "Số: 27/SY-SNV"} {
		assert.Contains(t, flat, want)
	}

	appendix := filepath.Join(dir, "appendix.pdf")
	r = kyso(t, env, "", append(append([]string{"sign", "pdf", in, appendix}, key...), "--flow", "appendix", "--number", "43/STTTT-VP", "--agency", "Sở TT&TT Đồng Nai")...)
	require.Equal(t, 0, r.code, r.stderr)
	check.PDFSig(t, appendix, 1)

	// Misuse is a usage error (exit 2) naming what is missing, with no
	// output written.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--flow", "approve"}, "--anchor"},
		{[]string{"--flow", "approve", "--anchor", "NOT ON THE PAGE"}, "anchor text not found"},
		{[]string{"--flow", "issue", "--number", "1"}, "--seal"},
		{[]string{"--flow", "issue", "--number", "1", "--seal", seal}, "--over FIELD"},
		{[]string{"--flow", "wave"}, "want approve, issue"},
		{[]string{"--flow", "initials", "--pages", "x"}, "--pages"},
	} {
		out := filepath.Join(dir, "bad.pdf")
		r := kyso(t, env, "", append(append([]string{"sign", "pdf", in, out}, key...), c.args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", c.args, r.stderr)
		assert.Contains(t, r.stderr, c.want)
		_, err := os.Stat(out)
		assert.True(t, os.IsNotExist(err), "no output for %v", c.args)
	}
}

// pdfsigFields counts the signature fields pdfsig lists — it lists a
// signature once per widget — and requires every entry to be valid.
func pdfsigFields(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command(testutil.Tool(t, "pdfsig", "poppler-utils"), "-nocert", path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`Signature Field Name: (\S+)`).FindAllStringSubmatch(string(out), -1) {
		names[m[1]] = true
	}
	require.Equal(t, strings.Count(string(out), "Signature Field Name"), strings.Count(string(out), "Signature Validation: Signature is Valid."), "%s", out)
	return len(names)
}
