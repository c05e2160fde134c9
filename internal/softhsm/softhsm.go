// Package softhsm prepares a SoftHSM2 token for the example programs, the
// kyso command and their tests: a temporary token directory (SOFTHSM2_CONF), one initialised
// token, and a key with its certificate imported from a signer/pkitest
// identity. The tools come from Debian softhsm2 (softhsm2-util) and opensc
// (pkcs11-tool). New is for tests: when the tools are missing the test
// skips through internal/testutil (or fails under KYSO_REQUIRE_TOOLS=1).
// Create is for programs (examples/token without -module).
//
// SoftHSM reads SOFTHSM2_CONF when the module is initialised, which kyso's
// pkcs11 package does once per process: set it (New does) before the first
// pkcs11.Open of the process, and only once.
package softhsm

import (
	"errors"
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
	// Conf is the SoftHSM2 configuration file naming the token directory;
	// SOFTHSM2_CONF must point at it when the module is loaded.
	Conf string
	// Identity's key and certificate are on the token (CKA_ID 01), and so
	// is the issuing CA certificate (CKA_ID ca).
	Identity *pkitest.Identity
}

// FindModule returns the SoftHSM2 module path: KYSO_PKCS11_MODULE when
// set, else the first of the usual locations that exists.
func FindModule() (string, error) {
	if m := os.Getenv("KYSO_PKCS11_MODULE"); m != "" {
		return m, nil
	}
	for _, m := range knownModules {
		if _, err := os.Stat(m); err == nil {
			return m, nil
		}
	}
	return "", errors.New("SoftHSM2 module not found (set KYSO_PKCS11_MODULE or install Debian package softhsm2)")
}

// Module returns the SoftHSM2 module path (KYSO_PKCS11_MODULE wins), or
// skips t.
func Module(t testing.TB) string {
	t.Helper()
	m, err := FindModule()
	if err != nil {
		testutil.Missing(t, err.Error())
	}
	return m
}

// New creates a token in a temporary directory, points SOFTHSM2_CONF at it
// for the rest of the test (t.Setenv), and imports id's key and
// certificate, and its issuing CA certificate.
func New(t testing.TB, id *pkitest.Identity) *Token {
	t.Helper()
	util := testutil.Tool(t, "softhsm2-util", "softhsm2")
	tool := testutil.Tool(t, "pkcs11-tool", "opensc")
	module := Module(t)
	tok, err := create(t.TempDir(), id, util, tool, module, func(conf string) {
		if s, ok := t.(interface{ Setenv(k, v string) }); ok {
			s.Setenv("SOFTHSM2_CONF", conf)
		} else {
			os.Setenv("SOFTHSM2_CONF", conf)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Create creates a token in dir (which must exist), sets SOFTHSM2_CONF for
// this process to its configuration, and imports id's key and certificate,
// and its issuing CA certificate. It needs softhsm2-util, pkcs11-tool and
// the SoftHSM2 module.
func Create(dir string, id *pkitest.Identity) (*Token, error) {
	var tools [2]string
	for i, name := range []string{"softhsm2-util", "pkcs11-tool"} {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("softhsm: %s not found (Debian packages softhsm2 and opensc): %w", name, err)
		}
		tools[i] = p
	}
	module, err := FindModule()
	if err != nil {
		return nil, fmt.Errorf("softhsm: %w", err)
	}
	return create(dir, id, tools[0], tools[1], module, func(conf string) { os.Setenv("SOFTHSM2_CONF", conf) })
}

func create(dir string, id *pkitest.Identity, util, tool, module string, setConf func(string)) (*Token, error) {
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		return nil, err
	}
	setConf(conf)

	if _, err := run(util, "--init-token", "--free", "--label", Label, "--so-pin", SOPIN, "--pin", PIN); err != nil {
		return nil, err
	}
	keyPEM, err := id.KeyPEM()
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	_, err = run(util, "--import", keyFile, "--token", Label, "--label", "signing key", "--id", "01", "--pin", PIN)
	os.Remove(keyFile)
	if err != nil {
		return nil, err
	}
	write := func(der []byte, id, label string) error {
		f := filepath.Join(dir, "cert.der")
		if err := os.WriteFile(f, der, 0o600); err != nil {
			return err
		}
		_, err := run(tool, "--module", module, "--token-label", Label, "--login", "--pin", PIN,
			"--write-object", f, "--type", "cert", "--id", id, "--label", label)
		return err
	}
	if err := write(id.Cert.Raw, "01", id.Cert.Subject.CommonName); err != nil {
		return nil, err
	}
	for i, c := range id.Chain {
		if err := write(c.Raw, fmt.Sprintf("ca%02x", i), c.Subject.CommonName); err != nil {
			return nil, err
		}
	}

	show, err := run(util, "--show-slots")
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`Serial number:[ \t]*([0-9a-fA-F]+)`).FindStringSubmatch(show)
	if m == nil {
		return nil, fmt.Errorf("softhsm2-util --show-slots: no serial number\n%s", show)
	}
	return &Token{Module: module, Label: Label, Serial: m[1], PIN: PIN, Conf: conf, Identity: id}, nil
}

func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, out)
	}
	return string(out), nil
}
