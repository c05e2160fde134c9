package cms

import (
	"context"
	"crypto"
	"testing"

	"github.com/stretchr/testify/require"
)

// The figures to compare: BenchmarkRawSignature is the bare signature the
// key makes; BenchmarkSignedDataBuild adds Prepare, the signature check in
// Finish and the DER assembly; BenchmarkVerify parses and verifies.

func benchSigners(b *testing.B) map[string]leafKind {
	return map[string]leafKind{"RSA2048": leafRSA, "ECDSAP256": leafECDSA}
}

func BenchmarkRawSignature(b *testing.B) {
	pki := newTestPKI(b)
	for name, kind := range benchSigners(b) {
		s := pki.issue(b, kind, "Bench")
		digest := make([]byte, 32)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SignDigest(context.Background(), digest, crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSignedDataBuild(b *testing.B) {
	pki := newTestPKI(b)
	for name, kind := range benchSigners(b) {
		s := pki.issue(b, kind, "Bench")
		digest := make([]byte, 32)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := Prepare(s.Certificate(), s.Chain(), digest, Options{})
				if err != nil {
					b.Fatal(err)
				}
				sig, err := s.SignDigest(context.Background(), p.Digest(), p.SignerOpts())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Finish(sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	pki := newTestPKI(b)
	for name, kind := range benchSigners(b) {
		s := pki.issue(b, kind, "Bench")
		digest := make([]byte, 32)
		der, err := Sign(context.Background(), s, digest, Options{})
		require.NoError(b, err)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sd, err := Parse(der)
				if err != nil {
					b.Fatal(err)
				}
				if err := sd.Verify(digest); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
