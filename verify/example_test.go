package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

// A detached CMS signature made with a test PKI, verified online (OCSP and
// CRLs fetched from the PKI's loopback servers).
func ExampleValidator_VerifyDetached() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	id := p.MustIssue()
	doc := []byte("Công văn số 42/UBND-VP")
	digest := sha256.Sum256(doc)
	sig, err := cms.Sign(context.Background(), id.Signer(), digest[:], cms.Options{SigningTime: time.Now()})
	if err != nil {
		log.Fatal(err)
	}

	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: p.HTTPClient()})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := v.VerifyDetached(context.Background(), sig, bytes.NewReader(doc))
	if err != nil {
		log.Fatal(err)
	}
	s := rep.Signatures[0]
	fmt.Println(s.Indication, s.Signer.Name, s.TimeSource)
	fmt.Println(verify.Describe(verify.Vietnamese, s.Indication, s.SubIndication))
	// Output:
	// TOTAL_PASSED Nguyễn Văn An validation-time
	// Chữ ký hợp lệ
}

// Trust anchors from a bundle, keeping only the pinned root.
func ExampleTrustStore_AddPinned() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	bundle := pkitest.PEM(p.CA.Cert, p.Root.Cert) // as downloaded
	trust := verify.NewTrustStore()
	a, err := trust.AddPinned(bundle, verify.Fingerprint(p.Root.Cert))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(trust.Len(), a.Name())
	// Output: 1 Kyso Test Root CA
}

// The built-in Vietnamese anchors are names and fingerprints only; where
// the full fingerprint is not known, AddKnown refuses to guess.
func ExampleTrustStore_AddKnown() {
	trust := verify.NewTrustStore()
	_, err := trust.AddKnown("Vietnam National Root CA", []byte("…downloaded vnrca256.p7b…"))
	fmt.Println(err != nil)
	for _, k := range verify.KnownAnchors()[:2] {
		fmt.Println(k.Family, k.Name, k.Verified)
	}
	// Output:
	// true
	// NEAC MIC National Root CA false
	// NEAC Vietnam National Root CA true
}

// A sniffing verifier: XML documents go to the XML verifier.
func ExampleMux() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	id := p.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	invoice := []byte(`<HDon><DLHDon Id="data"><SHDon>1</SHDon></DLHDon><DSCKS><NBan/></DSCKS></HDon>`)
	opts := kxml.Seller()
	opts.IncludeChain = true // else pass the CA in Options.Intermediates
	signed, err := kxml.Sign(context.Background(), invoice, id.Signer(), opts)
	if err != nil {
		log.Fatal(err)
	}

	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust}) // offline, no revocation data
	if err != nil {
		log.Fatal(err)
	}
	var m verify.Mux
	m.Handle("XML", verify.IsXML, verify.NewXMLVerifier(v))
	rep, err := verify.VerifyBytes(context.Background(), &m, signed)
	if err != nil {
		log.Fatal(err)
	}
	s := rep.Signatures[0]
	fmt.Println(s.Integrity.Intact, s.Indication, s.SubIndication)
	// Output: true INDETERMINATE TRY_LATER
}

// Validate works on evidence from any format.
func ExampleValidator_Validate() {
	v, err := verify.New(verify.Options{Trust: verify.NewTrustStore()})
	if err != nil {
		log.Fatal(err)
	}
	r := v.Validate(context.Background(), &verify.Evidence{Format: "PAdES", FormatErr: fmt.Errorf("ByteRange does not start at 0")})
	fmt.Println(r.Indication, r.SubIndication)
	fmt.Println(verify.Describe(verify.English, r.Indication, r.SubIndication))
	// Output:
	// TOTAL_FAILED FORMAT_FAILURE
	// Signature invalid: The signature or document structure is malformed, or the document was modified after signing in a way that is not permitted
}

