// Command token lists the tokens and certificates a PKCS#11 module offers
// and signs a PDF with a key on one of them — a USB token of a Vietnamese CA
// (VNPT-CA, Viettel-CA, BKAV-CA, FPT-CA, …) through its vendor's module, or
// SoftHSM2 for trying things out.
//
//	go run ./examples/token
//	go run ./examples/token -module /usr/lib/softhsm/libsofthsm2.so -list
//	KYSO_PIN=123456 go run ./examples/token -module MODULE [-token LABEL | -serial SERIAL] [-cert THUMBPRINT] [-in IN.pdf] [-out OUT.pdf] [-trust ROOT.pem]
//
// Without -module (and without KYSO_PKCS11_MODULE) it creates a throwaway
// SoftHSM2 token in a temporary directory, holding a key and certificate
// from a test PKI, and then lists, signs (PAdES B-T) and verifies as with a
// real token; that needs Debian packages softhsm2 and opensc.
//
// The module may also come from KYSO_PKCS11_MODULE. The PIN is read from the
// environment variable named by -pin-env (KYSO_PIN by default) or, when that
// is empty, from standard input; a wrong PIN is never retried. Without -cert
// the only end-entity certificate on the token is used. With -trust the
// signed PDF is verified against that root (revocation online).
//
// This example uses cgo (package pkcs11); the rest of kyso does not.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// config is what the flags say.
type config struct {
	Module, Label, Serial, Cert string
	PINEnv                      string
	PIN                         string // when set, used instead of PINEnv and Stdin
	List                        bool
	In, Out, TSA, Trust         string
	Stdin                       io.Reader
}

func main() {
	var c config
	flag.StringVar(&c.Module, "module", os.Getenv("KYSO_PKCS11_MODULE"), "PKCS#11 module (default $KYSO_PKCS11_MODULE)")
	flag.StringVar(&c.Label, "token", "", "token label")
	flag.StringVar(&c.Serial, "serial", "", "token serial number")
	flag.StringVar(&c.Cert, "cert", "", "certificate SHA-1/SHA-256 thumbprint or serial (hex)")
	flag.StringVar(&c.PINEnv, "pin-env", "KYSO_PIN", "environment variable holding the PIN (empty: ask on stdin)")
	flag.BoolVar(&c.List, "list", false, "only list tokens and certificates")
	flag.StringVar(&c.In, "in", "", "PDF to sign (default testdata/sample.pdf)")
	flag.StringVar(&c.Out, "out", "", "signed PDF (default: IN with -signed before .pdf, in a temporary directory)")
	flag.StringVar(&c.TSA, "tsa", "", "RFC 3161 time-stamping URL (PAdES B-T)")
	flag.StringVar(&c.Trust, "trust", "", "root certificate (PEM/DER) to verify the result against")
	flag.Parse()
	c.Stdin = os.Stdin
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if c.Module == "" {
		_, err = demo(ctx, os.Stdout, c)
	} else {
		_, err = run(ctx, os.Stdout, c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
}

// result is what run did, for the test.
type result struct {
	Out    string
	Report *verify.Report // nil without -trust
}

func run(ctx context.Context, w io.Writer, c config) (*result, error) {
	if c.Module == "" {
		return nil, errors.New("no PKCS#11 module: give -module or set KYSO_PKCS11_MODULE")
	}
	mod, err := pkcs11.Open(c.Module)
	if err != nil {
		return nil, err
	}
	defer mod.Close()
	if info, err := mod.Info(); err == nil {
		fmt.Fprintf(w, "Module %s: %s %s (Cryptoki %s)\n", mod.Path(), info.Manufacturer, info.Description, info.CryptokiVersion)
	}
	slots, err := mod.Slots()
	if err != nil {
		return nil, err
	}
	for _, s := range slots {
		switch {
		case s.Token != nil:
			fmt.Fprintf(w, "  slot %d: token %q, serial %s, %s %s\n", s.ID, s.Token.Label, s.Token.Serial, s.Token.Manufacturer, s.Token.Model)
		case s.TokenErr != nil:
			fmt.Fprintf(w, "  slot %d: token unreadable: %v\n", s.ID, s.TokenErr)
		case s.TokenPresent:
			fmt.Fprintf(w, "  slot %d: token present\n", s.ID)
		}
	}

	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: c.Label, Serial: c.Serial}, pkcs11.Options{PIN: pinFunc(c, w)})
	if err != nil {
		return nil, err
	}
	defer tok.Close()
	certs, err := tok.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Certificates on %q:\n", tok.Info().Label)
	for _, cert := range certs {
		fmt.Fprintf(w, "  %s\n", cert)
	}
	if c.List {
		return &result{}, nil
	}

	cert, err := choose(certs, c.Cert)
	if err != nil {
		return nil, err
	}
	s, err := tok.Signer(ctx, cert)
	if err != nil {
		return nil, err
	}
	in := c.In
	if in == "" {
		if in, err = sample.Path(sample.PDF); err != nil {
			return nil, err
		}
	}
	out := c.Out
	if out == "" {
		dir, err := os.MkdirTemp("", "kyso-token-")
		if err != nil {
			return nil, err
		}
		out = filepath.Join(dir, strings.TrimSuffix(filepath.Base(in), ".pdf")+"-signed.pdf")
	}
	if err := pdf.SignFile(ctx, out, in, s, &pdf.Options{Reason: "Ký bằng USB token", TimestampURL: c.TSA}); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Signed %s → %s with %s\n", in, out, s.Certificate().Subject.CommonName)

	res := &result{Out: out}
	if c.Trust == "" {
		return res, nil
	}
	trust := verify.NewTrustStore()
	if _, err := trust.AddFile(c.Trust); err != nil {
		return nil, err
	}
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, Intermediates: s.Chain()})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	if res.Report, err = verify.VerifyBytes(ctx, verify.NewPDFVerifier(v), data); err != nil {
		return nil, err
	}
	fmt.Fprint(w, res.Report.Text(verify.Vietnamese))
	return res, nil
}

