// Command sim signs a PDF with a key on a SIM card, through the MSSP
// simulator of simpki/mssptest, and prints what the phone showed.
//
// It runs the whole SIM PKI flow in one process: a test PKI issues the
// SIM's certificate, the simulator plays the operator's MSSP and the user's
// phone, and the application prepares the PDF signature, asks the SIM to
// sign the digest (the user "enters the PIN" after a moment), finishes the
// document and verifies it against the test root.
//
// By default it sends two requests: the user approves the first (the
// signed PDF is written and verified) and declines the second on the phone
// (the application gets simpki.ErrDeclined and writes nothing).
//
//	go run ./examples/sim
//	go run ./examples/sim -in contract.pdf -out contract-signed.pdf -user approve
//	go run ./examples/sim -user expire,wrongpin -mode notify
//	go run ./examples/sim -profile vgca -mode async
//
// -profile plays one of simpki's MSSP profiles on both sides: etsi (the
// default), vgca (the Government CA's mPKI: rpc/literal, one port per
// operation, DigestInfo, its status codes, the certificate by
// MSS_Registration) or ficom (rpc/literal SOAP 1.1, DigestInfo, fi:PKCS1).
//
// Without -in it signs a small generated one-page PDF; without -out it
// writes into a new temporary directory.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
	"github.com/kyso-vn/kyso/verify"
)

// config is what the flags say.
type config struct {
	In, Out, MSISDN, Title string
	Users                  []string // what the user does with each request
	Mode                   string
	Profile                string // simpki profile name; empty: etsi
}

func main() {
	var c config
	flag.StringVar(&c.In, "in", "", "PDF to sign (default: a generated one-page PDF)")
	flag.StringVar(&c.Out, "out", "", "signed PDF to write (default: sim-signed.pdf in a new temporary directory)")
	flag.StringVar(&c.MSISDN, "msisdn", "0912 345 678", "the signer's phone number")
	flag.StringVar(&c.Title, "title", "Hợp đồng mua bán số 12/2026", "document title shown on the phone")
	users := flag.String("user", "approve,cancel", "what the user does with each request, comma-separated: approve, cancel, expire, wrongpin, ota")
	flag.StringVar(&c.Mode, "mode", "async", "messaging mode: synch, async (polling) or notify (server-to-server)")
	flag.StringVar(&c.Profile, "profile", "etsi", "MSSP profile: etsi, vgca or ficom")
	flag.Parse()
	c.Users = strings.Split(*users, ",")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, c); err != nil {
		log.Fatal(err)
	}
}

// outcome is what became of one request.
type outcome struct {
	User   string         // the scripted user action
	Err    error          // the error SignDigest returned (nil when approved)
	Out    string         // the signed PDF (approved requests only)
	Report *verify.Report // its verification (approved requests only)
}

// step returns the simulator's script step for a user action, and the
// error the application expects from it.
func step(user string) (mssptest.Step, error, error) {
	s := mssptest.Step{Delay: 1500 * time.Millisecond}
	var want error
	switch user {
	case "approve":
		s.Outcome = mssptest.Approve
	case "cancel":
		s.Outcome, want = mssptest.Cancel, simpki.ErrDeclined
	case "expire":
		s.Outcome, want = mssptest.Expire, simpki.ErrExpired
	case "wrongpin":
		// The user keeps entering a wrong PIN until the SIM blocks it.
		s.Outcome, s.Delay, want = mssptest.WrongPIN, 300*time.Millisecond, simpki.ErrPINLocked
	case "ota":
		s.Outcome, want = mssptest.OTAFailure, simpki.ErrOTA
	default:
		return s, nil, fmt.Errorf("unknown -user %q (approve, cancel, expire, wrongpin or ota)", user)
	}
	return s, want, nil
}

