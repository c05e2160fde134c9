package pkcs11

import (
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	p11 "github.com/miekg/pkcs11"

	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// The SoftHSM2 fixture. SoftHSM reads SOFTHSM2_CONF and scans its token
// directory once, at C_Initialize, and a module is initialised once per
// process: so every token the tests use is created, in one temporary
// directory, before the first Open. Tests that change a token's state
// (wrong PINs, lost sessions, re-initialisation) get a token of their own.

const (
	testPIN   = "123456"
	testSOPIN = "87654321"
	viLabel   = "Chữ ký số Nguyễn" // 23 bytes of UTF-8 out of 32
)

// testKey is a key on a fixture token with its certificate.
type testKey struct {
	name  string
	id    []byte // CKA_ID of the certificate
	cert  *x509.Certificate
	ident *pkitest.Identity // nil for keys generated on the token
}

type fixture struct {
	dir    string
	module string
	pki    *pkitest.PKI
	keys   map[string]testKey // "main/rsa2048" …
	slots  map[string]uint    // token label → slot, after initialisation
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	fixSkip string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.pki.Close()
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

// setup returns the shared fixture, or skips t (fails it under
// KYSO_REQUIRE_TOOLS=1) when SoftHSM2 or its tools are missing.
func setup(t testing.TB) *fixture {
	t.Helper()
	testutil.Tool(t, "softhsm2-util", "softhsm2")
	testutil.Tool(t, "pkcs11-tool", "opensc")
	fixOnce.Do(func() {
		mod, err := softhsm.FindModule()
		if err != nil {
			fixSkip = err.Error()
			return
		}
		fix, fixErr = newFixture(mod)
	})
	if fixSkip != "" {
		testutil.Missing(t, fixSkip)
	}
	if fixErr != nil {
		t.Fatalf("SoftHSM2 fixture: %v", fixErr)
	}
	return fix
}

func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func newFixture(module string) (_ *fixture, err error) {
	dir, err := os.MkdirTemp("", "kyso-pkcs11-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, module: module, keys: map[string]testKey{}, slots: map[string]uint{}}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.Mkdir(filepath.Join(dir, "tokens"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		return nil, err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	if f.pki, err = pkitest.Start(); err != nil {
		return nil, err
	}

	for _, label := range []string{"kyso-main", "kyso-pin", "kyso-spy", "kyso-lost", "kyso-logout", "kyso-reinit", "kyso-private", "kyso-life", "kyso-unblock", "kyso-gen", "kyso-renew", viLabel, "twin", "twin"} {
		if _, err := run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", testSOPIN, "--pin", testPIN); err != nil {
			return nil, err
		}
	}
	// Imported keys: PKCS#8 keys and certificates from signer/pkitest.
	imports := []struct {
		token, name, id, certID string
		opt                     pkitest.CertOption
	}{
		{"kyso-main", "rsa2048", "01", "01", pkitest.RSAKey(2048)},
		{"kyso-main", "rsa3072", "02", "02", pkitest.RSAKey(3072)},
		{"kyso-main", "p256", "03", "03", pkitest.ECDSAKey(elliptic.P256())},
		{"kyso-main", "p384", "04", "04", pkitest.ECDSAKey(elliptic.P384())},
		// The certificate's CKA_ID differs from its key's: found by public key.
		{"kyso-main", "rsa-fallback", "31", "c1", pkitest.RSAKey(2048)},
		{"kyso-main", "p256-fallback", "32", "c2", pkitest.ECDSAKey(elliptic.P256())},
		{"kyso-pin", "p256", "01", "01", pkitest.ECDSAKey(elliptic.P256())},
		{"kyso-spy", "p256", "01", "01", pkitest.ECDSAKey(elliptic.P256())},
		{"kyso-lost", "p256", "01", "01", pkitest.ECDSAKey(elliptic.P256())},
		{"kyso-logout", "rsa2048", "01", "01", pkitest.RSAKey(2048)},
		{"kyso-reinit", "p256", "01", "01", pkitest.ECDSAKey(elliptic.P256())},
		{viLabel, "p256", "01", "01", pkitest.ECDSAKey(elliptic.P256())},
	}
	for i, im := range imports {
		id, err := f.pki.Issue(pkitest.Person(fmt.Sprintf("Nguyễn Văn Thử %d", i), fmt.Sprintf("0012030%05d", i)), im.opt)
		if err != nil {
			return nil, err
		}
		if err := f.importKey(im.token, im.name, im.id, im.certID, id); err != nil {
			return nil, err
		}
	}
	// Two different keys under one CKA_ID (IDs collide on real tokens).
	// RSA keys are told apart by their modulus; EC private keys expose no
	// public point, so two EC keys under one ID are refused as ambiguous.
	for i, c := range []struct {
		name, id string
		opt      pkitest.CertOption
	}{
		{"collide-other", "41", pkitest.RSAKey(2048)},
		{"collide", "41", pkitest.RSAKey(2048)},
		{"collide-ec-other", "42", pkitest.ECDSAKey(elliptic.P256())},
		{"collide-ec", "42", pkitest.ECDSAKey(elliptic.P256())},
	} {
		id, err := f.pki.Issue(pkitest.Person("Trần Thị Trùng "+c.name, fmt.Sprintf("00120400000%d", i)), c.opt)
		if err != nil {
			return nil, err
		}
		if err := f.importKey("kyso-main", c.name, c.id, c.id, id); err != nil {
			return nil, err
		}
	}
	// One key imported twice under two IDs, its certificate under a third:
	// two keys carry the certificate's public key, an ambiguity.
	{
		id, err := f.pki.Issue(pkitest.Person("Lê Văn Hai Lần", "001205000000"), pkitest.RSAKey(2048))
		if err != nil {
			return nil, err
		}
		if err := f.importKey("kyso-main", "ambiguous", "51", "c5", id); err != nil {
			return nil, err
		}
		if err := f.importKeyOnly("kyso-main", "ambiguous-copy", "52", id); err != nil {
			return nil, err
		}
	}
	// A token that keeps its certificate private (CKA_PRIVATE=true).
	{
		id, err := f.pki.Issue(pkitest.Person("Đỗ Thị Riêng", "001207000000"), pkitest.ECDSAKey(elliptic.P256()))
		if err != nil {
			return nil, err
		}
		if err := f.importKeyOnly("kyso-private", "p256", "01", id); err != nil {
			return nil, err
		}
		// Written through the module below: pkcs11-tool ignores --private
		// for certificates.
		f.keys["kyso-private/p256"] = testKey{name: "p256", id: []byte{1}, cert: id.Cert, ident: id}
	}
	// The issuing CA certificate, for chain building from the token.
	if err := f.writeCert("kyso-main", "ca", "ca", f.pki.CA.Cert); err != nil {
		return nil, err
	}
	// Keys generated on the token; certificates are issued once the module
	// can read their public keys (see generated).
	gens := []struct {
		name, id, typ string
		always        bool
	}{
		{"gen-rsa2048", "11", "rsa:2048", false},
		{"gen-rsa3072", "12", "rsa:3072", false},
		{"gen-p256", "13", "EC:prime256v1", false},
		{"gen-p384", "14", "EC:secp384r1", false},
		{"always-auth", "21", "EC:prime256v1", true},
	}
	for _, g := range gens {
		args := []string{"--module", module, "--token-label", "kyso-main", "--login", "--pin", testPIN,
			"--keypairgen", "--key-type", g.typ, "--id", g.id, "--label", g.name}
		if g.always {
			args = append(args, "--always-auth")
		}
		if _, err := run("pkcs11-tool", args...); err != nil {
			return nil, err
		}
	}
	// Issue certificates for the generated keys through the module itself.
	m, err := Open(module)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	for _, ti := range mustTokens(m) {
		f.slots[ti.Label] = ti.Slot
	}
	if err := writePrivateCert(m, f.slots["kyso-private"], f.keys["kyso-private/p256"]); err != nil {
		return nil, fmt.Errorf("private certificate: %w", err)
	}
	for _, g := range gens {
		pub, err := readPublicKey(m, f.slots["kyso-main"], g.id)
		if err != nil {
			return nil, fmt.Errorf("public key of %s: %w", g.name, err)
		}
		id, err := f.pki.Issue(pkitest.Person("Phạm Thị Sinh "+g.name, "0012060000"+g.id), pkitest.PublicKey(pub))
		if err != nil {
			return nil, err
		}
		if err := f.writeCert("kyso-main", g.name, g.id, id.Cert); err != nil {
			return nil, err
		}
		f.keys["kyso-main/"+g.name] = testKey{name: g.name, id: mustHex(g.id), cert: id.Cert}
	}
	return f, nil
}

func mustTokens(m *Module) []TokenInfo {
	ts, _ := m.Tokens()
	return ts
}

func mustHex(s string) []byte {
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		return []byte(s)
	}
	return b
}

