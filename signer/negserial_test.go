package signer_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// A negative-serial certificate loads from PEM whatever GODEBUG says; from
// PKCS#12 (whose decoder uses crypto/x509) it either loads (GODEBUG
// x509negativeserial=1) or fails with ErrNegativeSerial saying how to
// allow it — never a bare x509 error.
func TestNegativeSerialLoad(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.NegativeSerial())
	key, err := id.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	s, err := signer.LoadKeyPair(key, append(id.CertPEM(), id.ChainPEM()...), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Certificate().SerialNumber.Sign() >= 0 || len(s.Chain()) == 0 {
		t.Fatalf("serial %v, chain %d", s.Certificate().SerialNumber, len(s.Chain()))
	}
	p12, err := id.PKCS12("pw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = signer.LoadPKCS12(p12, "pw")
	if strings.Contains(os.Getenv("GODEBUG"), "x509negativeserial=1") {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if !errors.Is(err, signer.ErrNegativeSerial) || !strings.Contains(err.Error(), "x509negativeserial=1") {
		t.Fatalf("LoadPKCS12: %v", err)
	}
}
