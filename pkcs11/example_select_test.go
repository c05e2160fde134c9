package pkcs11_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/kyso-vn/kyso/pkcs11"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Pick the certificate a user named by its thumbprint, as Windows shows it
// (colons, spaces and case do not matter). Token.Certificates returns such
// a list; here it is built from a test PKI so the example runs anywhere.
func ExampleSelectCertificate() {
	p, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	id := p.MustIssue(pkitest.Person("Lê Thị Hồng Gấm", "079190001111"))
	var certs []pkcs11.Certificate
	for _, c := range append(id.Chain, id.Cert) {
		certs = append(certs, pkcs11.Certificate{Cert: c, SHA1: sha1.Sum(c.Raw), SHA256: sha256.Sum256(c.Raw)})
	}

	thumb := certs[len(certs)-1].SHA1
	var b strings.Builder
	for i, x := range thumb {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02x", x)
	}
	c, err := pkcs11.SelectCertificate(certs, b.String()) // "74:d6:ed:…"
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("chosen:", c.Cert.Subject.CommonName)

	_, err = pkcs11.SelectCertificate(certs, "0000")
	fmt.Println("unknown thumbprint:", errors.Is(err, signer.ErrNoCertificate))
	// Output:
	// chosen: Lê Thị Hồng Gấm
	// unknown thumbprint: true
}
