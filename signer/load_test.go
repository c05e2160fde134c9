package signer_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/kyso-vn/kyso/signer"
)

const fixturePassword = "kyso-test"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func fixtureCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	certs, err := signer.ParseCertificates(fixture(t, name))
	require.NoError(t, err)
	require.Len(t, certs, 1)
	return certs[0]
}

// assertSigns signs a SHA-256 (and, for RSA, a PSS SHA-384) digest with s and
// checks the signatures under s's certificate.
func assertSigns(t *testing.T, s signer.Signer) {
	t.Helper()
	d := sha256.Sum256([]byte("Cộng hòa Xã hội Chủ nghĩa Việt Nam"))
	sig, err := s.SignDigest(context.Background(), d[:], crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(s.Certificate().PublicKey, d[:], crypto.SHA256, sig))
	d[0] ^= 1
	require.ErrorIs(t, signer.CheckSignature(s.Certificate().PublicKey, d[:], crypto.SHA256, sig), signer.ErrBadSignature)

	if _, ok := s.Certificate().PublicKey.(*rsa.PublicKey); ok {
		d384 := sha512.Sum384([]byte("Độc lập - Tự do - Hạnh phúc"))
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA384}
		sig, err := s.SignDigest(context.Background(), d384[:], opts)
		require.NoError(t, err)
		require.NoError(t, signer.CheckSignature(s.Certificate().PublicKey, d384[:], opts, sig))
	}
}

func subjects(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, c.Subject.CommonName)
	}
	return out
}

// pfxMacAlgorithm returns the MAC algorithm OID of a PKCS#12 file, to show
// which kind of file a fixture is.
func pfxMacAlgorithm(t *testing.T, der []byte) string {
	t.Helper()
	var pfx struct {
		Version  int
		AuthSafe asn1.RawValue
		MacData  struct {
			Mac struct {
				Algorithm pkix.AlgorithmIdentifier
				Digest    []byte
			}
			Salt       []byte
			Iterations int `asn1:"optional,default:1"`
		} `asn1:"optional"`
	}
	_, err := asn1.Unmarshal(der, &pfx)
	require.NoError(t, err)
	return pfx.MacData.Mac.Algorithm.Algorithm.String()
}

// containsOID reports whether the DER encoding of oid occurs in der: the
// encryption algorithms of a PKCS#12 file are in clear.
func containsOID(der []byte, oid asn1.ObjectIdentifier) bool {
	enc, err := asn1.Marshal(oid)
	return err == nil && bytes.Contains(der, enc)
}

