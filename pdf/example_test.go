package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// exampleInput returns a small PDF from the test corpus.
func exampleInput() []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "simple.pdf"))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// Sign a document with an invisible PAdES B-B signature.
func ExampleSign() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	s := pki.MustIssue().Signer() // any signer.Signer: PKCS#12, token, SIM

	in := exampleInput()
	var out bytes.Buffer
	err = pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, &pdf.Options{
		Reason:   "Phê duyệt văn bản",
		Location: "Hà Nội",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("original bytes kept:", bytes.HasPrefix(out.Bytes(), in))
	// Output: original bytes kept: true
}

// Sign a file in place with a visible signature and a timestamp (PAdES B-T):
// the leader's name, agency and signing time next to the red seal.
func ExampleSignFile() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	dir, err := os.MkdirTemp("", "kyso-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "quyet-dinh.pdf")
	if err := os.WriteFile(path, exampleInput(), 0o644); err != nil {
		log.Fatal(err)
	}

	err = pdf.SignFile(context.Background(), path, path, pki.MustIssue().Signer(), &pdf.Options{
		Page:         -1, // last page
		Appearance:   &pdf.Appearance{Rect: pdf.Corners(320, 60, 560, 140)},
		TimestampURL: pki.TSAURL(),
	})
	fmt.Println("signed:", err == nil)
	// Output: signed: true
}

// Two-phase signing: the server prepares the document and keeps the state;
// the user's token (or SIM) signs the digest; the server finishes later,
// possibly in another process.
func ExamplePrepare() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue()
	in := exampleInput()

	// Phase 1: only the certificate is needed.
	p, err := pdf.Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, &pdf.Options{Field: "LanhDao"})
	if err != nil {
		log.Fatal(err)
	}
	state, _ := p.MarshalBinary()
	digest, opts := p.Digest(), p.SignerOpts()

	// Elsewhere: the key holder signs the digest.
	sig, err := id.Signer().SignDigest(context.Background(), digest, opts)
	if err != nil {
		log.Fatal(err)
	}

	// Phase 2: restore the state and write the signed document.
	var q pdf.Prepared
	if err := q.UnmarshalBinary(state); err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := q.Finish(context.Background(), &out, bytes.NewReader(in), int64(len(in)), sig); err != nil {
		log.Fatal(err)
	}
	fmt.Println("finished:", out.Len() > len(in))
	// Output: finished: true
}

// Read a signed document's revisions and signatures with the object layer
// package verify uses.
func ExampleOpen() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	in := exampleInput()
	var signed bytes.Buffer
	if err := pdf.Sign(context.Background(), &signed, bytes.NewReader(in), int64(len(in)), pki.MustIssue().Signer(), &pdf.Options{Field: "Leader"}); err != nil {
		log.Fatal(err)
	}
	doc, err := pdf.Open(bytes.NewReader(signed.Bytes()), int64(signed.Len()), nil)
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range doc.Revisions() {
		fmt.Printf("revision %d ends at the end of the file: %v\n", i+1, r.End == doc.Size())
	}
	sigs, err := doc.Signatures()
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sigs {
		fmt.Printf("%s: %s, covers the file: %v\n", s.Name, s.SubFilter, s.ByteRange[2]+s.ByteRange[3] == doc.Size())
	}
	// Output:
	// revision 1 ends at the end of the file: false
	// revision 2 ends at the end of the file: true
	// Leader: ETSI.CAdES.detached, covers the file: true
}