// A PDF signed with package pdf, verified offline with the CRLs supplied
// by the caller.
func ExamplePDFVerifier() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	id := p.MustIssue()
	doc := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n" +
		"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n")
	doc = append(doc, xrefFor(doc)...)
	var signed bytes.Buffer
	if err := pdf.Sign(context.Background(), &signed, bytes.NewReader(doc), int64(len(doc)), id.Signer(), &pdf.Options{Field: "Chữ ký 1"}); err != nil {
		log.Fatal(err)
	}

	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	opts := verify.Options{Trust: trust}
	for _, ca := range []*pkitest.CA{p.CA, p.Root} {
		crl, err := p.CRL(ca)
		if err != nil {
			log.Fatal(err)
		}
		opts.CRLs = append(opts.CRLs, crl)
	}
	v, err := verify.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := verify.NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(signed.Bytes()), int64(signed.Len()))
	if err != nil {
		log.Fatal(err)
	}
	s := rep.Signatures[0]
	fmt.Println(s.ID, s.Indication, s.Coverage.WholeDocument)
	// Output: Chữ ký 1 TOTAL_PASSED true
}

// xrefFor writes the xref table and trailer for a document of objects
// 1…3 written in order.
func xrefFor(doc []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "xref\n0 4\n0000000000 65535 f \n")
	for n := 1; n <= 3; n++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", bytes.Index(doc, []byte(fmt.Sprintf("\n%d 0 obj", n)))+1)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(doc))
	return b.Bytes()
}

// Check the signer's certificate before signing (Circular 15/2025 Art. 5,
// Decree 23/2025 Art. 15): refuse an expired, not yet valid, revoked or
// non-signing certificate; sign with a bilingual warning when its status
// cannot be determined.
func ExampleCheckSigner() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	opts := verify.SignerCheckOptions{HTTPClient: p.HTTPClient()}

	expired := p.MustIssue(pkitest.Expired())
	_, err = verify.CheckSigner(ctx, expired.Signer(), opts)
	fmt.Println(errors.Is(err, verify.ErrCertExpired))

	res, err := verify.CheckSigner(ctx, p.MustIssue().Signer(), opts)
	fmt.Println(err, res.Revocation.Source, res.Revocation.Status, len(res.Warnings))

	p.SetOCSPMode(pkitest.OCSPUnavailable)
	p.SetCRLMode(pkitest.CRLUnavailable)
	res, err = verify.CheckSigner(ctx, p.MustIssue().Signer(), opts)
	fmt.Println(err, res.Revocation.Status, len(res.Warnings))
	// Output:
	// true
	// <nil> OCSP good 0
	// <nil> unknown 1
}

// A report's remarks are messages: a code for programs, text in either
// language for people.
func ExampleMessage() {
	f := verify.Finding{
		Indication: verify.Indeterminate, SubIndication: verify.TryLater,
		Detail: verify.Message{Code: "revocation.unknown", Args: []string{"Nguyễn Văn An"},
			Cause: &verify.Message{Code: "revocation.why-offline"}},
	}
	fmt.Println(f.Detail.Code)
	fmt.Println(f.Detail.Text(verify.English))
	fmt.Println(f.Detail.Text(verify.Vietnamese))
	// Output:
	// revocation.unknown
	// revocation status of "Nguyễn Văn An" unknown: no usable revocation data (offline mode: only embedded data was used)
	// không rõ tình trạng thu hồi của "Nguyễn Văn An": không có dữ liệu thu hồi dùng được (chế độ ngoại tuyến: chỉ dùng dữ liệu nhúng trong tài liệu)
}

// The codes a report may carry can be listed, to map them to an
// application's own texts.
func ExampleMessageCodes() {
	for _, code := range verify.MessageCodes() {
		if strings.HasPrefix(code, "revocation.why-") {
			fmt.Println(code)
		}
	}
	// Output:
	// revocation.why-none-obtained
	// revocation.why-offline
	// revocation.why-unreachable
}