var (
	oidPBEWithSHA3DES  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHARC240 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
	oidPBES2           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidAES256CBC       = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

const (
	macSHA1   = "1.3.14.3.2.26"
	macSHA256 = "2.16.840.1.101.3.4.2.1"
	macPBMAC1 = "1.2.840.113549.1.5.14"
)

func TestLoadPKCS12Fixtures(t *testing.T) {
	tests := []struct {
		file, password, mac string
		leaf                string
		chain               []string
		rsa                 bool
	}{
		// openssl pkcs12 -export -legacy: RC2-40 certs, 3DES key, SHA-1 MAC.
		{"rsa-legacy.p12", fixturePassword, macSHA1, "Nguyễn Văn Thử", []string{"Kyso Test Issuing CA"}, true},
		{"ec-legacy.p12", fixturePassword, macSHA1, "Công ty TNHH Ví dụ", nil, false},
		// OpenSSL 3 default: PBES2 AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC.
		// -certfile put the root before the issuing CA; the chain comes out ordered.
		{"rsa-modern.p12", fixturePassword, macSHA256, "Nguyễn Văn Thử", []string{"Kyso Test Issuing CA", "Kyso Test Root CA"}, true},
		{"ec-modern-utf8pass.p12", "Mật khẩu-123", macSHA256, "Công ty TNHH Ví dụ", []string{"Kyso Test Issuing CA"}, false},
		// RFC 9579 Appendix A.1-A.3: PBMAC1 with HMAC-SHA-256/512.
		{"rfc9579-a1.p12", "1234", macPBMAC1, "tt", nil, true},
		{"rfc9579-a2.p12", "1234", macPBMAC1, "tt", nil, true},
		{"rfc9579-a3.p12", "1234", macPBMAC1, "tt", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data := fixture(t, tc.file)
			require.Equal(t, tc.mac, pfxMacAlgorithm(t, data))
			switch tc.mac {
			case macSHA1: // legacy: RC2-40 certificates, 3DES key
				require.True(t, containsOID(data, oidPBEWithSHARC240) && containsOID(data, oidPBEWithSHA3DES))
			case macSHA256: // OpenSSL 3: PBES2 with AES-256-CBC
				require.True(t, containsOID(data, oidPBES2) && containsOID(data, oidAES256CBC))
				require.False(t, containsOID(data, oidPBEWithSHA3DES))
			}

			s, err := signer.LoadPKCS12(data, tc.password)
			require.NoError(t, err)
			assert.Equal(t, tc.leaf, s.Certificate().Subject.CommonName)
			assert.Equal(t, tc.chain, subjects(s.Chain()))
			_, isRSA := s.Certificate().PublicKey.(*rsa.PublicKey)
			assert.Equal(t, tc.rsa, isRSA)
			assertSigns(t, s)

			_, err = signer.LoadPKCS12(data, "sai mật khẩu")
			assert.ErrorIs(t, err, signer.ErrWrongPassword)
			_, err = signer.LoadPKCS12(data, "")
			assert.ErrorIs(t, err, signer.ErrWrongPassword)
		})
	}
}

func TestLoadPKCS12File(t *testing.T) {
	s, err := signer.LoadPKCS12File(filepath.Join("testdata", "rsa-legacy.p12"), fixturePassword)
	require.NoError(t, err)
	assertSigns(t, s)

	_, err = signer.LoadPKCS12File(filepath.Join("testdata", "missing.p12"), fixturePassword)
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = signer.LoadPKCS12File(filepath.Join("testdata", "rsa-legacy.p12"), "x")
	assert.ErrorIs(t, err, signer.ErrWrongPassword)
	assert.Contains(t, err.Error(), "rsa-legacy.p12")
}

func TestLoadPKCS12Errors(t *testing.T) {
	legacy := fixture(t, "rsa-legacy.p12")
	tests := []struct {
		name     string
		data     []byte
		password string
		want     error // nil: any error but the sentinels below
	}{
		{"certificate export", fixture(t, "certonly.p12"), fixturePassword, signer.ErrNoKey},
		{"key without certificate", fixture(t, "keyonly.p12"), fixturePassword, signer.ErrNoCertificate},
		{"Ed25519", fixture(t, "ed25519.p12"), fixturePassword, signer.ErrUnsupportedAlgorithm},
		{"DSA", fixture(t, "dsa.p12"), fixturePassword, signer.ErrUnsupportedAlgorithm},
		// RFC 9579 A.4: the MAC's iteration count was altered.
		{"PBMAC1 bad MAC", fixture(t, "rfc9579-a4.p12"), "1234", signer.ErrWrongPassword},
		{"truncated", legacy[:len(legacy)/2], fixturePassword, nil},
		{"empty", nil, fixturePassword, nil},
		{"PEM given", fixture(t, "ec-bundle.pem"), fixturePassword, nil},
		{"trailing garbage", append(append([]byte(nil), legacy...), 0, 1, 2), fixturePassword, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := signer.LoadPKCS12(tc.data, tc.password)
			require.Error(t, err)
			assert.Nil(t, s)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			for _, sentinel := range []error{signer.ErrWrongPassword, signer.ErrNoKey, signer.ErrNoCertificate, signer.ErrKeyMismatch} {
				assert.NotErrorIs(t, err, sentinel, "a damaged file is not %v", sentinel)
			}
		})
	}
}

