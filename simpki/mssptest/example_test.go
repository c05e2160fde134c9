package mssptest_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// A subscriber who enters a wrong PIN three times: the SIM blocks, and
// every later request fails with PIN_NR_BLOCKED.
func ExampleServer_AddSubscriber() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	mssp, err := mssptest.Start(mssptest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer mssp.Close()

	id := p.MustIssue(pkitest.Person("Lê Văn Cường", "001090004321"))
	err = mssp.AddSubscriber(mssptest.Subscriber{
		MSISDN: "0987 654 321",
		Key:    id.Signer(),
		Script: []mssptest.Step{{Outcome: mssptest.WrongPIN, Delay: 10 * time.Millisecond}},
	})
	if err != nil {
		log.Fatal(err)
	}

	client, err := simpki.NewClient(simpki.Config{URL: mssp.URL(), APID: mssp.APID(), MSSPID: mssp.MSSPID()})
	if err != nil {
		log.Fatal(err)
	}
	s, err := simpki.New(context.Background(), client, "0987654321", simpki.Options{Certificate: id.Cert})
	if err != nil {
		log.Fatal(err)
	}
	digest := sha256.Sum256([]byte("Công văn số 1"))
	_, err = s.SignDigest(simpki.WithDisplay(context.Background(), "Công văn số 1"), digest[:], crypto.SHA256)
	fmt.Println(errors.Is(err, simpki.ErrPINLocked))

	for _, r := range mssp.Requests() {
		fmt.Println(r.Operation, r.MSISDN, r.MimeType)
	}
	// Output:
	// true
	// MSS_SignatureReq 84987654321 application/x-sha256
}
