package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	p11 "github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// pinCounter is a PIN callback that records its calls.
type pinCounter struct {
	pin      atomic.Value // string
	user     atomic.Int32
	context  atomic.Int32
	lastReq  atomic.Value // PINRequest
	failWith error
}

func newPIN(pin string) *pinCounter {
	p := &pinCounter{}
	p.pin.Store(pin)
	return p
}

func (p *pinCounter) fn(_ context.Context, req PINRequest) (string, error) {
	if req.ContextSpecific {
		p.context.Add(1)
	} else {
		p.user.Add(1)
	}
	p.lastReq.Store(req)
	if p.failWith != nil {
		return "", p.failWith
	}
	return p.pin.Load().(string), nil
}

func openToken(t testing.TB, m *Module, label string, opts Options) *Token {
	t.Helper()
	tok, err := m.OpenToken(TokenSpec{Label: label}, opts)
	require.NoError(t, err)
	t.Cleanup(func() { tok.Close() })
	return tok
}

// countedSigner opens the token labelled label with a PIN callback that
// counts its calls (set as opts.PIN) and returns the token, the signer of
// its key label/key and the counter.
func countedSigner(t testing.TB, f *fixture, m *Module, label, key string, opts Options) (*Token, *Signer, *pinCounter) {
	t.Helper()
	pin := newPIN(testPIN)
	opts.PIN = pin.fn
	tok := openToken(t, m, label, opts)
	return tok, keySigner(t, f, tok, label+"/"+key), pin
}

func openModuleTB(t testing.TB) (*fixture, *Module) {
	t.Helper()
	f := setup(t)
	m, err := Open(f.module)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return f, m
}

func keySigner(t testing.TB, f *fixture, tok *Token, name string) *Signer {
	t.Helper()
	k, ok := f.keys[name]
	require.True(t, ok, name)
	sg, err := tok.Signer(context.Background(), Certificate{Cert: k.cert, ID: k.id})
	require.NoError(t, err, name)
	return sg
}

func digestOf(h crypto.Hash, msg string) []byte {
	w := h.New()
	w.Write([]byte(msg))
	return w.Sum(nil)
}

func TestCertificates(t *testing.T) {
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	certs, err := tok.Certificates(context.Background())
	require.NoError(t, err)
	want := 0
	for name := range f.keys {
		if strings.HasPrefix(name, "kyso-main/") {
			want++
		}
	}
	require.Len(t, certs, want+1, "every end-entity certificate plus the CA")
	for _, c := range certs {
		assert.Equal(t, sha1.Sum(c.Cert.Raw), c.SHA1)
		assert.Equal(t, sha256.Sum256(c.Cert.Raw), c.SHA256)
		assert.NotEmpty(t, c.ID)
		assert.NotEmpty(t, c.Label)
		s := c.String()
		assert.Contains(t, s, c.Cert.Subject.CommonName)
		assert.Contains(t, s, c.Cert.Issuer.CommonName)
		assert.Contains(t, s, fmt.Sprintf("%X", c.Cert.SerialNumber))
		assert.Contains(t, s, fmt.Sprintf("%X", c.SHA1[:]))
	}
	want1 := f.keys["kyso-main/rsa2048"].cert
	sha := sha1.Sum(want1.Raw)
	// Thumbprint as Windows shows it (spaces) and as OpenSSL prints it (colons).
	for _, q := range []string{
		hex.EncodeToString(sha[:]),
		strings.ToUpper(spaced(hex.EncodeToString(sha[:]), " ")),
		spaced(strings.ToUpper(hex.EncodeToString(sha[:])), ":"),
		fmt.Sprintf("%x", sha256.Sum256(want1.Raw)),
		want1.SerialNumber.Text(16),
		"00" + want1.SerialNumber.Text(16),
	} {
		c, err := SelectCertificate(certs, q)
		require.NoError(t, err, q)
		assert.True(t, c.Cert.Equal(want1), q)
	}
	_, err = SelectCertificate(certs, "00112233")
	require.ErrorIs(t, err, signer.ErrNoCertificate)
	_, err = SelectCertificate(append(certs, certs[0]), hex.EncodeToString(certs[0].SHA1[:]))
	require.Error(t, err)
}

func spaced(s, sep string) string {
	var parts []string
	for i := 0; i < len(s); i += 2 {
		parts = append(parts, s[i:i+2])
	}
	return strings.Join(parts, sep)
}