// TestLoadPKCS12ChainOrder stores the issuing CA first and the leaf last;
// the leaf is found by its key and the chain ordered issuer by issuer.
func TestLoadPKCS12ChainOrder(t *testing.T) {
	key, err := signer.ParsePrivateKey(fixture(t, "rsa-pkcs8.pem"), "")
	require.NoError(t, err)
	leaf, sub, root := fixtureCert(t, "rsa.crt"), fixtureCert(t, "ca-sub.pem"), fixtureCert(t, "ca-root.pem")
	for _, enc := range []*pkcs12.Encoder{pkcs12.LegacyDES, pkcs12.Modern2023, pkcs12.Modern2026} {
		pfx, err := enc.Encode(key, sub, []*x509.Certificate{root, leaf, sub}, "pw")
		require.NoError(t, err)
		s, err := signer.LoadPKCS12(pfx, "pw")
		require.NoError(t, err)
		assert.True(t, s.Certificate().Equal(leaf))
		assert.Equal(t, []string{"Kyso Test Issuing CA", "Kyso Test Root CA"}, subjects(s.Chain()))
		assertSigns(t, s)
	}

	// A key with only somebody else's certificates.
	ecCert := fixtureCert(t, "ec.crt")
	pfx, err := pkcs12.Modern2023.Encode(key, ecCert, []*x509.Certificate{sub}, "pw")
	require.NoError(t, err)
	_, err = signer.LoadPKCS12(pfx, "pw")
	assert.ErrorIs(t, err, signer.ErrKeyMismatch)

	// WithChain completes a file that holds only the leaf.
	pfx, err = pkcs12.Modern2023.Encode(key, leaf, nil, "pw")
	require.NoError(t, err)
	s, err := signer.LoadPKCS12(pfx, "pw", signer.WithChain(root, sub))
	require.NoError(t, err)
	assert.Equal(t, []string{"Kyso Test Issuing CA", "Kyso Test Root CA"}, subjects(s.Chain()))
}

