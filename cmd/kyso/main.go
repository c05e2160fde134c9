// Command kyso signs and verifies documents for Vietnamese e-government from
// the command line: PDF (PAdES) and XML (XML-DSig / XAdES e-invoices), with
// keys in a PKCS#12 file, on a PKCS#11 USB token or on a SIM card (through
// the operator's MSSP). It is a thin shell over the kyso library.
//
// Install it with
//
//	go install github.com/kyso-vn/kyso/cmd/kyso@latest
//
// Commands:
//
//	kyso sign pdf IN OUT [flags]   sign a PDF (PAdES B-B, B-T, B-LT or B-LTA)
//	kyso sign xml IN OUT [flags]   sign an XML document (e-invoice profiles; XAdES B-B, B-T, B-LT)
//	kyso sign file IN OUT.p7s [flags] sign any file (detached CAdES B-B, B-T, B-LT; second signers, countersignatures)
//	kyso verify FILE... [flags]    verify every signature of each file
//	kyso pki init DIR              write a test PKI to try the tool with
//	kyso pki serve DIR             serve that PKI's TSA, OCSP, CRL, an MSSP and remote-signing simulators on loopback
//	kyso tokens --pkcs11 MODULE    list tokens and certificates of a PKCS#11 module
//	kyso token keygen|import-cert|change-pin|unblock-pin|delete ...
//	                               new key and CSR, import the issued certificate,
//	                               change or unblock the PIN, delete a certificate
//
// Key sources for sign (exactly one):
//
//	--p12 FILE (--pass-env VAR | --pass-file FILE)
//	--pkcs11 MODULE (--token LABEL | --serial SERIAL) [--cert THUMBPRINT] [--pin-env VAR]
//	--sim MSISDN --mssp URL [--ap-id ID] [--ap-pass-env VAR] [--mssp-id URI]
//	    [--sim-profile etsi|vgca|ficom] [--sim-mode synch|async|poll] [--sim-format pkcs1|cms]
//	    [--sim-digestinfo] [--mssp-status URL] [--mssp-receipt URL] [--mssp-registration URL]
//	--csc BASE_URL --csc-user USER --csc-pass-env VAR [--csc-credential ID] [--csc-pin-env VAR]
//	--sp769 BASE_URL --sp-id ID --sp-pass-env VAR --sp-user USER_ID
//
// With several inputs and --out-dir DIR, sign pdf and sign xml sign them
// as one batch: one confirmation on the phone for a remote key, and no
// file written unless all are signed.
//
// Exit status: 0 on success (for verify: every signature of every file is
// TOTAL_PASSED); 1 when a signature is TOTAL_FAILED or INDETERMINATE, a file
// holds no signature, or an operation failed (a TSA error; any refusal by
// the SIM user or the MSSP: cancelled, expired, PIN or SIM blocked, unknown
// number, no answer in time — worded in Vietnamese and English); 2 for a
// usage or input error (bad flags, unreadable or malformed file, wrong
// password or token PIN). Run "kyso help" or "kyso COMMAND -h" for the flags.
//
// Flags may be given before or after the file arguments. Progress is shown
// on standard error for files over 4 MiB unless --quiet is given.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // a verdict other than TOTAL_PASSED, or an operation failed
	exitUsage   = 2 // usage or input error
	progressMin = 4 << 20
)

// usageError marks errors that exit with status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// inputErr marks err as an input error (exit status 2), keeping it for
// errors.Is.
func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

const usage = `kyso signs and verifies PDF and XML documents (Vietnamese e-government profiles).

Usage:
  kyso sign pdf IN OUT [flags]   sign a PDF (PAdES)
  kyso sign xml IN OUT [flags]   sign an XML document (XML-DSig/XAdES, e-invoice profiles)
  kyso sign file IN OUT.p7s [flags]  sign any file (detached CAdES .p7s; verify with kyso verify OUT.p7s)
  kyso verify FILE... [flags]    verify signatures; exit 0 only if all are TOTAL_PASSED
  kyso pki init DIR              write a test PKI (root, CA, TSA, signer .p12) to DIR
  kyso pki serve DIR             serve DIR's TSA, OCSP, CRL and an MSSP simulator on loopback until interrupted
  kyso tokens --pkcs11 MODULE    list tokens and certificates on a PKCS#11 module
  kyso token SUBCOMMAND ...      keygen, import-cert, change-pin, unblock-pin, delete on a token

Run "kyso COMMAND -h" for a command's flags.
`

// env bundles the process's streams for the commands.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var code int
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "sign":
		code, err = e.sign(ctx, rest)
	case "verify":
		code, err = e.verify(ctx, rest)
	case "pki":
		code, err = e.pki(ctx, rest)
	case "tokens":
		code, err = e.tokens(ctx, rest)
	case "token":
		code, err = e.token(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		err = usagef("unknown command %q", cmd)
	}
	if err == nil {
		return code
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "kyso:", err)
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFailed
}

// parse parses flags that may come before, between or after the
// positional arguments (the standard flag package stops at the first
// positional argument) and returns the positional arguments. "--" ends the
// flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// helpFor prints fs's flags to w when err is flag.ErrHelp, spelt with two
// dashes as the documentation writes them (one dash works too).
func helpFor(fs *flag.FlagSet, w io.Writer, synopsis string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(w, "Usage: %s\n\nFlags:\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				if name == "string" {
					usage += fmt.Sprintf(" (default %q)", f.DefValue)
				} else {
					usage += " (default " + f.DefValue + ")"
				}
			}
			fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		})
	}
	return err
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
