package pkcs11

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	p11 "github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kverify "github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

const lifeSubject = "CN=Nguyễn Văn Thử,OU=Phòng Kế toán,O=Công ty TNHH Ánh Dương\\, Chi nhánh Hà Nội,L=Cầu Giấy,ST=Hà Nội,C=VN"

// csrFor builds a request for kp with the Vietnamese test subject and a
// CCCD, an e-mail SAN and a challenge password.
func csrFor(t *testing.T, kp *KeyPair, uidType, uidValue string) []byte {
	t.Helper()
	subj, err := signer.ParseSubject(lifeSubject)
	require.NoError(t, err)
	uid, err := signer.UIDAttribute(uidType, uidValue)
	require.NoError(t, err)
	san, err := EmailSAN("thu.nguyen@anhduong.example.vn")
	require.NoError(t, err)
	der, err := kp.CertificateRequest(context.Background(), CSROptions{
		Subject:    append(subj, uid),
		Extensions: []pkix.Extension{san},
		Attributes: []CSRAttribute{ChallengePassword("thu-hồi")},
	})
	require.NoError(t, err)
	return der
}

// opensslIssue has openssl x509 -req issue the request from the fixture's
// issuing CA (written to PEM), with a CRL distribution point at the test
// PKI's CRL server so that the verifier can check revocation.
func opensslIssue(t *testing.T, f *fixture, csrDER []byte, serial int64) *x509.Certificate {
	t.Helper()
	openssl := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	csr := filepath.Join(dir, "req.csr")
	require.NoError(t, os.WriteFile(csr, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}), 0o644))
	caPEM := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caPEM, pkitest.PEM(f.pki.CA.Cert), 0o644))
	keyDER, err := x509.MarshalPKCS8PrivateKey(f.pki.CA.Key)
	require.NoError(t, err)
	caKey := filepath.Join(dir, "ca.key")
	require.NoError(t, os.WriteFile(caKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	ext := filepath.Join(dir, "ext.cnf")
	require.NoError(t, os.WriteFile(ext, []byte("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"+
		"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\ncrlDistributionPoints=URI:"+f.pki.CRLURL()+"\n"), 0o644))
	out := filepath.Join(dir, "cert.pem")
	res, err := exec.Command(openssl, "x509", "-req", "-in", csr, "-CA", caPEM, "-CAkey", caKey,
		"-set_serial", fmt.Sprint(serial), "-days", "365", "-sha256", "-extfile", ext, "-out", out).CombinedOutput()
	require.NoError(t, err, string(res))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

// verifyTotalPassed runs kyso's verifier on doc with the issuing CA as the
// trust anchor and online revocation against the test PKI.
func verifyTotalPassed(t *testing.T, f *fixture, doc []byte) {
	t.Helper()
	ts := kverify.NewTrustStore()
	ts.AddCertificate(f.pki.CA.Cert, "test CA")
	v, err := kverify.New(kverify.Options{Trust: ts, Revocation: kverify.RevocationOnline, HTTPClient: f.pki.HTTPClient()})
	require.NoError(t, err)
	var mux kverify.Mux
	mux.Handle("PDF", kverify.IsPDF, kverify.NewPDFVerifier(v))
	mux.Handle("XML", kverify.IsXML, kverify.NewXMLVerifier(v))
	rep, err := kverify.VerifyBytes(context.Background(), &mux, doc)
	require.NoError(t, err)
	require.Len(t, rep.Signatures, 1)
	assert.Equal(t, kverify.TotalPassed, rep.Indication(), "%+v", rep.Signatures[0])
}

// signBoth signs a PDF and an e-invoice with sg and checks both verify.
func signBoth(t *testing.T, f *fixture, sg *Signer) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "pdf", "testdata", "simple.pdf"))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(src), int64(len(src)), sg, &pdf.Options{Reason: "Phê duyệt"}))
	verifyTotalPassed(t, f, out.Bytes())
	x, err := kxml.Sign(context.Background(), []byte(invoice), sg, kxml.Seller())
	require.NoError(t, err)
	verifyTotalPassed(t, f, x)
}

