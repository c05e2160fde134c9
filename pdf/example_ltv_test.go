package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Sign at PAdES B-LTA in one call: the signature with its time-stamp, a
// DSS with the certificates and OCSP responses of the signer's and the
// TSA's chains, then a document time-stamp — three incremental updates.
func ExampleSign_longTerm() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	s := pki.MustIssue().Signer()

	in := exampleInput()
	var out bytes.Buffer
	err = pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, &pdf.Options{
		Level:        pdf.LevelBLTA,
		TimestampURL: pki.TSAURL(),
		// LTV: &pdf.LTVOptions{VRI: true, Offline: true, OCSPResponses: …},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revisions added:", bytes.Count(out.Bytes()[len(in):], []byte("%%EOF")))
	// Output: revisions added: 3
}

// Raise a document someone else signed (B-B or B-T) to B-LT: the
// validation data goes into the DSS in a new incremental update.
func ExampleAddDSS() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	signed := signedExample(pki)

	var out bytes.Buffer
	err = pdf.AddDSS(context.Background(), &out, bytes.NewReader(signed), int64(len(signed)), &pdf.LTVOptions{
		HTTPClient: pki.HTTPClient(), // OCSP and CRL requests
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("earlier revisions kept:", bytes.HasPrefix(out.Bytes(), signed))
	// Output: earlier revisions kept: true
}

// Add a document time-stamp (ETSI.RFC3161) over the whole file.
func ExampleAddDocumentTimestamp() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	in := exampleInput()

	var out bytes.Buffer
	err = pdf.AddDocumentTimestamp(context.Background(), &out, bytes.NewReader(in), int64(len(in)), &pdf.DocTimestampOptions{
		TimestampURL: pki.TSAURL(),
		Field:        "LuuTru",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("time-stamped:", out.Len() > len(in))
	// Output: time-stamped: true
}

// Renew an archived (B-LTA) document before its last document time-stamp's
// TSA certificate expires: fresh validation data, then a new document
// time-stamp over everything.
func ExampleAugment() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	in := exampleInput()
	var archived bytes.Buffer
	err = pdf.Sign(context.Background(), &archived, bytes.NewReader(in), int64(len(in)), pki.MustIssue().Signer(),
		&pdf.Options{Level: pdf.LevelBLTA, TimestampURL: pki.TSAURL()})
	if err != nil {
		log.Fatal(err)
	}

	var renewed bytes.Buffer
	err = pdf.Augment(context.Background(), &renewed, bytes.NewReader(archived.Bytes()), int64(archived.Len()),
		pdf.LevelBLTA, nil, &pdf.DocTimestampOptions{TimestampURL: pki.TSAURL()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("renewed:", bytes.HasPrefix(renewed.Bytes(), archived.Bytes()))
	// Output: renewed: true
}

// signedExample returns a B-T signed document.
func signedExample(pki *pkitest.PKI) []byte {
	in := exampleInput()
	var out bytes.Buffer
	err := pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), pki.MustIssue().Signer(),
		&pdf.Options{TimestampURL: pki.TSAURL()})
	if err != nil {
		log.Fatal(err)
	}
	return out.Bytes()
}
