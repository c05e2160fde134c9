package pkcs11_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
)

// A new key on the token and a certificate request for the CA: the
// holder's name in Vietnamese and the CCCD number as the UID.
func ExampleToken_GenerateKey() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: "kyso"}, pkcs11.Options{PIN: askPIN})
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	ctx := context.Background()
	kp, err := tok.GenerateKey(ctx, pkcs11.KeyOptions{Type: pkcs11.RSA2048, Label: "Nguyễn Văn An 2027"})
	if err != nil {
		log.Fatal(err)
	}
	subject, err := signer.ParseSubject("CN=Nguyễn Văn An,O=Công ty TNHH Ánh Dương,ST=Hà Nội,C=VN")
	if err != nil {
		log.Fatal(err)
	}
	uid, err := signer.UIDAttribute(signer.IDCitizen, "001203012345")
	if err != nil {
		log.Fatal(err)
	}
	csr, err := kp.CertificateRequest(ctx, pkcs11.CSROptions{Subject: append(subject, uid)})
	if err != nil {
		log.Fatal(err)
	}
	os.WriteFile("an.csr", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}), 0o644)
}

// The CA's answer goes beside its key; then the old certificate of a
// renewal and its key are removed.
func ExampleToken_ImportCertificate() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: "kyso"}, pkcs11.Options{PIN: askPIN})
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	ctx := context.Background()
	der, _ := os.ReadFile("an.cer")
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	c, err := tok.ImportCertificate(ctx, cert, pkcs11.ImportOptions{})
	if errors.Is(err, pkcs11.ErrKeyNotOnToken) {
		log.Fatal("this certificate was requested from another token")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored as", c.Label)

	certs, _ := tok.Certificates(ctx)
	old, err := pkcs11.SelectCertificate(certs, "0F3A…") // the old thumbprint
	if err == nil {
		err = tok.DeleteCertificate(ctx, old, true)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// Unlock a token locked by wrong PINs with the security officer's PIN,
// showing the PIN state before and after.
func ExampleToken_UnblockPIN() {
	mod, err := pkcs11.Open("/usr/lib/softhsm/libsofthsm2.so")
	if err != nil {
		log.Fatal(err)
	}
	defer mod.Close()
	tok, err := mod.OpenToken(pkcs11.TokenSpec{Label: "kyso"}, pkcs11.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer tok.Close()
	ch, err := tok.UnblockPIN(context.Background(), os.Getenv("SO_PIN"), os.Getenv("NEW_PIN"))
	fmt.Println("before:", ch.Before.Vietnamese())
	if errors.Is(err, pkcs11.ErrSOPINIncorrect) {
		log.Fatal("wrong SO PIN (not retried): ", err)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after:", ch.After.Vietnamese())
}
