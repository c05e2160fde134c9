package testutil

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NSSIdentity imports a PKCS#12 file (p12, protected by pass) into a new
// NSS database in a temporary directory and returns the database
// ("sql:DIR") and the key's nickname, for pdfsig -add-signature. It skips
// t (or fails it under KYSO_REQUIRE_TOOLS=1) when certutil, pk12util or
// pdfsig is missing.
func NSSIdentity(t testing.TB, p12 []byte, pass string) (db, nick string) {
	t.Helper()
	certutil := Tool(t, "certutil", "libnss3-tools")
	pk12util := Tool(t, "pk12util", "libnss3-tools")
	pdfsig := Tool(t, "pdfsig", "poppler-utils")
	dir := t.TempDir()
	db = "sql:" + dir
	pfx := filepath.Join(dir, "id.p12")
	if err := os.WriteFile(pfx, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v: %s", name, args, err, out)
		}
		return string(out)
	}
	run(certutil, "-N", "-d", db, "--empty-password")
	run(pk12util, "-i", pfx, "-d", db, "-W", pass, "-K", "")
	// The PKCS#12 file has no friendly name: NSS makes one up from the
	// subject and issuer. Ask pdfsig which it is.
	out := run(pdfsig, "-list-nicks", "-nssdir", db)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasSuffix(l, ":") {
			if nick != "" {
				t.Fatalf("more than one key in the database: %s", out)
			}
			nick = l
		}
	}
	if nick == "" {
		t.Fatalf("no nickname listed: %s", out)
	}
	return db, nick
}