// importKey imports id's PKCS#8 key under keyID with softhsm2-util and its
// certificate under certID with pkcs11-tool.
func (f *fixture) importKey(token, name, keyID, certID string, id *pkitest.Identity) error {
	if err := f.importKeyOnly(token, name, keyID, id); err != nil {
		return err
	}
	if err := f.writeCert(token, name, certID, id.Cert); err != nil {
		return err
	}
	f.keys[token+"/"+name] = testKey{name: name, id: mustHex(certID), cert: id.Cert, ident: id}
	return nil
}

func (f *fixture) importKeyOnly(token, name, keyID string, id *pkitest.Identity) error {
	pemKey, err := id.KeyPEM()
	if err != nil {
		return err
	}
	p := filepath.Join(f.dir, "key.pem")
	if err := os.WriteFile(p, pemKey, 0o600); err != nil {
		return err
	}
	defer os.Remove(p)
	// --force: some fixtures put two keys under one CKA_ID on purpose.
	_, err = run("softhsm2-util", "--import", p, "--token", token, "--label", name, "--id", keyID, "--pin", testPIN, "--force")
	return err
}

func (f *fixture) writeCert(token, label, id string, c *x509.Certificate, extra ...string) error {
	p := filepath.Join(f.dir, "cert.der")
	if err := os.WriteFile(p, c.Raw, 0o600); err != nil {
		return err
	}
	defer os.Remove(p)
	args := []string{"--module", f.module, "--token-label", token, "--login", "--pin", testPIN,
		"--write-object", p, "--type", "cert", "--id", id, "--label", label}
	_, err := run("pkcs11-tool", append(args, extra...)...)
	return err
}

