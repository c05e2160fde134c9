package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// One SoftHSM token for the whole test binary (SoftHSM reads its
// configuration once per process).
func TestToken(t *testing.T) {
	pki := pkitest.New(t)
	tok := softhsm.New(t, pki.MustIssue(pkitest.Person("Võ Thị Sáu", "052199001234")))
	root := filepath.Join(t.TempDir(), "root.pem")
	require.NoError(t, os.WriteFile(root, pkitest.PEM(pki.Root.Cert), 0o644))
	ctx := testutil.Context(t, time.Minute)

	t.Run("list", func(t *testing.T) {
		var out bytes.Buffer
		_, err := run(ctx, &out, config{Module: tok.Module, List: true})
		require.NoError(t, err)
		assert.Contains(t, out.String(), `token "Kyso Token", serial `+tok.Serial)
		assert.Contains(t, out.String(), "Võ Thị Sáu")
		assert.Contains(t, out.String(), "Kyso Test CA G1")
	})

	t.Run("sign", func(t *testing.T) {
		t.Setenv("KYSO_TEST_PIN", tok.PIN)
		var out bytes.Buffer
		dst := filepath.Join(t.TempDir(), "signed.pdf")
		res, err := run(ctx, &out, config{Module: tok.Module, Serial: tok.Serial, PINEnv: "KYSO_TEST_PIN",
			Out: dst, TSA: pki.TSAURL(), Trust: root})
		require.NoError(t, err, out.String())
		require.NotNil(t, res.Report)
		require.Len(t, res.Report.Signatures, 1)
		s := res.Report.Signatures[0]
		assert.Equal(t, verify.TotalPassed, s.Indication)
		assert.Equal(t, "Võ Thị Sáu", s.Signer.Name)
		assert.Equal(t, verify.TimeFromTimestamp, s.TimeSource)
		check.PDFSig(t, dst, 1)
	})

	t.Run("choose by thumbprint, PIN on stdin", func(t *testing.T) {
		var out bytes.Buffer
		dst := filepath.Join(t.TempDir(), "signed.pdf")
		thumb := strings.ToUpper(verify.Fingerprint(tok.Identity.Cert))
		_, err := run(ctx, &out, config{Module: tok.Module, Label: softhsm.Label, Cert: thumb, PINEnv: "KYSO_UNSET_PIN_VAR",
			Out: dst, Stdin: strings.NewReader(tok.PIN + "\n")})
		require.NoError(t, err, out.String())
		assert.Contains(t, out.String(), "PIN for")
		check.PDFSig(t, dst, 1)
	})

	t.Run("wrong PIN", func(t *testing.T) {
		_, err := run(ctx, &bytes.Buffer{}, config{Module: tok.Module, Label: softhsm.Label, PINEnv: "KYSO_UNSET_PIN_VAR",
			Out: filepath.Join(t.TempDir(), "x.pdf"), Stdin: strings.NewReader("000000\n")})
		require.Error(t, err)
		assert.True(t, errors.Is(err, pkcs11.ErrPINIncorrect), err)
		assert.True(t, errors.Is(err, signer.ErrWrongPassword), err)
	})

	t.Run("unknown token", func(t *testing.T) {
		_, err := run(ctx, &bytes.Buffer{}, config{Module: tok.Module, Label: "no such token"})
		assert.ErrorIs(t, err, pkcs11.ErrTokenNotFound)
	})
}

// Without -module the example makes its own SoftHSM2 token. SoftHSM reads
// its configuration once per process, so this runs in a child process.
func TestDemo(t *testing.T) {
	if os.Getenv("KYSO_TOKEN_DEMO_CHILD") == "1" {
		ctx := testutil.Context(t, time.Minute)
		var out bytes.Buffer
		res, err := demo(ctx, &out, config{PINEnv: "KYSO_UNSET_PIN_VAR"})
		require.NoError(t, err, out.String())
		require.NotNil(t, res.Report)
		require.Len(t, res.Report.Signatures, 1)
		assert.Equal(t, verify.TotalPassed, res.Report.Signatures[0].Indication)
		assert.Equal(t, verify.TimeFromTimestamp, res.Report.Signatures[0].TimeSource)
		assert.Contains(t, out.String(), `No -module given: made a throwaway SoftHSM2 token "Kyso Token"`)
		assert.Contains(t, out.String(), "Võ Thị Sáu, issued by Kyso Test CA G1")
		check.PDFSig(t, res.Out, 1)
		return
	}
	testutil.Tool(t, "softhsm2-util", "softhsm2")
	testutil.Tool(t, "pkcs11-tool", "opensc")
	softhsm.Module(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDemo$", "-test.v")
	cmd.Env = append(os.Environ(), "KYSO_TOKEN_DEMO_CHILD=1", "KYSO_PKCS11_MODULE=", "SOFTHSM2_CONF=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestDemo")
}
