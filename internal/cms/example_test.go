package cms_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Sign makes a detached CAdES SignedData in one call; Parse and Verify check
// it.
func ExampleSign() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345"))

	content := []byte("Quyết định số 1/QĐ")
	digest := sha256.Sum256(content)
	der, err := cms.Sign(context.Background(), id.Signer(), digest[:], cms.Options{})
	if err != nil {
		log.Fatal(err)
	}

	sd, err := cms.Parse(der)
	if err != nil {
		log.Fatal(err)
	}
	_, hasTime, _ := sd.SignerInfos[0].SigningTime()
	fmt.Println("verify:", sd.Verify(digest[:]))
	fmt.Println("ESS signing-certificate version:", sd.SignerInfos[0].SigningCertificateVersion())
	fmt.Println("signing-time present:", hasTime)
	// Output:
	// verify: <nil>
	// ESS signing-certificate version: 2
	// signing-time present: false
}

// Two-phase signing: prepare, hand the digest to a key elsewhere (a SIM, a
// browser token agent) with the state saved, finish later.
func ExamplePrepare() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346"))
	s := id.Signer()

	digest := sha256.Sum256([]byte("văn bản"))
	p, err := cms.Prepare(s.Certificate(), s.Chain(), digest[:], cms.Options{})
	if err != nil {
		log.Fatal(err)
	}
	state, err := p.MarshalBinary() // store it; the user confirms on the phone
	if err != nil {
		log.Fatal(err)
	}
	toSign, opts := p.Digest(), p.SignerOpts()

	// Elsewhere, the key signs the digest.
	sig, err := s.SignDigest(context.Background(), toSign, opts)
	if err != nil {
		log.Fatal(err)
	}

	// Later, possibly in another process.
	var q cms.Prepared
	if err := q.UnmarshalBinary(state); err != nil {
		log.Fatal(err)
	}
	der, err := q.Finish(sig)
	if err != nil {
		log.Fatal(err)
	}
	sd, err := cms.Parse(der)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verify:", sd.Verify(digest[:]))
	// Output:
	// verify: <nil>
}

// AddTimestamp turns a CAdES-B signature into CAdES-T with a token from an
// RFC 3161 TSA.
func ExampleAddTimestamp() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue(pkitest.Organization("Công ty Cổ phần Kyso", "0101234567"))
	digest := sha256.Sum256([]byte("hợp đồng"))
	der, err := cms.Sign(context.Background(), id.Signer(), digest[:], cms.Options{})
	if err != nil {
		log.Fatal(err)
	}

	tsa := &cms.TSAClient{URL: pki.TSAURL(), HTTPClient: pki.HTTPClient()}
	der, err = cms.AddTimestamp(context.Background(), der, tsa)
	if err != nil {
		log.Fatal(err)
	}
	sd, err := cms.Parse(der)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("time-stamps:", len(sd.SignerInfos[0].Timestamps))
	fmt.Println("verify:", sd.Verify(digest[:]))
	// Output:
	// time-stamps: 1
	// verify: <nil>
}

// EstimateSize sizes a PDF signature placeholder before signing.
func ExampleEstimateSize() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue(pkitest.Person("Lê Văn Cường", "001190012347"))
	tsa := &cms.TSAClient{URL: pki.TSAURL(), HTTPClient: pki.HTTPClient()}
	tokenSize, err := tsa.TokenSize(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	n, err := cms.EstimateSize(id.Cert, id.Chain, cms.Options{}, tokenSize)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("placeholder fits:", n > tokenSize && n < 32<<10)
	// Output:
	// placeholder fits: true
}
