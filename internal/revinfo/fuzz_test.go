package revinfo

import (
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/signer/pkitest"
)

// FuzzCheck feeds arbitrary bytes to CheckOCSP and CheckCRL: they must
// accept or fail with ErrBadResponse, never panic; and to ParseCRL, which
// returns a CRL or an error.
func FuzzCheck(f *testing.F) {
	p := pkitest.New(f)
	id := p.MustIssue()
	o, err := p.OCSP(id.Cert)
	if err != nil {
		f.Fatal(err)
	}
	crl, err := p.CRL(p.CA)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(o)
	f.Add(crl)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl}))
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x03})
	now := time.Now()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := CheckOCSP(data, id.Cert, p.CA.Cert, now, time.Minute); err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("untyped error: %v", err)
		}
		if _, err := CheckCRL(data, id.Cert, p.CA.Cert, now, time.Minute); err != nil && !errors.Is(err, ErrBadResponse) {
			t.Fatalf("untyped error: %v", err)
		}
		if c, err := ParseCRL(data); (c == nil) == (err == nil) {
			t.Fatalf("ParseCRL: %v and %v", c, err)
		}
	})
}
