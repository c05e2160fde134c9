package main

import (
	"context"
	"errors"
	"strings"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// "kyso sign": the dispatch to sign pdf (sign_pdf.go), sign xml
// (sign_xml.go) and sign file (sign_file.go), and what they share.

func (e *env) sign(ctx context.Context, args []string) (int, error) {
	if ok, code, err := e.groupHelp(args, signUsage, "sign"); ok {
		return code, err
	}
	switch args[0] {
	case "pdf":
		return e.signPDF(ctx, args[1:])
	case "xml":
		return e.signXML(ctx, args[1:])
	case "file":
		return e.signFile(ctx, args[1:])
	}
	return 0, usagef("sign: unknown format %q (pdf, xml or file)", args[0])
}

// proxyHint explains a failure to reach the revocation servers of a test
// PKI made by "kyso pki init": its certificates name hosts that only "kyso
// pki serve" answers, as an HTTP proxy.
func proxyHint(err error) string {
	if strings.Contains(err.Error(), pkitest.DeterministicOCSPHost) || strings.Contains(err.Error(), pkitest.DeterministicRepositoryHost) {
		return "\n(the test PKI's OCSP and CRL hosts are reached through \"kyso pki serve\": set HTTP_PROXY to the URL it prints)"
	}
	return ""
}

// classifySignErr makes errors caused by the input or the options exit
// with status 2.
func classifySignErr(err error) error {
	if errorsIsAny(err,
		pdf.ErrMalformed, pdf.ErrUnsupported, pdf.ErrWrongPassword, pdf.ErrFieldNotFound,
		pdf.ErrFieldSigned, pdf.ErrNotPermitted, pdf.ErrBadOptions,
		kxml.ErrSyntax, kxml.ErrDOCTYPE, kxml.ErrNotFound, kxml.ErrAmbiguous, kxml.ErrSlotOccupied,
		kxml.ErrLimit, kxml.ErrEncoding, kxml.ErrUndeclaredPrefix, kxml.ErrDuplicateAttr,
		signer.ErrWrongPassword,
	) {
		return usageError{err}
	}
	return err
}

// errorsIsAny reports whether err matches any of targets (errors.Is).
func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
