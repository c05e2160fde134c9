package verify

import (
	"context"
	"crypto"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// bundles writes the test PKI's root and CA in the encodings CAs publish
// and returns their paths by name.
func bundles(t *testing.T, p *pkitest.PKI) (string, map[string]string) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	chainPEM := pkitest.PEM(p.CA.Cert, p.Root.Cert)
	files := map[string]string{}
	write := func(name string, data []byte) {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		files[name] = path
	}
	write("chain.pem", chainPEM)
	write("root.der", p.Root.Cert.Raw)
	write("concat.cer", append(append([]byte(nil), p.CA.Cert.Raw...), p.Root.Cert.Raw...))
	run := func(args ...string) {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	run("crl2pkcs7", "-nocrl", "-certfile", files["chain.pem"], "-outform", "DER", "-out", filepath.Join(dir, "bundle.p7b"))
	files["bundle.p7b"] = filepath.Join(dir, "bundle.p7b")
	run("crl2pkcs7", "-nocrl", "-certfile", files["chain.pem"], "-outform", "PEM", "-out", filepath.Join(dir, "bundle-pem.p7c"))
	files["bundle-pem.p7c"] = filepath.Join(dir, "bundle-pem.p7c")
	run("x509", "-in", files["chain.pem"], "-trustout", "-addtrust", "emailProtection", "-out", filepath.Join(dir, "trusted.crt"))
	files["trusted.crt"] = filepath.Join(dir, "trusted.crt")
	return dir, files
}

func TestParseCertificatesEncodings(t *testing.T) {
	p := pkitest.New(t)
	_, files := bundles(t, p)
	want := map[string]int{"chain.pem": 2, "root.der": 1, "concat.cer": 2, "bundle.p7b": 2, "bundle-pem.p7c": 2, "trusted.crt": 1}
	for name, n := range want {
		data, err := os.ReadFile(files[name])
		require.NoError(t, err)
		certs, err := ParseCertificates(data)
		require.NoError(t, err, name)
		assert.Len(t, certs, n, name)
		assert.True(t, certs[0].Equal(p.CA.Cert) || certs[0].Equal(p.Root.Cert), name)
	}
	for _, bad := range [][]byte{nil, []byte("hello"), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")} {
		_, err := ParseCertificates(bad)
		assert.ErrorIs(t, err, ErrNoCertificates)
	}
	_, err := ParseCertificates(p.Root.Cert.Raw[:100])
	assert.Error(t, err)
	broken := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})
	_, err = ParseCertificates(broken)
	assert.ErrorContains(t, err, "PEM block 0")
}

func TestTrustStoreLoaders(t *testing.T) {
	p := pkitest.New(t)
	dir, files := bundles(t, p)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a certificate"), 0o644))

	s := NewTrustStore()
	n, err := s.AddDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 10, n, "every certificate of every bundle file")
	assert.Equal(t, 2, s.Len(), "duplicates are kept once")
	names := []string{}
	for _, a := range s.Anchors() {
		names = append(names, a.Name())
		assert.Len(t, a.SHA256, 64)
		assert.Nil(t, a.Known)
	}
	assert.Equal(t, []string{"Kyso Test CA G1", "Kyso Test Root CA"}, names)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "zz-broken.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644))
	_, err = NewTrustStore().AddDir(dir)
	assert.ErrorContains(t, err, "zz-broken.pem")

	s = NewTrustStore()
	n, err = s.AddFile(files["bundle.p7b"])
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	// Pinning: only the certificate with the fingerprint is taken.
	s = NewTrustStore()
	chain, err := os.ReadFile(files["bundle.p7b"])
	require.NoError(t, err)
	fp := Fingerprint(p.Root.Cert)
	a, err := s.AddPinned(chain, strings.ToUpper(fp))
	require.NoError(t, err)
	assert.True(t, a.Cert.Equal(p.Root.Cert))
	assert.Equal(t, 1, s.Len())
	_, err = s.AddPinned(chain, strings.Repeat("ab", 32))
	assert.ErrorIs(t, err, ErrFingerprintMismatch)
	_, err = s.AddPinned(chain, "bac8bf60")
	assert.ErrorContains(t, err, "64 hex digits")
}

