package simpki_test

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// env is a simulator, a PKI for its SIM keys and helpers to make clients.
type env struct {
	t   *testing.T
	pki *pkitest.PKI
	srv *mssptest.Server
}

func newEnv(t *testing.T, cfg mssptest.Config) *env {
	t.Helper()
	return &env{t: t, pki: pkitest.New(t), srv: mssptest.New(t, cfg)}
}

// subscriber issues a SIM identity for msisdn and registers it.
func (e *env) subscriber(msisdn string, script []mssptest.Step, opts ...pkitest.CertOption) *pkitest.Identity {
	e.t.Helper()
	id := e.pki.MustIssue(append([]pkitest.CertOption{pkitest.Person("Nguyễn Văn An", "001085012345")}, opts...)...)
	require.NoError(e.t, e.srv.AddSubscriber(mssptest.Subscriber{MSISDN: msisdn, Key: id.Signer(), Script: script}))
	return id
}

func (e *env) config(mod ...func(*simpki.Config)) simpki.Config {
	cfg := simpki.Config{
		URL:              e.srv.URL(),
		APID:             e.srv.APID(),
		APPassword:       "secret",
		MSSPID:           e.srv.MSSPID(),
		SignatureProfile: "http://mssp.kyso.test/profiles/sign",
		TimeOut:          20 * time.Second,
		PollDelay:        20 * time.Millisecond,
		PollMaxInterval:  100 * time.Millisecond,
		RequestTimeout:   5 * time.Second,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return cfg
}

func (e *env) client(mod ...func(*simpki.Config)) *simpki.Client {
	e.t.Helper()
	c, err := simpki.NewClient(e.config(mod...))
	require.NoError(e.t, err)
	return c
}

func mode(m simpki.Mode) func(*simpki.Config)     { return func(c *simpki.Config) { c.Mode = m } }
func format(f simpki.Format) func(*simpki.Config) { return func(c *simpki.Config) { c.Format = f } }

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// hashOf is the digest of s with h.
func hashOf(h crypto.Hash, s string) []byte {
	w := h.New()
	w.Write([]byte(s))
	return w.Sum(nil)
}

// signedX issues an identity from a new test PKI and returns it with the
// SHA-256 digest of "x" and its signature of that digest, the answer an
// MSSP double sends.
func signedX(t *testing.T) (id *pkitest.Identity, digest, sig []byte) {
	t.Helper()
	id = pkitest.New(t).MustIssue()
	digest = digestOf("x")
	sig, err := id.Signer().SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	return id, digest, sig
}

// requireSigns has a client with cfg sign digest for the SIM 0912345678,
// whose certificate is id's, and requires the answer to be sig.
func requireSigns(t *testing.T, cfg simpki.Config, id *pkitest.Identity, digest, sig []byte) {
	t.Helper()
	c, err := simpki.NewClient(cfg)
	require.NoError(t, err)
	s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	got, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	require.Equal(t, sig, got)
}

func TestNormalizeMSISDN(t *testing.T) {
	for _, in := range []string{
		"0912345678", "+84912345678", "84912345678", "0912 345 678", "+84 912-345-678",
		"(+84) 912.345.678", "0084912345678", " 0912345678 ",
	} {
		got, err := simpki.NormalizeMSISDN(in)
		require.NoError(t, err, in)
		require.Equal(t, "84912345678", got, in)
	}
	for _, in := range []string{"038 123 4567", "0581234567", "0701234567", "0861234567"} {
		got, err := simpki.NormalizeMSISDN(in)
		require.NoError(t, err, in)
		require.Len(t, got, 11)
	}
	for _, in := range []string{
		"", "0", "091234567", "09123456789", "+4112345678", "+8491234567", "0212345678",
		"01612345678", "0912345678x", "84 0912345678", "++84912345678", "0912+345678", "８４912345678",
		"841234567890", "0612345678", "0412345678",
	} {
		_, err := simpki.NormalizeMSISDN(in)
		require.ErrorIs(t, err, simpki.ErrInvalidMSISDN, in)
	}
}

// TestSignAllModes signs through the simulator in every messaging mode and
// format with RSA and ECDSA SIM keys, and checks what went over the wire.
func TestSignAllModes(t *testing.T) {
	e := newEnv(t, mssptest.Config{APPassword: "secret"})
	ecID := e.subscriber("0912345678", nil)
	rsaID := e.subscriber("0987654321", nil, pkitest.RSAKey(2048))

	notif := simpki.NewNotificationHandler()
	ap := httptestServer(t, notif)

	for _, m := range []simpki.Mode{simpki.Synch, simpki.AsynchClientServer, simpki.AsynchServerServer} {
		for _, f := range []simpki.Format{simpki.FormatPKCS1, simpki.FormatCMS} {
			for _, sub := range []struct {
				msisdn string
				id     *pkitest.Identity
			}{{"+84 912 345 678", ecID}, {"0987654321", rsaID}} {
				t.Run(m.String()+"/"+string(f[len(f)-4:])+"/"+sub.msisdn, func(t *testing.T) {
					c := e.client(mode(m), format(f), func(c *simpki.Config) {
						c.NotificationURL = ap.URL + "/mss/notify"
						c.Notifications = notif
					})
					s, err := simpki.New(context.Background(), c, sub.msisdn, simpki.Options{Display: "Hợp đồng mua bán số 12/2026"})
					require.NoError(t, err)
					require.True(t, s.Certificate().Equal(sub.id.Cert))
					require.Len(t, s.Chain(), len(sub.id.Chain))

					before := len(e.srv.Requests())
					digest := digestOf("tài liệu " + m.String() + string(f))
					sig, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
					require.NoError(t, err)
					require.NoError(t, signer.CheckSignature(sub.id.Cert.PublicKey, digest, crypto.SHA256, sig))

					reqs := e.srv.Requests()[before:]
					require.NotEmpty(t, reqs)
					r := reqs[0]
					require.Equal(t, "MSS_SignatureReq", r.Operation)
					require.Equal(t, m.String(), r.MessagingMode)
					require.Equal(t, string(f), r.MSSFormat)
					require.Equal(t, "application/x-sha256", r.MimeType)
					require.Equal(t, digest, r.DataToBeSigned)
					require.Equal(t, "Hợp đồng mua bán số 12/2026 - Mã xác nhận: "+simpki.VerificationCode(digest), r.Display)
					require.Equal(t, "text/plain", r.DisplayMimeType)
					require.Equal(t, "UTF-8", r.DisplayEncoding)
					require.Equal(t, "http://mssp.kyso.test/profiles/sign", r.SignatureProfile)
					require.Equal(t, 20, r.TimeOut)
					require.Regexp(t, `^84[0-9]{9}$`, r.MSISDN)
					require.Equal(t, e.srv.APID(), r.APID)
					if m == simpki.AsynchServerServer {
						require.Equal(t, ap.URL+"/mss/notify", r.APURL)
					}
					if m == simpki.AsynchClientServer {
						require.Equal(t, "MSS_StatusReq", reqs[len(reqs)-1].Operation)
					}
				})
			}
		}
	}
}

func TestSameSubscriberAllSpellings(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)
	c := e.client()
	for _, n := range []string{"0912345678", "+84912345678", "84912345678", "(+84) 912 345 678"} {
		s, err := simpki.New(context.Background(), c, n, simpki.Options{Certificate: id.Cert})
		require.NoError(t, err)
		require.Equal(t, "84912345678", s.MSISDN())
		_, err = s.SignDigest(context.Background(), digestOf(n), crypto.SHA256)
		require.NoError(t, err, n)
	}
	require.Len(t, e.srv.Phone("0912 345 678"), 4)

	_, err := simpki.New(context.Background(), c, "0212345678", simpki.Options{Certificate: id.Cert})
	require.ErrorIs(t, err, simpki.ErrInvalidMSISDN)
}

