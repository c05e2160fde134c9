package certparse_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

func TestNegativeSerial(t *testing.T) {
	if v := os.Getenv("GODEBUG"); bytes.Contains([]byte(v), []byte("x509negativeserial=1")) {
		t.Skip("GODEBUG allows negative serials; this test checks the library without it")
	}
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.Person("Nguyễn Văn A", "001099000001"), pkitest.NegativeSerial())
	der := id.Cert.Raw
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("crypto/x509 parsed a negative serial without GODEBUG; the test premise is wrong")
	}
	c, err := certparse.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if c.SerialNumber.Sign() >= 0 {
		t.Fatalf("serial %v is not negative", c.SerialNumber)
	}
	if !bytes.Equal(c.Raw, der) {
		t.Fatal("Raw differs from the input DER")
	}
	// Every Raw* field holds exactly the original bytes at their place.
	in := cryptobyte.String(der)
	var certSeq, tbs cryptobyte.String
	if !in.ReadASN1(&certSeq, cbasn1.SEQUENCE) || !certSeq.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		t.Fatal("test DER")
	}
	if !bytes.Equal(c.RawTBSCertificate, tbs) {
		t.Fatal("RawTBSCertificate is not the original TBSCertificate")
	}
	for name, f := range map[string][]byte{"RawSubject": c.RawSubject, "RawIssuer": c.RawIssuer, "RawSubjectPublicKeyInfo": c.RawSubjectPublicKeyInfo} {
		if len(f) == 0 || !bytes.Contains(tbs, f) {
			t.Fatalf("%s is not part of the original TBSCertificate", name)
		}
	}
	if !bytes.Equal(c.RawIssuer, p.CA.Cert.RawSubject) {
		t.Fatal("RawIssuer differs from the issuer's subject")
	}
	if err := c.CheckSignatureFrom(p.CA.Cert); err != nil {
		t.Fatalf("signature over the original TBS does not verify: %v", err)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: p.Intermediates(), CurrentTime: p.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("chain: %v", err)
	}
	// A tampered TBS must not verify.
	bad := append([]byte(nil), der...)
	i := bytes.Index(bad, []byte("Nguy"))
	bad[i] ^= 1
	cb, err := certparse.Parse(bad)
	if err != nil {
		t.Fatal(err)
	}
	if cb.CheckSignatureFrom(p.CA.Cert) == nil {
		t.Fatal("a tampered negative-serial certificate verified")
	}
	all, err := certparse.ParseAll(append(append([]byte(nil), der...), p.CA.Cert.Raw...))
	if err != nil || len(all) != 2 || all[0].SerialNumber.Sign() >= 0 {
		t.Fatalf("ParseAll: %v %d", err, len(all))
	}
}

func TestAppPoliciesCritical(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.AppPolicies(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}))
	raw, err := x509.ParseCertificate(id.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{Roots: p.Roots(), Intermediates: p.Intermediates(), CurrentTime: p.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := raw.Verify(opts); err == nil {
		t.Fatal("crypto/x509 accepted the critical application-policies extension; premise wrong")
	}
	c, err := certparse.Parse(id.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.UnhandledCriticalExtensions) != 0 {
		t.Fatalf("still unhandled: %v", c.UnhandledCriticalExtensions)
	}
	if _, err := c.Verify(opts); err != nil {
		t.Fatalf("chain: %v", err)
	}
	pols, err := certparse.AppPolicies(c)
	if err != nil || len(pols) != 2 || !pols[0].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}) {
		t.Fatalf("AppPolicies = %v, %v", pols, err)
	}
	if h := certparse.Handle(raw); len(h.UnhandledCriticalExtensions) != 0 || len(raw.UnhandledCriticalExtensions) == 0 {
		t.Fatal("Handle must copy and clear, leaving the input alone")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range [][]byte{nil, {0x30}, {0x30, 0x03, 0x02, 0x01, 0x80}, []byte("junk")} {
		if _, err := certparse.Parse(in); err == nil {
			t.Errorf("Parse(%x) succeeded", in)
		}
	}
	if _, err := certparse.ParseAll([]byte{0x30, 0x05}); !errors.Is(err, certparse.ErrMalformed) {
		t.Errorf("ParseAll: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x80})
	// testdata/fuzz/FuzzParse holds a negative-serial certificate and one
	// with critical application policies, made by TestWriteFuzzSeeds.
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := certparse.Parse(der)
		if err == nil && !bytes.Equal(c.Raw, der) {
			t.Fatal("Raw differs from input")
		}
	})
}

// TestWriteFuzzSeeds rewrites the fuzz seed corpus when KYSO_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KYSO_WRITE_SEEDS") != "1" {
		t.Skip("set KYSO_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzParse")
	}
	p := pkitest.New(t)
	dir := "testdata/fuzz/FuzzParse"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string][]byte{
		"negative-serial": p.MustIssue(pkitest.NegativeSerial()).Cert.Raw,
		"app-policies":    p.MustIssue(pkitest.AppPolicies(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4})).Cert.Raw,
	} {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(der)) + ")\n"
		if err := os.WriteFile(dir+"/"+name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestParseCache: the same DER parses once; the cached certificate owns
// its bytes, so a caller reusing its buffer cannot change it; concurrent
// parses are safe (run with -race).
func TestParseCache(t *testing.T) {
	p := pkitest.New(t)
	for _, opts := range [][]pkitest.CertOption{nil, {pkitest.NegativeSerial()}} {
		id := p.MustIssue(opts...)
		buf := bytes.Clone(id.Cert.Raw)
		a, err := certparse.Parse(buf)
		require.NoError(t, err)
		b, err := certparse.Parse(bytes.Clone(id.Cert.Raw))
		require.NoError(t, err)
		assert.Same(t, a, b, "parsed once")
		for i := range buf {
			buf[i] = 0 // the caller reuses its buffer
		}
		assert.Equal(t, id.Cert.Raw, a.Raw, "the cached certificate does not alias the caller's buffer")
		require.NoError(t, a.CheckSignatureFrom(id.Chain[0]))
		assert.Equal(t, id.Cert.SerialNumber, a.SerialNumber)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				id := p.MustIssue()
				c, err := certparse.Parse(id.Cert.Raw)
				assert.NoError(t, err)
				assert.Equal(t, id.Cert.Raw, c.Raw)
			}
		}()
	}
	wg.Wait()
}