func TestKnownAnchors(t *testing.T) {
	all := KnownAnchors()
	require.NotEmpty(t, all)
	families := map[string]int{}
	for _, k := range all {
		families[k.Family]++
		// Only fingerprints computed from real certificates are verified.
		assert.Equal(t, k.Name == "Vietnam National Root CA", k.Verified, k.Name)
		assert.NotEmpty(t, k.Note, k.Name)
	}
	assert.Positive(t, families["NEAC"])
	assert.Positive(t, families["VGCA"])

	s := NewTrustStore()
	_, err := s.AddKnown("No Such Root", nil)
	assert.ErrorIs(t, err, ErrUnknownAnchor)
	_, err = s.AddKnown("vietnam national root ca", []byte("x"))
	assert.ErrorIs(t, err, ErrNoCertificates, "its full fingerprint is pinned: the input is parsed")
	_, err = s.AddKnown("Vietnam National Root CA G3", []byte("x"))
	assert.ErrorIs(t, err, ErrAnchorUnverified)
	_, err = s.AddKnown("VGCA Root CA G2", []byte("x"))
	assert.ErrorIs(t, err, ErrAnchorUnverified)

	k := LookupKnownAnchor("VGCA Root CA G2")
	require.NotNil(t, k)
	k = &KnownAnchor{SHA256Prefix: "bac8bf60", SHA256Suffix: "0908e7"}
	var fp [32]byte
	copy(fp[:], []byte{0xba, 0xc8, 0xbf, 0x60})
	fp[29], fp[30], fp[31] = 0x09, 0x08, 0xe7
	assert.True(t, k.matchesPartial(fp))
	fp[0] = 0
	assert.False(t, k.matchesPartial(fp))
	assert.False(t, LookupKnownAnchor("MIC National Root CA").matchesPartial(fp), "no fingerprint data: never matches")

	// A fully known fingerprint is accepted by AddKnown when it matches.
	p := pkitest.New(t)
	saved := knownAnchors
	t.Cleanup(func() { knownAnchors = saved })
	knownAnchors = append(append([]KnownAnchor(nil), saved...), KnownAnchor{Name: "Test Root", Family: "NEAC", SHA256: Fingerprint(p.Root.Cert)})
	a, err := s.AddKnown("Test Root", pkitest.PEM(p.CA.Cert, p.Root.Cert))
	require.NoError(t, err)
	require.NotNil(t, a.Known)
	assert.Equal(t, "Test Root", a.Name())
	_, err = s.AddKnown("Test Root", pkitest.PEM(p.CA.Cert))
	assert.ErrorIs(t, err, ErrFingerprintMismatch)

	// A chain ending at it reports the built-in anchor name.
	id := p.MustIssue()
	e := &env{pki: p, trust: s}
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	r := verifyOne(t, e.online(), sig, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	require.NotNil(t, r.Anchor)
	assert.Equal(t, "Test Root", r.Anchor.Name)
	require.NotNil(t, r.Anchor.Known)
}

func TestNewRequiresTrustStore(t *testing.T) {
	_, err := New(Options{})
	assert.ErrorIs(t, err, ErrNoTrustAnchors)
}

func TestAlgorithmPolicy(t *testing.T) {
	p := VietnamPolicy()
	before := sha1Sunset.Add(-time.Hour)
	assert.NoError(t, p.checkHash(crypto.SHA256, time.Time{}))
	assert.NoError(t, p.checkHash(crypto.SHA3_256, time.Time{}))
	assert.Error(t, p.checkHash(crypto.SHA1, time.Time{}))
	assert.Error(t, p.checkHash(crypto.SHA1, sha1Sunset.Add(time.Hour)))
	assert.NoError(t, p.checkHash(crypto.SHA1, before))
	assert.Error(t, p.checkHash(crypto.MD5, before), "MD5 never")
	assert.Error(t, p.checkHash(crypto.SHA224, time.Time{}), "Circular 15 asks for SHA-256 or longer")
}

// A chain that crypto/x509 refuses (SHA-1 signed certificate, RSA-1024
// key) passes when a timestamp proves the signature existed before the
// sunsets, and is a CRYPTO_CONSTRAINTS_FAILURE otherwise.
func TestLegacySHA1ChainWithEarlyTimestamp(t *testing.T) {
	old := time.Date(2011, 6, 1, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, pkitest.WithClock(func() time.Time { return old }))
	id := e.pki.MustIssue(pkitest.Weak())
	e.pki.SetTime(old.Add(24 * time.Hour))
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	r := verifyOne(t, e.online(), sig, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	assert.Len(t, r.Chain, 3)
	assert.Contains(t, strings.Join(texts(r.Warnings), "\n"), "accepted because a timestamp proves existence before its sunset")

	sig = e.sign(t, id, signSpec{claimed: false, tsa: false})
	r = verifyOne(t, e.online(), sig, content)
	assert.Equal(t, CryptoConstraintsFailure, r.SubIndication, "%+v", r.Findings)
}

func TestReportJSONAndText(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	v, err := New(e.online())
	require.NoError(t, err)
	rep, err := v.VerifyDetached(context.Background(), sig, strings.NewReader(string(content)))
	require.NoError(t, err)

	js, err := rep.JSON()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(js, &m))
	assert.Equal(t, "online", m["revocationMode"])
	s := m["signatures"].([]any)[0].(map[string]any)
	assert.Equal(t, "TOTAL_PASSED", s["indication"])
	assert.NotContains(t, s, "subIndication", "omitted when passed")
	assert.Equal(t, "timestamp", s["timeSource"])
	assert.Equal(t, pkitest.DefaultPersonName, s["signer"].(map[string]any)["name"])

	vi := rep.Text(Vietnamese)
	for _, want := range []string{
		"Kết luận chung: Chữ ký hợp lệ",
		"Người ký: Nguyễn Văn An",
		"Số CCCD: " + pkitest.DefaultCCCD,
		"Thời điểm ký (theo dấu thời gian): 15:00:00 15/01/2026 (GMT+7)",
		"Nội dung còn nguyên vẹn",
		"Tình trạng thu hồi [Nguyễn Văn An]: chưa bị thu hồi",
	} {
		assert.Contains(t, vi, want)
	}
	en := rep.Text(English)
	assert.Contains(t, en, "Signing time (from timestamp): 2026-01-15 08:00:00 UTC")

	// A failure explains itself in both languages.
	bad, err := v.VerifyDetached(context.Background(), sig, strings.NewReader("khác"))
	require.NoError(t, err)
	assert.Contains(t, bad.Text(Vietnamese), "Nội dung đã bị thay đổi sau khi ký [HASH_FAILURE]")
	js, err = bad.JSON()
	require.NoError(t, err)
	assert.Contains(t, string(js), `"subIndication": "HASH_FAILURE"`)
	assert.Equal(t, "Chữ ký không hợp lệ: Nội dung đã bị thay đổi sau khi ký", Describe(Vietnamese, TotalFailed, HashFailure))
}
