package xml_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"log"
	"math/big"
	"time"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml"
)

// exampleSigner makes a throwaway key and certificate. Real programs load a
// PKCS#12 file, a USB token (package pkcs11) or a SIM (package simpki).
func exampleSigner() signer.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	uid := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject: pkix.Name{Country: []string{"VN"}, CommonName: "Công ty TNHH Ví Dụ",
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: uid, Value: "MST:0100686209"}}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		log.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := signer.New(k, cert)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

const exampleInvoice = `<HDon xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1"><DLHDon Id="HD-001"><TTChung><KHHDon>C24TAA</KHHDon><SHDon>1</SHDon></TTChung><NDHDon><TToan><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon></DLHDon><DSCKS><NBan/><NMua/><CCKSKhac/></DSCKS></HDon>`

// Sign an invoice as the seller, then as the tax authority, and verify both.
func ExampleSign() {
	ctx := context.Background()
	seller, cqt := exampleSigner(), exampleSigner()

	doc, err := xml.Sign(ctx, []byte(exampleInvoice), seller, xml.Seller())
	if err != nil {
		log.Fatal(err)
	}
	doc, err = xml.Sign(ctx, doc, cqt, xml.TaxAuthority("00474597D7E6A041A1A4AC3C9A8A72AA71"))
	if err != nil {
		log.Fatal(err)
	}
	res, err := xml.Verify(doc, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range res.Signatures {
		fmt.Println(s.Path, s.Valid(), len(s.References), "references")
	}
	// Output:
	// /HDon/DSCKS/NBan/Signature true 2 references
	// /HDon/DSCKS/CQT/Signature true 3 references
}

// Verify one signature, chosen by its slot, and consume only covered data.
func ExampleVerify() {
	doc, err := xml.Sign(context.Background(), []byte(exampleInvoice), exampleSigner(), xml.Seller())
	if err != nil {
		log.Fatal(err)
	}
	res, err := xml.Verify(doc, &xml.VerifyOptions{Path: "//HDon/DSCKS/NBan"})
	if err != nil {
		log.Fatal(err)
	}
	s := res.Signatures[0]
	fmt.Println("valid:", s.Valid())
	fmt.Println("signer:", s.Certificate.Subject.CommonName)
	covered, _ := res.Covered("/HDon/DLHDon", "//DSCKS/NBan")
	fmt.Println("DLHDon covered:", covered)
	// The exact bytes that were digested, with HDon's namespace declaration.
	fmt.Println(string(s.References[0].Canonical[:82]))
	// Output:
	// valid: true
	// signer: Công ty TNHH Ví Dụ
	// DLHDon covered: true
	// <DLHDon xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1" Id="HD-001">
}

// Two-phase signing: prepare on the server, sign the digest elsewhere (a
// token plugin, a SIM), finish later, even in another process.
func ExamplePrepare() {
	s := exampleSigner()
	prep, err := xml.Prepare(context.Background(), []byte(exampleInvoice), s.Certificate(), s.Chain(), xml.Seller())
	if err != nil {
		log.Fatal(err)
	}
	state, _ := prep.MarshalBinary() // store it with the request

	sig, err := s.SignDigest(context.Background(), prep.Digest(), prep.SignerOpts())
	if err != nil {
		log.Fatal(err)
	}

	var later xml.Prepared
	if err := later.UnmarshalBinary(state); err != nil {
		log.Fatal(err)
	}
	doc, err := later.Finish(context.Background(), sig)
	if err != nil {
		log.Fatal(err)
	}
	res, _ := xml.Verify(doc, nil)
	fmt.Println(res.Valid())
	// Output: true
}

// Canonicalize the subset a "#HD-001" reference selects.
func ExampleCanonicalizer() {
	d, err := xml.Parse([]byte(`<a xmlns:x="urn:x"><b Id="HD-001" z="1" y="2"><c/></b></a>`))
	if err != nil {
		log.Fatal(err)
	}
	b, _ := d.FindOne("/a/b")
	var out bytes.Buffer
	for _, m := range []string{xml.C14N10, xml.ExcC14N} {
		out.Reset()
		_ = xml.Canonicalizer{Method: m}.Element(&out, b)
		fmt.Println(out.String())
	}
	// Output:
	// <b xmlns:x="urn:x" Id="HD-001" y="2" z="1"><c></c></b>
	// <b Id="HD-001" y="2" z="1"><c></c></b>
}

// Sign an invoice at XAdES B-LT: the seller's signature with a time-stamp
// and the validation data (certificates, OCSP responses) that keep it
// verifiable after the certificates expire.
func ExampleSign_longTerm() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	id := pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"))
	invoice := []byte(`<HDon><DLHDon Id="data"><TTChung><SHDon>1</SHDon></TTChung></DLHDon><DSCKS><NBan/></DSCKS></HDon>`)

	opts := xml.Seller()
	opts.Level = xml.LevelBLT
	opts.TimestampURL = pki.TSAURL()
	opts.HTTPClient = pki.HTTPClient() // for the TSA, OCSP and CRL requests
	signed, err := xml.Sign(context.Background(), invoice, id.Signer(), opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bytes.Contains(signed, []byte("<xades:CertificateValues>")), bytes.Contains(signed, []byte("<xades:OCSPValues>")))
	// Output: true true
}

// ResolveLayout tells what a signature's place obliges it to sign; Verify
// reports a signature that signs anything else in Signature.LayoutErr.
func ExampleResolveLayout() {
	doc, err := xml.Parse([]byte(`<TDiep><DLieu><HDon><DLHDon Id="a"/><MCCQT Id="m"/><DSCKS><CQT><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></CQT></DSCKS></HDon></DLieu></TDiep>`))
	if err != nil {
		log.Fatal(err)
	}
	sig, err := doc.FindOne("//DSCKS/CQT/Signature")
	if err != nil {
		log.Fatal(err)
	}
	l := xml.ResolveLayout(sig)
	fmt.Println(l.Container, l.Role, l.Required)
	// Output: HDon CQT [/TDiep/DLieu/HDon/DLHDon /TDiep/DLieu/HDon/MCCQT]
}
