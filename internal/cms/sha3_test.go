package cms

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSHA3SignVerify signs and verifies with SHA3-256/384/512 for each key
// type and checks the algorithm identifiers written.
func TestSHA3SignVerify(t *testing.T) {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	ctx := context.Background()
	content := []byte("Thông tư 15/2025: SHA-3")
	for _, tc := range []struct {
		name   string
		kind   leafKind
		hash   crypto.Hash
		pss    bool
		digOID asn1.ObjectIdentifier
		sigOID asn1.ObjectIdentifier
	}{
		{"rsa-pkcs1-sha3-256", leafRSA, crypto.SHA3_256, false, oidSHA3_256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}},
		{"rsa-pkcs1-sha3-512", leafRSA, crypto.SHA3_512, false, oidSHA3_512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 16}},
		{"rsa-pss-sha3-256", leafRSA, crypto.SHA3_256, true, oidSHA3_256, oidRSAPSS},
		{"rsa-pss-sha3-384", leafRSA, crypto.SHA3_384, true, oidSHA3_384, oidRSAPSS},
		{"ecdsa-sha3-256", leafECDSA, crypto.SHA3_256, false, oidSHA3_256, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 10}},
		{"ecdsa-sha3-384", leafECDSA, crypto.SHA3_384, false, oidSHA3_384, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 11}},
		{"ecdsa-sha3-512", leafECDSA, crypto.SHA3_512, false, oidSHA3_512, asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pki.issue(t, tc.kind, "Võ Thị Sáu")
			digest := hashBytes(tc.hash, content)
			opts := Options{Hash: tc.hash, PSS: tc.pss}

			// Two-phase, through the serialised state.
			p, err := Prepare(s.Certificate(), s.Chain(), digest, opts)
			require.NoError(t, err)
			state, err := p.MarshalBinary()
			require.NoError(t, err)
			var q Prepared
			require.NoError(t, q.UnmarshalBinary(state))
			sig, err := s.SignDigest(ctx, q.Digest(), q.SignerOpts())
			require.NoError(t, err)
			der, err := q.Finish(sig)
			require.NoError(t, err)
			assertDERSets(t, der)

			sd, err := Parse(der)
			require.NoError(t, err)
			require.NoError(t, sd.Verify(digest))
			assert.Equal(t, []crypto.Hash{tc.hash}, sd.DigestAlgorithms)
			si := sd.SignerInfos[0]
			assert.Equal(t, tc.hash, si.Hash)
			// NIST: SHA-3 identifiers have absent parameters.
			assert.Equal(t, pkix.AlgorithmIdentifier{Algorithm: tc.digOID}, si.DigestAlgorithm)
			assert.True(t, tc.sigOID.Equal(si.SignatureAlgorithm.Algorithm), "signature algorithm %v", si.SignatureAlgorithm.Algorithm)
			if tc.kind == leafECDSA {
				assert.Empty(t, si.SignatureAlgorithm.Parameters.FullBytes)
			}
			so, err := si.SignerOpts(s.Certificate().PublicKey)
			require.NoError(t, err)
			if tc.pss {
				assert.Equal(t, &rsa.PSSOptions{SaltLength: tc.hash.Size(), Hash: tc.hash}, so)
			} else {
				assert.Equal(t, tc.hash, so)
			}
			// The SHA-2 digest of the same size must not verify.
			if tc.hash == crypto.SHA3_256 {
				assert.ErrorIs(t, sd.Verify(hashBytes(crypto.SHA256, content)), ErrHashMismatch)
			}

			// A SHA3-256 signature time-stamp.
			c := tsa.client()
			c.Hash = crypto.SHA3_256
			ts, err := AddTimestamp(ctx, der, c)
			require.NoError(t, err)
			sd, err = Parse(ts)
			require.NoError(t, err)
			require.NoError(t, sd.Verify(digest))
			require.Len(t, sd.SignerInfos[0].Timestamps, 1)
			assert.Equal(t, crypto.SHA3_256, sd.SignerInfos[0].Timestamps[0].HashAlgorithm)
		})
	}
}