func TestVietnameseDisplayIsNFC(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Certificate: id.Cert, NoVerificationCode: true})
	require.NoError(t, err)
	decomposed := "Ky\u0301 ho\u031b\u0323p \u0111o\u0302\u0300ng" // "Ký hợp đồng" in NFD
	ctx := simpki.WithDisplay(context.Background(), decomposed)
	_, err = s.SignDigest(ctx, digestOf("x"), crypto.SHA256)
	require.NoError(t, err)
	require.Equal(t, []string{"Ký hợp đồng"}, e.srv.Phone("0912345678"))
}

func TestHashes(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil, pkitest.ECDSAKey(elliptic.P384()))
	s, err := simpki.New(context.Background(), e.client(format(simpki.FormatCMS)), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		d := hashOf(h, "x")
		sig, err := s.SignDigest(context.Background(), d, h)
		require.NoError(t, err, h)
		require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, d, h, sig))
		reqs := e.srv.Requests()
		require.Equal(t, simpki.DigestMimeType(h), reqs[len(reqs)-1].MimeType)
	}
}

func TestCertificateFromConfigSkipsQuery(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Certificate: id.Cert, Chain: id.Chain})
	require.NoError(t, err)
	require.Same(t, id.Cert, s.Certificate())
	require.Empty(t, e.srv.Requests())

	_, err = simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Source: simpki.CertFromConfig})
	require.ErrorIs(t, err, signer.ErrNoCertificate)
}

