package verify

import (
	"bytes"
	"context"
	"testing"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// FuzzCAdES feeds arbitrary .p7s/.p7m input through the CMS paths of the
// verifier: VerifyDetached with a content and without, and the Mux. It
// must never panic or return an error for bad signature bytes, every
// report must hold a verdict, and a report must never pass a signature
// whose SignedData does not hold the content it claims (changed content
// always fails).
func FuzzCAdES(f *testing.F) {
	p := pkitest.New(f)
	a := p.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345"))
	b := p.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346"))
	ctx := context.Background()
	bb, err := cades.Sign(ctx, bytes.NewReader(content), a.Signer(), nil)
	if err != nil {
		f.Fatal(err)
	}
	bt, err := cades.Augment(ctx, bb, &cades.Options{TimestampURL: p.TSAURL(), HTTPClient: p.HTTPClient()})
	if err != nil {
		f.Fatal(err)
	}
	counter, err := cades.CounterSign(ctx, bb, 0, b.Signer(), nil)
	if err != nil {
		f.Fatal(err)
	}
	both, err := cades.AddSigner(ctx, bb, bytes.NewReader(content), b.Signer(), nil)
	if err != nil {
		f.Fatal(err)
	}
	env, err := cades.Sign(ctx, bytes.NewReader([]byte("nhỏ")), a.Signer(), &cades.Options{Enveloping: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{bb, bt, counter, both, env, []byte("-----BEGIN PKCS7-----\nMAA=\n-----END PKCS7-----\n"), {0x30, 0x80, 0x06, 0x09}} {
		f.Add(s)
	}
	ts := NewTrustStore()
	ts.AddCertificate(p.Root.Cert, "pkitest root")
	v, err := New(Options{Trust: ts})
	if err != nil {
		f.Fatal(err)
	}
	mux := NewMux(v)
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(rep *Report, err error, changed bool) {
			if err != nil {
				t.Fatalf("error for signature bytes: %v", err)
			}
			for _, s := range rep.Signatures {
				if s.Indication == "" {
					t.Fatal("signature without indication")
				}
			}
			if changed && len(rep.Signatures) > 0 && rep.Signatures[0].Indication == TotalPassed {
				t.Fatal("a signature passed over changed content")
			}
		}
		rep, err := v.VerifyDetached(ctx, data, bytes.NewReader(content))
		check(rep, err, false)
		rep, err = v.VerifyDetached(ctx, data, bytes.NewReader([]byte("nội dung khác")))
		check(rep, err, true)
		rep, err = v.VerifyDetached(ctx, data, nil)
		check(rep, err, false)
		if IsCMS(data[:min(len(data), sniffLen)]) {
			rep, err = VerifyBytes(ctx, mux, data)
			check(rep, err, false)
		}
	})
}
