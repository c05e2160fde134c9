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

	"golang.org/x/term"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
)

// keyFlags are the key-source flags shared by "sign pdf" and "sign xml".
type keyFlags struct {
	p12, passEnv, passFile string

	module, token, serial, cert, pinEnv string

	sim, mssp, apID, apPassEnv, msspID, display string
	simWait                                     time.Duration
	simx                                        simFlags // sim.go

	remoteFlags // --csc, --sp769, --out-dir (remote.go)

	force bool // replace existing outputs (output.go)
}

func (k *keyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.p12, "p12", "", "PKCS#12 (.p12/.pfx) `FILE` holding the key and certificate")
	fs.StringVar(&k.passEnv, "pass-env", "", "environment variable `VAR` holding the PKCS#12 password (default: asked on the terminal, without echo)")
	fs.StringVar(&k.passFile, "pass-file", "", "`FILE` holding the PKCS#12 password (first line)")

	fs.StringVar(&k.module, "pkcs11", "", "PKCS#11 `MODULE` (USB token middleware library)")
	fs.StringVar(&k.token, "token", "", "token `LABEL` (with --pkcs11)")
	fs.StringVar(&k.serial, "serial", "", "token `SERIAL` number (with --pkcs11)")
	fs.StringVar(&k.cert, "cert", "", "certificate SHA-1/SHA-256 `THUMBPRINT` or serial (with --pkcs11; default: the only end-entity certificate)")
	fs.StringVar(&k.pinEnv, "pin-env", "", "environment variable `VAR` holding the token PIN (default: asked on the terminal without echo, or one line of standard input)")

	fs.StringVar(&k.sim, "sim", "", "mobile number (`MSISDN`) of the SIM holding the key (SIM PKI)")
	fs.StringVar(&k.mssp, "mssp", "", "MSSP endpoint `URL` (with --sim)")
	fs.StringVar(&k.apID, "ap-id", "kyso-ap", "application provider id at the MSSP (with --sim)")
	fs.StringVar(&k.apPassEnv, "ap-pass-env", "", "environment variable holding the AP password (with --sim)")
	fs.StringVar(&k.msspID, "mssp-id", "", "MSSP_ID URI assigned by the operator (with --sim)")
	fs.StringVar(&k.display, "display", "", "text shown on the phone (with --sim; default: the file name)")
	fs.DurationVar(&k.simWait, "sim-timeout", 2*time.Minute, "how long to wait for the user to confirm on the phone")
	k.registerSIM(fs)
	k.remoteFlags.register(fs)
	fs.BoolVar(&k.force, "force", false, "replace OUT (or the files in --out-dir) when it already exists")
}

// open returns the Signer the flags select and a function releasing it.
func (k *keyFlags) open(ctx context.Context, e *env, docName string) (signer.Signer, func(), error) {
	n := 0
	for _, s := range []string{k.p12, k.module, k.sim, k.csc, k.sp769} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, nil, usagef("give exactly one key source: --p12 FILE, --pkcs11 MODULE, --sim MSISDN, --csc BASE_URL or --sp769 BASE_URL")
	}
	switch {
	case k.isRemote():
		return k.openRemote(ctx, e, docName)
	case k.p12 != "":
		return k.openP12(e)
	case k.module != "":
		return k.openPKCS11(ctx, e)
	default:
		return k.openSIM(ctx, e, docName)
	}
}

func (k *keyFlags) openP12(e *env) (signer.Signer, func(), error) {
	var pass string
	hint := "check --pass-env / --pass-file"
	switch {
	case k.passEnv != "" && k.passFile != "":
		return nil, nil, usagef("give --pass-env or --pass-file, not both")
	case k.passEnv != "":
		v, err := envValue("pass-env", k.passEnv)
		if err != nil {
			return nil, nil, err
		}
		pass = v
	case k.passFile != "":
		b, err := os.ReadFile(k.passFile)
		if err != nil {
			return nil, nil, inputErr(fmt.Errorf("--pass-file: %w", err))
		}
		pass, _, _ = strings.Cut(string(b), "\n")
		pass = strings.TrimSuffix(pass, "\r")
	case isTerminal(e.stdin):
		p, err := e.readSecret(fmt.Sprintf("Mật khẩu / password of %s: ", filepath.Base(k.p12)))
		if err != nil {
			return nil, nil, err
		}
		pass, hint = p, "type it again, or use --pass-env / --pass-file"
	default:
		return nil, nil, usagef("--p12 needs the password: --pass-env VAR or --pass-file FILE (or run on a terminal to be asked)")
	}
	s, err := signer.LoadPKCS12File(k.p12, pass)
	switch {
	case errors.Is(err, signer.ErrWrongPassword):
		return nil, nil, inputErr(fmt.Errorf("%w (%s)", err, hint))
	case err != nil:
		return nil, nil, inputErr(err) // names the file already
	}
	return s, func() {}, nil
}

