package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// A Mux recognises CMS signature files: an enveloping .p7m verifies on its
// own; a detached .p7s needs its content (Validator.VerifyDetached).
func ExampleIsCMS() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	s := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()
	p7m, err := cades.Sign(context.Background(), bytes.NewReader([]byte("đơn đề nghị")), s, &cades.Options{Enveloping: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("CMS:", verify.IsCMS(p7m), "PDF:", verify.IsPDF(p7m))

	trust := verify.NewTrustStore()
	trust.AddCertificate(pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: pki.HTTPClient()})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := verify.VerifyBytes(context.Background(), verify.NewMux(v), p7m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Format, rep.Indication(), rep.Signatures[0].Coverage.Description)
	// Output:
	// CMS: true PDF: false
	// CMS TOTAL_PASSED encapsulated content
}
