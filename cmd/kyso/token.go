package main

import (
	"bufio"
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"flag"
	"fmt"
	"strings"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
)

const tokenUsage = `kyso token manages the keys, certificates and PINs of a PKCS#11 token.

Usage:
  kyso token keygen      --pkcs11 MOD --token LABEL --key rsa-2048|rsa-3072|ec-p256|ec-p384 --label TEXT
                         --subject "CN=…,O=…,ST=…,C=VN" [--cccd N | --cmnd N | --mst N | --passport N] --csr OUT.csr
  kyso token import-cert --pkcs11 MOD --token LABEL --cert CERT.pem [--chain CHAIN.pem] [--label TEXT]
  kyso token change-pin  --pkcs11 MOD --token LABEL [--pin-env OLD --new-pin-env NEW]
  kyso token unblock-pin --pkcs11 MOD --token LABEL [--so-pin-env SO --new-pin-env NEW]
  kyso token delete      --pkcs11 MOD --token LABEL --cert THUMBPRINT [--with-key] [--yes]

Without --pin-env, --so-pin-env or --new-pin-env the PINs are asked for on
the terminal without echo (or read one per line from standard input).
Run "kyso token SUBCOMMAND -h" for the flags.
`

// tokenCmd holds what every token subcommand shares.
type tokenCmd struct {
	e                    *env
	module, token, label string
	serial, pinEnv       string
	in                   *bufio.Reader // standard input, shared by all prompts
}

func (e *env) token(ctx context.Context, args []string) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, tokenUsage)
		return 0, usagef("token: give a subcommand")
	}
	c := &tokenCmd{e: e, in: bufio.NewReader(e.stdin)}
	switch sub, rest := args[0], args[1:]; sub {
	case "keygen":
		return c.keygen(ctx, rest)
	case "import-cert":
		return c.importCert(ctx, rest)
	case "change-pin":
		return c.changePIN(ctx, rest)
	case "unblock-pin":
		return c.unblockPIN(ctx, rest)
	case "delete":
		return c.delete(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, tokenUsage+"\n"+tokenExitHelp)
		return exitOK, nil
	default:
		return 0, usagef("token: unknown subcommand %q (keygen, import-cert, change-pin, unblock-pin, delete)", sub)
	}
}

// flags registers the token selection flags on a new flag set.
func (c *tokenCmd) flags(name string, pin bool) *flag.FlagSet {
	fs := flag.NewFlagSet("token "+name, flag.ContinueOnError)
	fs.StringVar(&c.module, "pkcs11", "", "PKCS#11 `MODULE` (USB token middleware library)")
	fs.StringVar(&c.token, "token", "", "token `LABEL`")
	fs.StringVar(&c.serial, "serial", "", "token `SERIAL` number (instead of --token)")
	if pin {
		fs.StringVar(&c.pinEnv, "pin-env", "", "environment variable `VAR` holding the user PIN (default: ask without echo)")
	}
	return fs
}

func (c *tokenCmd) parse(fs *flag.FlagSet, args []string, synopsis string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return helpFor(fs, c.e.stdout, synopsis, err)
	}
	if len(pos) != 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), pos[0])
	}
	if c.module == "" {
		return usagef("%s: give --pkcs11 MODULE", fs.Name())
	}
	if c.token == "" && c.serial == "" {
		return usagef("%s: give --token LABEL or --serial SERIAL (see kyso tokens)", fs.Name())
	}
	return nil
}

// open loads the module and selects the token.
func (c *tokenCmd) open(pin pkcs11.PINFunc) (*pkcs11.Token, func(), error) {
	return openToken(c.module, c.token, c.serial, pin)
}

// openToken loads the PKCS#11 module and opens the token with this label
// or serial; release closes both. Failures are input errors (exit 2).
func openToken(module, label, serial string, pin pkcs11.PINFunc) (*pkcs11.Token, func(), error) {
	mod, err := pkcs11.Open(module)
	if err != nil {
		return nil, nil, inputErr(err)
	}
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: label, Serial: serial}, pkcs11.Options{PIN: pin})
	if err != nil {
		mod.Close()
		return nil, nil, inputErr(err)
	}
	return tok, func() { tok.Close(); mod.Close() }, nil
}

// secret returns the value of environment variable env when it is given,
// else asks for it with prompt: without echo on a terminal, else one line
// of standard input.
func (c *tokenCmd) secret(flagName, env, prompt string) (string, error) {
	if env != "" {
		return envValue(flagName, env)
	}
	if isTerminal(c.e.stdin) {
		return c.e.readSecret(prompt)
	}
	fmt.Fprint(c.e.stderr, prompt)
	line, err := c.in.ReadString('\n')
	fmt.Fprintln(c.e.stderr)
	if err != nil && line == "" {
		return "", usagef("no input for %q (use --%s VAR): %v", strings.TrimSpace(prompt), flagName, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// pinFunc asks for the user PIN when the token needs a login.
func (c *tokenCmd) pinFunc() pkcs11.PINFunc {
	return func(ctx context.Context, req pkcs11.PINRequest) (string, error) {
		if pinNotice(c.e.stderr, req) {
			return "", nil
		}
		return c.secret("pin-env", c.pinEnv, fmt.Sprintf("PIN cho / for %q: ", req.Token.Label))
	}
}

// newPIN reads the new PIN: from env, or asked twice.
func (c *tokenCmd) newPIN(env string) (string, error) {
	if env != "" {
		return c.secret("new-pin-env", env, "")
	}
	a, err := c.secret("new-pin-env", "", "PIN mới / new PIN: ")
	if err != nil {
		return "", err
	}
	b, err := c.secret("new-pin-env", "", "Nhập lại PIN mới / repeat the new PIN: ")
	if err != nil {
		return "", err
	}
	if a != b {
		return "", usagef("the two new PINs differ / hai lần nhập PIN mới không khớp")
	}
	return a, nil
}

// tokenErr classifies a library error: PIN and input problems exit 2.
func tokenErr(err error) error {
	if errorsIsAny(err, signer.ErrWrongPassword, pkcs11.ErrPINLocked, pkcs11.ErrSOPINLocked, pkcs11.ErrNewPINInvalid,
		pkcs11.ErrKeyNotOnToken, pkcs11.ErrBadChain, pkcs11.ErrKeyInUse, signer.ErrNoCertificate, signer.ErrBadSubject,
		pkcs11.ErrBadKeyType, pkcs11.ErrPINRequired) {
		return inputErr(err)
	}
	return err
}

// nameOf parses a DER name (one MarshalSubject wrote).
func nameOf(der []byte) pkix.Name {
	var rdns pkix.RDNSequence
	var n pkix.Name
	if _, err := asn1.Unmarshal(der, &rdns); err == nil {
		n.FillFromRDNSequence(&rdns)
	}
	return n
}