// demo creates a SoftHSM2 token in a temporary directory with a key and
// certificate from a throwaway test PKI, and runs the example on it: list,
// sign with a time-stamp from the PKI's TSA, verify against its root.
func demo(ctx context.Context, w io.Writer, c config) (*result, error) {
	dir, err := os.MkdirTemp("", "kyso-softhsm-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	pki, err := pkitest.Start()
	if err != nil {
		return nil, err
	}
	defer pki.Close()
	id, err := pki.Issue(pkitest.Person("Võ Thị Sáu", "052199001234"))
	if err != nil {
		return nil, err
	}
	tok, err := softhsm.Create(dir, id)
	if err != nil {
		return nil, fmt.Errorf("no -module given, and no SoftHSM2 token could be made to try with: %w", err)
	}
	fmt.Fprintf(w, "No -module given: made a throwaway SoftHSM2 token %q (PIN %s) in %s\nholding %s's key and certificate from a test PKI.\n\n",
		tok.Label, tok.PIN, dir, id.Cert.Subject.CommonName)
	root := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(root, pkitest.PEM(pki.Root.Cert), 0o644); err != nil {
		return nil, err
	}
	c.Module, c.Serial, c.PIN = tok.Module, tok.Serial, tok.PIN
	if c.TSA == "" {
		c.TSA = pki.TSAURL()
	}
	if c.Trust == "" {
		c.Trust = root
	}
	return run(ctx, w, c)
}

// choose picks the certificate to sign with: the one named by query, or
// the only end-entity certificate on the token.
func choose(certs []pkcs11.Certificate, query string) (pkcs11.Certificate, error) {
	if query != "" {
		return pkcs11.SelectCertificate(certs, query)
	}
	var ee []pkcs11.Certificate
	for _, c := range certs {
		if !c.Cert.IsCA {
			ee = append(ee, c)
		}
	}
	if len(ee) != 1 {
		return pkcs11.Certificate{}, fmt.Errorf("%d end-entity certificates on the token: choose one with -cert THUMBPRINT", len(ee))
	}
	return ee[0], nil
}

// pinFunc reads the PIN from the environment or, when that is empty, from
// standard input.
func pinFunc(c config, w io.Writer) pkcs11.PINFunc {
	return func(ctx context.Context, req pkcs11.PINRequest) (string, error) {
		if req.ProtectedPath {
			fmt.Fprintf(w, "Enter the PIN on the reader's pinpad for %q\n", req.Token.Label)
			return "", nil
		}
		if req.FinalTry {
			fmt.Fprintln(w, "Warning: one more wrong PIN locks the token")
		}
		if c.PIN != "" {
			return c.PIN, nil
		}
		if c.PINEnv != "" {
			if pin := os.Getenv(c.PINEnv); pin != "" {
				return pin, nil
			}
		}
		if c.Stdin == nil {
			return "", errors.New("no PIN: set " + c.PINEnv)
		}
		fmt.Fprintf(w, "PIN for %q: ", req.Token.Label)
		line, err := bufio.NewReader(c.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("reading the PIN: %w", err)
		}
		return strings.TrimSpace(line), nil
	}
}