func TestLoadKeyPair(t *testing.T) {
	rsaCert := fixture(t, "rsa.crt")
	rsaDER := fixture(t, "rsa.der")
	chain := append(fixture(t, "ca-root.pem"), fixture(t, "ca-sub.pem")...)
	ecCert := fixture(t, "ec.crt")
	tests := []struct {
		key       string
		password  string
		certs     []byte
		encrypted bool
	}{
		{"rsa-pkcs1.pem", "", rsaCert, false},
		{"rsa-pkcs8.pem", "", rsaCert, false},
		{"rsa-pkcs8.der", "", rsaDER, false},
		{"rsa-pkcs1.der", "", rsaDER, false},
		{"rsa-enc-aes256.pem", fixturePassword, rsaCert, true},
		{"rsa-enc-3des.pem", fixturePassword, append(append([]byte(nil), rsaCert...), chain...), true},
		{"rsa-enc-scrypt.pem", fixturePassword, rsaCert, true},
		{"rsa-enc-pbes1.pem", fixturePassword, rsaCert, true}, // pbeWithSHAAnd3-KeyTripleDES-CBC
		{"rsa-enc.der", fixturePassword, rsaDER, true},
		{"rsa-legacy-enc.pem", fixturePassword, rsaCert, true},
		{"ec-sec1.pem", "", ecCert, false},
		{"ec-pkcs8.pem", "", ecCert, false},
		{"ec-enc-sha512.pem", fixturePassword, ecCert, true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			key := fixture(t, tc.key)
			s, err := signer.LoadKeyPair(key, tc.certs, tc.password)
			require.NoError(t, err)
			assertSigns(t, s)

			if tc.encrypted {
				_, err = signer.LoadKeyPair(key, tc.certs, "wrong")
				assert.ErrorIs(t, err, signer.ErrWrongPassword)
				_, err = signer.LoadKeyPair(key, tc.certs, "")
				assert.ErrorIs(t, err, signer.ErrWrongPassword)
			}
		})
	}

	t.Run("chain from PKCS#7 bundle", func(t *testing.T) {
		p7, err := signer.ParseCertificates(fixture(t, "chain.p7b"))
		require.NoError(t, err)
		require.Len(t, p7, 2)
		s, err := signer.LoadKeyPair(fixture(t, "rsa-pkcs8.pem"), rsaCert, "", signer.WithChain(p7...))
		require.NoError(t, err)
		assert.Equal(t, []string{"Kyso Test Issuing CA", "Kyso Test Root CA"}, subjects(s.Chain()))
	})
	t.Run("mismatch", func(t *testing.T) {
		_, err := signer.LoadKeyPair(fixture(t, "ec-pkcs8.pem"), rsaCert, "")
		assert.ErrorIs(t, err, signer.ErrKeyMismatch)
		_, err = signer.LoadKeyPair(fixture(t, "rsa-pkcs1.pem"), append(append([]byte(nil), ecCert...), chain...), "")
		assert.ErrorIs(t, err, signer.ErrKeyMismatch)
	})
	t.Run("no certificate", func(t *testing.T) {
		_, err := signer.LoadKeyPair(fixture(t, "ec-pkcs8.pem"), fixture(t, "ec-pkcs8.pem"), "")
		assert.ErrorIs(t, err, signer.ErrNoCertificate)
		_, err = signer.LoadKeyPair(fixture(t, "ec-pkcs8.pem"), nil, "")
		assert.ErrorIs(t, err, signer.ErrNoCertificate)
	})
	t.Run("certificate as key", func(t *testing.T) {
		_, err := signer.LoadKeyPair(rsaDER, rsaDER, "")
		assert.ErrorIs(t, err, signer.ErrNoKey)
		_, err = signer.LoadKeyPair(rsaCert, rsaCert, "")
		assert.ErrorIs(t, err, signer.ErrNoKey)
	})
}

func TestParsePrivateKeyUnsupported(t *testing.T) {
	for _, name := range []string{
		"ed25519-pkcs8.pem", "dsa-pkcs8.pem", "p224-sec1.pem", "rsa512-pkcs8.pem",
		"rsapss-pkcs8.pem", "rsa-enc-camellia.pem",
	} {
		t.Run(name, func(t *testing.T) {
			k, err := signer.ParsePrivateKey(fixture(t, name), fixturePassword)
			assert.Nil(t, k)
			assert.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
		})
	}
	t.Run("RSA-1024 loads", func(t *testing.T) {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		require.NoError(t, err)
		der := x509.MarshalPKCS1PrivateKey(k)
		got, err := signer.ParsePrivateKey(der, "")
		require.NoError(t, err)
		assert.True(t, k.Equal(got))
	})
}