// The issue's cycle on SoftHSM2: key generated on the token, CSR with a
// Vietnamese subject, issued by openssl from a CA, imported beside its key,
// used to sign a PDF and an e-invoice that verify TOTAL_PASSED; then the
// PIN is changed, tried wrong, unblocked with the SO PIN, and the token
// signs again.
func TestTokenLifecycle(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	f, m := openModuleTB(t)
	ctx := context.Background()
	pin := newPIN(testPIN)
	tok := openToken(t, m, "kyso-life", Options{PIN: pin.fn})

	kp, err := tok.GenerateKey(ctx, KeyOptions{Type: ECP256, Label: "Khóa ký Nguyễn Văn Thử"})
	require.NoError(t, err)
	assert.Len(t, kp.ID, 20)
	assert.Equal(t, KeyProtection{Sensitive: true, AlwaysSensitive: true, NeverExtractable: true, Local: true}, kp.Protection)

	// pkcs11-tool reads the same attributes back.
	objs, err := run("pkcs11-tool", "--module", f.module, "--token-label", "kyso-life", "--login", "--pin", testPIN, "--list-objects", "--type", "privkey")
	require.NoError(t, err)
	assert.Contains(t, objs, "Khóa ký Nguyễn Văn Thử")
	assert.Contains(t, objs, fmt.Sprintf("%x", kp.ID))
	assert.Regexp(t, `(?m)^\s*Access:\s+sensitive, always sensitive, never extractable, local\s*$`, objs)
	assert.Regexp(t, `(?m)^\s*Usage:\s+sign\s*$`, objs, "a signing key only")

	// The CSR: openssl checks its signature and reads the subject back.
	csrDER := csrFor(t, kp, "CCCD", "001203012345")
	csrPath := filepath.Join(t.TempDir(), "req.csr")
	require.NoError(t, os.WriteFile(csrPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}), 0o644))
	res, err := exec.Command(openssl, "req", "-in", csrPath, "-noout", "-verify").CombinedOutput()
	require.NoError(t, err, string(res))
	assert.Regexp(t, `(?i)verify OK`, string(res))
	res, err = exec.Command(openssl, "req", "-in", csrPath, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb,utf8").CombinedOutput()
	require.NoError(t, err, string(res))
	assert.Equal(t, `subject=UID=CCCD:001203012345,CN=Nguyễn Văn Thử,OU=Phòng Kế toán,O=Công ty TNHH Ánh Dương\, Chi nhánh Hà Nội,L=Cầu Giấy,ST=Hà Nội,C=VN`, strings.TrimSpace(string(res)))
	res, err = exec.Command(openssl, "req", "-in", csrPath, "-noout", "-text").CombinedOutput()
	require.NoError(t, err, string(res))
	assert.Contains(t, string(res), "email:thu.nguyen@anhduong.example.vn")
	assert.Contains(t, string(res), "challengePassword")

	// Issued by openssl, imported beside its key.
	cert := opensslIssue(t, f, csrDER, 0x4b59534f01)
	id := signer.ParseIdentity(cert.Subject)
	assert.Equal(t, "Nguyễn Văn Thử", id.CommonName)
	assert.Equal(t, "001203012345", id.Get(signer.IDCitizen))
	imported, err := tok.ImportCertificate(ctx, cert, ImportOptions{Chain: []*x509.Certificate{f.pki.CA.Cert}})
	require.NoError(t, err)
	assert.Equal(t, kp.ID, imported.ID, "the certificate takes its key's CKA_ID")
	assert.Equal(t, CertificateLabel(cert), imported.Label)
	assert.True(t, strings.HasPrefix(imported.Label, "Nguyễn Văn Thử ("), imported.Label)
	certs, err := tok.Certificates(ctx)
	require.NoError(t, err)
	require.Len(t, certs, 2, "the certificate and its CA")
	// Importing again stores nothing twice.
	_, err = tok.ImportCertificate(ctx, cert, ImportOptions{Chain: []*x509.Certificate{f.pki.CA.Cert}})
	require.NoError(t, err)
	certs, err = tok.Certificates(ctx)
	require.NoError(t, err)
	require.Len(t, certs, 2)

	// A certificate whose key is elsewhere is refused and nothing written.
	stranger := f.pki.MustIssue(pkitest.Person("Người Lạ", "001203099999"), pkitest.ECDSAKey(elliptic.P256()))
	_, err = tok.ImportCertificate(ctx, stranger.Cert, ImportOptions{Chain: []*x509.Certificate{f.pki.CA.Cert}})
	require.ErrorIs(t, err, ErrKeyNotOnToken)
	require.ErrorIs(t, err, signer.ErrNoKey)
	_, err = tok.ImportCertificate(ctx, cert, ImportOptions{Chain: []*x509.Certificate{f.pki.Root.Cert}})
	require.ErrorIs(t, err, ErrBadChain, "the root did not issue the certificate")
	_, err = tok.ImportCertificate(ctx, cert, ImportOptions{Chain: []*x509.Certificate{stranger.Cert}})
	require.ErrorIs(t, err, ErrBadChain, "not a CA certificate")
	certs, err = tok.Certificates(ctx)
	require.NoError(t, err)
	require.Len(t, certs, 2)

	// Sign with the token; the chain comes from the token.
	c, err := SelectCertificate(certs, fmt.Sprintf("%x", imported.SHA256))
	require.NoError(t, err)
	sg, err := tok.Signer(ctx, c)
	require.NoError(t, err)
	require.Len(t, sg.Chain(), 1)
	signBoth(t, f, sg)

	// Change the PIN.
	const newUserPIN, unblockedPIN = "24681357", "13572468"
	ch, err := tok.ChangePIN(ctx, testPIN, newUserPIN)
	require.NoError(t, err)
	assert.False(t, ch.Before.Locked)
	assert.False(t, ch.After.CountLow)
	_, err = tok.ChangePIN(ctx, "99999999", "11112222")
	require.ErrorIs(t, err, ErrPINIncorrect, "the old PIN is checked")
	_, err = tok.ChangePIN(ctx, newUserPIN, "1")
	require.ErrorIs(t, err, ErrNewPINInvalid, "a PIN shorter than the token's minimum never reaches it")
	require.NoError(t, tok.Close())

	// The old PIN no longer opens the token; the new one does.
	tok2 := openToken(t, m, "kyso-life", Options{PIN: newPIN(testPIN).fn})
	_, err = tok2.Signer(ctx, c)
	require.ErrorIs(t, err, ErrPINIncorrect)
	require.NoError(t, tok2.Close())

	// Wrong PINs, as many as lock a Government CA token (3) and more.
	// SoftHSM2 has no retry limit: it sets CKF_USER_PIN_COUNT_LOW after a
	// wrong PIN and never FINAL_TRY or LOCKED (checked here, so a SoftHSM
	// that starts locking shows up).
	var last *PINError
	for i := 0; i < 6; i++ {
		tw := openToken(t, m, "kyso-life", Options{PIN: newPIN(fmt.Sprintf("00000%d", i)).fn})
		err := tw.Login(ctx)
		require.ErrorIs(t, err, ErrPINIncorrect)
		require.ErrorAs(t, err, &last)
		require.NoError(t, tw.Close())
	}
	assert.True(t, last.CountLow)
	assert.False(t, last.Locked, "SoftHSM2 does not lock the user PIN")
	assert.False(t, last.FinalTry)

	// Unblock with the SO PIN (C_InitPIN as SO): a wrong SO PIN first.
	tok3 := openToken(t, m, "kyso-life", Options{PIN: newPIN(unblockedPIN).fn})
	ch, err = tok3.UnblockPIN(ctx, "00000000", unblockedPIN)
	require.ErrorIs(t, err, ErrSOPINIncorrect)
	require.ErrorIs(t, err, signer.ErrWrongPassword)
	var pe *PINError
	require.ErrorAs(t, err, &pe)
	assert.True(t, pe.SO)
	assert.True(t, ch.Before.CountLow, "the flags before show the wrong user PINs")
	ch, err = tok3.UnblockPIN(ctx, testSOPIN, unblockedPIN)
	require.NoError(t, err)
	assert.True(t, ch.Before.CountLow)
	assert.False(t, ch.After.CountLow, "C_InitPIN resets the user PIN's counter")
	assert.False(t, ch.After.Locked)
	assert.True(t, ch.After.Initialized)

	// Sign again with the PIN the SO set.
	sg3, err := tok3.Signer(ctx, c)
	require.NoError(t, err)
	signBoth(t, f, sg3)
	st, err := tok3.PINStatus()
	require.NoError(t, err)
	assert.Equal(t, "user PIN: ok; SO PIN: ok", st.String())
	assert.Equal(t, "PIN người dùng: bình thường; PIN quản trị (SO): bình thường", st.Vietnamese())
}

