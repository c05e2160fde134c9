package cms

import (
	"context"
	"crypto"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

// The figures to compare: BenchmarkRawSignature is the bare signature the
// key makes; BenchmarkSignedDataBuild adds Prepare, the signature check in
// Finish and the DER assembly; BenchmarkVerify parses and verifies.

// benchKeys runs bench as a sub-benchmark for an RSA 2048 and an ECDSA
// P-256 signer, each with a zero SHA-256 digest to sign; what bench does
// before its b.Loop is not timed.
func benchKeys(b *testing.B, bench func(b *testing.B, s signer.Signer, digest []byte)) {
	pki := newTestPKI(b)
	for name, kind := range map[string]leafKind{"RSA2048": leafRSA, "ECDSAP256": leafECDSA} {
		s := pki.issue(b, kind, "Bench")
		b.Run(name, func(b *testing.B) { bench(b, s, make([]byte, 32)) })
	}
}

func BenchmarkRawSignature(b *testing.B) {
	benchKeys(b, func(b *testing.B, s signer.Signer, digest []byte) {
		for b.Loop() {
			if _, err := s.SignDigest(context.Background(), digest, crypto.SHA256); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSignedDataBuild(b *testing.B) {
	benchKeys(b, func(b *testing.B, s signer.Signer, digest []byte) {
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

func BenchmarkVerify(b *testing.B) {
	benchKeys(b, func(b *testing.B, s signer.Signer, digest []byte) {
		der, err := Sign(context.Background(), s, digest, Options{})
		require.NoError(b, err)
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
