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
	// Legacy files (3DES/RC2, SHA-1 MAC) load without GODEBUG.
	legacy, err := id.PKCS12Legacy("pw")
	if err != nil {
		t.Fatal(err)
	}
	s, err = signer.LoadPKCS12(legacy, "pw", signer.WithPSS())
	if err != nil {
		t.Fatalf("legacy PKCS#12: %v", err)
	}
	if s.Certificate().SerialNumber.Sign() >= 0 || !s.Certificate().Equal(id.Cert) || len(s.Chain()) == 0 {
		t.Fatalf("legacy PKCS#12: serial %v, chain %d", s.Certificate().SerialNumber, len(s.Chain()))
	}
	if _, err := signer.LoadPKCS12(legacy, "wrong"); !errors.Is(err, signer.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
}
