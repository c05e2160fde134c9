package signer_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log"
	"os"

	"github.com/kyso-vn/kyso/signer"
)

// A Signer used where the standard library wants a crypto.Signer: here to
// make a certificate signing request with the key of a PKCS#12 file (a
// token or SIM key works the same way).
func ExampleCryptoSigner() {
	s, err := signer.LoadPKCS12File("testdata/ec-legacy.p12", "kyso-test")
	if err != nil {
		log.Fatal(err)
	}
	cs := signer.CryptoSigner(context.Background(), s)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: s.Certificate().Subject.CommonName, Country: []string{"VN"}},
	}, cs)
	if err != nil {
		log.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("CSR for", csr.Subject.CommonName, "signed:", csr.CheckSignature() == nil)

	// Sign takes the digest, as crypto.Signer does.
	digest := sha256.Sum256([]byte("Tờ khai thuế"))
	sig, err := cs.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signature verifies:", signer.CheckSignature(cs.Public(), digest[:], crypto.SHA256, sig) == nil)
	// Output:
	// CSR for Công ty TNHH Ví dụ signed: true
	// signature verifies: true
}

// A PEM bundle holding the key and the certificate, as `openssl pkcs12
// -nodes` writes it; encrypted keys take the password.
func ExampleLoadPEM() {
	data, err := os.ReadFile("testdata/ec-bundle.pem")
	if err != nil {
		log.Fatal(err)
	}
	s, err := signer.LoadPEM(data, "")
	if err != nil {
		log.Fatal(err)
	}
	// DisplayName prints UID and organizationIdentifier by name, in UTF-8,
	// where pkix.Name.String shows raw OIDs.
	fmt.Println(signer.DisplayName(s.Certificate().Subject))
	// Output:
	// organizationIdentifier=VATVN-0312345678, UID=MST:0312345678, CN=Công ty TNHH Ví dụ, O=Công ty TNHH Ví dụ, ST=TP Hồ Chí Minh, C=VN
}
