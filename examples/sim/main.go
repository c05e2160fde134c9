// Command sim signs a PDF with a key on a SIM card, through the MSSP
// simulator of simpki/mssptest, and prints what the phone showed.
//
// It runs the whole SIM PKI flow in one process: a test PKI issues the
// SIM's certificate, the simulator plays the operator's MSSP and the user's
// phone, and the application prepares the PDF signature, asks the SIM to
// sign the digest (the user "enters the PIN" after a moment) and finishes
// the document.
//
//	go run ./examples/sim -in contract.pdf -out contract-signed.pdf
//	go run ./examples/sim -user cancel     # the user declines on the phone
//
// Without -in it signs a small generated one-page PDF.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

func main() {
	in := flag.String("in", "", "PDF to sign (default: a generated one-page PDF)")
	out := flag.String("out", "sim-signed.pdf", "signed PDF to write")
	msisdn := flag.String("msisdn", "0912 345 678", "the signer's phone number")
	title := flag.String("title", "Hợp đồng mua bán số 12/2026", "document title shown on the phone")
	user := flag.String("user", "approve", "what the user does: approve, cancel, expire, wrongpin, ota")
	mode := flag.String("mode", "async", "messaging mode: synch, async (polling) or notify (server-to-server)")
	flag.Parse()
	if err := run(*in, *out, *msisdn, *title, *user, *mode); err != nil {
		log.Fatal(err)
	}
}

func run(in, out, msisdn, title, user, modeName string) error {
	step := mssptest.Step{Delay: 1500 * time.Millisecond}
	switch user {
	case "approve":
		step.Outcome = mssptest.Approve
	case "cancel":
		step.Outcome = mssptest.Cancel
	case "expire":
		step.Outcome = mssptest.Expire
	case "wrongpin":
		step.Outcome, step.Delay = mssptest.WrongPIN, 300*time.Millisecond
	case "ota":
		step.Outcome = mssptest.OTAFailure
	default:
		return fmt.Errorf("unknown -user %q", user)
	}
	var mode simpki.Mode
	switch modeName {
	case "synch":
		mode = simpki.Synch
	case "async":
		mode = simpki.AsynchClientServer
	case "notify":
		mode = simpki.AsynchServerServer
	default:
		return fmt.Errorf("unknown -mode %q", modeName)
	}

	doc := minimalPDF()
	if in != "" {
		var err error
		if doc, err = os.ReadFile(in); err != nil {
			return err
		}
	}

	// The operator's side: a CA for SIM certificates and the MSSP.
	ca, err := pkitest.Start()
	if err != nil {
		return err
	}
	defer ca.Close()
	mssp, err := mssptest.Start(mssptest.Config{APPassword: "ap-secret"})
	if err != nil {
		return err
	}
	defer mssp.Close()
	sim, err := ca.Issue(pkitest.Person("Nguyễn Thị Minh Khai", "001190012345"))
	if err != nil {
		return err
	}
	if err := mssp.AddSubscriber(mssptest.Subscriber{MSISDN: msisdn, Key: sim.Signer(), Script: []mssptest.Step{step}}); err != nil {
		return err
	}

	// The application's side.
	cfg := simpki.Config{
		URL: mssp.URL(), APID: mssp.APID(), APPassword: "ap-secret", MSSPID: mssp.MSSPID(),
		Mode: mode, TimeOut: 5 * time.Second, PollDelay: 500 * time.Millisecond,
	}
	if mode == simpki.AsynchServerServer {
		cfg.Notifications = simpki.NewNotificationHandler()
		stop, url, err := serveNotifications(cfg.Notifications)
		if err != nil {
			return err
		}
		defer stop()
		cfg.NotificationURL = url
	}
	client, err := simpki.NewClient(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := simpki.New(ctx, client, msisdn, simpki.Options{})
	if err != nil {
		return err
	}
	fmt.Printf("Người ký: %s (%s)\n", s.Certificate().Subject.CommonName, s.MSISDN())

	// Phase 1: lay out the signature and compute the digest.
	p, err := pdf.Prepare(ctx, bytes.NewReader(doc), int64(len(doc)), s.Certificate(), s.Chain(), &pdf.Options{
		Reason: "Ký hợp đồng", Location: "Hà Nội",
	})
	if err != nil {
		return err
	}
	fmt.Printf("Mã xác nhận trên màn hình ứng dụng: %s\n", simpki.VerificationCode(p.Digest()))
	fmt.Println("Đang chờ người ký xác nhận trên điện thoại…")

	// Phase 2: the SIM round trip.
	sig, err := s.SignDigest(simpki.WithDisplay(ctx, title), p.Digest(), p.SignerOpts())
	printPhone(mssp, msisdn)
	switch {
	case errors.Is(err, simpki.ErrUserCancel):
		return fmt.Errorf("người ký đã từ chối trên điện thoại: %w", err)
	case errors.Is(err, simpki.ErrExpired):
		return fmt.Errorf("hết thời gian chờ xác nhận: %w", err)
	case errors.Is(err, simpki.ErrPINBlocked):
		return fmt.Errorf("mã PIN chữ ký đã bị khóa: %w", err)
	case err != nil:
		return err
	}

	// Phase 3: finish the document.
	var signed bytes.Buffer
	if err := p.Finish(ctx, &signed, bytes.NewReader(doc), int64(len(doc)), sig); err != nil {
		return err
	}
	if err := os.WriteFile(out, signed.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("Đã ký: %s (%d byte)\n", out, signed.Len())
	return nil
}

func printPhone(mssp *mssptest.Server, msisdn string) {
	fmt.Println("Điện thoại đã hiển thị:")
	for _, text := range mssp.Phone(msisdn) {
		fmt.Printf("  ┃ %s\n", text)
	}
	for _, tx := range mssp.Transactions() {
		fmt.Printf("Giao dịch %s: %s (%d %s)\n", tx.MSSPTransID, tx.State, int(tx.Code), tx.Code)
	}
}

// minimalPDF returns a one-page PDF with a classic xref table.
func minimalPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	stream := "BT /F1 18 Tf 72 720 Td (Hop dong mua ban so 12/2026) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
