package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/verify"
)

// "kyso token import-cert": the issued certificate (and its chain) onto
// the token, next to its key.

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