func TestLoadPEM(t *testing.T) {
	t.Run("openssl pkcs12 -nodes output", func(t *testing.T) {
		s, err := signer.LoadPEM(fixture(t, "ec-bundle.pem"), "")
		require.NoError(t, err)
		assert.Equal(t, "Công ty TNHH Ví dụ", s.Certificate().Subject.CommonName)
		assertSigns(t, s)
	})
	t.Run("certificates before encrypted key", func(t *testing.T) {
		var b []byte
		for _, f := range []string{"ca-root.pem", "rsa.crt", "ca-sub.pem", "rsa-enc-aes256.pem"} {
			b = append(b, fixture(t, f)...)
		}
		s, err := signer.LoadPEM(b, fixturePassword, signer.WithPSS())
		require.NoError(t, err)
		assert.Equal(t, "Nguyễn Văn Thử", s.Certificate().Subject.CommonName)
		assert.Equal(t, []string{"Kyso Test Issuing CA", "Kyso Test Root CA"}, subjects(s.Chain()))
		assert.True(t, signer.PrefersPSS(s))
		assertSigns(t, s)

		_, err = signer.LoadPEM(b, "wrong")
		assert.ErrorIs(t, err, signer.ErrWrongPassword)
	})
	t.Run("two keys", func(t *testing.T) {
		b := append(append(fixture(t, "rsa-pkcs8.pem"), fixture(t, "rsa-pkcs1.pem")...), fixture(t, "rsa.crt")...)
		_, err := signer.LoadPEM(b, "")
		assert.ErrorContains(t, err, "more than one private key")
	})
	t.Run("no key", func(t *testing.T) {
		_, err := signer.LoadPEM(fixture(t, "rsa.crt"), "")
		assert.ErrorIs(t, err, signer.ErrNoKey)
		_, err = signer.LoadPEM(fixture(t, "rsa.der"), "")
		assert.ErrorIs(t, err, signer.ErrNoKey)
	})
	t.Run("no certificate", func(t *testing.T) {
		_, err := signer.LoadPEM(fixture(t, "rsa-pkcs8.pem"), "")
		assert.ErrorIs(t, err, signer.ErrNoCertificate)
	})
	t.Run("Ed25519", func(t *testing.T) {
		_, err := signer.LoadPEM(fixture(t, "ed25519-pkcs8.pem"), "")
		assert.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	})
}

func TestPSSPreference(t *testing.T) {
	s, err := signer.LoadPKCS12(fixture(t, "rsa-modern.p12"), fixturePassword, signer.WithPSS())
	require.NoError(t, err)
	assert.True(t, signer.PrefersPSS(s))
	assertSigns(t, s)

	s, err = signer.LoadPKCS12(fixture(t, "rsa-modern.p12"), fixturePassword)
	require.NoError(t, err)
	assert.False(t, signer.PrefersPSS(s))
	assert.True(t, signer.PrefersPSS(signer.PSS(s)))

	// No effect on ECDSA.
	s, err = signer.LoadPKCS12(fixture(t, "ec-legacy.p12"), fixturePassword, signer.WithPSS())
	require.NoError(t, err)
	assert.False(t, signer.PrefersPSS(s))
	assert.False(t, signer.PrefersPSS(signer.PSS(s)))
}

func TestSignDigestHonoursContext(t *testing.T) {
	s, err := signer.LoadPKCS12(fixture(t, "ec-legacy.p12"), fixturePassword)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := sha256.Sum256([]byte("x"))
	sig, err := s.SignDigest(ctx, d[:], crypto.SHA256)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, sig)

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = signer.CryptoSigner(ctx, s).Sign(rand.Reader, d[:], crypto.SHA256)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestCryptoSignerWithX509 uses the adapter where the standard library wants
// a crypto.Signer: issuing a certificate and a certificate request.
func TestCryptoSignerWithX509(t *testing.T) {
	for _, file := range []string{"rsa-legacy.p12", "ec-legacy.p12"} {
		t.Run(file, func(t *testing.T) {
			s, err := signer.LoadPKCS12(fixture(t, file), fixturePassword)
			require.NoError(t, err)
			cs := signer.CryptoSigner(context.Background(), s)

			childKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(42),
				Subject:      pkix.Name{CommonName: "Trần Thị Con"},
				NotBefore:    time.Now().Add(-time.Hour),
				NotAfter:     time.Now().Add(time.Hour),
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, s.Certificate(), &childKey.PublicKey, cs)
			require.NoError(t, err)
			child, err := x509.ParseCertificate(der)
			require.NoError(t, err)
			require.NoError(t, s.Certificate().CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature))

			csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: s.Certificate().Subject}, cs)
			require.NoError(t, err)
			csr, err := x509.ParseCertificateRequest(csrDER)
			require.NoError(t, err)
			require.NoError(t, csr.CheckSignature())
			assert.True(t, s.Certificate().PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(csr.PublicKey))
		})
	}
}

