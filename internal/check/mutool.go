package check

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// MutoolSign signs the signature field field (the object number mutool
// names it by) of the PDF in with "mutool sign", with id's key and
// certificate in a legacy PKCS#12 file, and returns the signed document.
// It fails t unless mutool appended an incremental update to in.
func MutoolSign(t testing.TB, in []byte, id *pkitest.Identity, field string) []byte {
	t.Helper()
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	dir := t.TempDir()
	p12, err := id.PKCS12Legacy("pw")
	if err != nil {
		t.Fatal(err)
	}
	inPath, out, pfx := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf"), filepath.Join(dir, "id.p12")
	if err := os.WriteFile(inPath, in, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pfx, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := exec.Command(mutool, "sign", "-s", pfx, "-P", "pw", "-o", out, inPath, field).CombinedOutput(); err != nil {
		t.Fatalf("mutool sign: %v\n%s", err, res)
	}
	signed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, in) {
		t.Fatal("mutool sign did not append an incremental update")
	}
	return signed
}
