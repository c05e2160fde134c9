//go:debug x509negativeserial=1

package main

// The pre-signing certificate check of "kyso sign" (Circular
// 15/2025/TT-BKHCN Art. 5 §1a, Decree 23/2025 Art. 15): the signer's
// certificate is checked with verify.CheckSigner before anything is
// written. The go:debug line above lets the PKCS#12 decoder read
// certificates with negative serial numbers (the library's own parser does
// not need it).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/verify"
)

// exitCertRefused is the exit status when the certificate check refuses
// to sign (expired, not yet valid, revoked, not for signing).
const exitCertRefused = 3

type certCheckFlags struct {
	skip    bool
	offline bool
	timeout time.Duration
}

// registerCertCheck adds the check's flags to a "sign" command.
func registerCertCheck(fs *flag.FlagSet) *certCheckFlags {
	c := &certCheckFlags{}
	fs.BoolVar(&c.skip, "no-cert-check", false, "sign without checking the certificate first (validity, key usage, revocation through OCSP/CRL); a warning is printed")
	fs.BoolVar(&c.offline, "cert-check-offline", false, "check validity and key usage only, without asking the CA's OCSP responder or CRL (a warning is printed)")
	fs.DurationVar(&c.timeout, "cert-check-timeout", 15*time.Second, "time limit of each OCSP/CRL/AIA request of the certificate check")
	return c
}

// run checks s's certificate. It returns exitOK to go on signing, or
// exitCertRefused after printing the bilingual reason to standard error.
// Warnings go to standard error too.
func (c *certCheckFlags) run(ctx context.Context, e *env, s signer.Signer) int {
	res, err := verify.CheckSigner(ctx, s, verify.SignerCheckOptions{
		Skip: c.skip, Offline: c.offline,
		HTTPClient: &http.Client{Timeout: c.timeout}, FetchTimeout: c.timeout,
	})
	var ce *verify.SignerCheckError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(e.stderr, "kyso: %s\nkyso: %s\n(--no-cert-check ký bỏ qua bước kiểm tra / signs without the check)\n", ce.Message.Text(verify.Vietnamese), ce.Message.Text(verify.English))
		return exitCertRefused
	case err != nil:
		fmt.Fprintf(e.stderr, "kyso: kiểm tra chứng thư số / certificate check: %v\n", err)
		return exitCertRefused
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "kyso: %s\nkyso: %s\n", w.Text(verify.Vietnamese), w.Text(verify.English))
	}
	return exitOK
}

// openChecked opens the signer k names and checks its certificate with c.
// It returns the signer and its release function, or the exit code of a
// refused check (exitOK otherwise) or an error, having released the
// signer.
func (c *certCheckFlags) openChecked(ctx context.Context, e *env, k *keyFlags, docName string) (signer.Signer, func(), int, error) {
	s, release, err := k.open(ctx, e, docName)
	if err != nil {
		return nil, nil, 0, err
	}
	if code := c.run(ctx, e, s); code != exitOK {
		release()
		return nil, nil, code, nil
	}
	return s, release, exitOK, nil
}
