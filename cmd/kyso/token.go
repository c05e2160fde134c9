package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/verify"
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
		fmt.Fprint(e.stdout, tokenUsage)
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
	mod, err := pkcs11.Open(c.module)
	if err != nil {
		return nil, nil, inputErr(err)
	}
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: c.token, Serial: c.serial}, pkcs11.Options{PIN: pin})
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
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", usagef("--%s: environment variable %s is not set", flagName, env)
		}
		return v, nil
	}
	fmt.Fprint(c.e.stderr, prompt)
	if f, ok := c.e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.e.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the PIN from the terminal: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
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
		if req.ProtectedPath {
			fmt.Fprintf(c.e.stderr, "Nhập PIN trên thiết bị / enter the PIN on the reader for %q\n", req.Token.Label)
			return "", nil
		}
		if req.FinalTry {
			fmt.Fprintln(c.e.stderr, "Cảnh báo: nhập sai PIN lần nữa token sẽ bị khóa / one more wrong PIN locks the token")
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

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func (c *tokenCmd) keygen(ctx context.Context, args []string) (int, error) {
	fs := c.flags("keygen", true)
	keyType := fs.String("key", "rsa-2048", "key `TYPE`: rsa-2048, rsa-3072, ec-p256 or ec-p384")
	fs.StringVar(&c.label, "label", "", "key `LABEL` shown by the token's tools (default: the subject's CN and the date)")
	subject := fs.String("subject", "", "requested subject as RFC 4514 `TEXT`, e.g. \"CN=Nguyễn Văn An,O=Công ty ABC,ST=Hà Nội,C=VN\"")
	cccd := fs.String("cccd", "", "citizen identity card `NUMBER` (12 digits), written UID=CCCD:…")
	cmnd := fs.String("cmnd", "", "old identity card `NUMBER` (9 or 12 digits), written UID=CMND:…")
	mst := fs.String("mst", "", "tax code (`MST`, 10 digits or 10-3), written UID=MST:…")
	passport := fs.String("passport", "", "passport `NUMBER`, written UID=HC:…")
	var uids, emails multiFlag
	fs.Var(&uids, "uid", "further UID `TYPE:VALUE` (repeatable), e.g. MNS:1234567")
	fs.Var(&emails, "email", "e-mail `ADDRESS` requested as subjectAltName (repeatable)")
	challengeEnv := fs.String("challenge-env", "", "environment variable `VAR` holding a challengePassword the CA asks for")
	csrOut := fs.String("csr", "", "write the certificate request to `FILE` (PEM)")
	idHex := fs.String("id", "", "CKA_ID in `HEX` for the new key (default: random)")
	const synopsis = "kyso token keygen --pkcs11 MOD --token LABEL --key TYPE --label TEXT --subject DN [--cccd N | --mst N] --csr OUT.csr"
	if err := c.parse(fs, args, synopsis); err != nil {
		return 0, err
	}
	if *csrOut == "" {
		return 0, usagef("token keygen: give --csr OUT.csr")
	}
	if *subject == "" {
		return 0, usagef("token keygen: give --subject \"CN=…,O=…,ST=…,C=VN\"")
	}
	typ, err := pkcs11.ParseKeyType(*keyType)
	if err != nil {
		return 0, inputErr(err)
	}
	attrs, err := signer.ParseSubject(*subject)
	if err != nil {
		return 0, inputErr(fmt.Errorf("--subject: %w", err))
	}
	for _, u := range [][2]string{{signer.IDCitizen, *cccd}, {signer.IDLegacyID, *cmnd}, {signer.IDTaxCode, *mst}, {signer.IDPassport, *passport}} {
		if u[1] == "" {
			continue
		}
		a, err := signer.UIDAttribute(u[0], u[1])
		if err != nil {
			return 0, inputErr(err)
		}
		attrs = append(attrs, a)
	}
	for _, u := range uids {
		typ, val, ok := strings.Cut(u, ":")
		if !ok {
			return 0, usagef("--uid %q: want TYPE:VALUE", u)
		}
		a, err := signer.UIDAttribute(typ, val)
		if err != nil {
			return 0, inputErr(err)
		}
		attrs = append(attrs, a)
	}
	subjectDER, err := signer.MarshalSubject(attrs)
	if err != nil {
		return 0, inputErr(err)
	}
	opts := pkcs11.CSROptions{RawSubject: subjectDER}
	if len(emails) > 0 {
		san, err := pkcs11.EmailSAN(emails...)
		if err != nil {
			return 0, inputErr(fmt.Errorf("--email: %w", err))
		}
		opts.Extensions = append(opts.Extensions, san)
	}
	if *challengeEnv != "" {
		v, err := c.secret("challenge-env", *challengeEnv, "")
		if err != nil {
			return 0, err
		}
		opts.Attributes = append(opts.Attributes, pkcs11.ChallengePassword(v))
	}
	var id []byte
	if *idHex != "" {
		if id, err = hex.DecodeString(strings.ReplaceAll(*idHex, ":", "")); err != nil || len(id) == 0 {
			return 0, usagef("--id %q: want hexadecimal", *idHex)
		}
	}
	display, _ := signer.DisplayRawName(subjectDER)
	label := c.label
	if label == "" {
		label = signer.ParseIdentity(nameOf(subjectDER)).CommonName
	}
	// Refuse to overwrite an existing request before touching the token.
	out, err := os.OpenFile(*csrOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, inputErr(fmt.Errorf("--csr: %w", err))
	}
	written := false
	defer func() {
		out.Close()
		if !written {
			os.Remove(*csrOut)
		}
	}()

	tok, release, err := c.open(c.pinFunc())
	if err != nil {
		return 0, err
	}
	defer release()
	kp, err := tok.GenerateKey(ctx, pkcs11.KeyOptions{Type: typ, Label: label, ID: id})
	if err != nil {
		return 0, tokenErr(err)
	}
	der, err := kp.CertificateRequest(ctx, opts)
	if err != nil {
		return 0, tokenErr(fmt.Errorf("%w (the new key %X stays on the token; remove it with the vendor's tool or reuse it)", err, kp.ID))
	}
	if err := pem.Encode(out, &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}); err != nil {
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	written = true
	w := c.e.stdout
	fmt.Fprintf(w, "Đã tạo khóa / key generated: %s, label %q, CKA_ID %X\n", typ, kp.Label, kp.ID)
	fmt.Fprintf(w, "  sensitive %v, extractable %v, never extractable %v, generated on the token (local) %v\n",
		kp.Protection.Sensitive, kp.Protection.Extractable, kp.Protection.NeverExtractable, kp.Protection.Local)
	fmt.Fprintf(w, "Yêu cầu chứng thư / certificate request: %s\n  %s\n", *csrOut, display)
	fmt.Fprintln(w, "Gửi tệp này cho CA; nhập chứng thư được cấp bằng / send it to the CA, then import the issued certificate with: kyso token import-cert")
	return exitOK, nil
}

func (c *tokenCmd) importCert(ctx context.Context, args []string) (int, error) {
	fs := c.flags("import-cert", true)
	certFile := fs.String("cert", "", "issued certificate `FILE` (PEM or DER; further PEM certificates are taken as its chain)")
	chainFile := fs.String("chain", "", "CA certificate(s) `FILE` to store beside it (PEM, DER or .p7b)")
	fs.StringVar(&c.label, "label", "", "certificate `LABEL` (default: holder, CA and expiry date)")
	if err := c.parse(fs, args, "kyso token import-cert --pkcs11 MOD --token LABEL --cert CERT.pem [--chain CHAIN.pem]"); err != nil {
		return 0, err
	}
	if *certFile == "" {
		return 0, usagef("token import-cert: give --cert CERT.pem")
	}
	data, err := os.ReadFile(*certFile)
	if err != nil {
		return 0, inputErr(err)
	}
	certs, err := verify.ParseCertificates(data)
	if err != nil || len(certs) == 0 {
		return 0, inputErr(fmt.Errorf("--cert %s: no certificate: %v", *certFile, err))
	}
	leaf, chain := certs[0], certs[1:]
	if *chainFile != "" {
		data, err := os.ReadFile(*chainFile)
		if err != nil {
			return 0, inputErr(err)
		}
		more, err := verify.ParseCertificates(data)
		if err != nil {
			return 0, inputErr(fmt.Errorf("--chain %s: %w", *chainFile, err))
		}
		chain = append(chain, more...)
	}
	tok, release, err := c.open(c.pinFunc())
	if err != nil {
		return 0, err
	}
	defer release()
	got, err := tok.ImportCertificate(ctx, leaf, pkcs11.ImportOptions{Label: c.label, Chain: chain})
	if err != nil {
		return 0, tokenErr(err)
	}
	fmt.Fprintf(c.e.stdout, "Đã nhập chứng thư / certificate imported: %q, CKA_ID %X\n", got.Label, got.ID)
	c.describe(got)
	return exitOK, nil
}

// describe prints a certificate's thumbprint, subject and identifiers.
func (c *tokenCmd) describe(got pkcs11.Certificate) {
	fmt.Fprintf(c.e.stdout, "  %s\n", got)
	for _, l := range holderLines(got.Cert) {
		fmt.Fprintf(c.e.stdout, "    %s\n", l)
	}
	fmt.Fprintf(c.e.stdout, "    SHA-256 %X\n", got.SHA256)
}

// holderLines describes a certificate's holder for "kyso tokens": the
// subject, and the CCCD / CMND / MST / passport identifiers it carries.
func holderLines(cert *x509.Certificate) []string {
	subj, err := signer.DisplayRawName(cert.RawSubject)
	if err != nil {
		subj = signer.DisplayName(cert.Subject)
	}
	lines := []string{"Subject: " + subj}
	id := signer.ParseIdentity(cert.Subject)
	var ids []string
	for _, typ := range []string{signer.IDCitizen, signer.IDLegacyID, signer.IDTaxCode, signer.IDPassport, signer.IDBudget} {
		for _, v := range id.All(typ) {
			ids = append(ids, typ+" "+v)
		}
	}
	if id.Get(signer.IDTaxCode) == "" && id.TaxCode() != "" {
		ids = append(ids, "MST "+id.TaxCode())
	}
	if len(ids) > 0 {
		lines = append(lines, "Định danh / identifiers: "+strings.Join(ids, ", "))
	}
	return lines
}

// pinStatus prints a PIN state in both languages.
func (c *tokenCmd) pinStatus(when string, st pkcs11.PINStatus) {
	fmt.Fprintf(c.e.stdout, "%s: %s\n  (%s)\n", when, st.Vietnamese(), st)
}

func (c *tokenCmd) changePIN(ctx context.Context, args []string) (int, error) {
	fs := c.flags("change-pin", true)
	newEnv := fs.String("new-pin-env", "", "environment variable `VAR` holding the new PIN (default: ask twice without echo)")
	if err := c.parse(fs, args, "kyso token change-pin --pkcs11 MOD --token LABEL [--pin-env OLD --new-pin-env NEW]"); err != nil {
		return 0, err
	}
	tok, release, err := c.open(nil)
	if err != nil {
		return 0, err
	}
	defer release()
	before, err := tok.PINStatus()
	if err != nil {
		return 0, err
	}
	c.pinStatus("Trước / before", before)
	var oldPIN, newPIN string
	if before.ProtectedPath {
		fmt.Fprintln(c.e.stderr, "Nhập PIN cũ và PIN mới trên thiết bị / enter the old and the new PIN on the reader")
	} else {
		if before.Locked {
			return 0, inputErr(fmt.Errorf("%w: unblock it with kyso token unblock-pin / PIN đã bị khóa, mở khóa bằng PIN quản trị (SO)", pkcs11.ErrPINLocked))
		}
		if before.FinalTry {
			fmt.Fprintln(c.e.stderr, "Cảnh báo: nhập sai PIN lần nữa token sẽ bị khóa / one more wrong PIN locks the token")
		}
		if oldPIN, err = c.secret("pin-env", c.pinEnv, "PIN hiện tại / current PIN: "); err != nil {
			return 0, err
		}
		if newPIN, err = c.newPIN(*newEnv); err != nil {
			return 0, err
		}
	}
	ch, err := tok.ChangePIN(ctx, oldPIN, newPIN)
	if err != nil {
		c.pinStatus("Sau / after", ch.After)
		return 0, tokenErr(err)
	}
	fmt.Fprintln(c.e.stdout, "Đã đổi PIN / PIN changed")
	c.pinStatus("Sau / after", ch.After)
	return exitOK, nil
}

func (c *tokenCmd) unblockPIN(ctx context.Context, args []string) (int, error) {
	fs := c.flags("unblock-pin", false)
	soEnv := fs.String("so-pin-env", "", "environment variable `VAR` holding the SO (security officer) PIN (default: ask without echo)")
	newEnv := fs.String("new-pin-env", "", "environment variable `VAR` holding the new user PIN (default: ask twice without echo)")
	if err := c.parse(fs, args, "kyso token unblock-pin --pkcs11 MOD --token LABEL [--so-pin-env SO --new-pin-env NEW]"); err != nil {
		return 0, err
	}
	tok, release, err := c.open(nil)
	if err != nil {
		return 0, err
	}
	defer release()
	before, err := tok.PINStatus()
	if err != nil {
		return 0, err
	}
	c.pinStatus("Trước / before", before)
	var soPIN, newPIN string
	if before.ProtectedPath {
		fmt.Fprintln(c.e.stderr, "Nhập PIN quản trị (SO) và PIN mới trên thiết bị / enter the SO PIN and the new PIN on the reader")
	} else {
		if before.SOLocked {
			return 0, inputErr(fmt.Errorf("%w: only the CA or the vendor can reset this token", pkcs11.ErrSOPINLocked))
		}
		if before.SOFinalTry {
			fmt.Fprintln(c.e.stderr, "Cảnh báo: nhập sai PIN quản trị lần nữa token sẽ bị khóa vĩnh viễn / one more wrong SO PIN locks the token for good")
		}
		if soPIN, err = c.secret("so-pin-env", *soEnv, "PIN quản trị / SO PIN: "); err != nil {
			return 0, err
		}
		if newPIN, err = c.newPIN(*newEnv); err != nil {
			return 0, err
		}
	}
	ch, err := tok.UnblockPIN(ctx, soPIN, newPIN)
	if err != nil {
		c.pinStatus("Sau / after", ch.After)
		if errors.Is(err, pkcs11.ErrSOPINIncorrect) {
			err = fmt.Errorf("%w (not retried / không thử lại)", err)
		}
		return 0, tokenErr(err)
	}
	fmt.Fprintln(c.e.stdout, "Đã mở khóa và đặt PIN mới / PIN unblocked and set")
	c.pinStatus("Sau / after", ch.After)
	return exitOK, nil
}

func (c *tokenCmd) delete(ctx context.Context, args []string) (int, error) {
	fs := c.flags("delete", true)
	thumb := fs.String("cert", "", "certificate SHA-1/SHA-256 `THUMBPRINT` or serial (see kyso tokens)")
	withKey := fs.Bool("with-key", false, "also delete the certificate's private and public key")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	if err := c.parse(fs, args, "kyso token delete --pkcs11 MOD --token LABEL --cert THUMBPRINT [--with-key] [--yes]"); err != nil {
		return 0, err
	}
	if *thumb == "" {
		return 0, usagef("token delete: give --cert THUMBPRINT")
	}
	tok, release, err := c.open(c.pinFunc())
	if err != nil {
		return 0, err
	}
	defer release()
	certs, err := tok.Certificates(ctx)
	if err != nil {
		return 0, err
	}
	cert, err := pkcs11.SelectCertificate(certs, *thumb)
	if err != nil {
		return 0, inputErr(err)
	}
	what := "chứng thư / certificate"
	if *withKey {
		what = "chứng thư VÀ khóa bí mật / certificate AND its private key"
	}
	fmt.Fprintf(c.e.stdout, "Sẽ xóa %s:\n", what)
	c.describe(cert)
	if !*yes {
		fmt.Fprint(c.e.stderr, "Xóa? Không thể hoàn tác / delete? This cannot be undone [y/N]: ")
		line, _ := c.in.ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes", "c", "có", "co":
		default:
			fmt.Fprintln(c.e.stderr, "Đã hủy, không xóa gì / cancelled, nothing deleted")
			return exitFailed, nil
		}
	}
	if err := tok.DeleteCertificate(ctx, cert, *withKey); err != nil {
		return 0, tokenErr(err)
	}
	fmt.Fprintln(c.e.stdout, "Đã xóa / deleted")
	return exitOK, nil
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