// A wrong SO PIN reaches the token once; pkcs11-spy counts the C_Login
// calls the token receives.
func TestWrongSOPINIsNeverRetried(t *testing.T) {
	_, m, count := spied(t)
	tok := openToken(t, m, "kyso-unblock", Options{PIN: newPIN(testPIN).fn})
	require.NoError(t, tok.Login(context.Background())) // a user login to be logged out
	logins := count("C_Login")
	_, err := tok.UnblockPIN(context.Background(), "11111111", "55556666")
	require.ErrorIs(t, err, ErrSOPINIncorrect)
	assert.Equal(t, logins+1, count("C_Login"), "one SO login attempt")
	assert.Equal(t, 0, count("C_InitPIN"))
	_, err = tok.UnblockPIN(context.Background(), "", "55556666")
	require.ErrorIs(t, err, ErrSOPINIncorrect)
	_, err = tok.UnblockPIN(context.Background(), testSOPIN, "1")
	require.ErrorIs(t, err, ErrNewPINInvalid)
	assert.Equal(t, logins+1, count("C_Login"), "an empty SO PIN or a bad new PIN is refused before the token")

	_, err = tok.UnblockPIN(context.Background(), testSOPIN, "55556666")
	require.NoError(t, err)
	assert.Equal(t, logins+2, count("C_Login"))
	assert.Equal(t, 1, count("C_InitPIN"))
	// The pool works again, with the new PIN.
	tok2 := openToken(t, m, "kyso-unblock", Options{PIN: newPIN("55556666").fn})
	require.NoError(t, tok2.Login(context.Background()))
}