// TestSignAllKeyTypes signs with RSA-2048/3072 and ECDSA P-256/P-384 keys,
// imported from PKCS#8 and generated on the token, with every mechanism.
func TestSignAllKeyTypes(t *testing.T) {
	f, m := openModuleTB(t)
	pin := newPIN(testPIN)
	tok := openToken(t, m, "kyso-main", Options{PIN: pin.fn})
	rsaOpts := []crypto.SignerOpts{
		crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA1,
		&rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash},
		&rsa.PSSOptions{Hash: crypto.SHA384, SaltLength: rsa.PSSSaltLengthAuto},
		&rsa.PSSOptions{Hash: crypto.SHA512, SaltLength: 20},
	}
	ecOpts := []crypto.SignerOpts{crypto.SHA256, crypto.SHA384, crypto.SHA512}
	for _, name := range []string{"rsa2048", "rsa3072", "gen-rsa2048", "gen-rsa3072", "p256", "p384", "gen-p256", "gen-p384"} {
		t.Run(name, func(t *testing.T) {
			sg := keySigner(t, f, tok, "kyso-main/"+name)
			opts := ecOpts
			if _, ok := sg.Public().(*rsa.PublicKey); ok {
				opts = rsaOpts
			}
			for _, o := range opts {
				d := digestOf(o.HashFunc(), name)
				sig, err := sg.SignDigest(context.Background(), d, o)
				require.NoError(t, err, "%T %v", o, o.HashFunc())
				// Independent check with the standard library.
				switch pub := sg.Public().(type) {
				case *rsa.PublicKey:
					if pss, ok := o.(*rsa.PSSOptions); ok {
						require.NoError(t, rsa.VerifyPSS(pub, o.HashFunc(), d, sig, &rsa.PSSOptions{SaltLength: pssSalt(pss, o.HashFunc())}))
					} else {
						require.NoError(t, rsa.VerifyPKCS1v15(pub, o.HashFunc(), d, sig))
					}
				case *ecdsa.PublicKey:
					require.True(t, ecdsa.VerifyASN1(pub, d, sig))
				}
			}
		})
	}
	assert.Equal(t, int32(1), pin.user.Load(), "one login for the whole test")
}

func pssSalt(o *rsa.PSSOptions, h crypto.Hash) int {
	if o.SaltLength <= 0 {
		return h.Size()
	}
	return o.SaltLength
}

// TestSignaturesVerifyWithOpenSSL checks PKCS#1 v1.5, PSS and ECDSA
// signatures made on the token with openssl as an independent verifier.
func TestSignaturesVerifyWithOpenSSL(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	dir := t.TempDir()
	cases := []struct {
		key  string
		opts crypto.SignerOpts
		args []string
	}{
		{"gen-rsa3072", crypto.SHA256, []string{"-pkeyopt", "digest:sha256"}},
		{"rsa2048", &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash},
			[]string{"-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32"}},
		{"gen-p384", crypto.SHA384, []string{"-pkeyopt", "digest:sha384"}},
		{"p256", crypto.SHA256, []string{"-pkeyopt", "digest:sha256"}},
	}
	for i, c := range cases {
		sg := keySigner(t, f, tok, "kyso-main/"+c.key)
		d := digestOf(c.opts.HashFunc(), "openssl "+c.key)
		sig, err := sg.SignDigest(context.Background(), d, c.opts)
		require.NoError(t, err)
		pubDER, err := x509.MarshalPKIXPublicKey(sg.Public())
		require.NoError(t, err)
		pub := filepath.Join(dir, fmt.Sprintf("pub%d.pem", i))
		dig := filepath.Join(dir, fmt.Sprintf("dig%d.bin", i))
		sf := filepath.Join(dir, fmt.Sprintf("sig%d.bin", i))
		require.NoError(t, os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644))
		require.NoError(t, os.WriteFile(dig, d, 0o644))
		require.NoError(t, os.WriteFile(sf, sig, 0o644))
		out, err := run(openssl, append([]string{"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", dig, "-sigfile", sf}, c.args...)...)
		require.NoError(t, err, out)
		assert.Contains(t, out, "Signature Verified Successfully", c.key)
	}
}

