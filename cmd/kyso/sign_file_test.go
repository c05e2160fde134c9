package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// "kyso sign file" and "kyso verify" of .p7s files, end to end through the
// binary and a served test PKI; openssl cms -verify checks the outputs.
func TestSignFileCAdES(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	pkiDir, pass := initPKI(t, dir)
	env := []string{"KYSO_TEST_PASS=" + pass}
	p12 := filepath.Join(pkiDir, pkitest.FileSigner)
	root := filepath.Join(pkiDir, pkitest.FileRoot)
	key := []string{"--p12", p12, "--pass-env", "KYSO_TEST_PASS"}
	srv := servePKI(t, pkiDir)
	tsa := srv.base + "/tsa"
	envProxy := append(env, "HTTP_PROXY="+srv.base)

	in := filepath.Join(dir, "ban-ve.dwg")
	data := bytes.Repeat([]byte("bản vẽ thiết kế "), 4000)
	require.NoError(t, os.WriteFile(in, data, 0o600))
	opensslOK := func(p7s, content string) {
		t.Helper()
		out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content", content,
			"-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
		require.NoError(t, err, "openssl cms -verify %s: %s", filepath.Base(p7s), out)
	}

	// B-LT next to its content: verify finds ban-ve.dwg by name, offline.
	blt := in + ".p7s"
	r := kyso(t, envProxy, "", append([]string{"sign", "file", in, blt, "--level", "B-LT", "--tsa", tsa}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "CAdES B-LT")
	opensslOK(blt, in)
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, blt)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	v := parseVerifyJSON(t, r)
	require.Len(t, v.Files[0].Signatures, 1)
	assert.Equal(t, "TOTAL_PASSED", v.Files[0].Signatures[0].Indication)
	assert.NotNil(t, v.Files[0].Signatures[0].TimestampTime)

	// The text report, in Vietnamese by default.
	r = kyso(t, nil, "", "verify", "--offline", "--trust", root, blt)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "nội dung tách rời")

	// A changed attachment, given with --content: TOTAL_FAILED/HASH_FAILURE.
	changed := filepath.Join(dir, "changed.dwg")
	require.NoError(t, os.WriteFile(changed, append([]byte("X"), data[1:]...), 0o600))
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, "--content", changed, blt)
	assert.Equal(t, 1, r.code, r.stderr)
	v = parseVerifyJSON(t, r)
	assert.Equal(t, "TOTAL_FAILED", v.Files[0].Signatures[0].Indication)
	assert.Equal(t, "HASH_FAILURE", v.Files[0].Signatures[0].SubIndication)

	// No content found: INDETERMINATE/SIGNED_DATA_NOT_FOUND and a hint.
	lone := filepath.Join(dir, "lone.p7s")
	raw, err := os.ReadFile(blt)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(lone, raw, 0o600))
	r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, lone)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--content")
	v = parseVerifyJSON(t, r)
	assert.Equal(t, "SIGNED_DATA_NOT_FOUND", v.Files[0].Signatures[0].SubIndication)

	// B-B, then augmented to B-LT without the key.
	bb := filepath.Join(dir, "bb.p7s")
	r = kyso(t, env, "", append([]string{"sign", "file", in, bb}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "CAdES B-B")
	opensslOK(bb, in)
	aug := filepath.Join(dir, "aug.p7s")
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "sign", "file", in, aug, "--augment", bb, "--level", "B-LT", "--tsa", tsa)
	require.Equal(t, 0, r.code, r.stderr)
	opensslOK(aug, in)
	r = kyso(t, nil, "", "verify", "--offline", "--trust", root, "--content", in, aug)
	assert.Equal(t, 0, r.code, r.stdout)
	// Augmenting against the wrong content is refused (exit 2).
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "sign", "file", changed, filepath.Join(dir, "x.p7s"), "--augment", bb, "--level", "B-T", "--tsa", tsa)
	assert.Equal(t, 2, r.code, r.stderr)
	assert.NoFileExists(t, filepath.Join(dir, "x.p7s"))

	// A second signer and a countersignature, both B-LT.
	for _, mode := range []string{"--cosign", "--countersign"} {
		out := filepath.Join(dir, strings.TrimPrefix(mode, "--")+".p7s")
		r = kyso(t, envProxy, "", append([]string{"sign", "file", in, out, mode, blt, "--level", "B-LT", "--tsa", tsa}, key...)...)
		require.Equal(t, 0, r.code, r.stderr)
		opensslOK(out, in)
		r = kyso(t, nil, "", "verify", "--json", "--offline", "--trust", root, "--content", in, out)
		require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
		v = parseVerifyJSON(t, r)
		require.Len(t, v.Files[0].Signatures, 2, mode)
	}
	// Co-signing with the wrong content is refused.
	r = kyso(t, env, "", append([]string{"sign", "file", changed, filepath.Join(dir, "y.p7s"), "--cosign", blt}, key...)...)
	assert.Equal(t, 2, r.code, r.stderr)

	// Enveloping: the .p7m verifies on its own.
	p7m := filepath.Join(dir, "small.p7m")
	r = kyso(t, env, "", append([]string{"sign", "file", in, p7m, "--enveloping"}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "verify", "--json", "--trust", root, p7m)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)

	// Usage errors.
	r = kyso(t, env, "", append([]string{"sign", "file", in, filepath.Join(dir, "z.p7s"), "--level", "B-T"}, key...)...)
	assert.Equal(t, 2, r.code)
	r = kyso(t, env, "", append([]string{"sign", "file", in, filepath.Join(dir, "z.p7s"), "--level", "B-X", "--tsa", tsa}, key...)...)
	assert.Equal(t, 2, r.code)

	// A big file: progress only on a terminal (TestProgressOnTerminal).
	big := filepath.Join(dir, "big.bin")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte{7}, 6<<20), 0o600))
	r = kyso(t, env, "", append([]string{"sign", "file", big, big + ".p7s"}, key...)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "signing big.bin")
	r = kyso(t, []string{"HTTP_PROXY=" + srv.base}, "", "verify", "--trust", root, big+".p7s")
	assert.Equal(t, 0, r.code, r.stdout)
	assert.NotContains(t, r.stderr, "verifying big.bin")
}

