// Package testutil holds helpers shared by kyso's tests: finding external
// tools (pdfsig, xmlsec1, softhsm2-util, …) and the shared real-world
// vectors, the sample documents and small generated PDFs, a test context
// with a deadline, and running an example program's run function.
//
// A test that needs something missing skips with a clear message, except when
// KYSO_REQUIRE_TOOLS=1 (as in CI), where it fails instead.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Required reports whether missing tools must fail tests (KYSO_REQUIRE_TOOLS=1).
func Required() bool { return os.Getenv("KYSO_REQUIRE_TOOLS") == "1" }

// Missing skips t (or fails it under KYSO_REQUIRE_TOOLS=1) with msg.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (KYSO_REQUIRE_TOOLS=1)", msg)
	}
	t.Skip(msg)
}

// Tool returns the path of the named executable, or skips/fails t when it is
// not on PATH. hint names the Debian package that provides it.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" not found on PATH; install Debian package "+hint)
	}
	return p
}

// RepoRoot returns the module root directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testutil: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Realworld returns the path of a file in ../shared/realworld/ next to the
// module root, or skips/fails t when that folder is absent (a user's clone).
func Realworld(t testing.TB, name string) string {
	t.Helper()
	return shared(t, "realworld", name, "real-world vector")
}

// Corpus returns the path of a file or folder in ../shared/corpus/ (rel
// like "attacks/SOURCES.tsv" or "pyhanko"), or skips/fails t when it is
// absent.
func Corpus(t testing.TB, rel string) string {
	t.Helper()
	return shared(t, "corpus", rel, "corpus entry")
}

// shared returns the path of name in ../shared/dir/, or skips/fails t.
func shared(t testing.TB, dir, name, what string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "..", "shared", dir, name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, what+" "+name+" not found in ../shared/"+dir+"/")
	}
	return p
}
