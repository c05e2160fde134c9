package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
)

// A wrong token PIN is an input error for sign as for the token commands
// (exit status 2, as documented); a token without a certificate and a
// directory given as --csr are named as such.
func TestTokenHostileArguments(t *testing.T) {
	_, tok, env := tokenEnv(t)
	dir := t.TempDir()
	pdfIn, err := sample.Path(sample.PDF)
	require.NoError(t, err)
	bad := append(env[:len(env):len(env)], "KYSO_BAD_PIN=000000")

	out := filepath.Join(dir, "out.pdf")
	r := kyso(t, bad, "", "sign", "pdf", pdfIn, out, "--pkcs11", tok.Module, "--token", tok.Label, "--pin-env", "KYSO_BAD_PIN", "--no-cert-check")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "PIN incorrect")
	assert.NoFileExists(t, out)
	r = kyso(t, bad, "", "token", "keygen", "--pkcs11", tok.Module, "--token", tok.Label, "--pin-env", "KYSO_BAD_PIN",
		"--subject", "CN=Test,C=VN", "--label", "t", "--csr", filepath.Join(dir, "k.csr"))
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "PIN incorrect")

	r = kyso(t, env, "", "token", "keygen", "--pkcs11", tok.Module, "--token", tok.Label, "--pin-env", "KYSO_TEST_PIN",
		"--subject", "CN=Test,C=VN", "--label", "t", "--csr", dir)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--csr "+dir+": is a directory")

	// A second, empty token in the same SoftHSM2 store.
	util := testutil.Tool(t, "softhsm2-util", "softhsm2-util")
	res, err := exec.Command(util, "--init-token", "--free", "--label", "empty", "--pin", "123456", "--so-pin", "12345678").CombinedOutput()
	require.NoError(t, err, string(res))
	// Listing its certificates needs the login: a wrong PIN there too.
	r = kyso(t, bad, "", "sign", "pdf", pdfIn, out, "--pkcs11", tok.Module, "--token", "empty",
		"--pin-env", "KYSO_BAD_PIN", "--no-cert-check")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "PIN incorrect")
	r = kyso(t, append(bad, "KYSO_EMPTY_PIN=123456"), "", "sign", "pdf", pdfIn, out, "--pkcs11", tok.Module, "--token", "empty",
		"--pin-env", "KYSO_EMPTY_PIN", "--no-cert-check")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "no end-entity certificate on the token")
	assert.NotContains(t, r.stderr, "0 end-entity")
	assert.NoFileExists(t, out)
	_, err = os.Stat(out)
	assert.True(t, os.IsNotExist(err))
}
