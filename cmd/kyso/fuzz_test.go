package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/internal/sample"
)

func FuzzParseVisible(f *testing.F) {
	for _, s := range []string{"1:340,140,200,90", "-1:0,0,1,1", "2:1e3,2.5,3,4", "0:1,1,1,1", "1:1,1,-1,1", "x:1,2,3,4", "1:1,2,3", "1:,,,", "1:NaN,1,1,1", "1:1,1,Inf,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		page, r, err := parseVisible(s)
		if err != nil {
			return
		}
		if page == 0 || page < -1 {
			t.Fatalf("%q: page %d accepted", s, page)
		}
		if !(r.W > 0) || !(r.H > 0) {
			t.Fatalf("%q: empty rectangle %v accepted", s, r)
		}
	})
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"in.pdf out.pdf --p12 a.p12", "--quiet -- --p12 x", "a -json b --trust r.pem --trust s.pem c", "--trust", "-h", "--", "a -- -b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
		var trust multiFlag
		fs.Var(&trust, "trust", "")
		fs.String("p12", "", "")
		fs.Bool("quiet", false, "")
		fs.Bool("json", false, "")
		args := strings.Fields(s)
		pos, err := parse(fs, args)
		if err != nil {
			return
		}
		if len(pos) > len(args) {
			t.Fatalf("%q: %d positional arguments from %d words", s, len(pos), len(args))
		}
	})
}

func FuzzResolveRefs(f *testing.F) {
	inv, err := sample.Read(sample.Invoice)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(inv, "#DLHDon")
	f.Add([]byte(`<a><b Id="x"/><c ID="x"/></a>`), "#x")
	f.Add([]byte(`<a><b id="y"/></a>`), "#z")
	f.Add([]byte(`<a`), "#a")
	f.Fuzz(func(t *testing.T, doc []byte, ref string) {
		refs, err := resolveRefs(doc, []string{ref})
		if err == nil && len(refs) != 1 {
			t.Fatalf("%d references for one --ref", len(refs))
		}
	})
}

// Example shows the commands of the tool.
func Example() {
	run(context.Background(), []string{"help"}, strings.NewReader(""), os.Stdout, &bytes.Buffer{})
	// Output:
	// kyso signs and verifies PDF and XML documents (Vietnamese e-government profiles).
	//
	// Usage:
	//   kyso sign pdf IN OUT [flags]   sign a PDF (PAdES)
	//   kyso sign xml IN OUT [flags]   sign an XML document (XML-DSig/XAdES, e-invoice profiles)
	//   kyso sign file IN OUT.p7s [flags]  sign any file (detached CAdES .p7s; verify with kyso verify OUT.p7s)
	//   kyso verify FILE... [flags]    verify signatures; exit 0 only if all are TOTAL_PASSED
	//   kyso pki init DIR              write a test PKI (root, CA, TSA, signer .p12) to DIR
	//   kyso pki serve DIR             serve DIR's TSA, OCSP, CRL and an MSSP simulator on loopback until interrupted
	//   kyso tokens --pkcs11 MODULE    list tokens and certificates on a PKCS#11 module
	//   kyso token SUBCOMMAND ...      keygen, import-cert, change-pin, unblock-pin, delete on a token
	//   kyso version                   print the version
	//   kyso help [COMMAND]            print this, or a command's flags
	//
	// Run "kyso COMMAND -h" for a command's flags. OUT "-" is standard output.
	// Exit status: 0 ok, 1 verdict not TOTAL_PASSED or operation refused,
	// 2 usage or input error, 3 certificate check refused to sign.
}
