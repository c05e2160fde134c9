package signer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log"
	"math/big"
	"os"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

func ExampleLoadPKCS12() {
	// A .p12 exported with `openssl pkcs12 -export -legacy`, as Windows and
	// the CA tools write them; OpenSSL 3 and PBMAC1 files load the same way.
	data, err := os.ReadFile("testdata/rsa-legacy.p12")
	if err != nil {
		log.Fatal(err)
	}
	s, err := signer.LoadPKCS12(data, "kyso-test")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signer:", s.Certificate().Subject.CommonName)
	for _, c := range s.Chain() {
		fmt.Println("issuer:", c.Subject.CommonName)
	}

	digest := sha256.Sum256([]byte("Văn bản cần ký"))
	sig, err := s.SignDigest(context.Background(), digest[:], crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verifies:", signer.CheckSignature(s.Certificate().PublicKey, digest[:], crypto.SHA256, sig) == nil)

	_, err = signer.LoadPKCS12(data, "wrong")
	fmt.Println("wrong password:", errors.Is(err, signer.ErrWrongPassword))
	// Output:
	// signer: Nguyễn Văn Thử
	// issuer: Kyso Test Issuing CA
	// verifies: true
	// wrong password: true
}

func ExampleLoadKeyPair() {
	key, err := os.ReadFile("testdata/ec-enc-sha512.pem") // encrypted PKCS#8
	if err != nil {
		log.Fatal(err)
	}
	cert, err := os.ReadFile("testdata/ec.crt")
	if err != nil {
		log.Fatal(err)
	}
	s, err := signer.LoadKeyPair(key, cert, "kyso-test")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signer.ParseIdentity(s.Certificate().Subject).TaxCode())
	// Output: 0312345678
}

func ExampleNew() {
	// Any crypto.Signer — here an in-memory key; an HSM or cloud KMS client
	// works the same — plus its certificate becomes a Signer.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Trần Văn Ký"},
		NotBefore:    time.Now(),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	s, err := signer.New(key, cert)
	if err != nil {
		log.Fatal(err)
	}

	digest := sha256.Sum256([]byte("Hóa đơn điện tử"))
	sig, err := s.SignDigest(context.Background(), digest[:], crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signer.CheckSignature(cert.PublicKey, digest[:], crypto.SHA256, sig) == nil)

	// A key that is not the certificate's is refused.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err = signer.New(other, cert)
	fmt.Println(errors.Is(err, signer.ErrKeyMismatch))
	// Output:
	// true
	// true
}

func ExampleParseIdentity() {
	// A subject as Vietnamese CAs issue it: UID attributes carry the tax
	// code and the citizen ID.
	name := pkix.Name{
		Country:      []string{"VN"},
		Province:     []string{"Hà Nội"},
		Organization: []string{"Công ty Cổ phần ABC"},
		CommonName:   "Nguyễn Thị Hoa",
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: signer.OIDUserID, Value: "MST:0100686209-199"},
			{Type: signer.OIDUserID, Value: "CCCD:001099012345"},
		},
	}
	id := signer.ParseIdentity(name)
	fmt.Println(id.CommonName)
	fmt.Println("MST:", id.TaxCode())
	fmt.Println("CCCD:", id.Get(signer.IDCitizen))
	fmt.Println(signer.DisplayName(name))
	// Output:
	// Nguyễn Thị Hoa
	// MST: 0100686209-199
	// CCCD: 001099012345
	// UID=CCCD:001099012345, UID=MST:0100686209-199, CN=Nguyễn Thị Hoa, O=Công ty Cổ phần ABC, ST=Hà Nội, C=VN
}

func ExampleWithPSS() {
	data, err := os.ReadFile("testdata/rsa-modern.p12")
	if err != nil {
		log.Fatal(err)
	}
	s, err := signer.LoadPKCS12(data, "kyso-test", signer.WithPSS())
	if err != nil {
		log.Fatal(err)
	}
	// Format packages ask PrefersPSS and then sign with *rsa.PSSOptions.
	fmt.Println(signer.PrefersPSS(s))
	// Output: true
}