// run does the demonstration: one signature request per c.Users entry.
// It fails when a request ends otherwise than the user's scripted action
// says (an approved request that does not verify, a cancellation that is
// not reported as simpki.ErrDeclined, …).
func run(ctx context.Context, w io.Writer, c config) ([]outcome, error) {
	var mode simpki.Mode
	switch c.Mode {
	case "synch":
		mode = simpki.Synch
	case "async":
		mode = simpki.AsynchClientServer
	case "notify":
		mode = simpki.AsynchServerServer
	default:
		return nil, fmt.Errorf("unknown -mode %q (synch, async or notify)", c.Mode)
	}
	if len(c.Users) == 0 {
		return nil, errors.New("no -user action given")
	}
	prof := simpki.ProfileETSI()
	if c.Profile != "" {
		var err error
		if prof, err = simpki.ProfileByName(c.Profile); err != nil {
			return nil, err
		}
	}
	var script []mssptest.Step
	var wants []error
	for _, u := range c.Users {
		s, want, err := step(strings.TrimSpace(u))
		if err != nil {
			return nil, err
		}
		script, wants = append(script, s), append(wants, want)
	}

	doc := sample.MinimalPDF("Hop dong mua ban so 12/2026")
	if c.In != "" {
		var err error
		if doc, err = os.ReadFile(c.In); err != nil {
			return nil, err
		}
	}
	out := c.Out
	if out == "" {
		dir, err := os.MkdirTemp("", "kyso-sim-")
		if err != nil {
			return nil, err
		}
		out = filepath.Join(dir, "sim-signed.pdf")
	}

	// The operator's side: a CA for SIM certificates and the MSSP, whose
	// subscriber acts out the script, one step per request.
	ca, err := pkitest.Start()
	if err != nil {
		return nil, err
	}
	defer ca.Close()
	mssp, err := mssptest.Start(mssptest.Config{APPassword: "ap-secret", Profile: prof})
	if err != nil {
		return nil, err
	}
	defer mssp.Close()
	// A DigestInfo is signed with RSA PKCS#1 v1.5: such profiles need an
	// RSA SIM key.
	sim, err := ca.Issue(pkitest.Person("Nguyễn Thị Minh Khai", "001190012345"), pkitest.RSAKey(2048))
	if err != nil {
		return nil, err
	}
	if err := mssp.AddSubscriber(mssptest.Subscriber{MSISDN: c.MSISDN, Key: sim.Signer(), Script: script}); err != nil {
		return nil, err
	}

	// The application's side.
	cfg := simpki.Config{
		URL: mssp.URL(), APID: mssp.APID(), APPassword: "ap-secret", MSSPID: mssp.MSSPID(), Profile: prof,
		Mode: mode, TimeOut: 5 * time.Second, PollDelay: 500 * time.Millisecond,
	}
	if mode == simpki.AsynchServerServer {
		cfg.Notifications = simpki.NewNotificationHandler()
		stop, url, err := serveNotifications(cfg.Notifications)
		if err != nil {
			return nil, err
		}
		defer stop()
		cfg.NotificationURL = url
	}
	client, err := simpki.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	s, err := simpki.New(ctx, client, c.MSISDN, simpki.Options{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Người ký: %s (%s), chế độ %s\n", s.Certificate().Subject.CommonName, s.MSISDN(), mode)

	trust := verify.NewTrustStore()
	trust.AddCertificate(ca.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: ca.HTTPClient()})
	if err != nil {
		return nil, err
	}

	var results []outcome
	shown := 0
	for i, user := range c.Users {
		user = strings.TrimSpace(user)
		fmt.Fprintf(w, "\nYêu cầu %d (người dùng: %s)\n", i+1, user)
		// Phase 1: lay out the signature and compute the digest.
		p, err := pdf.Prepare(ctx, bytes.NewReader(doc), int64(len(doc)), s.Certificate(), s.Chain(), &pdf.Options{
			Reason: "Ký hợp đồng", Location: "Hà Nội",
		})
		if err != nil {
			return results, err
		}
		fmt.Fprintf(w, "  Mã xác nhận trên màn hình ứng dụng: %s\n", simpki.VerificationCode(p.Digest()))
		fmt.Fprintln(w, "  Đang chờ người ký xác nhận trên điện thoại…")

		// Phase 2: the SIM round trip.
		sig, err := s.SignDigest(simpki.WithDisplay(ctx, c.Title), p.Digest(), p.SignerOpts())
		shown = printPhone(w, mssp, c.MSISDN, shown)
		res := outcome{User: user, Err: err}
		switch want := wants[i]; {
		case want != nil && errors.Is(err, want):
			fmt.Fprintf(w, "  %s — không ghi tệp nào (%v)\n", refusal(err), err)
			results = append(results, res)
			continue
		case want != nil && err == nil:
			return results, fmt.Errorf("request %d: the user should have %sed, but the SIM signed", i+1, user)
		case err != nil:
			return results, fmt.Errorf("request %d: %w", i+1, err)
		}

		// Phase 3: finish the document and check it.
		var signed bytes.Buffer
		if err := p.Finish(ctx, &signed, bytes.NewReader(doc), int64(len(doc)), sig); err != nil {
			return results, err
		}
		if err := os.WriteFile(out, signed.Bytes(), 0o644); err != nil {
			return results, err
		}
		fmt.Fprintf(w, "  Đã ký: %s (%d byte)\n", out, signed.Len())
		if res.Report, err = verify.VerifyBytes(ctx, verify.NewPDFVerifier(v), signed.Bytes()); err != nil {
			return results, fmt.Errorf("verifying %s: %w", out, err)
		}
		fmt.Fprintf(w, "  Kiểm tra chữ ký: %s\n", res.Report.Indication())
		if res.Report.Indication() != verify.TotalPassed {
			return results, fmt.Errorf("%s does not verify:\n%s", out, res.Report.Text(verify.English))
		}
		res.Out = out
		results = append(results, res)
	}
	return results, nil
}

// refusal says in Vietnamese why the SIM did not sign.
func refusal(err error) string {
	switch {
	case errors.Is(err, simpki.ErrDeclined):
		return "Người ký đã từ chối trên điện thoại"
	case errors.Is(err, simpki.ErrExpired):
		return "Hết thời gian chờ xác nhận"
	case errors.Is(err, simpki.ErrPINLocked):
		return "Mã PIN chữ ký đã bị khóa"
	case errors.Is(err, simpki.ErrOTA):
		return "Nhà mạng không liên lạc được với điện thoại"
	}
	return "Không ký được"
}

// printPhone prints what the phone displayed since the first skip texts,
// and the MSSP's last transaction; it returns the number of texts shown so
// far.
func printPhone(w io.Writer, mssp *mssptest.Server, msisdn string, skip int) int {
	texts := mssp.Phone(msisdn)
	fmt.Fprintln(w, "  Điện thoại đã hiển thị:")
	for _, text := range texts[min(skip, len(texts)):] {
		fmt.Fprintf(w, "    ┃ %s\n", text)
	}
	if txs := mssp.Transactions(); len(txs) > 0 {
		tx := txs[len(txs)-1]
		fmt.Fprintf(w, "  Giao dịch %s: %s (%d %s)\n", tx.MSSPTransID, tx.State, int(tx.Code), tx.Code)
	}
	return len(texts)
}
