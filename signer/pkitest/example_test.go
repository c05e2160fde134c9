package pkitest_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"golang.org/x/crypto/ocsp"
)

func ExampleStart() {
	p, err := pkitest.Start()
	if err != nil {
		panic(err)
	}
	defer p.Close()

	id := p.MustIssue(pkitest.Organization("Công ty TNHH Hóa đơn Việt", "0312345678"))
	_, err = id.Cert.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: p.Intermediates()})
	fmt.Println(id.Cert.Subject.CommonName, err == nil)
	fmt.Println(p.TSA.Cert.ExtKeyUsage[0] == x509.ExtKeyUsageTimeStamping)
	// Output:
	// Công ty TNHH Hóa đơn Việt true
	// true
}

func ExamplePKI_Issue() {
	p, err := pkitest.Start()
	if err != nil {
		panic(err)
	}
	defer p.Close()

	weak := p.MustIssue(pkitest.Weak())
	expired := p.MustIssue(pkitest.Expired())
	rsa := p.MustIssue(pkitest.RSAKey(3072), pkitest.DocumentSigning())
	fmt.Println(weak.Cert.SignatureAlgorithm)
	fmt.Println(expired.Cert.NotAfter.Before(time.Now()))
	fmt.Println(rsa.Cert.PublicKeyAlgorithm, rsa.Cert.UnknownExtKeyUsage)
	// Output:
	// ECDSA-SHA1
	// true
	// RSA [1.3.6.1.5.5.7.3.36]
}

func ExamplePKI_Revoke() {
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	p, err := pkitest.Start(pkitest.WithClock(func() time.Time { return t0 }))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	id := p.MustIssue()
	// Revoked one day after T0: OCSP says good at T0, revoked later.
	if err := p.Revoke(id.Cert, t0.AddDate(0, 0, 1), ocsp.KeyCompromise); err != nil {
		panic(err)
	}
	for _, now := range []time.Time{t0, t0.AddDate(0, 0, 2)} {
		p.SetTime(now)
		req, _ := ocsp.CreateRequest(id.Cert, p.CA.Cert, nil)
		resp, err := http.Post(p.OCSPURL(), "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r, err := ocsp.ParseResponseForCert(body, id.Cert, p.CA.Cert)
		if err != nil {
			panic(err)
		}
		fmt.Println(now.Format(time.DateOnly), r.Status == ocsp.Revoked)
	}
	// Output:
	// 2026-01-10 false
	// 2026-01-12 true
}

func ExamplePKI_Timestamp() {
	t0 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	p, err := pkitest.Start(pkitest.WithClock(func() time.Time { return t0 }))
	if err != nil {
		panic(err)
	}
	defer p.Close()

	digest := sha256.Sum256([]byte("signature value"))
	token, err := p.Timestamp(crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		panic(err)
	}
	fmt.Println(ts.Time.UTC(), ts.Policy)
	// Output:
	// 2026-01-10 09:00:00 +0000 UTC 2.999.1.2
}

func ExampleDeterministic() {
	a, _ := pkitest.Start(pkitest.Deterministic(42))
	defer a.Close()
	b, _ := pkitest.Start(pkitest.Deterministic(42))
	defer b.Close()
	fmt.Println(bytes.Equal(a.MustIssue().Cert.Raw, b.MustIssue().Cert.Raw))
	fmt.Println(a.Now())
	// Output:
	// true
	// 2025-01-01 00:00:00 +0000 UTC
}

func ExamplePKI_WriteDir() {
	p, err := pkitest.Start()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	dir, err := os.MkdirTemp("", "pkitest-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := p.WriteDir(dir, p.MustIssue(), "123456"); err != nil {
		panic(err)
	}
	fmt.Println(pkitest.FileRoot, pkitest.FileChain, pkitest.FileTSA, pkitest.FileSigner)
	// Output:
	// root.pem chain.pem tsa.pem signer.p12
}
