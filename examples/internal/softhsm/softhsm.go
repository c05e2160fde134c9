// Package softhsm prepares a SoftHSM2 token for the tests of the example
// programs: a temporary token directory (SOFTHSM2_CONF), one initialised
// token, and a key with its certificate imported from a signer/pkitest
// identity. The tools come from Debian softhsm2 (softhsm2-util) and opensc
// (pkcs11-tool); when they are missing the test skips through
// internal/testutil (or fails under KYSO_REQUIRE_TOOLS=1).
//
// SoftHSM reads SOFTHSM2_CONF when the module is initialised, which kyso's
// pkcs11 package does once per process: call New before the first
// pkcs11.Open of the test binary, and only once.
package softhsm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Defaults of the prepared token.
const (
	Label = "Kyso Token"
	PIN   = "123456"
	SOPIN = "87654321"
)

// knownModules are the usual SoftHSM2 module locations.
var knownModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/lib64/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",
}

// Token is a prepared SoftHSM2 token.
type Token struct {
	Module string // path of libsofthsm2.so
	Label  string
	Serial string
	PIN    string
	// Identity's key and certificate are on the token (CKA_ID 01), and so
	// is the issuing CA certificate (CKA_ID ca).
	Identity *pkitest.Identity
}

// Module returns the SoftHSM2 module path (KYSO_PKCS11_MODULE wins), or
// skips t.
func Module(t testing.TB) string {
	t.Helper()
	if m := os.Getenv("KYSO_PKCS11_MODULE"); m != "" {
		return m
	}
	for _, m := range knownModules {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	testutil.Missing(t, "SoftHSM2 module not found (set KYSO_PKCS11_MODULE or install Debian package softhsm2)")
	return ""
}

// New creates a token in a temporary directory, points SOFTHSM2_CONF at it
// for the rest of the test (t.Setenv), and imports id's key and
// certificate, and its issuing CA certificate.
func New(t testing.TB, id *pkitest.Identity) *Token {
	t.Helper()
	util := testutil.Tool(t, "softhsm2-util", "softhsm2")
	tool := testutil.Tool(t, "pkcs11-tool", "opensc")
	module := Module(t)

	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, ok := t.(interface{ Setenv(k, v string) }); ok {
		s.Setenv("SOFTHSM2_CONF", conf)
	} else {
		os.Setenv("SOFTHSM2_CONF", conf)
	}

	mustRun(t, util, "--init-token", "--free", "--label", Label, "--so-pin", SOPIN, "--pin", PIN)
	keyPEM, err := id.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, util, "--import", keyFile, "--token", Label, "--label", "signing key", "--id", "01", "--pin", PIN)
	os.Remove(keyFile)
	write := func(der []byte, id, label string) {
		f := filepath.Join(dir, "cert.der")
		if err := os.WriteFile(f, der, 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, tool, "--module", module, "--token-label", Label, "--login", "--pin", PIN,
			"--write-object", f, "--type", "cert", "--id", id, "--label", label)
	}
	write(id.Cert.Raw, "01", id.Cert.Subject.CommonName)
	for i, c := range id.Chain {
		write(c.Raw, fmt.Sprintf("ca%02x", i), c.Subject.CommonName)
	}

	show := mustRun(t, util, "--show-slots")
	m := regexp.MustCompile(`Serial number:[ \t]*([0-9a-fA-F]+)`).FindStringSubmatch(show)
	if m == nil {
		t.Fatalf("softhsm2-util --show-slots: no serial number\n%s", show)
	}
	return &Token{Module: module, Label: Label, Serial: m[1], PIN: PIN, Identity: id}
}

func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
	}
	return string(out)
}