func TestCertificateFromProfileQuery(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Source: simpki.CertFromProfileQuery})
	require.NoError(t, err)
	require.True(t, s.Certificate().Equal(id.Cert))
	require.Len(t, s.Chain(), len(id.Chain))
	reqs := e.srv.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "MSS_ProfileReq", reqs[0].Operation)
	require.Empty(t, e.srv.Phone("0912345678"), "a profile query shows nothing on the phone")

	_, err = simpki.New(context.Background(), e.client(), "0911111111", simpki.Options{})
	require.ErrorIs(t, err, simpki.ErrUnknownClient)
}

func TestCertificateFromFirstCMSSignature(t *testing.T) {
	e := newEnv(t, mssptest.Config{NoProfileQuery: true})
	id := e.subscriber("0912345678", nil, pkitest.RSAKey(2048))
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{})
	require.NoError(t, err)
	require.True(t, s.Certificate().Equal(id.Cert))
	require.Len(t, s.Chain(), len(id.Chain))
	phone := e.srv.Phone("0912345678")
	require.Len(t, phone, 1)
	require.Contains(t, phone[0], simpki.DefaultDiscoveryDisplay)
	reqs := e.srv.Requests()
	require.Equal(t, "MSS_ProfileReq", reqs[0].Operation)
	require.Equal(t, string(simpki.FormatCMS), reqs[1].MSSFormat)

	// The discovered certificate then signs like any other.
	d := digestOf("doc")
	sig, err := s.SignDigest(context.Background(), d, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, d, crypto.SHA256, sig))

	// Discovery the user declines fails with the user's answer.
	e.subscriber("0987654321", []mssptest.Step{{Outcome: mssptest.Cancel}})
	_, err = simpki.New(context.Background(), e.client(), "0987654321", simpki.Options{Source: simpki.CertFromSignature})
	require.ErrorIs(t, err, simpki.ErrDeclined)
}

func TestRefusesUnsupportedAlgorithms(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil, pkitest.RSAKey(2048))
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	d := digestOf("x")
	_, err = s.SignDigest(context.Background(), d, &rsaPSS)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	_, err = s.SignDigest(context.Background(), d, crypto.SHA3_256)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	_, err = s.SignDigest(context.Background(), d[:20], crypto.SHA256)
	require.Error(t, err)
	_, err = s.SignDigest(context.Background(), d, nil)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	require.Empty(t, e.srv.Requests(), "nothing is sent for a request that cannot succeed")
}

func TestNewClientValidation(t *testing.T) {
	for _, cfg := range []simpki.Config{
		{},
		{URL: "ftp://x", APID: "a"},
		{URL: "http://x"},
		{URL: "http://x", APID: "a", Mode: simpki.AsynchServerServer},
		{URL: "http://x", APID: "a", Format: "urn:nope"},
		{URL: "http://x", APID: "a", Mode: 9},
	} {
		_, err := simpki.NewClient(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

func TestDisplayLimitKeepsTheCode(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Certificate: id.Cert, MaxDisplayRunes: 40})
	require.NoError(t, err)
	d := digestOf("x")
	ctx := simpki.WithDisplay(context.Background(), "Quyết định về việc phê duyệt kế hoạch đầu tư công trung hạn giai đoạn 2026-2030")
	_, err = s.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)
	shown := e.srv.Phone("0912345678")[0]
	require.Equal(t, 40, len([]rune(shown)))
	require.True(t, strings.HasSuffix(shown, "… - Mã xác nhận: "+simpki.VerificationCode(d)), shown)
	require.True(t, strings.HasPrefix(shown, "Quyết định"), shown)
}

func TestTimeOutFollowsCallerDeadline(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5500*time.Millisecond)
	defer cancel()
	_, err = s.SignDigest(ctx, digestOf("x"), crypto.SHA256)
	require.NoError(t, err)
	to := e.srv.Requests()[0].TimeOut
	require.True(t, to >= 1 && to <= 5, "TimeOut %d", to)
}