func (k *keyFlags) openPKCS11(ctx context.Context, e *env) (signer.Signer, func(), error) {
	if k.token == "" && k.serial == "" {
		return nil, nil, usagef("--pkcs11 needs --token LABEL or --serial SERIAL")
	}
	tok, release, err := openToken(k.module, k.token, k.serial, k.pinFunc(e))
	if err != nil {
		return nil, nil, err
	}
	certs, err := tok.Certificates(ctx)
	if err != nil {
		release()
		return nil, nil, tokenErr(err) // a wrong or locked PIN exits 2
	}
	var c pkcs11.Certificate
	if k.cert != "" {
		c, err = pkcs11.SelectCertificate(certs, k.cert)
	} else {
		var ee []pkcs11.Certificate
		for _, x := range certs {
			if !x.Cert.IsCA {
				ee = append(ee, x)
			}
		}
		switch len(ee) {
		case 1:
			c = ee[0]
		case 0:
			err = errors.New("no end-entity certificate on the token (import one with kyso token import-cert; see kyso tokens)")
		default:
			err = fmt.Errorf("%d end-entity certificates on the token; choose one with --cert (see kyso tokens)", len(ee))
		}
	}
	if err != nil {
		release()
		return nil, nil, inputErr(err)
	}
	s, err := tok.Signer(ctx, c)
	if err != nil {
		release()
		return nil, nil, tokenErr(err)
	}
	return s, release, nil
}

// finalPINWarning warns that the next wrong user PIN locks the token.
const finalPINWarning = "Cảnh báo: nhập sai PIN lần nữa token sẽ bị khóa / one more wrong PIN locks the token"

// pinNotice tells the user on w, before a PIN is asked for req, to type it
// on the reader's own PIN pad (it returns true: nothing is to be asked) or
// that one more wrong PIN locks the token.
func pinNotice(w io.Writer, req pkcs11.PINRequest) bool {
	if req.ProtectedPath {
		fmt.Fprintf(w, "Nhập PIN trên thiết bị / enter the PIN on the reader for %q\n", req.Token.Label)
		return true
	}
	if req.FinalTry {
		fmt.Fprintln(w, finalPINWarning)
	}
	return false
}

func (k *keyFlags) pinFunc(e *env) pkcs11.PINFunc {
	return func(ctx context.Context, req pkcs11.PINRequest) (string, error) {
		if pinNotice(e.stderr, req) {
			return "", nil
		}
		if k.pinEnv != "" {
			return envValue("pin-env", k.pinEnv)
		}
		if isTerminal(e.stdin) {
			pin, err := e.readSecret(fmt.Sprintf("PIN cho / for %q: ", req.Token.Label))
			return strings.TrimSpace(pin), err
		}
		fmt.Fprintf(e.stderr, "PIN cho / for %q: ", req.Token.Label)
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		fmt.Fprintln(e.stderr)
		if err != nil && line == "" {
			return "", usagef("no PIN given (use --pin-env VAR): %v", err)
		}
		return strings.TrimSpace(line), nil
	}
}

// errInterrupted ends a prompt the user interrupted (exit status 1).
var errInterrupted = errors.New("đã dừng / interrupted")

// readSecret asks for a password or PIN on the terminal that is standard
// input, without echo; the prompt goes to standard error. Ctrl-C ends the
// prompt with errInterrupted and the terminal echoes again.
func (e *env) readSecret(prompt string) (string, error) {
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("standard input is not a terminal: cannot ask %q", strings.TrimSpace(prompt))
	}
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", inputErr(fmt.Errorf("reading from the terminal: %w", err))
	}
	fmt.Fprint(e.stderr, prompt)
	type answer struct {
		b   []byte
		err error
	}
	got := make(chan answer, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		got <- answer{b, err}
	}()
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case a := <-got:
		fmt.Fprintln(e.stderr) // the user's newline was not echoed
		if a.err != nil {
			return "", inputErr(fmt.Errorf("reading from the terminal: %w", a.err))
		}
		return strings.TrimRight(string(a.b), "\r\n"), nil
	case <-ctx.Done():
		term.Restore(fd, state)
		fmt.Fprintln(e.stderr)
		return "", errInterrupted
	}
}

// isTerminal reports whether the stream s (standard input or error) is a
// terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
