package verify

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// p7bFromCerts builds a degenerate SignedData bundle by hand (what
// `openssl crl2pkcs7 -nocrl` writes), for seeds.
func p7bFromCerts(certs ...*x509.Certificate) []byte {
	var set []byte
	for _, c := range certs {
		set = append(set, c.Raw...)
	}
	tlv := func(tag byte, body []byte) []byte {
		n := len(body)
		var l []byte
		switch {
		case n < 0x80:
			l = []byte{byte(n)}
		case n < 0x100:
			l = []byte{0x81, byte(n)}
		default:
			l = []byte{0x82, byte(n >> 8), byte(n)}
		}
		return append(append([]byte{tag}, l...), body...)
	}
	sd := tlv(0x30, bytes.Join([][]byte{
		{0x02, 0x01, 0x01}, // version
		{0x31, 0x00},       // digestAlgorithms
		tlv(0x30, []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}),
		tlv(0xa0, set),
		{0x31, 0x00}, // signerInfos
	}, nil))
	return tlv(0x30, append([]byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}, tlv(0xa0, sd)...)) // signedData
}

// FuzzParseCertificates covers the trust-bundle loader: PEM, DER,
// concatenated DER and .p7b bundles. It must never panic, and whatever it
// returns must be certificates.
func FuzzParseCertificates(f *testing.F) {
	p := pkitest.New(f)
	f.Add(pkitest.PEM(p.CA.Cert, p.Root.Cert))
	f.Add(p.Root.Cert.Raw)
	f.Add(append(append([]byte(nil), p.CA.Cert.Raw...), p.Root.Cert.Raw...))
	f.Add(p7bFromCerts(p.CA.Cert, p.Root.Cert))
	f.Add([]byte("-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n"))
	f.Add([]byte{0x30, 0x80, 0x06, 0x09})
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificates")
		}
		for _, c := range certs {
			if c == nil {
				t.Fatal("nil certificate")
			}
		}
		s := NewTrustStore()
		n, err := s.Add(data, "fuzz")
		if err == nil && (n == 0 || s.Len() == 0) {
			t.Fatal("added nothing without an error")
		}
	})
}

// FuzzOCSPResponse covers the OCSP response parser and its evaluation
// against a certificate and issuer.
func FuzzOCSPResponse(f *testing.F) {
	p := pkitest.New(f)
	id := p.MustIssue()
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert} {
		der, err := p.OCSP(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x03})
	v, err := New(Options{Trust: NewTrustStore()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := revinfo.ParseOCSP(data)
		if err != nil {
			return
		}
		r := &run{v: v, now: time.Now(), skew: time.Minute}
		a, err := r.evalOCSP(resp, id.Cert, p.CA.Cert, time.Now())
		if err == nil && a.status == "" {
			t.Fatal("answer without status")
		}
	})
}

// FuzzRevocationValues covers the CMS RevocationInfoChoice and Adobe
// revocation-archival readers, and the CRL issuing-distribution-point
// parser.
func FuzzRevocationValues(f *testing.F) {
	p := pkitest.New(f)
	crl, err := p.CRL(p.CA)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(crl)
	f.Add([]byte{0xa1, 0x05, 0x06, 0x03, 0x2b, 0x06, 0x01})
	f.Add([]byte{0x30, 0x06, 0xa0, 0x04, 0x30, 0x02, 0x30, 0x00})
	f.Add([]byte{0x30, 0x03, 0x81, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := &Evidence{}
		addRevocationChoice(ev, data)
		_ = addAdbeRevocation(ev, data)
		_, _ = revinfo.ParseIDP(data)
		d := &revData{}
		for _, c := range ev.CRLs {
			_ = d.addCRL(c, "embedded", "")
		}
		for _, o := range ev.OCSPResponses {
			_, _ = d.addOCSP(o, "embedded", "")
		}
	})
}
