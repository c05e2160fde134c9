package pkitest

import (
	"crypto"
	"crypto/sha256"
	"testing"
)

// BenchmarkNewPKI: a whole PKI (root, issuing CA, two OCSP responders, TSA,
// three loopback servers) with the default ECDSA P-256 keys, then one
// end-entity certificate, then Close.
func BenchmarkNewPKI(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []Option
		cert []CertOption
	}{
		{"ECDSA-P256", nil, nil},
		{"RSA-2048-cached", []Option{CAOptions(RSAKey(2048)), TSAOptions(RSAKey(2048))}, []CertOption{RSAKey(2048)}},
		{"Deterministic", []Option{Deterministic(1)}, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := Start(bc.opts...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Issue(bc.cert...); err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
		})
	}
}

// BenchmarkIssue: one end-entity certificate from an existing PKI.
func BenchmarkIssue(b *testing.B) {
	p, err := Start()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for b.Loop() {
		if _, err := p.Issue(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTimestamp: one time-stamp token without HTTP.
func BenchmarkTimestamp(b *testing.B) {
	p, err := Start()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	sum := sha256.Sum256([]byte("x"))
	for b.Loop() {
		if _, err := p.Timestamp(crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}
