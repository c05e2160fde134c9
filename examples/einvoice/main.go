// Command einvoice walks an e-invoice through its three signatures, as
// Circular 78/2021 lays them out, and verifies them:
//
//		go run ./examples/einvoice [-out DIR]
//
//	 1. the seller signs the invoice data (HDon/DLHDon) in HDon/DSCKS/NBan;
//	 2. the tax authority (CQT) assigns its code (MCCQT, inserted after
//	    DLHDon) and countersigns DLHDon and MCCQT in HDon/DSCKS/CQT — the
//	    seller's signature stays valid because it covers only DLHDon;
//	 3. the buyer signs DLHDon in HDon/DSCKS/NMua;
//	 4. every signature is verified against the test root with online
//	    revocation checks, and the report is printed in Vietnamese.
//
// The test PKI (with its OCSP responder and CRL server on loopback) is
// created for the run and thrown away. The invoice after each step is
// written to DIR (a new temporary directory by default).
package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	"github.com/kyso-vn/kyso/xml"
)

func main() {
	out := flag.String("out", "", "directory for the invoice after each step (default: a new temporary directory)")
	flag.Parse()
	dir := *out
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "kyso-einvoice-"); err != nil {
			fmt.Fprintln(os.Stderr, "einvoice:", err)
			os.Exit(1)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, "einvoice:", err)
		os.Exit(1)
	}
}

// result is what run produced, for the test.
type result struct {
	Signed []byte // the invoice with all three signatures
	Report *verify.Report
	Root   *x509.Certificate
}

var errNotPassed = errors.New("not every signature verified as TOTAL_PASSED")

func run(ctx context.Context, w io.Writer, dir string) (*result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	pki, err := pkitest.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the test PKI: %w", err)
	}
	defer pki.Close()

	seller, err := pki.Issue(pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0312345678"))
	if err != nil {
		return nil, err
	}
	cqt, err := pki.Issue(pkitest.Organization("Cục Thuế", "0100231226"), pkitest.Locality("Quận Cầu Giấy", "Hà Nội"))
	if err != nil {
		return nil, err
	}
	buyer, err := pki.Issue(pkitest.Organization("Công ty Cổ phần Thương mại Đồng Nai", "3600123456"))
	if err != nil {
		return nil, err
	}

	doc, err := sample.Read(sample.Invoice)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Hóa đơn: testdata/%s (%d byte)\n\n", sample.Invoice, len(doc))

	// 1. The seller signs before sending the invoice to the tax authority.
	opts := xml.Seller()
	opts.IncludeChain = true
	if doc, err = step(ctx, w, dir, 1, "Người bán ký (HDon/DSCKS/NBan)", doc, seller.Signer(), opts); err != nil {
		return nil, err
	}

	// 2. The tax authority codes the invoice and countersigns it.
	code := taxCode(doc)
	opts = xml.TaxAuthority(code)
	opts.IncludeChain = true
	if doc, err = step(ctx, w, dir, 2, "Cơ quan thuế cấp mã "+code+" và ký (HDon/DSCKS/CQT)", doc, cqt.Signer(), opts); err != nil {
		return nil, err
	}

	// 3. The buyer signs the coded invoice it received.
	opts = xml.Buyer()
	opts.IncludeChain = true
	if doc, err = step(ctx, w, dir, 3, "Người mua ký (HDon/DSCKS/NMua)", doc, buyer.Signer(), opts); err != nil {
		return nil, err
	}

	// 4. Verify all three against the test root, revocation online.
	trust := verify.NewTrustStore()
	trust.AddCertificate(pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: pki.HTTPClient()})
	if err != nil {
		return nil, err
	}
	rep, err := verify.VerifyBytes(ctx, verify.NewXMLVerifier(v), doc)
	if err != nil {
		return nil, fmt.Errorf("verifying: %w", err)
	}
	fmt.Fprintln(w, "\nKết quả kiểm tra:")
	for _, s := range rep.Signatures {
		name := "?"
		if s.Signer != nil {
			name = s.Signer.Name
		}
		fmt.Fprintf(w, "  %-26s %-14s %s — %s\n", s.ID, s.Indication, name, verify.Describe(verify.Vietnamese, s.Indication, s.SubIndication))
	}
	fmt.Fprintf(w, "\n%s", rep.Text(verify.Vietnamese))
	res := &result{Signed: doc, Report: rep, Root: pki.Root.Cert}
	if rep.Indication() != verify.TotalPassed || len(rep.Signatures) != 3 {
		return res, errNotPassed
	}
	return res, nil
}

// step signs doc with s as opts say, writes the result and reports it.
func step(ctx context.Context, w io.Writer, dir string, n int, what string, doc []byte, s signer.Signer, opts *xml.SignOptions) ([]byte, error) {
	signed, err := xml.Sign(ctx, doc, s, opts)
	if err != nil {
		return nil, fmt.Errorf("step %d (%s): %w", n, what, err)
	}
	name := filepath.Join(dir, fmt.Sprintf("invoice-%d.xml", n))
	if err := os.WriteFile(name, signed, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%d. %s\n   ký bởi %s → %s\n", n, what, s.Certificate().Subject.CommonName, name)
	return signed, nil
}

// taxCode makes a 34-character invoice code as the tax authority assigns
// (MCCQT), derived from the invoice so that runs are reproducible.
func taxCode(doc []byte) string {
	sum := sha256.Sum256(doc)
	return "00" + strings.ToUpper(hex.EncodeToString(sum[:16]))
}
