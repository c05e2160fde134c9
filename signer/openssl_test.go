package signer_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
)

// TestOpenSSLFreshKeys has OpenSSL create keys and files of every supported
// size and curve, in every container, loads each and has OpenSSL verify the
// signatures the loaded Signer makes.
func TestOpenSSLFreshKeys(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	run := func(t *testing.T, args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		require.NoError(t, err, "openssl %s\n%s", strings.Join(args, " "), out)
		return out
	}
	const pw = "Mật khẩu 2026"
	algs := []struct {
		name   string
		genopt []string
		hash   crypto.Hash
	}{
		{"RSA-2048", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, crypto.SHA256},
		{"RSA-3072", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"}, crypto.SHA384},
		{"RSA-4096", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"}, crypto.SHA512},
		{"P-256", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, crypto.SHA256},
		{"P-384", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}, crypto.SHA384},
		{"P-521", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"}, crypto.SHA512},
	}
	for _, alg := range algs {
		t.Run(alg.name, func(t *testing.T) {
			dir := t.TempDir()
			p := func(name string) string { return filepath.Join(dir, name) }
			run(t, append([]string{"genpkey", "-out", p("key.pem")}, alg.genopt...)...)
			run(t, "req", "-x509", "-new", "-utf8", "-key", p("key.pem"), "-days", "30",
				"-subj", "/C=VN/ST=Đà Nẵng/O=Công ty Thử/CN=Võ Thị Sáu/UID=CCCD:048190000001", "-out", p("cert.pem"))
			run(t, "pkcs12", "-export", "-inkey", p("key.pem"), "-in", p("cert.pem"), "-passout", "pass:"+pw, "-out", p("modern.p12"))
			run(t, "pkcs12", "-export", "-legacy", "-inkey", p("key.pem"), "-in", p("cert.pem"), "-passout", "pass:"+pw, "-out", p("legacy.p12"))
			run(t, "pkcs8", "-topk8", "-in", p("key.pem"), "-v2", "aes-256-cbc", "-passout", "pass:"+pw, "-out", p("enc.pem"))
			run(t, "pkcs8", "-topk8", "-in", p("key.pem"), "-v1", "PBE-SHA1-3DES", "-passout", "pass:"+pw, "-out", p("enc3des.pem"))
			run(t, "pkcs8", "-topk8", "-in", p("key.pem"), "-v1", "PBE-SHA1-2DES", "-passout", "pass:"+pw, "-outform", "DER", "-out", p("enc2des.der"))
			run(t, "pkey", "-in", p("key.pem"), "-traditional", "-out", p("trad.pem")) // PKCS#1 or SEC 1
			run(t, "pkcs8", "-topk8", "-nocrypt", "-in", p("key.pem"), "-outform", "DER", "-out", p("key.der"))
			read := func(name string) []byte {
				b, err := os.ReadFile(p(name))
				require.NoError(t, err)
				return b
			}
			cert := read("cert.pem")

			loaded := map[string]func() (signer.Signer, error){
				"PKCS#12 OpenSSL 3":    func() (signer.Signer, error) { return signer.LoadPKCS12File(p("modern.p12"), pw) },
				"PKCS#12 legacy":       func() (signer.Signer, error) { return signer.LoadPKCS12File(p("legacy.p12"), pw) },
				"encrypted PKCS#8":     func() (signer.Signer, error) { return signer.LoadKeyPair(read("enc.pem"), cert, pw) },
				"PKCS#8 PBE-SHA1-3DES": func() (signer.Signer, error) { return signer.LoadKeyPair(read("enc3des.pem"), cert, pw) },
				"PKCS#8 PBE-SHA1-2DES": func() (signer.Signer, error) { return signer.LoadKeyPair(read("enc2des.der"), cert, pw) },
				"traditional PEM":      func() (signer.Signer, error) { return signer.LoadKeyPair(read("trad.pem"), cert, "") },
				"PKCS#8 DER":           func() (signer.Signer, error) { return signer.LoadKeyPair(read("key.der"), cert, "") },
				"PEM bundle": func() (signer.Signer, error) {
					return signer.LoadPEM(append(append([]byte(nil), cert...), read("enc.pem")...), pw)
				},
			}
			for form, load := range loaded {
				s, err := load()
				require.NoError(t, err, form)
				assert.Equal(t, "048190000001", signer.ParseIdentity(s.Certificate().Subject).Get(signer.IDCitizen))

				h := alg.hash.New()
				h.Write([]byte(form + " " + alg.name))
				digest := h.Sum(nil)
				require.NoError(t, os.WriteFile(p("digest.bin"), digest, 0o600))

				opts := []crypto.SignerOpts{alg.hash}
				if _, ok := s.Certificate().PublicKey.(*rsa.PublicKey); ok {
					opts = append(opts, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: alg.hash})
				}
				for _, o := range opts {
					sig, err := s.SignDigest(context.Background(), digest, o)
					require.NoError(t, err, form)
					require.NoError(t, signer.CheckSignature(s.Certificate().PublicKey, digest, o, sig), form)
					require.NoError(t, os.WriteFile(p("sig.bin"), sig, 0o600))

					args := []string{"pkeyutl", "-verify", "-certin", "-inkey", p("cert.pem"),
						"-in", p("digest.bin"), "-sigfile", p("sig.bin"),
						"-pkeyopt", "digest:" + strings.ToLower(strings.ReplaceAll(alg.hash.String(), "-", ""))}
					if _, pss := o.(*rsa.PSSOptions); pss {
						args = append(args, "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest")
					}
					out := run(t, args...)
					assert.Contains(t, string(out), "Signature Verified Successfully", form)
				}
			}

			_, err := signer.LoadPKCS12File(p("modern.p12"), "wrong")
			assert.ErrorIs(t, err, signer.ErrWrongPassword)
			_, err = signer.LoadKeyPair(read("enc.pem"), cert, "wrong")
			assert.ErrorIs(t, err, signer.ErrWrongPassword)
		})
	}
}

// TestOpenSSLPBMAC1 loads a PBMAC1 file written by OpenSSL itself when the
// installed OpenSSL can write one (3.4 and later, `-pbmac1_pbkdf2`).
func TestOpenSSLPBMAC1(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	help, _ := exec.Command(openssl, "pkcs12", "-help").CombinedOutput()
	if !strings.Contains(string(help), "pbmac1_pbkdf2") {
		version, _ := exec.Command(openssl, "version").Output()
		t.Skipf("%s cannot write PBMAC1 (needs OpenSSL 3.4+); PBMAC1 is covered by the RFC 9579 vectors in TestLoadPKCS12Fixtures",
			strings.TrimSpace(string(version)))
	}
	f := filepath.Join(t.TempDir(), "pbmac1.p12")
	out, err := exec.Command(openssl, "pkcs12", "-export", "-pbmac1_pbkdf2",
		"-inkey", "testdata/ec-pkcs8.pem", "-in", "testdata/ec.crt", "-passout", "pass:"+fixturePassword, "-out", f).CombinedOutput()
	require.NoError(t, err, "%s", out)
	s, err := signer.LoadPKCS12File(f, fixturePassword)
	require.NoError(t, err)
	assertSigns(t, s)
	_, err = signer.LoadPKCS12File(f, "wrong")
	assert.ErrorIs(t, err, signer.ErrWrongPassword)
}