// readPublicKey reads a generated key's public half through the module
// (pkcs11-tool of Debian bookworm cannot export EC public keys).
func readPublicKey(m *Module, slot uint, id string) (any, error) {
	c := m.lib.ctx
	h, err := c.OpenSession(slot, p11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, err
	}
	defer c.CloseSession(h)
	if err := c.FindObjectsInit(h, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
		p11.NewAttribute(p11.CKA_ID, mustHex(id)),
	}); err != nil {
		return nil, err
	}
	objs, _, err := c.FindObjects(h, 2)
	c.FindObjectsFinal(h)
	if err != nil || len(objs) != 1 {
		return nil, fmt.Errorf("found %d public keys: %v", len(objs), err)
	}
	attrs, err := c.GetAttributeValue(h, objs[0], []*p11.Attribute{p11.NewAttribute(p11.CKA_KEY_TYPE, nil)})
	if err != nil {
		return nil, err
	}
	if attrs[0].Value[0] == byte(p11.CKK_RSA) {
		a, err := c.GetAttributeValue(h, objs[0], []*p11.Attribute{p11.NewAttribute(p11.CKA_MODULUS, nil), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, nil)})
		if err != nil {
			return nil, err
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(new(big.Int).SetBytes(a[1].Value).Int64())}, nil
	}
	a, err := c.GetAttributeValue(h, objs[0], []*p11.Attribute{p11.NewAttribute(p11.CKA_EC_PARAMS, nil), p11.NewAttribute(p11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, err
	}
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(a[0].Value, &oid); err != nil {
		return nil, err
	}
	var typ KeyType
	switch oid.String() {
	case "1.2.840.10045.3.1.7":
		typ = ECP256
	case "1.3.132.0.34":
		typ = ECP384
	default:
		return nil, errors.New("unexpected curve " + oid.String())
	}
	return ecPublic(typ, a[1].Value)
}

// writePrivateCert stores k's certificate with CKA_PRIVATE=true.
func writePrivateCert(m *Module, slot uint, k testKey) error {
	c := m.lib.ctx
	h, err := c.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		return err
	}
	defer c.CloseSession(h)
	if err := c.Login(h, p11.CKU_USER, testPIN); err != nil {
		return err
	}
	defer c.Logout(h)
	_, err = c.CreateObject(h, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, true),
		p11.NewAttribute(p11.CKA_ID, k.id),
		p11.NewAttribute(p11.CKA_LABEL, k.name),
		p11.NewAttribute(p11.CKA_SUBJECT, k.cert.RawSubject),
		p11.NewAttribute(p11.CKA_VALUE, k.cert.Raw),
	})
	return err
}