// "kyso sign file" with a key on a PKCS#11 token (SoftHSM2) and with a SIM
// key through the MSSP simulator: openssl and kyso accept both .p7s.
func TestSignFileTokenAndSIM(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	pki := pkitest.New(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "to-trinh.xlsx")
	require.NoError(t, os.WriteFile(in, bytes.Repeat([]byte("bảng tính "), 1000), 0o600))
	root := filepath.Join(dir, "root.pem")
	require.NoError(t, os.WriteFile(root, pkitest.PEM(pki.Root.Cert), 0o600))
	check := func(p7s string) {
		t.Helper()
		out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content", in,
			"-CAfile", root, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
		require.NoError(t, err, "%s", out)
		r := kyso(t, nil, "", "verify", "--json", "--trust", root, "--content", in, p7s)
		require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	}

	t.Run("pkcs11", func(t *testing.T) {
		tok := softhsm.New(t, pki.MustIssue(pkitest.Person("Đặng Thùy Trâm", "001195007777")))
		env := []string{"SOFTHSM2_CONF=" + os.Getenv("SOFTHSM2_CONF"), "KYSO_TEST_PIN=" + tok.PIN}
		out := filepath.Join(dir, "token.p7s")
		r := kyso(t, env, "", "sign", "file", in, out, "--pkcs11", tok.Module, "--serial", tok.Serial, "--pin-env", "KYSO_TEST_PIN", "--tsa", pki.TSAURL())
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "CAdES B-T")
		check(out)
	})
	t.Run("sim", func(t *testing.T) {
		mssp := mssptest.New(t, mssptest.Config{APPassword: "ap-secret"})
		id := pki.MustIssue(pkitest.Person("Nguyễn Thị Minh Khai", "001190012345"))
		require.NoError(t, mssp.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: id.Signer()}))
		out := filepath.Join(dir, "sim.p7s")
		r := kyso(t, []string{"KYSO_TEST_AP_PASS=ap-secret"}, "", "sign", "file", in, out, "--sim", "0912345678", "--mssp", mssp.URL(),
			"--ap-id", mssp.APID(), "--ap-pass-env", "KYSO_TEST_AP_PASS", "--mssp-id", mssp.MSSPID())
		require.Equal(t, 0, r.code, r.stderr)
		check(out)
		assert.Contains(t, strings.Join(mssp.Phone("0912345678"), "\n"), "to-trinh.xlsx")
	})
}
