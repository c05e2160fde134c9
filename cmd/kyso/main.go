// Command kyso signs and verifies documents for Vietnamese e-government from
// the command line: PDF (PAdES), XML (XML-DSig / XAdES e-invoices) and any
// file (detached CAdES), with keys in a PKCS#12 file, on a PKCS#11 USB
// token, on a SIM card (through the operator's MSSP) or at a remote-signing
// service. It is a thin shell over the kyso library; each subcommand lives in
// the file named after it (sign_pdf.go, verify.go, token.go, ...).
//
// Install it with
//
//	go install github.com/kyso-vn/kyso/cmd/kyso@latest
//
// It needs cgo (for PKCS#11 tokens) and so a C compiler.
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
//	kyso version                   the module version and the Go version it was built with
//	kyso help [COMMAND [SUBCOMMAND]]
//	                               the commands, or one command's flags (the same as COMMAND -h)
//
// Key sources for sign (exactly one):
//
//	--p12 FILE [--pass-env VAR | --pass-file FILE]   (neither: asked on the terminal, without echo)
//	--pkcs11 MODULE (--token LABEL | --serial SERIAL) [--cert THUMBPRINT] [--pin-env VAR]
//	--sim MSISDN --mssp URL [--ap-id ID] [--ap-pass-env VAR] [--mssp-id URI]
//	    [--sim-profile etsi|vgca|ficom] [--sim-mode synch|async|poll] [--sim-format pkcs1|cms]
//	    [--sim-digestinfo] [--mssp-status URL] [--mssp-receipt URL] [--mssp-registration URL]
//	--csc BASE_URL --csc-user USER --csc-pass-env VAR [--csc-credential ID] [--csc-pin-env VAR]
//	--sp769 BASE_URL --sp-id ID --sp-pass-env VAR --sp-user USER_ID
//
// A token PIN without --pin-env is asked on the terminal without echo too
// (or read as one line of standard input when it is not a terminal).
//
// Output: sign writes OUT through a temporary file renamed into place only
// when signing succeeded, and refuses to replace an existing OUT unless
// --force is given (exit status 2, nothing written). OUT "-" writes the
// signed document to standard output, only once it is complete (a PDF or
// a .p7s only when standard output is not a terminal); the messages then go
// to standard error. With several inputs and --out-dir DIR,
// sign pdf, sign xml and sign file sign them as one batch: one confirmation
// on the phone for a remote key, and no file written unless all are signed.
//
// Progress is shown on standard error for files over 4 MiB when standard
// error is a terminal, unless --quiet is given. Flags may be given before or
// after the file arguments.
//
// Exit status, the same for every command:
//
//	0  success: the document signed, the command done; for verify, every
//	   signature of every file is TOTAL_PASSED; help, version and -h
//	1  a verdict or a refusal: verify found a signature TOTAL_FAILED or
//	   INDETERMINATE, or a file holding no signature; an operation failed
//	   or was refused (a TSA error; any refusal by the SIM user or the
//	   MSSP: cancelled, expired, PIN or SIM blocked, unknown number, no
//	   answer in time; a remote-signing service refusing; the token
//	   refusing a command; interrupted) — worded in Vietnamese and English
//	2  a usage or input error: unknown command, bad flags or arguments,
//	   an existing OUT without --force, an unreadable or malformed file,
//	   a wrong password or token PIN, a locked PIN
//	3  sign pdf, xml and file (batches too): the certificate check refused to
//	   sign (expired, not yet valid, revoked, not for signing — Circular
//	   15/2025); nothing is written
//
// Run "kyso help" or "kyso COMMAND -h" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	// exitCertRefused (3) is in certcheck.go.
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
  kyso version                   print the version
  kyso help [COMMAND]            print this, or a command's flags

Run "kyso COMMAND -h" for a command's flags. OUT "-" is standard output.
Exit status: 0 ok, 1 verdict not TOTAL_PASSED or operation refused,
2 usage or input error, 3 certificate check refused to sign.
`

// env bundles the process's streams for the commands.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	ctx            context.Context // done when the user interrupts (Ctrl-C)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, ctx: ctx}
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
	case "version", "-version", "--version":
		code, err = e.version(rest)
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 || cmd != "help" {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		// "kyso help sign pdf" is "kyso sign pdf -h".
		return run(ctx, append(append([]string{}, rest...), "-h"), stdin, stdout, stderr)
	default:
		err = usagef("unknown command %q", cmd)
	}
	if err == nil {
		return code
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "kyso:", message(err))
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFailed
}
