package pkitest

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"
)

func TestIdentitySigner(t *testing.T) {
	p := New(t)
	sum := sha256.Sum256([]byte("ký số"))
	sum512 := sha512.Sum512([]byte("ký số"))
	for _, tc := range []struct {
		name   string
		opts   []CertOption
		digest []byte
		so     crypto.SignerOpts
	}{
		{"p256", nil, sum[:], crypto.SHA256},
		{"p521-sha512", []CertOption{ECDSAKey(elliptic.P521())}, sum512[:], crypto.SHA512},
		{"rsa2048", []CertOption{RSAKey(2048)}, sum[:], crypto.SHA256},
		{"rsa-pss", []CertOption{RSAKey(3072)}, sum[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}},
		{"weak-rsa1024", []CertOption{Weak()}, sum[:], crypto.SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := p.MustIssue(tc.opts...)
			s := id.Signer()
			assert.Equal(t, id.Cert, s.Certificate())
			assert.Equal(t, []*x509.Certificate{p.CA.Cert}, s.Chain())
			sig, err := s.SignDigest(context.Background(), tc.digest, tc.so)
			require.NoError(t, err)
			require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, tc.digest, tc.so, sig))
		})
	}
	s := p.MustIssue().Signer()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.SignDigest(ctx, sum[:], crypto.SHA256)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.SignDigest(context.Background(), sum[:20], crypto.SHA256)
	assert.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)

	// The same key through signer.New, the library's own wrapper.
	id := p.MustIssue(RSAKey(2048))
	ks, err := signer.New(id.Key, id.Cert, id.Chain...)
	require.NoError(t, err)
	sig, err := ks.SignDigest(context.Background(), sum[:], crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, sum[:], crypto.SHA256, sig))
}

func TestPKCS12RoundTrip(t *testing.T) {
	p := New(t)
	for _, tc := range []struct {
		name   string
		encode func(*Identity, string) ([]byte, error)
	}{
		{"modern", (*Identity).PKCS12},
		{"legacy-des", (*Identity).PKCS12Legacy},
		{"legacy-rc2", func(id *Identity, pw string) ([]byte, error) { return id.PKCS12With(pkcs12.LegacyRC2, pw) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := p.MustIssue(RSAKey(2048))
			der, err := tc.encode(id, "Mật-khẩu 123")
			require.NoError(t, err)
			key, cert, cas, err := pkcs12.DecodeChain(der, "Mật-khẩu 123")
			require.NoError(t, err)
			assert.Equal(t, id.Cert.Raw, cert.Raw)
			assert.True(t, key.(*rsa.PrivateKey).Equal(id.Key))
			require.Len(t, cas, 2)
			assert.Equal(t, p.CA.Cert.Raw, cas[0].Raw)
			assert.Equal(t, p.Root.Cert.Raw, cas[1].Raw)

			s, err := signer.LoadPKCS12(der, "Mật-khẩu 123")
			require.NoError(t, err)
			assert.Equal(t, id.Cert.Raw, s.Certificate().Raw)
			_, err = signer.LoadPKCS12(der, "wrong")
			assert.ErrorIs(t, err, signer.ErrWrongPassword)
		})
	}
}

// TestOpenSSLReadsPKCS12 opens the modern and the legacy (3DES) file with
// OpenSSL 3 and its default provider.
func TestOpenSSLReadsPKCS12(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := New(t)
	id := p.MustIssue()
	dir := t.TempDir()
	for name, enc := range map[string]func(string) ([]byte, error){"modern": id.PKCS12, "legacy": id.PKCS12Legacy} {
		der, err := enc("secret")
		require.NoError(t, err)
		f := writeFile(t, dir, name+".p12", der)
		out := runOpenSSL(t, openssl, "pkcs12", "-in", f, "-passin", "pass:secret", "-nodes", "-info")
		assert.Contains(t, out, "BEGIN PRIVATE KEY", name)
		assert.Contains(t, out, "Kyso Test Root CA", name)
		if name == "modern" {
			assert.Contains(t, out, "PBES2, PBKDF2, AES-256-CBC")
		} else {
			assert.Contains(t, out, "pbeWithSHA1And3-KeyTripleDES-CBC")
		}
	}
}

func TestPEMHelpersAndWriteDir(t *testing.T) {
	p := New(t)
	id := p.MustIssue(Person("Lê Văn Bình", "079090001111"))
	certs, err := signer.ParseCertificates(id.ChainPEM())
	require.NoError(t, err)
	require.Len(t, certs, 2)
	assert.Equal(t, id.Cert.Raw, certs[0].Raw)
	assert.Equal(t, p.CA.Cert.Raw, certs[1].Raw)
	keyPEM, err := id.KeyPEM()
	require.NoError(t, err)
	s, err := signer.LoadKeyPair(keyPEM, id.ChainPEM(), "")
	require.NoError(t, err)
	assert.Equal(t, id.Cert.Raw, s.Certificate().Raw)

	dir := filepath.Join(t.TempDir(), "pki")
	require.NoError(t, p.WriteDir(dir, id, "matkhau"))
	for _, f := range []string{FileRoot, FileCA, FileChain, FileTSA, FileSigner, FileCert, FileKey, FileReadme} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.NotZero(t, st.Size(), f)
	}
	st, _ := os.Stat(filepath.Join(dir, FileKey))
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	ls, err := signer.LoadPKCS12File(filepath.Join(dir, FileSigner), "matkhau")
	require.NoError(t, err)
	assert.Equal(t, "Lê Văn Bình", ls.Certificate().Subject.CommonName)
	root, err := os.ReadFile(filepath.Join(dir, FileRoot))
	require.NoError(t, err)
	assert.Equal(t, PEM(p.Root.Cert), root)

	if openssl := testutil.Tool(t, "openssl", "openssl"); openssl != "" {
		out := runOpenSSL(t, openssl, "verify", "-CAfile", filepath.Join(dir, FileChain), filepath.Join(dir, FileCert))
		assert.Contains(t, out, ": OK")
		out = runOpenSSL(t, openssl, "verify", "-purpose", "timestampsign", "-CAfile", filepath.Join(dir, FileChain), filepath.Join(dir, FileTSA))
		assert.Contains(t, out, ": OK")
	}
}

// TestConcurrentUse issues, revokes and queries from many goroutines (run
// with -race).
func TestConcurrentUse(t *testing.T) {
	p := New(t)
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		go func() {
			id, err := p.Issue()
			if err == nil {
				err = p.Revoke(id.Cert, p.Now(), 1)
			}
			if err == nil {
				_, err = p.OCSP(id.Cert)
			}
			if err == nil {
				_, err = p.CRL(p.CA)
			}
			if err == nil {
				_, err = p.NewCA()
			}
			if err == nil {
				sum := sha256.Sum256([]byte{byte(i)})
				_, err = p.Timestamp(crypto.SHA256, sum[:])
			}
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		require.NoError(t, <-errs)
	}
	der, err := p.CRL(p.CA)
	require.NoError(t, err)
	crl, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	assert.Len(t, crl.RevokedCertificateEntries, 8)
}
