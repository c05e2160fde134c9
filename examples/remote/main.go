// Command remote signs a batch of PDFs and an e-invoice with a key held by
// a remote-signing service ("ký số từ xa"), under one confirmation on the
// phone, through the simulators of remote/remotetest.
//
// It runs the whole flow in one process: a test PKI issues the signer's
// certificate, the simulator plays the CA's service (CSC API v2 or NEAC
// sp769) and the user's phone, and the application prepares every
// document, sends all digests in one request, waits while the user
// confirms (printing the time left), finishes the documents and verifies
// them against the test root. A declined request writes nothing.
//
//	go run ./examples/remote
//	go run ./examples/remote -api sp769 -n 10 -delay 3s
//	go run ./examples/remote -user decline
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

// config is what the flags say.
type config struct {
	API   string        // "csc" or "sp769"
	N     int           // PDFs in the batch
	Delay time.Duration // how long the user takes on the phone
	User  string        // "approve" or "decline"
	Dir   string        // output directory
}

func main() {
	var c config
	flag.StringVar(&c.API, "api", "csc", "remote-signing API: csc (CSC API v2) or sp769 (Decision 769, NEAC / SmartCA)")
	flag.IntVar(&c.N, "n", 5, "number of PDFs in the batch (plus one e-invoice)")
	flag.DurationVar(&c.Delay, "delay", 2*time.Second, "how long the simulated user takes to confirm")
	flag.StringVar(&c.User, "user", "approve", "what the user does on the phone: approve or decline")
	flag.StringVar(&c.Dir, "out", "", "output directory (default: a new temporary directory)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, c); err != nil {
		log.Fatal(err)
	}
}

// run signs the batch and returns the files written.
func run(ctx context.Context, w io.Writer, c config) ([]string, error) {
	if c.N < 1 || c.N > 500 {
		return nil, fmt.Errorf("-n %d: want 1 to 500", c.N)
	}
	step := remotetest.Step{Delay: c.Delay}
	switch c.User {
	case "approve":
	case "decline":
		step.Outcome = remotetest.Decline
	default:
		return nil, fmt.Errorf("unknown -user %q (approve or decline)", c.User)
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "kyso-remote-")
		if err != nil {
			return nil, err
		}
		c.Dir = d
	}

	ca, err := pkitest.Start()
	if err != nil {
		return nil, err
	}
	defer ca.Close()
	id, err := ca.Issue(pkitest.Person("Nguyễn Văn An", "001085012345"))
	if err != nil {
		return nil, err
	}
	srv, err := remotetest.Start(remotetest.Config{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	cred := remotetest.Credential{Key: id.Signer(), PIN: "123456", Script: []remotetest.Step{step}}
	if err := srv.AddUser(remotetest.User{ID: "001085012345", Password: "mat-khau", Credentials: []remotetest.Credential{cred}}); err != nil {
		return nil, err
	}

	wait := func(wt remote.Waiting) {
		fmt.Fprintf(w, "  Đang chờ xác nhận trên điện thoại (%d tài liệu), còn %v\n", wt.Documents, wt.Left(time.Now()).Round(time.Second))
	}
	var s remote.BatchSigner
	switch c.API {
	case "csc":
		cl, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.CSCURL(), Username: "001085012345", Password: "mat-khau",
			PollInterval: 500 * time.Millisecond, OnWait: wait})
		if err != nil {
			return nil, err
		}
		if s, err = cl.Signer(ctx, "", remote.Authorization{PIN: "123456", Description: fmt.Sprintf("Ký %d văn bản và 1 hóa đơn", c.N)}); err != nil {
			return nil, err
		}
	case "sp769":
		cl, err := remote.NewSP769Client(remote.SP769Config{BaseURL: srv.SP769URL(), SPID: srv.SPID(), SPPassword: srv.SPPassword(),
			PollInterval: 500 * time.Millisecond, OnWait: wait})
		if err != nil {
			return nil, err
		}
		sp, err := cl.Signer(ctx, "001085012345", "")
		if err != nil {
			return nil, err
		}
		sp.Description = fmt.Sprintf("Ký %d văn bản và 1 hóa đơn", c.N)
		s = sp
	default:
		return nil, fmt.Errorf("unknown -api %q (csc or sp769)", c.API)
	}
	fmt.Fprintf(w, "Người ký: %s, dịch vụ %s tại %s\n", s.Certificate().Subject.CommonName, c.API, srv.URL())

	// Phase 1: prepare every document.
	var jobs []remote.Job
	for i := range c.N {
		in := sample.MinimalPDF(fmt.Sprintf("Cong van so %d/UBND", i+1))
		p, err := pdf.Prepare(ctx, bytes.NewReader(in), int64(len(in)), s.Certificate(), s.Chain(),
			&pdf.Options{Reason: "Phê duyệt", Location: "Hà Nội", TimestampURL: ca.TSAURL(), HTTPClient: ca.HTTPClient()})
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, remote.Job{Prepared: p, Out: filepath.Join(c.Dir, fmt.Sprintf("cong-van-%02d.pdf", i+1)),
			Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
				return p.Finish(ctx, w, bytes.NewReader(in), int64(len(in)), sig)
			}})
	}
	inv, err := kxml.Prepare(ctx, []byte(invoice), s.Certificate(), s.Chain(), kxml.Seller())
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, remote.Job{Prepared: inv, Out: filepath.Join(c.Dir, "hoa-don.xml"),
		Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
			doc, err := inv.Finish(ctx, sig)
			if err == nil {
				_, err = w.Write(doc)
			}
			return err
		}})

	// Phase 2: one request, one confirmation; phase 3: finish all or none.
	start := time.Now()
	if err := remote.SignFiles(ctx, s, jobs); err != nil {
		fmt.Fprintf(w, "Không ký được, không ghi tệp nào: %v\n", err)
		return nil, err
	}
	fmt.Fprintf(w, "Đã ký %d tài liệu sau %v (%d yêu cầu ký gửi đến dịch vụ)\n", len(jobs), time.Since(start).Round(time.Millisecond),
		srv.Calls("csc/signatures/signHash")+srv.Calls("sp769/sign"))

	trust := verify.NewTrustStore()
	trust.AddCertificate(ca.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: ca.HTTPClient()})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, j := range jobs {
		data, err := os.ReadFile(j.Out)
		if err != nil {
			return nil, err
		}
		var vr verify.Verifier = verify.NewPDFVerifier(v)
		if filepath.Ext(j.Out) == ".xml" {
			vr = verify.NewXMLVerifier(v)
		}
		rep, err := verify.VerifyBytes(ctx, vr, data)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "  %s: %s\n", filepath.Base(j.Out), rep.Indication())
		if rep.Indication() != verify.TotalPassed {
			return nil, fmt.Errorf("%s: %s", j.Out, rep.Indication())
		}
		out = append(out, j.Out)
	}
	return out, nil
}

const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon Id="DLHDon"><TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C26TKY</KHHDon><SHDon>123</SHDon><NLap>2026-12-03</NLap><DVTTe>VND</DVTTe></TTChung><NDHDon><NBan><Ten>Công ty TNHH Phần mềm Kyso</Ten><MST>0101234567</MST></NBan><NMua><Ten>Công ty Cổ phần Mua Hàng</Ten><MST>0109876543</MST></NMua><TToan><TgTTTBSo>1100000</TgTTTBSo><TgTTTBChu>Một triệu một trăm nghìn đồng</TgTTTBChu></TToan></NDHDon></DLHDon><DSCKS><NBan/></DSCKS></HDon>`
