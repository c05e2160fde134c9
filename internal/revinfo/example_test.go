package revinfo_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"log"

	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Collect the validation data of a signer's chain and a TSA's chain: the
// certificates up to the root and an OCSP response for each certificate
// below it.
func ExampleFetcher_Collect() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue()

	f := &revinfo.Fetcher{HTTPClient: pki.HTTPClient()}
	set, err := f.Collect(context.Background(), []*x509.Certificate{id.Cert, pki.TSA.Cert}, id.Chain, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(set.Certs), "certificates,", len(set.OCSPs), "OCSP responses,", len(set.CRLs), "CRLs")
	// Output: 6 certificates, 3 OCSP responses, 0 CRLs
}