func TestKeyLookup(t *testing.T) {
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	ctx := context.Background()

	// The certificate's CKA_ID differs from its key's: found by public key.
	for _, name := range []string{"rsa-fallback", "p256-fallback"} {
		sg := keySigner(t, f, tok, "kyso-main/"+name)
		assert.Equal(t, name, sg.key.label)
		d := digestOf(crypto.SHA256, name)
		_, err := sg.SignDigest(ctx, d, crypto.SHA256)
		require.NoError(t, err)
	}
	// Two RSA keys under one CKA_ID: the modulus picks the right one.
	for _, name := range []string{"collide", "collide-other"} {
		sg := keySigner(t, f, tok, "kyso-main/"+name)
		assert.Equal(t, name, sg.key.label)
	}
	// Two EC keys under one CKA_ID cannot be told apart: refused.
	k := f.keys["kyso-main/collide-ec"]
	_, err := tok.Signer(ctx, Certificate{Cert: k.cert, ID: k.id})
	require.ErrorIs(t, err, ErrAmbiguousKey)
	// The same key twice under two IDs, the certificate under a third.
	k = f.keys["kyso-main/ambiguous"]
	_, err = tok.Signer(ctx, Certificate{Cert: k.cert, ID: k.id})
	require.ErrorIs(t, err, ErrAmbiguousKey)
	// A certificate whose key is not on the token.
	other := f.pki.MustIssue(pkitest.Person("Không Có Khóa", "001299999999"))
	_, err = tok.Signer(ctx, Certificate{Cert: other.Cert})
	require.ErrorIs(t, err, signer.ErrNoKey)
	// A certificate given without an ID is matched by public key.
	sg, err := tok.Signer(ctx, Certificate{Cert: f.keys["kyso-main/gen-p384"].cert})
	require.NoError(t, err)
	assert.Equal(t, "gen-p384", sg.key.label)
	_, err = tok.Signer(ctx, Certificate{})
	require.ErrorIs(t, err, signer.ErrNoCertificate)
}

func TestChainFromToken(t *testing.T) {
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	sg := keySigner(t, f, tok, "kyso-main/rsa2048")
	require.Len(t, sg.Chain(), 1)
	assert.True(t, sg.Chain()[0].Equal(f.pki.CA.Cert))
	// An explicit chain wins.
	k := f.keys["kyso-main/p256"]
	sg2, err := tok.Signer(context.Background(), Certificate{Cert: k.cert, ID: k.id}, f.pki.CA.Cert, f.pki.Root.Cert)
	require.NoError(t, err)
	assert.Len(t, sg2.Chain(), 2)
	assert.Same(t, k.cert, sg2.Certificate())
}

// TestNeverReturnsWrongSignature points a Signer at another key's handle,
// as a confused token or a key swapped under the same CKA_ID would: the
// signature is made, fails verification against the certificate, and is
// not returned.
func TestNeverReturnsWrongSignature(t *testing.T) {
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	good := keySigner(t, f, tok, "kyso-main/rsa2048")
	other := keySigner(t, f, tok, "kyso-main/gen-rsa2048")
	good.mu.Lock()
	good.key = other.key
	good.mu.Unlock()
	d := digestOf(crypto.SHA256, "wrong key")
	sig, err := good.SignDigest(context.Background(), d, crypto.SHA256)
	require.ErrorIs(t, err, signer.ErrBadSignature)
	assert.Nil(t, sig)
}

func TestMechanismErrors(t *testing.T) {
	f, m := openModuleTB(t)
	pin := newPIN(testPIN)
	tok := openToken(t, m, "kyso-main", Options{PIN: pin.fn})
	rsaSigner := keySigner(t, f, tok, "kyso-main/rsa2048")
	ecSigner := keySigner(t, f, tok, "kyso-main/p256")
	ctx := context.Background()
	d := digestOf(crypto.SHA256, "mech")

	// SoftHSM has no SHA-3: the token refuses the PSS parameters.
	d3 := digestOf(crypto.SHA3_256, "mech")
	_, err := rsaSigner.SignDigest(ctx, d3, &rsa.PSSOptions{Hash: crypto.SHA3_256})
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	t.Log(err)

	// A token that does not list CKM_RSA_PKCS_PSS (many USB tokens): the
	// mechanism list read at OpenToken is what is checked.
	tok.mu.Lock()
	delete(tok.mechs, p11.CKM_RSA_PKCS_PSS)
	tok.mu.Unlock()
	_, err = rsaSigner.SignDigest(ctx, d, &rsa.PSSOptions{Hash: crypto.SHA256})
	require.ErrorIs(t, err, ErrMechanismNotSupported)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	assert.Contains(t, err.Error(), "CKM_RSA_PKCS_PSS")
	_, err = rsaSigner.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err, "PKCS#1 v1.5 is still listed")

	// Bad requests never reach the token.
	_, err = rsaSigner.SignDigest(ctx, d[:10], crypto.SHA256)
	require.Error(t, err)
	_, err = ecSigner.SignDigest(ctx, d, &rsa.PSSOptions{Hash: crypto.SHA256})
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	_, err = ecSigner.SignDigest(ctx, d, nil)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	_, err = rsaSigner.SignDigest(ctx, digestOf(crypto.MD5, "x"), crypto.MD5)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	_, err = rsaSigner.SignDigest(ctx, d, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 1000})
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = ecSigner.SignDigest(cctx, d, crypto.SHA256)
	require.ErrorIs(t, err, context.Canceled)
}