// nullPIN really passes NULL to the module: SoftHSM answers a NULL PIN
// with CKR_ARGUMENTS_BAD, and a zero-length one with CKR_PIN_LEN_RANGE.
func TestPinpadNullPINReachesModule(t *testing.T) {
	_, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-gen", Options{PIN: newPIN(testPIN).fn})
	s, done, err := tok.adminSession(context.Background(), false)
	require.NoError(t, err)
	defer done()
	err = nullPIN(tok.lib, s.h, true)
	assert.Equal(t, uint(p11.CKR_ARGUMENTS_BAD), rv(err), "%v", err)
	err = tok.lib.ctx.SetPIN(s.h, "", "")
	assert.NotEqual(t, uint(p11.CKR_ARGUMENTS_BAD), rv(err), "%v", err)
	assert.NotEqual(t, uint(p11.CKR_OK), rv(err))
}

// Every key type is generated on the token, and its CSR verifies with
// openssl; the key's attributes read back protected.
func TestGenerateKeyTypes(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	_, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-gen", Options{PIN: newPIN(testPIN).fn})
	for _, typ := range []KeyType{RSA2048, RSA3072, ECP256, ECP384} {
		t.Run(string(typ), func(t *testing.T) {
			kp, err := tok.GenerateKey(context.Background(), KeyOptions{Type: typ, ID: []byte("gen-" + typ)})
			require.NoError(t, err)
			assert.Equal(t, "kyso "+string(typ), kp.Label)
			assert.True(t, kp.Protection.Local && kp.Protection.Sensitive && !kp.Protection.Extractable)
			if rk, ok := kp.Public.(*rsa.PublicKey); ok {
				assert.Equal(t, map[KeyType]int{RSA2048: 2048, RSA3072: 3072}[typ], rk.N.BitLen())
			}
			csr := csrFor(t, kp, "MST", "0100686209-199")
			parsed, err := x509.ParseCertificateRequest(csr)
			require.NoError(t, err)
			require.NoError(t, parsed.CheckSignature())
			assert.Equal(t, "0100686209-199", signer.ParseIdentity(parsed.Subject).TaxCode())
			p := filepath.Join(t.TempDir(), "req.der")
			require.NoError(t, os.WriteFile(p, csr, 0o644))
			res, err := exec.Command(openssl, "req", "-inform", "DER", "-in", p, "-noout", "-verify").CombinedOutput()
			require.NoError(t, err, string(res))

			// The same ID twice is refused.
			_, err = tok.GenerateKey(context.Background(), KeyOptions{Type: typ, ID: []byte("gen-" + typ)})
			require.Error(t, err)
		})
	}
	_, err := tok.GenerateKey(context.Background(), KeyOptions{Type: "rsa-1024"})
	require.ErrorIs(t, err, ErrBadKeyType)
	for in, want := range map[string]KeyType{"RSA-2048": RSA2048, "rsa3072": RSA3072, "ec-p256": ECP256, "p384": ECP384, "ecdsa-p256": ECP256} {
		got, err := ParseKeyType(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err = ParseKeyType("ed25519")
	require.ErrorIs(t, err, ErrBadKeyType)
}

// Renewal: a new key beside the old one, its certificate imported, then
// the old certificate and key deleted; the new one still signs. A key
// another certificate still uses is not deleted.
func TestRenewalAndDelete(t *testing.T) {
	f, m := openModuleTB(t)
	ctx := context.Background()
	tok := openToken(t, m, "kyso-renew", Options{PIN: newPIN(testPIN).fn})
	issue := func(kp *KeyPair, serial int64) Certificate {
		cert := opensslIssue(t, f, csrFor(t, kp, "CCCD", "001203012345"), serial)
		c, err := tok.ImportCertificate(ctx, cert, ImportOptions{})
		require.NoError(t, err)
		return c
	}
	oldKey, err := tok.GenerateKey(ctx, KeyOptions{Type: ECP256, Label: "khóa cũ"})
	require.NoError(t, err)
	oldCert := issue(oldKey, 0x10001)
	newKey, err := tok.GenerateKey(ctx, KeyOptions{Type: ECP256, Label: "khóa mới"})
	require.NoError(t, err)
	newCert := issue(newKey, 0x10002)
	second := issue(newKey, 0x10003) // a second certificate for the new key
	require.Equal(t, newKey.ID, second.ID)

	// The new key is still certified by another certificate.
	err = tok.DeleteCertificate(ctx, newCert, true)
	require.ErrorIs(t, err, ErrKeyInUse)
	certs, err := tok.Certificates(ctx)
	require.NoError(t, err)
	require.Len(t, certs, 3, "nothing deleted")
	require.NoError(t, tok.DeleteCertificate(ctx, second, false))

	// The old certificate and its key go.
	require.NoError(t, tok.DeleteCertificate(ctx, oldCert, true))
	certs, err = tok.Certificates(ctx)
	require.NoError(t, err)
	require.Len(t, certs, 1)
	assert.True(t, certs[0].Cert.Equal(newCert.Cert))
	s, done, err := tok.adminSession(ctx, true)
	require.NoError(t, err)
	left, err := tok.find(s, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, oldKey.ID)})
	done()
	require.NoError(t, err)
	assert.Empty(t, left, "no private or public key object of the old key remains")
	_, err = tok.Signer(ctx, oldCert)
	require.ErrorIs(t, err, signer.ErrNoKey)
	err = tok.DeleteCertificate(ctx, oldCert, false)
	require.ErrorIs(t, err, signer.ErrNoCertificate)

	sg, err := tok.Signer(ctx, certs[0])
	require.NoError(t, err)
	signBoth(t, f, sg)
}

