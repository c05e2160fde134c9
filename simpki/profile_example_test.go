package simpki_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"path"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// The Government CA's mPKI, played by the simulator: the client is given
// the signature port and the profile; MSSP_ID, signature profile, format,
// the DigestInfo form, the other ports and the status codes come from the
// profile, and the certificate from MSS_Registration.
func ExampleProfileVGCA() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	mssp, err := mssptest.Start(mssptest.Config{Profile: simpki.ProfileVGCA()})
	if err != nil {
		log.Fatal(err)
	}
	defer mssp.Close()
	sim := p.MustIssue(pkitest.Person("Lê Văn Cường", "001080004321"), pkitest.RSAKey(2048))
	if err := mssp.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: sim.Signer(),
		Script: []mssptest.Step{{Outcome: mssptest.Approve}, {Outcome: mssptest.Cancel}}}); err != nil {
		log.Fatal(err)
	}

	client, err := simpki.NewClient(simpki.Config{
		URL: mssp.URL(), APID: mssp.APID(), Profile: simpki.ProfileVGCA(),
		Mode: simpki.AsynchClientServer, PollDelay: 20 * time.Millisecond,
	})
	if err != nil {
		log.Fatal(err)
	}
	s, err := simpki.New(context.Background(), client, "0912345678", simpki.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signer:", s.Certificate().Subject.CommonName)
	digest := sha256.Sum256([]byte("Công văn số 42/BCY"))
	if _, err := s.SignDigest(context.Background(), digest[:], crypto.SHA256); err != nil {
		log.Fatal(err)
	}
	_, err = s.SignDigest(context.Background(), digest[:], crypto.SHA256)
	var se *simpki.StatusError
	if errors.As(err, &se) {
		fmt.Printf("second request: the MSSP wrote %d, meaning %s\n", se.Raw, se.Code)
	}
	seen := map[string]bool{}
	for _, r := range mssp.Requests() {
		if !seen[r.Operation] {
			seen[r.Operation] = true
			fmt.Println(r.Operation, "at", path.Base(r.Path), "digestinfo:", r.DigestInfo)
		}
	}
	// Output:
	// signer: Lê Văn Cường
	// second request: the MSSP wrote 405, meaning USER_CANCEL
	// MSS_RegistrationReq at MSS_RegistrationPort digestinfo: false
	// MSS_SignatureReq at MSS_SignaturePort digestinfo: true
	// MSS_StatusReq at MSS_StatusQueryPort digestinfo: false
}

// An MSSP that answers with a CMS carrying its own signed attributes signs
// a PDF in two phases: the document digest goes to the phone, and the
// MSSP's CMS becomes the PDF's signature.
func ExampleSigner_SignCMS() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	mssp, err := mssptest.Start(mssptest.Config{CMSSignedAttributes: true})
	if err != nil {
		log.Fatal(err)
	}
	defer mssp.Close()
	sim := p.MustIssue(pkitest.Person("Phạm Thu Hà", "001190005678"))
	if err := mssp.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: sim.Signer()}); err != nil {
		log.Fatal(err)
	}
	client, err := simpki.NewClient(simpki.Config{URL: mssp.URL(), APID: mssp.APID(), Format: simpki.FormatCMS})
	if err != nil {
		log.Fatal(err)
	}
	s, err := simpki.New(context.Background(), client, "0912345678", simpki.Options{})
	if err != nil {
		log.Fatal(err)
	}

	in := testutil.MinimalPDF("Giay moi hop")
	ctx := simpki.WithDisplay(context.Background(), "Giấy mời họp")
	prep, err := pdf.Prepare(ctx, bytes.NewReader(in), int64(len(in)), s.Certificate(), s.Chain(), nil)
	if err != nil {
		log.Fatal(err)
	}
	der, err := s.SignCMS(ctx, prep.DocumentDigest(), prep.SignerOpts().HashFunc())
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := prep.Finish(ctx, &out, bytes.NewReader(in), int64(len(in)), der); err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed PDF keeps the original:", bytes.HasPrefix(out.Bytes(), in))
	fmt.Println("the MSSP's CMS is inside:", bytes.Contains(out.Bytes(), []byte(strings.ToUpper(hex.EncodeToString(der[:32])))) ||
		bytes.Contains(out.Bytes(), []byte(hex.EncodeToString(der[:32]))))
	// Output:
	// signed PDF keeps the original: true
	// the MSSP's CMS is inside: true
}