func TestDigestInfo(t *testing.T) {
	d := make([]byte, 32)
	di, err := digestInfo(crypto.SHA256, d)
	require.NoError(t, err)
	// The SHA-256 prefix from RFC 8017 §9.2 note 1.
	prefix, _ := hex.DecodeString("3031300d060960864801650304020105000420")
	assert.Equal(t, append(prefix, d...), di)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA384, crypto.SHA512, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512} {
		di, err := digestInfo(h, make([]byte, h.Size()))
		require.NoError(t, err)
		assert.Equal(t, byte(h.Size()), di[len(di)-h.Size()-1])
	}
	_, err = digestInfo(crypto.MD5, make([]byte, 16))
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
}

func TestRawECDSAToASN1(t *testing.T) {
	raw := make([]byte, 64)
	raw[31] = 1
	raw[32] = 0x80 // s has the high bit set: needs a leading zero in DER
	der, err := rawECDSAToASN1(raw)
	require.NoError(t, err)
	var r, s big.Int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	require.True(t, in.ReadASN1(&seq, cbasn1.SEQUENCE))
	require.True(t, seq.ReadASN1Integer(&r))
	require.True(t, seq.ReadASN1Integer(&s))
	assert.Equal(t, int64(1), r.Int64())
	assert.Equal(t, new(big.Int).SetBytes(raw[32:]), &s)
	for _, bad := range [][]byte{nil, {1}, make([]byte, 64), make([]byte, 200)} {
		_, err := rawECDSAToASN1(bad)
		require.Error(t, err)
	}
}

func FuzzRawECDSAToASN1(f *testing.F) {
	f.Add(make([]byte, 64))
	f.Add(append(make([]byte, 47), 1, 0x80))
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, raw []byte) {
		der, err := rawECDSAToASN1(raw)
		if err != nil {
			return
		}
		in := cryptobyte.String(der)
		var seq cryptobyte.String
		var r, s big.Int
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() || !in.Empty() {
			t.Fatalf("bad DER %x from %x", der, raw)
		}
		half := len(raw) / 2
		if r.Cmp(new(big.Int).SetBytes(raw[:half])) != 0 || s.Cmp(new(big.Int).SetBytes(raw[half:])) != 0 {
			t.Fatalf("values changed")
		}
	})
}

func FuzzECPointEqual(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(f, err)
	pt, err := key.PublicKey.Bytes()
	require.NoError(f, err)
	wrapped, err := asn1.Marshal(pt)
	require.NoError(f, err)
	f.Add(pt)
	f.Add(wrapped)
	f.Add([]byte{0x04, 0x41, 0x04})
	f.Fuzz(func(t *testing.T, v []byte) {
		got := ecPointEqual(v, &key.PublicKey)
		want := bytes.Equal(v, pt) || bytes.Equal(v, wrapped)
		if got != want {
			t.Fatalf("ecPointEqual(%x) = %v", v, got)
		}
	})
}

// TestPrivateCertificates: a token that keeps its certificates private
// shows none before the login; Certificates then logs in and lists them.
func TestPrivateCertificates(t *testing.T) {
	f, m := openModuleTB(t)
	noPIN := openToken(t, m, "kyso-private", Options{})
	certs, err := noPIN.Certificates(context.Background())
	require.NoError(t, err)
	assert.Empty(t, certs, "private objects are hidden before login")

	pin := newPIN(testPIN)
	tok := openToken(t, m, "kyso-private", Options{PIN: pin.fn})
	certs, err = tok.Certificates(context.Background())
	require.NoError(t, err)
	require.Len(t, certs, 1)
	assert.True(t, certs[0].Cert.Equal(f.keys["kyso-private/p256"].cert))
	assert.Equal(t, int32(1), pin.user.Load())
	sg, err := tok.Signer(context.Background(), certs[0])
	require.NoError(t, err)
	_, err = sg.SignDigest(context.Background(), digestOf(crypto.SHA256, "private"), crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, int32(1), pin.user.Load())
}

// TestExplicitLogin: Login asks for the PIN up front, once.
func TestExplicitLogin(t *testing.T) {
	f, m := openModuleTB(t)
	pin := newPIN(testPIN)
	tok := openToken(t, m, "kyso-lost", Options{PIN: pin.fn})
	closeAllSessions(t, f, tok.Info().Slot)
	require.NoError(t, tok.Login(context.Background()))
	require.NoError(t, tok.Login(context.Background()))
	assert.Equal(t, int32(1), pin.user.Load())
	_, err := keySigner(t, f, tok, "kyso-lost/p256").SignDigest(context.Background(), digestOf(crypto.SHA256, "l"), crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, int32(1), pin.user.Load())
}