func TestParseCertificates(t *testing.T) {
	p7, err := signer.ParseCertificates(fixture(t, "chain.p7b"))
	require.NoError(t, err)
	assert.Equal(t, []string{"Kyso Test Root CA", "Kyso Test Issuing CA"}, subjects(p7))

	pemP7 := pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: fixture(t, "chain.p7b")})
	p7, err = signer.ParseCertificates(pemP7)
	require.NoError(t, err)
	assert.Len(t, p7, 2)

	both := append(fixture(t, "rsa.der"), fixtureCert(t, "ca-sub.pem").Raw...)
	certs, err := signer.ParseCertificates(both)
	require.NoError(t, err)
	assert.Equal(t, []string{"Nguyễn Văn Thử", "Kyso Test Issuing CA"}, subjects(certs))

	// OpenSSL's `x509 -trustout` form: the certificate followed by trust settings.
	trusted := pem.EncodeToMemory(&pem.Block{Type: "TRUSTED CERTIFICATE",
		Bytes: append(fixture(t, "rsa.der"), 0x30, 0x03, 0xa0, 0x01, 0x00)})
	certs, err = signer.ParseCertificates(trusted)
	require.NoError(t, err)
	assert.Equal(t, []string{"Nguyễn Văn Thử"}, subjects(certs))

	_, err = signer.ParseCertificates([]byte("not a certificate"))
	require.Error(t, err)
	_, err = signer.ParseCertificates(fixture(t, "rsa-pkcs8.pem"))
	assert.ErrorIs(t, err, signer.ErrNoCertificate)
}

func TestErrorsAreDistinct(t *testing.T) {
	// A wrong password is never reported as a missing key and vice versa.
	_, err := signer.LoadPKCS12(fixture(t, "certonly.p12"), "wrong")
	assert.ErrorIs(t, err, signer.ErrWrongPassword)
	assert.False(t, errors.Is(err, signer.ErrNoKey))
	assert.True(t, strings.HasPrefix(err.Error(), "signer:"), err.Error())
}

// TestLoadPKCS12BoundsWork gives a file whose MAC asks for 2^30 iterations:
// it is refused at once instead of keeping a CPU busy for an hour.
func TestLoadPKCS12BoundsWork(t *testing.T) {
	var pfx struct {
		Version  int
		AuthSafe asn1.RawValue
		MacData  struct {
			Mac        asn1.RawValue
			Salt       []byte
			Iterations int
		}
	}
	_, err := asn1.Unmarshal(fixture(t, "rsa-legacy.p12"), &pfx)
	require.NoError(t, err)
	pfx.MacData.Iterations = 1 << 30
	der, err := asn1.Marshal(pfx)
	require.NoError(t, err)
	_, err = signer.LoadPKCS12(der, fixturePassword)
	assert.ErrorContains(t, err, "iteration count")

	pfx.MacData.Iterations = 2048 // unchanged file: loads
	der, err = asn1.Marshal(pfx)
	require.NoError(t, err)
	_, err = signer.LoadPKCS12(der, fixturePassword)
	require.NoError(t, err)
}

// TestConcurrentSigning signs from many goroutines with one loaded Signer
// (run it with -race): every signature verifies over its own digest.
func TestConcurrentSigning(t *testing.T) {
	for _, file := range []string{"rsa-modern.p12", "ec-legacy.p12"} {
		s, err := signer.LoadPKCS12(fixture(t, file), fixturePassword, signer.WithPSS())
		require.NoError(t, err)
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			go func() {
				var opts crypto.SignerOpts = crypto.SHA256
				if signer.PrefersPSS(s) {
					opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
				}
				for i := 0; i < 5; i++ {
					d := sha256.Sum256([]byte{byte(g), byte(i)})
					sig, err := s.SignDigest(context.Background(), d[:], opts)
					if err == nil {
						err = signer.CheckSignature(s.Certificate().PublicKey, d[:], opts, sig)
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for g := 0; g < 16; g++ {
			require.NoError(t, <-errs)
		}
	}
}
