package main

import (
	"fmt"
	"strings"
)

// Help for the commands that group subcommands ("kyso sign", "kyso pki");
// "kyso token" has its own in token.go, and every leaf command prints its
// flags through helpFor (flags.go).

const signUsage = `kyso sign signs a document with one key source.

Usage:
  kyso sign pdf IN OUT [flags]       PAdES B-B, B-T, B-LT or B-LTA; visible signatures, e-office flows
  kyso sign xml IN OUT [flags]       XML-DSig / XAdES in the e-invoice slots (seller, buyer, cqt, nnt) or anywhere
  kyso sign file IN OUT.p7s [flags]  detached CAdES over any file; second signers, countersignatures
  kyso sign pdf|xml|file IN... --out-dir DIR [flags]   several inputs as one batch

Key sources (exactly one): --p12 FILE, --pkcs11 MODULE, --sim MSISDN,
--csc BASE_URL or --sp769 BASE_URL. OUT "-" writes to standard output;
an existing OUT is replaced only with --force.
Exit status: 0 signed, 1 the operation failed or was refused, 2 usage or
input error, 3 the certificate check refused to sign (nothing written).
Run "kyso sign pdf -h" (xml, file) for the flags.
`

const pkiUsage = `kyso pki makes and serves a throwaway test PKI to try kyso with.

Usage:
  kyso pki init DIR [--name NAME] [--cccd NUMBER]
        write a root, a CA, a TSA and a signer's .p12 to DIR
  kyso pki serve DIR [--addr 127.0.0.1:PORT] [--sim MSISDN]
        serve DIR's TSA, OCSP, CRL, an MSSP and remote-signing simulators on loopback until interrupted

Run "kyso pki init -h" or "kyso pki serve -h" for the flags.
`

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

// groupHelp handles a command that groups subcommands when args is empty
// (the usage on standard error, exit status 2) or asks for help (the usage on
// standard output, exit status 0). ok is false when args names a
// subcommand.
func (e *env) groupHelp(args []string, text, name string) (ok bool, code int, err error) {
	switch {
	case len(args) == 0:
		fmt.Fprint(e.stderr, text)
		return true, 0, usagef("%s: give a subcommand", name)
	case isHelp(args[0]):
		fmt.Fprint(e.stdout, text)
		if x := exitHelp("kyso " + name); x != "" && !strings.Contains(text, "Exit status") {
			fmt.Fprintf(e.stdout, "\n%s", x)
		}
		return true, exitOK, nil
	}
	return false, 0, nil
}
