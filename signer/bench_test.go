package signer_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

func benchSigner(b *testing.B, key crypto.Signer) signer.Signer {
	b.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Benchmark"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		b.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		b.Fatal(err)
	}
	s, err := signer.New(key, cert)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSignDigest compares signing one SHA-256 digest through a Signer
// with the raw standard-library call on the same key.
func BenchmarkSignDigest(b *testing.B) {
	digest := sha256.Sum256([]byte("benchmark"))
	ctx := context.Background()

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("RSA-2048/Signer", func(b *testing.B) {
		s := benchSigner(b, rsaKey)
		for b.Loop() {
			if _, err := s.SignDigest(ctx, digest[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RSA-2048/raw", func(b *testing.B) {
		for b.Loop() {
			if _, err := rsa.SignPKCS1v15(nil, rsaKey, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ECDSA-P256/Signer", func(b *testing.B) {
		s := benchSigner(b, ecKey)
		for b.Loop() {
			if _, err := s.SignDigest(ctx, digest[:], crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ECDSA-P256/raw", func(b *testing.B) {
		for b.Loop() {
			if _, err := ecdsa.SignASN1(rand.Reader, ecKey, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoadPKCS12 measures loading the legacy and OpenSSL 3 fixtures
// (dominated by the 2048-iteration key derivations).
func BenchmarkLoadPKCS12(b *testing.B) {
	for _, f := range []string{"rsa-legacy.p12", "rsa-modern.p12"} {
		data := fixture(b, f)
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				if _, err := signer.LoadPKCS12(data, fixturePassword); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
