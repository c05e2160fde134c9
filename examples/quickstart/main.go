// Command quickstart shows kyso end to end in a few seconds, with no flags
// and nothing to install:
//
//	go run ./examples/quickstart
//
// It starts a throwaway test PKI (root and issuing CA with Vietnamese
// profiles, OCSP responder, CRL server and RFC 3161 time-stamping authority,
// all on 127.0.0.1), then
//
//  1. signs testdata/sample.pdf as PAdES B-T (a signature time-stamped by the
//     TSA) with a civil servant's certificate;
//  2. signs testdata/invoice.xml as the seller (XML-DSig in HDon/DSCKS/NBan,
//     the layout of Circular 78/2021) with a company's certificate;
//  3. verifies both against the test root, checking revocation online
//     against the loopback OCSP responder and CRL server, and prints the
//     reports in Vietnamese and English.
//
// It exits with status 1 unless both verdicts are TOTAL_PASSED. The signed
// files are left in a temporary directory whose name it prints.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	"github.com/kyso-vn/kyso/xml"
)

func main() {
	dir, err := os.MkdirTemp("", "kyso-quickstart-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// errNotPassed is returned when a verdict is not TOTAL_PASSED.
var errNotPassed = errors.New("a signature did not verify as TOTAL_PASSED")

// result holds the two verification reports and the test root they were
// verified against.
type result struct {
	PDF, Invoice *verify.Report
	Root         *x509.Certificate
}

// run does the whole demonstration, writing the signed documents into dir
// and the narrative to w.
func run(ctx context.Context, w io.Writer, dir string) (*result, error) {
	// 1. A throwaway PKI. Its servers listen on loopback until Close.
	pki, err := pkitest.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the test PKI: %w", err)
	}
	defer pki.Close()
	fmt.Fprintf(w, "Test PKI: %s → %s\n", pki.Root.Cert.Subject.CommonName, pki.CA.Cert.Subject.CommonName)
	fmt.Fprintf(w, "  TSA %s\n  OCSP %s\n  CRL %s\n\n", pki.TSAURL(), pki.OCSPURL(), pki.CRLURL())

	official, err := pki.Issue(pkitest.Person("Trần Thị Bích Ngọc", "075190004321"))
	if err != nil {
		return nil, err
	}
	company, err := pki.Issue(pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0312345678"))
	if err != nil {
		return nil, err
	}

	// 2. PAdES B-T: sign the PDF, with a signature time-stamp from the TSA.
	src, err := sample.Path(sample.PDF)
	if err != nil {
		return nil, err
	}
	signedPDF := filepath.Join(dir, "sample-signed.pdf")
	err = pdf.SignFile(ctx, signedPDF, src, official.Signer(), &pdf.Options{
		Reason:       "Phê duyệt công văn",
		Location:     "Biên Hòa, Đồng Nai",
		TimestampURL: pki.TSAURL(),
		HTTPClient:   pki.HTTPClient(),
	})
	if err != nil {
		return nil, fmt.Errorf("signing the PDF: %w", err)
	}
	fmt.Fprintf(w, "Signed %s → %s (PAdES B-T)\n", src, signedPDF)

	// 3. The e-invoice, signed by the seller in HDon/DSCKS/NBan.
	invoice, err := sample.Read(sample.Invoice)
	if err != nil {
		return nil, err
	}
	opts := xml.Seller()
	opts.IncludeChain = true
	signedXML, err := xml.Sign(ctx, invoice, company.Signer(), opts)
	if err != nil {
		return nil, fmt.Errorf("signing the invoice: %w", err)
	}
	invoiceOut := filepath.Join(dir, "invoice-signed.xml")
	if err := os.WriteFile(invoiceOut, signedXML, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Signed testdata/%s → %s (XML-DSig, seller)\n\n", sample.Invoice, invoiceOut)

	// 4. Verify: trust exactly the test root, fetch OCSP/CRL online.
	trust := verify.NewTrustStore()
	trust.AddCertificate(pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{
		Trust:      trust,
		Revocation: verify.RevocationOnline,
		HTTPClient: pki.HTTPClient(),
	})
	if err != nil {
		return nil, err
	}
	var mux verify.Mux
	mux.Handle("PDF", verify.IsPDF, verify.NewPDFVerifier(v))
	mux.Handle("XML", verify.IsXML, verify.NewXMLVerifier(v))

	res := &result{Root: pki.Root.Cert}
	pdfBytes, err := os.ReadFile(signedPDF)
	if err != nil {
		return nil, err
	}
	if res.PDF, err = verify.VerifyBytes(ctx, &mux, pdfBytes); err != nil {
		return nil, fmt.Errorf("verifying the PDF: %w", err)
	}
	if res.Invoice, err = verify.VerifyBytes(ctx, &mux, signedXML); err != nil {
		return nil, fmt.Errorf("verifying the invoice: %w", err)
	}

	for _, r := range []struct {
		name string
		rep  *verify.Report
	}{{"sample-signed.pdf", res.PDF}, {"invoice-signed.xml", res.Invoice}} {
		fmt.Fprintf(w, "══ %s — báo cáo kiểm tra chữ ký (tiếng Việt)\n%s\n", r.name, r.rep.Text(verify.Vietnamese))
		fmt.Fprintf(w, "══ %s — verification report (English)\n%s\n", r.name, r.rep.Text(verify.English))
	}
	fmt.Fprintf(w, "PDF: %s, e-invoice: %s\n", res.PDF.Indication(), res.Invoice.Indication())
	if res.PDF.Indication() != verify.TotalPassed || res.Invoice.Indication() != verify.TotalPassed {
		return res, errNotPassed
	}
	fmt.Fprintf(w, "Both documents verify. Signed files are in %s\n", dir)
	return res, nil
}
