// Command eoffice signs an official letter the way e-office systems (hệ
// thống quản lý văn bản và điều hành) do under Decree 30/2020: first the
// leader's personal visible signature, then the organisation's signature
// shown as its red seal, stamped over the left part of the leader's
// signature. It then verifies the document and shows both signatures.
//
//	go run ./examples/eoffice [-out DIR]
//
// The seal is a PNG drawn by the program (rings, the agency's name set
// around the edge, a star), placed with its transparency kept. Both
// signatures are PAdES B-T (time-stamped by the test TSA); a throwaway test
// PKI issues the certificates. The leader-signed and the final PDF are
// written to DIR (a new temporary directory by default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

const (
	agency    = "Sở Thông tin và Truyền thông tỉnh Đồng Nai"
	agencyMST = "3600123456"
)

// Where the signatures go on the page (points, origin bottom left): the
// leader's under "GIAM DOC", the image of the handwritten signature above
// the signer's name and the time; the agency's seal, 36 mm across, over the
// left third of that image as Decree 30/2020 Art. 33 places it, with the
// agency's name and the signing time on its left, outside the leader's box.
var (
	leaderRect = pdf.Rect{X: 380, Y: 120, W: 190, H: 120}
	sealSize   = pdf.MM(36)
)

// withTextLeft extends r leftwards by w points for lines of text.
func withTextLeft(r pdf.Rect, w float64) pdf.Rect {
	return pdf.Rect{X: r.X - w, Y: r.Y, W: r.W + w, H: r.H}
}

// sealPlace is the agency's box: the seal over the left third of the
// leader's signature image img (see leaderImage), the text left of it.
func sealPlace(img pdf.Rect) pdf.Rect {
	return withTextLeft(pdf.SealRect(img, sealSize), 110)
}

// leaderImage is where the leader's signature image lands on the page.
func leaderImage(leader *pdf.Appearance) (pdf.Rect, error) {
	l, err := pdf.PlanAppearance(leader, nil, time.Time{})
	if err != nil {
		return pdf.Rect{}, err
	}
	b := l.ImageBox
	return pdf.Rect{X: leader.Rect.X + b[0], Y: leader.Rect.Y + b[1], W: b[2] - b[0], H: b[3] - b[1]}, nil
}

func main() {
	out := flag.String("out", "", "directory for the signed PDFs (default: a new temporary directory)")
	flag.Parse()
	dir := *out
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "kyso-eoffice-"); err != nil {
			fmt.Fprintln(os.Stderr, "eoffice:", err)
			os.Exit(1)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, "eoffice:", err)
		os.Exit(1)
	}
}

// result is what run produced, for the test.
type result struct {
	Final  string // path of the PDF with both signatures
	Report *verify.Report
	// Where the signatures were drawn: the leader's box, the image of the
	// handwritten signature in it, and the agency's box (seal and text).
	Leader, LeaderImage, Seal pdf.Rect
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
	leader, err := pki.Issue(pkitest.Person("Lê Văn Hùng", "075078001122")) // of pkitest.DefaultOrganization, this agency
	if err != nil {
		return nil, err
	}
	org, err := pki.Issue(pkitest.Organization(agency, agencyMST))
	if err != nil {
		return nil, err
	}

	src, err := sample.Path(sample.PDF)
	if err != nil {
		return nil, err
	}
	leaderPDF := filepath.Join(dir, "congvan-lanhdao.pdf")
	finalPDF := filepath.Join(dir, "congvan-daky.pdf")

	// 1. The leader signs: the image of the handwritten signature above
	// the default Vietnamese template ("Ký bởi", "Cơ quan", "Thời gian
	// ký"), on page 1.
	hand, err := makeHandSignature(300, 150)
	if err != nil {
		return nil, err
	}
	leaderAp := &pdf.Appearance{Rect: leaderRect, Image: hand, ImageLayout: pdf.ImageAbove}
	handRect, err := leaderImage(leaderAp)
	if err != nil {
		return nil, err
	}
	sealRect := sealPlace(handRect)
	err = pdf.SignFile(ctx, leaderPDF, src, leader.Signer(), &pdf.Options{
		Field:        "LanhDao",
		Page:         1,
		Appearance:   leaderAp,
		Reason:       "Ký ban hành văn bản",
		Location:     "Biên Hòa, Đồng Nai",
		TimestampURL: pki.TSAURL(),
		HTTPClient:   pki.HTTPClient(),
	})
	if err != nil {
		return nil, fmt.Errorf("leader's signature: %w", err)
	}
	fmt.Fprintf(w, "1. Lãnh đạo %s ký (chữ ký hiển thị tại %v) → %s\n", leader.Cert.Subject.CommonName, leaderRect, leaderPDF)

	// 2. The clerk applies the organisation's signature, shown as its seal.
	seal, err := makeSeal(300, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "TỈNH ĐỒNG NAI")
	if err != nil {
		return nil, err
	}
	err = pdf.SignFile(ctx, finalPDF, leaderPDF, org.Signer(), &pdf.Options{
		Field: "CoQuan",
		Page:  1,
		Appearance: &pdf.Appearance{
			// The default template names the agency (its certificate's
			// CN) and the signing time.
			Rect: sealRect, Image: seal, ImageLayout: pdf.ImageRight, ImageWidth: sealSize,
		},
		Reason:       "Đóng dấu cơ quan",
		Location:     "Biên Hòa, Đồng Nai",
		TimestampURL: pki.TSAURL(),
		HTTPClient:   pki.HTTPClient(),
	})
	if err != nil {
		return nil, fmt.Errorf("organisation's signature: %w", err)
	}
	fmt.Fprintf(w, "2. Văn thư ký số của cơ quan %s (con dấu %d byte PNG tại %v) → %s\n\n", agency, len(seal), sealRect, finalPDF)

	// 3. Verify the final document: both signatures, each against the
	// test root, revocation online.
	trust := verify.NewTrustStore()
	trust.AddCertificate(pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: pki.HTTPClient()})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(finalPDF)
	if err != nil {
		return nil, err
	}
	rep, err := verify.VerifyBytes(ctx, verify.NewPDFVerifier(v), data)
	if err != nil {
		return nil, fmt.Errorf("verifying: %w", err)
	}
	for i, s := range rep.Signatures {
		who := "?"
		if s.Signer != nil {
			who = s.Signer.Name
		}
		fmt.Fprintf(w, "Chữ ký %d: %-14s %s — %s\n", i+1, s.Indication, who, verify.Describe(verify.Vietnamese, s.Indication, s.SubIndication))
	}
	fmt.Fprintf(w, "\n%s", rep.Text(verify.Vietnamese))
	res := &result{Final: finalPDF, Report: rep, Leader: leaderRect, LeaderImage: handRect, Seal: sealRect}
	if rep.Indication() != verify.TotalPassed || len(rep.Signatures) != 2 {
		return res, errNotPassed
	}
	return res, nil
}
