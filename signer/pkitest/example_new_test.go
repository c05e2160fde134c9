package pkitest_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"golang.org/x/crypto/ocsp"
)

// testSignAndCheck is what a test in a user's suite looks like: a fresh
// PKI per test, a signer from it, and the servers' URLs for the code under
// test. (In a real suite this would be func TestSignAndCheck.)
func testSignAndCheck(t *testing.T) {
	p := pkitest.New(t) // servers are closed by t.Cleanup
	id := p.MustIssue(pkitest.Person("Nguyễn Thị Mai", "001190000001"))

	digest := sha256.Sum256([]byte("Quyết định số 123/QĐ-UBND"))
	sig, err := id.Signer().SignDigest(context.Background(), digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.CheckSignature(id.Cert.PublicKey, digest[:], crypto.SHA256, sig); err != nil {
		t.Fatal(err)
	}
	if _, err := id.Cert.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: p.Intermediates()}); err != nil {
		t.Fatal(err)
	}
	// Revoke it and hand the OCSP URL (also in id.Cert.OCSPServer) to the
	// verifier under test.
	if err := p.Revoke(id.Cert, p.Now(), ocsp.KeyCompromise); err != nil {
		t.Fatal(err)
	}
	_ = p.OCSPURL()
}

func ExampleNew() {
	// pkitest.New takes the *testing.T of the test it serves; see
	// testSignAndCheck above. Outside tests, use pkitest.Start and Close.
	_ = testSignAndCheck
}