// TestSHA3SignatureAlgorithmMustMatchDigest: a SHA-3 signature algorithm
// under a SHA-2 digest algorithm of the same size is refused.
func TestSHA3SignatureAlgorithmMustMatchDigest(t *testing.T) {
	pki := newTestPKI(t)
	for _, kind := range []leafKind{leafRSA, leafECDSA} {
		s := pki.issue(t, kind, "Đinh Bộ Lĩnh")
		digest := hashBytes(crypto.SHA256, []byte("x"))
		der, err := Sign(context.Background(), s, digest, Options{})
		require.NoError(t, err)
		oid := oidECDSAWithSHA3_256
		if kind == leafRSA {
			oid = oidSHA3_256WithRSA
		}
		der = mutate(t, der, func(sd *signedDataASN) {
			sd.SignerInfos[0].SignatureAlgorithm = pkix.AlgorithmIdentifier{Algorithm: oid}
		})
		sd, err := Parse(der)
		require.NoError(t, err)
		assert.ErrorIs(t, sd.Verify(digest), ErrFormat)
	}
}

// TestOpenSSLVerifiesSHA3 has openssl 3 verify our SHA-3 SignedData, and
// checks that we verify the SHA-3 SignedData openssl makes.
func TestOpenSSLVerifiesSHA3(t *testing.T) {
	content := []byte("Văn bản ký bằng SHA-3\n")
	openssl, pki, dir, contentPath, ca := opensslFixture(t, content, "content.txt")
	for _, tc := range []opensslCase{
		{"rsa-pkcs1-sha3-256", leafRSA, Options{Hash: crypto.SHA3_256}},
		{"rsa-pkcs1-sha3-512", leafRSA, Options{Hash: crypto.SHA3_512}},
		{"rsa-pss-sha3-256", leafRSA, Options{Hash: crypto.SHA3_256, PSS: true}},
		{"ecdsa-sha3-256", leafECDSA, Options{Hash: crypto.SHA3_256}},
		{"ecdsa-sha3-384", leafECDSA, Options{Hash: crypto.SHA3_384}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pki.issue(t, tc.kind, "Lý Thường Kiệt")
			der, err := Sign(context.Background(), s, hashBytes(tc.opts.Hash, content), tc.opts)
			require.NoError(t, err)
			opensslVerifies(t, openssl, filepath.Join(dir, tc.name+".p7s"), der, content, contentPath, ca)
		})
	}

	// openssl 3.0 signs SHA-3 CMS with RSA PKCS#1 v1.5 (it cannot with
	// ECDSA or PSS); we verify what it makes.
	t.Run("openssl-signed-sha3", func(t *testing.T) {
		s, key := pki.issueWithKey(t, leafRSA, "Trần Hưng Đạo")
		certPath := writePEM(t, dir, "signer.pem", s.Certificate())
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		keyPath := filepath.Join(dir, "signer.key")
		require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
		for _, md := range []struct {
			name string
			h    crypto.Hash
		}{{"sha3-256", crypto.SHA3_256}, {"sha3-512", crypto.SHA3_512}} {
			out := filepath.Join(dir, "openssl-"+md.name+".p7s")
			msg, err := exec.Command(openssl, "cms", "-sign", "-binary", "-in", contentPath, "-signer", certPath,
				"-inkey", keyPath, "-md", md.name, "-outform", "DER", "-out", out).CombinedOutput()
			require.NoError(t, err, "%s", msg)
			der, err := os.ReadFile(out)
			require.NoError(t, err)
			sd, err := Parse(der)
			require.NoError(t, err)
			assert.Equal(t, md.h, sd.SignerInfos[0].Hash)
			require.NoError(t, sd.Verify(hashBytes(md.h, content)))
			assert.ErrorIs(t, sd.Verify(hashBytes(md.h, append(content, '!'))), ErrHashMismatch)
		}
	})
}
