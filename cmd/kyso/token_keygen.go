package main

import (
	"context"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"strings"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
)

// "kyso token keygen": a new key pair on the token and its PKCS#10 request.

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
		if st, serr := os.Stat(*csrOut); serr == nil && st.IsDir() {
			return 0, usagef("--csr %s: is a directory", *csrOut)
		}
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
