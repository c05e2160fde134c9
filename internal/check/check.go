// Package check runs the independent validators (pdfsig, xmlsec1) over the
// documents the example programs, the kyso command and the packages
// produce, for their tests, and signs with an independent signer (mutool)
// for interoperability tests. A missing tool skips the test through
// internal/testutil (or fails it under KYSO_REQUIRE_TOOLS=1).
package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
)

var (
	pdfsigSig   = regexp.MustCompile(`(?m)^Signature #\d+:`)
	pdfsigValid = regexp.MustCompile(`Signature Validation: Signature is Valid\.`)
)

// PDFSig runs pdfsig on the PDF at path and fails t unless it reports want
// signatures, each cryptographically valid. It returns pdfsig's output.
// (pdfsig has no trust store for test CAs, so it checks integrity only.)
func PDFSig(t testing.TB, path string, want int) string {
	t.Helper()
	tool := testutil.Tool(t, "pdfsig", "poppler-utils")
	out, err := exec.Command(tool, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig %s: %v\n%s", path, err, out)
	}
	got := len(pdfsigSig.FindAll(out, -1))
	valid := len(pdfsigValid.FindAll(out, -1))
	if got != want || valid != want {
		t.Fatalf("pdfsig: %d signatures, %d valid; want %d valid\n%s", got, valid, want, out)
	}
	return string(out)
}

// XMLSec verifies the e-invoice signature in slot (the local name of its
// parent: "NBan", "NMua", "CQT") of doc with xmlsec1, trusting the root
// certificate rootPEM (the document carries the rest of the chain), and
// fails t when xmlsec1 does not accept it.
func XMLSec(t testing.TB, doc []byte, slot string, rootPEM []byte) {
	t.Helper()
	tool := testutil.Tool(t, "xmlsec1", "xmlsec1")
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.xml")
	root := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(in, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root, rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--verify", "--id-attr:Id", "DLHDon", "--id-attr:Id", "MCCQT",
		"--node-xpath", "//*[local-name()='" + slot + "']/*[local-name()='Signature']",
		"--trusted-pem", root, in}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmlsec1 %v: %v\n%s", args, err, out)
	}
}
