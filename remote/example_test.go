package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// Three PDFs signed under one confirmation through a CSC API v2 service:
// one credentials/authorize for three signatures, one signatures/signHash.
func ExampleSignPrepared() {
	ca, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer ca.Close()
	id, err := ca.Issue(pkitest.Person("Nguyễn Văn An", "001085012345"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := remotetest.Start(remotetest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser(remotetest.User{ID: "nguyenvanan", Password: "mat-khau", Credentials: []remotetest.Credential{{Key: id.Signer(), PIN: "123456"}}})

	ctx := context.Background()
	c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.CSCURL(), Username: "nguyenvanan", Password: "mat-khau"})
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.Signer(ctx, "", remote.Authorization{PIN: "123456", Description: "Ký 3 văn bản"})
	if err != nil {
		log.Fatal(err)
	}

	var docs []remote.Prepared
	var ins [][]byte
	for i := range 3 {
		in := testutil.MinimalPDF(fmt.Sprintf("Van ban %d", i+1))
		p, err := pdf.Prepare(ctx, bytes.NewReader(in), int64(len(in)), s.Certificate(), s.Chain(), &pdf.Options{Reason: "Phê duyệt"})
		if err != nil {
			log.Fatal(err)
		}
		docs, ins = append(docs, p), append(ins, in)
	}
	sigs, err := remote.SignPrepared(ctx, s, docs)
	if err != nil {
		log.Fatal(err)
	}
	for i, p := range docs {
		var out bytes.Buffer
		if err := p.(*pdf.Prepared).Finish(ctx, &out, bytes.NewReader(ins[i]), int64(len(ins[i])), sigs[i]); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("signed:", len(sigs))
	fmt.Println("credentials/authorize:", srv.Calls("csc/credentials/authorize"))
	fmt.Println("signatures/signHash:", srv.Calls("csc/signatures/signHash"))
	// Output:
	// signed: 3
	// credentials/authorize: 1
	// signatures/signHash: 1
}

// An e-invoice signed through an sp769 service (NEAC, VNPT SmartCA).
func ExampleSP769Client_Signer() {
	ca, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer ca.Close()
	id, err := ca.Issue(pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := remotetest.Start(remotetest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser(remotetest.User{ID: "0101234567", Credentials: []remotetest.Credential{{Key: id.Signer()}}})

	ctx := context.Background()
	c, err := remote.NewSP769Client(remote.SP769Config{BaseURL: srv.SP769URL(), SPID: srv.SPID(), SPPassword: srv.SPPassword()})
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.Signer(ctx, "0101234567", "")
	if err != nil {
		log.Fatal(err)
	}
	signed, err := kxml.Sign(ctx, []byte(invoice), s, kxml.Seller())
	if err != nil {
		log.Fatal(err)
	}
	res, err := kxml.Verify(signed, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid:", res.Valid(), "signer:", res.Signatures[0].Certificate.Subject.CommonName)
	// Output:
	// valid: true signer: Công ty TNHH Phần mềm Kyso
}
