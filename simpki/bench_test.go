package simpki_test

import (
	"context"
	"crypto"
	"testing"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// BenchmarkSignDirect is the reference: the same ECDSA P-256 key signing
// in process.
func BenchmarkSignDirect(b *testing.B) {
	p := pkitest.New(b)
	s := p.MustIssue().Signer()
	d := digestOf("x")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.SignDigest(context.Background(), d, crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignThroughSimulator measures the client's protocol overhead: a
// full MSS_Signature round trip over loopback HTTP to a simulator whose
// user answers at once (SOAP encode/decode, signature check).
func BenchmarkSignThroughSimulator(b *testing.B) {
	for _, tc := range []struct {
		name   string
		format simpki.Format
	}{{"pkcs1", simpki.FormatPKCS1}, {"cms", simpki.FormatCMS}} {
		b.Run(tc.name, func(b *testing.B) {
			p := pkitest.New(b)
			srv := mssptest.New(b, mssptest.Config{})
			id := p.MustIssue()
			if err := srv.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: id.Signer()}); err != nil {
				b.Fatal(err)
			}
			c, err := simpki.NewClient(simpki.Config{URL: srv.URL(), APID: srv.APID(), MSSPID: srv.MSSPID(), Format: tc.format})
			if err != nil {
				b.Fatal(err)
			}
			s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
			if err != nil {
				b.Fatal(err)
			}
			d := digestOf("x")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.SignDigest(context.Background(), d, crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
