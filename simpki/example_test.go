package simpki_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// startSimulator starts a test PKI and an MSSP simulator with one
// subscriber, 0912 345 678, who approves after a short delay.
func startSimulator(script ...mssptest.Step) (*pkitest.PKI, *mssptest.Server) {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	mssp, err := mssptest.Start(mssptest.Config{APPassword: "ap-secret"})
	if err != nil {
		log.Fatal(err)
	}
	sim := p.MustIssue(pkitest.Person("Trần Thị Bình", "079190001234"))
	if err := mssp.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: sim.Signer(), Script: script}); err != nil {
		log.Fatal(err)
	}
	return p, mssp
}

func ExampleNew() {
	p, mssp := startSimulator(mssptest.Step{Outcome: mssptest.Approve, Delay: 50 * time.Millisecond})
	defer p.Close()
	defer mssp.Close()

	client, err := simpki.NewClient(simpki.Config{
		URL:        mssp.URL(),
		APID:       mssp.APID(),
		APPassword: "ap-secret",
		MSSPID:     mssp.MSSPID(),
		Mode:       simpki.AsynchClientServer,
		PollDelay:  20 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	// The certificate comes from the MSSP's profile query.
	s, err := simpki.New(context.Background(), client, "+84 912 345 678", simpki.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signer:", s.Certificate().Subject.CommonName, s.MSISDN())

	// Any format package would compute this digest; the phone shows the
	// document title and a code the application also shows on screen.
	digest := sha256.Sum256([]byte("Hợp đồng lao động số 07/2026"))
	ctx := simpki.WithDisplay(context.Background(), "Hợp đồng lao động số 07/2026")
	sig, err := s.SignDigest(ctx, digest[:], crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid:", signer.CheckSignature(s.Certificate().PublicKey, digest[:], crypto.SHA256, sig) == nil)
	fmt.Println("phone showed:", mssp.Phone("0912345678")[0] == "Hợp đồng lao động số 07/2026 - Mã xác nhận: "+simpki.VerificationCode(digest[:]))
	// Output:
	// signer: Trần Thị Bình 84912345678
	// valid: true
	// phone showed: true
}

func ExampleClient_Sign() {
	p, mssp := startSimulator(mssptest.Step{Outcome: mssptest.Cancel})
	defer p.Close()
	defer mssp.Close()

	client, err := simpki.NewClient(simpki.Config{
		URL: mssp.URL(), APID: mssp.APID(), APPassword: "ap-secret", MSSPID: mssp.MSSPID(),
	})
	if err != nil {
		log.Fatal(err)
	}
	digest := sha256.Sum256([]byte("Tờ khai thuế"))
	_, err = client.Sign(context.Background(), &simpki.Request{
		MSISDN: "0912345678", Digest: digest[:], Hash: crypto.SHA256, Display: "Tờ khai thuế tháng 10",
	})
	switch {
	case errors.Is(err, simpki.ErrDeclined):
		fmt.Println("the user declined on the phone")
	case errors.Is(err, simpki.ErrExpired):
		fmt.Println("no answer in time; ask again")
	case err != nil:
		fmt.Println("error:", err)
	}
	// Output:
	// the user declined on the phone
}

func ExampleNormalizeMSISDN() {
	for _, n := range []string{"0912 345 678", "+84 912-345-678", "84912345678", "024 3823 4567"} {
		m, err := simpki.NormalizeMSISDN(n)
		fmt.Println(m, err != nil)
	}
	// Output:
	// 84912345678 false
	// 84912345678 false
	// 84912345678 false
	//  true
}

func ExampleNotificationHandler() {
	p, mssp := startSimulator()
	defer p.Close()
	defer mssp.Close()

	// The AP's callback endpoint (in production: a route of the AP's own
	// HTTPS server that the operator can reach).
	notifications := simpki.NewNotificationHandler()
	ap := httptest.NewServer(notifications)
	defer ap.Close()

	client, err := simpki.NewClient(simpki.Config{
		URL: mssp.URL(), APID: mssp.APID(), APPassword: "ap-secret", MSSPID: mssp.MSSPID(),
		Mode:            simpki.AsynchServerServer,
		NotificationURL: ap.URL,
		Notifications:   notifications,
	})
	if err != nil {
		log.Fatal(err)
	}
	digest := sha256.Sum256([]byte("Biên bản họp"))
	resp, err := client.Sign(context.Background(), &simpki.Request{
		MSISDN: "0912345678", Digest: digest[:], Hash: crypto.SHA256, Display: "Biên bản họp",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, resp.Verified)
	// Output:
	// SIGNATURE true
}
