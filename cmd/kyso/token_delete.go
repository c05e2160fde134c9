package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kyso-vn/kyso/pkcs11"
)

// "kyso token delete": a certificate, and optionally its key.

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
