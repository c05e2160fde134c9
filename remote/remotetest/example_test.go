package remotetest_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"fmt"
	"log"
	"time"

	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// An integrator's test: a user whose phone declines the first request
// and approves the second after 50 ms.
func Example() {
	ca, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer ca.Close()
	id, err := ca.Issue(pkitest.Person("Trần Thị Bình", "001190000003"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := remotetest.Start(remotetest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser(remotetest.User{ID: "binh", Password: "pw", Credentials: []remotetest.Credential{{
		Key: id.Signer(), PIN: "2468",
		Script: []remotetest.Step{
			{Outcome: remotetest.Decline, Delay: 50 * time.Millisecond},
			{Outcome: remotetest.Approve, Delay: 50 * time.Millisecond},
		},
	}}})

	c, _ := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.CSCURL(), Username: "binh", Password: "pw", PollInterval: 10 * time.Millisecond})
	s, err := c.Signer(context.Background(), "", remote.Authorization{PIN: "2468", Description: "Hợp đồng 12"})
	if err != nil {
		log.Fatal(err)
	}
	digest := sha256.Sum256([]byte("hợp đồng"))
	_, err = s.SignDigest(context.Background(), digest[:], crypto.SHA256)
	fmt.Println("first:", err)
	_, err = s.SignDigest(context.Background(), digest[:], crypto.SHA256)
	fmt.Println("second:", err)
	fmt.Println("phone:", srv.Phone("binh"))
	// Output:
	// first: remote: csc credentials/authorizeCheck: HTTP 400 access_denied: The user declined the request on the phone (the user declined the request)
	// second: <nil>
	// phone: [Hợp đồng 12 Hợp đồng 12]
}