// The Government CA's Bit4id module is on the probe list for every OS.
func TestDiscoverBit4id(t *testing.T) {
	for goos, name := range map[string]string{"windows": "bit4xpki.dll", "linux": "libbit4xpki.so", "darwin": "libbit4xpki.dylib"} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), peHeader(0x8664), 0o644))
		found := Discover(DiscoverOptions{GOOS: goos, Dirs: []string{dir}})
		require.Len(t, found, 1, goos)
		assert.Equal(t, "Ban Cơ yếu Chính phủ (Bit4id)", found[0].Vendor)
		assert.Equal(t, filepath.Join(dir, name), found[0].Path)
	}
}

// A key without CKA_ID (made by other software) gets one derived from the
// certificate's public key on import, on both halves, and signs.
func TestImportKeyWithoutID(t *testing.T) {
	f, m := openModuleTB(t)
	ctx := context.Background()
	tok := openToken(t, m, "kyso-gen", Options{PIN: newPIN(testPIN).fn})
	kp, err := tok.GenerateKey(ctx, KeyOptions{Type: ECP256, ID: []byte("no-id-yet")})
	require.NoError(t, err)
	csr := csrFor(t, kp, "HC", "B1234567")
	s, done, err := tok.adminSession(ctx, true)
	require.NoError(t, err)
	objs, err := tok.find(s, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, kp.ID)})
	require.NoError(t, err)
	require.Len(t, objs, 2)
	for _, o := range objs {
		require.NoError(t, tok.lib.ctx.SetAttributeValue(s.h, o, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, []byte{})}))
	}
	done()

	cert := opensslIssue(t, f, csr, 0x10004)
	got, err := tok.ImportCertificate(ctx, cert, ImportOptions{Label: "Chứng thư hộ chiếu"})
	require.NoError(t, err)
	want := sha1.Sum(cert.RawSubjectPublicKeyInfo)
	assert.Equal(t, want[:], got.ID)
	assert.Equal(t, "Chứng thư hộ chiếu", got.Label)
	s, done, err = tok.adminSession(ctx, true)
	require.NoError(t, err)
	objs, err = tok.find(s, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, want[:])})
	done()
	require.NoError(t, err)
	assert.Len(t, objs, 3, "private key, public key and certificate share the ID")
	sg, err := tok.Signer(ctx, got)
	require.NoError(t, err)
	signBoth(t, f, sg)
}
