package simpki_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

var allModes = []simpki.Mode{simpki.Synch, simpki.AsynchClientServer, simpki.AsynchServerServer}

// profileEnv is a simulator playing one profile, a client configured for
// it and a verifier trusting the simulator's PKI.
type profileEnv struct {
	*env
	prof  *simpki.Profile
	notif *simpki.NotificationHandler
	ap    string
	v     *verify.Validator
}

func newProfileEnv(t *testing.T, p *simpki.Profile, cmsAttrs bool) *profileEnv {
	t.Helper()
	e := newEnv(t, mssptest.Config{APPassword: "secret", Profile: p, CMSSignedAttributes: cmsAttrs})
	notif := simpki.NewNotificationHandler()
	ap := httptestServer(t, notif)
	trust := verify.NewTrustStore()
	trust.AddCertificate(e.pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: e.pki.HTTPClient()})
	require.NoError(t, err)
	return &profileEnv{env: e, prof: p, notif: notif, ap: ap.URL + "/mss/notify", v: v}
}

// client is configured the way an integrator configures it for the
// profile: the signature URL, the profile, the credentials; MSSP_ID,
// signature profile, format and the other endpoints come from the profile.
func (pe *profileEnv) client(t *testing.T, m simpki.Mode, mod ...func(*simpki.Config)) *simpki.Client {
	t.Helper()
	cfg := simpki.Config{
		URL: pe.srv.URL(), APID: pe.srv.APID(), APPassword: "secret", Profile: pe.prof, Mode: m,
		TimeOut: 20 * time.Second, PollDelay: 20 * time.Millisecond, PollMaxInterval: 100 * time.Millisecond,
		RequestTimeout: 5 * time.Second, NotificationURL: pe.ap, Notifications: pe.notif,
	}
	for _, f := range mod {
		f(&cfg)
	}
	c, err := simpki.NewClient(cfg)
	require.NoError(t, err)
	return c
}

// signPDF signs a small PDF with s: through SignCMS when the MSSP answers
// with a CMS, else as any signer.
func signPDF(s *simpki.Signer) ([]byte, error) {
	in := testutil.MinimalPDF("Quyet dinh so 15/QD-UBND")
	var out bytes.Buffer
	ctx := simpki.WithDisplay(context.Background(), "Quyết định số 15/QĐ-UBND")
	var err error
	if s.Format().IsCMS() {
		// The MSSP answers with its own signed attributes: its CMS
		// becomes the document's signature.
		var p *pdf.Prepared
		if p, err = pdf.Prepare(ctx, bytes.NewReader(in), int64(len(in)), s.Certificate(), s.Chain(), nil); err == nil {
			var der []byte
			if der, err = s.SignCMS(ctx, p.DocumentDigest(), p.SignerOpts().HashFunc()); err == nil {
				err = p.Finish(ctx, &out, bytes.NewReader(in), int64(len(in)), der)
			}
		}
	} else {
		err = pdf.Sign(ctx, &out, bytes.NewReader(in), int64(len(in)), s, nil)
	}
	if err != nil {
		return nil, errors.Join(err, noOutput(out.Len()))
	}
	return out.Bytes(), nil
}

func noOutput(n int) error {
	if n != 0 {
		return fmt.Errorf("%d bytes written despite the error", n)
	}
	return nil
}

func requireTotalPassed(t *testing.T, vf verify.Verifier, doc []byte) {
	t.Helper()
	rep, err := verify.VerifyBytes(context.Background(), vf, doc)
	require.NoError(t, err)
	require.Equal(t, verify.TotalPassed, rep.Indication(), "%s", rep.Text(verify.English))
}

// TestProfilesWithSimulator signs a PDF and an e-invoice through the
// simulator playing each profile, in each messaging mode, and checks both
// verify TOTAL_PASSED and that every operation went over the wire in the
// profile's form, to the profile's endpoint. Cancel, expiry, a blocked PIN
// and the caller's time-out each leave no output.
func TestProfilesWithSimulator(t *testing.T) {
	for _, p := range simpki.Profiles() {
		pe := newProfileEnv(t, p, false)
		for mi, m := range allModes {
			t.Run(p.Name+"/"+m.String(), func(t *testing.T) {
				msisdn := fmt.Sprintf("09%d%d00000%d", mi, len(p.Name), 1)
				id := pe.subscriber(msisdn, nil, pkitest.RSAKey(2048), pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
				c := pe.client(t, m)
				before := len(pe.srv.Requests())
				s, err := simpki.New(context.Background(), c, msisdn, simpki.Options{Display: "Hợp đồng"})
				require.NoError(t, err)
				require.True(t, s.Certificate().Equal(id.Cert))

				signed, err := signPDF(s)
				require.NoError(t, err)
				requireTotalPassed(t, verify.NewPDFVerifier(pe.v), signed)
				checkPdfsig(t, signed, id.Cert.Subject.CommonName)

				inv, err := kxml.Sign(context.Background(), []byte(invoice), s, kxml.Seller())
				require.NoError(t, err)
				requireTotalPassed(t, verify.NewXMLVerifier(pe.v), inv)

				reqs := pe.srv.Requests()[before:]
				lookup := "MSS_ProfileReq"
				if p.Lookup == simpki.LookupRegistration {
					lookup = "MSS_RegistrationReq"
				}
				require.Equal(t, lookup, reqs[0].Operation)
				ops := map[string]bool{}
				for _, r := range reqs {
					ops[r.Operation] = true
					require.Equal(t, p.RPC, r.RPC, r.Operation)
					require.Equal(t, p.SOAP11, r.SOAP11, r.Operation)
					if r.Operation == "MSS_SignatureReq" {
						require.Equal(t, p.DigestInfo, r.DigestInfo)
						wantFormat := p.Format
						require.Equal(t, string(wantFormat), r.MSSFormat)
						require.Equal(t, p.SignatureProfile, r.SignatureProfile)
						require.Equal(t, m.String(), r.MessagingMode)
					}
				}
				require.True(t, ops["MSS_SignatureReq"])
				require.Equal(t, m == simpki.AsynchClientServer, ops["MSS_StatusReq"])
				if p.Endpoints != nil {
					for _, r := range reqs {
						op := map[string]simpki.Operation{"MSS_SignatureReq": simpki.OpSignature, "MSS_StatusReq": simpki.OpStatus,
							"MSS_RegistrationReq": simpki.OpRegistration, "MSS_ReceiptReq": simpki.OpReceipt}[r.Operation]
						require.Equal(t, p.Endpoints[op], path.Base(r.Path), r.Operation)
					}
				}

				// The user's refusals and the caller's time-out: typed
				// errors, nothing written.
				for i, tc := range []struct {
					step mssptest.Step
					want error
				}{
					{mssptest.Step{Outcome: mssptest.Cancel, Delay: 20 * time.Millisecond}, simpki.ErrDeclined},
					{mssptest.Step{Outcome: mssptest.Expire, Delay: 40 * time.Millisecond}, simpki.ErrExpired},
					{mssptest.Step{Outcome: mssptest.WrongPIN, Delay: 5 * time.Millisecond}, simpki.ErrPINLocked},
					{mssptest.Step{Outcome: mssptest.Approve, Delay: time.Minute}, context.DeadlineExceeded},
				} {
					n := fmt.Sprintf("03%d%d00010%d", mi, len(p.Name), i)
					pe.subscriber(n, []mssptest.Step{tc.step}, pkitest.RSAKey(2048))
					s, err := simpki.New(context.Background(), c, n, simpki.Options{})
					require.NoError(t, err)
					ctxFor := func() (context.Context, context.CancelFunc) {
						if tc.want == context.DeadlineExceeded {
							return context.WithTimeout(context.Background(), 300*time.Millisecond)
						}
						return context.WithTimeout(context.Background(), 5*time.Second)
					}
					var out bytes.Buffer
					in := testutil.MinimalPDF("x")
					ctx, cancel := ctxFor()
					err = pdf.Sign(ctx, &out, bytes.NewReader(in), int64(len(in)), s, nil)
					cancel()
					require.ErrorIs(t, err, tc.want, "%v", tc.step.Outcome)
					require.Zero(t, out.Len())
					var se *simpki.StatusError
					if p.StatusCodes != nil && errors.As(err, &se) && se.Code != simpki.PINNRBlocked {
						// The profile's own code came over the wire.
						require.Equal(t, p.Code(se.Code), se.Raw, "%v", se)
					}
					ctx, cancel = ctxFor()
					xs, err := kxml.Sign(ctx, []byte(invoice), s, kxml.Seller())
					cancel()
					require.ErrorIs(t, err, tc.want, "%v", tc.step.Outcome)
					require.Nil(t, xs)
				}
				// The caller's time-out told the MSSP (MSS_ReceiptReq with
				// the profile's USER_CANCEL code, at its receipt endpoint);
				// a synch request has no MSSP_TransID to cancel.
				receipts := 0
				for _, r := range pe.srv.Requests()[before:] {
					if r.Operation == "MSS_ReceiptReq" {
						receipts++
						require.Equal(t, p.Code(simpki.UserCancel), r.ReceiptStatus)
						require.Equal(t, p.RPC, r.RPC)
						if p.Endpoints != nil {
							require.Equal(t, p.Endpoints[simpki.OpReceipt], path.Base(r.Path))
						}
					}
				}
				if m == simpki.Synch {
					require.Zero(t, receipts)
				} else {
					require.Equal(t, 2, receipts) // the PDF and the invoice
				}
			})
		}
	}
}

// TestProfilesCMSAnswers: MSSPs that answer with a CMS carrying their own
// signed attributes (Swisscom does) sign PDFs through Signer.SignCMS, the
// MSSP's CMS becoming the document's signature; an e-invoice cannot carry
// such a CMS and is refused with ErrNotRawSignature, writing nothing.
func TestProfilesCMSAnswers(t *testing.T) {
	for _, p := range simpki.Profiles() {
		pe := newProfileEnv(t, p, true)
		for mi, m := range allModes {
			t.Run(p.Name+"/"+m.String(), func(t *testing.T) {
				msisdn := fmt.Sprintf("07%d%d00000%d", mi, len(p.Name), 2)
				id := pe.subscriber(msisdn, nil, pkitest.RSAKey(2048))
				c := pe.client(t, m, func(c *simpki.Config) { c.Format = simpki.FormatCMS })
				s, err := simpki.New(context.Background(), c, msisdn, simpki.Options{})
				require.NoError(t, err)
				signed, err := signPDF(s)
				require.NoError(t, err)
				requireTotalPassed(t, verify.NewPDFVerifier(pe.v), signed)
				checkPdfsig(t, signed, id.Cert.Subject.CommonName)
				r := pe.srv.Requests()
				require.Equal(t, p.DigestInfo, r[len(r)-1].DigestInfo || r[len(r)-2].DigestInfo)

				xs, err := kxml.Sign(context.Background(), []byte(invoice), s, kxml.Seller())
				require.ErrorIs(t, err, simpki.ErrNotRawSignature)
				require.Nil(t, xs)
			})
		}
	}
	// A CMS without signed attributes cannot become a PDF signature.
	pe := newProfileEnv(t, simpki.ProfileETSI(), false)
	pe.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), pe.client(t, simpki.Synch, func(c *simpki.Config) { c.Format = simpki.FormatCMS }), "0912345678", simpki.Options{})
	require.NoError(t, err)
	_, err = s.SignCMS(context.Background(), digestOf("x"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrNoSignedAttributes)
}

// TestDigestInfoOption: the DigestInfo form is an option of every
// profile; it is refused before anything is sent for an ECDSA key.
func TestDigestInfoOption(t *testing.T) {
	pe := newProfileEnv(t, simpki.ProfileETSI(), false)
	id := pe.subscriber("0912345678", nil, pkitest.RSAKey(2048))
	c := pe.client(t, simpki.AsynchClientServer, func(c *simpki.Config) { c.DigestInfo = true })
	s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		d := hashOf(h, "x")
		sig, err := s.SignDigest(context.Background(), d, h)
		require.NoError(t, err)
		require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, d, h, sig))
		r := pe.srv.Requests()[len(pe.srv.Requests())-2]
		require.True(t, r.DigestInfo)
		require.Equal(t, "application/octet-stream", r.MimeType)
		require.Equal(t, d, r.DataToBeSigned)
	}
	ec := pe.subscriber("0987654321", nil)
	s, err = simpki.New(context.Background(), c, "0987654321", simpki.Options{Certificate: ec.Cert})
	require.NoError(t, err)
	n := len(pe.srv.Requests())
	_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
	require.Len(t, pe.srv.Requests(), n)

	// A DigestInfo profile's MSSP refuses a bare digest.
	vg := newProfileEnv(t, simpki.ProfileVGCA(), false)
	vid := vg.subscriber("0912345678", nil, pkitest.RSAKey(2048))
	bare := *simpki.ProfileVGCA()
	bare.DigestInfo = false
	s, err = simpki.New(context.Background(), vg.client(t, simpki.Synch, func(c *simpki.Config) { c.Profile = &bare }), "0912345678", simpki.Options{Certificate: vid.Cert})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrRejected)
}

// TestProfileEndpoints: the simulator playing the Government CA serves
// each operation at its own port only, so the client's derived endpoints
// are what makes asynchronous signing work; an explicit StatusURL pointing
// at the wrong port is refused by the MSSP, and the right one works.
func TestProfileEndpoints(t *testing.T) {
	pe := newProfileEnv(t, simpki.ProfileVGCA(), false)
	id := pe.subscriber("0912345678", nil, pkitest.RSAKey(2048))
	require.Equal(t, "MSS_StatusQueryPort", path.Base(simpki.ProfileVGCA().Endpoint(pe.srv.URL(), simpki.OpStatus)))
	require.Equal(t, pe.srv.URLFor(simpki.OpStatus), simpki.ProfileVGCA().Endpoint(pe.srv.URL(), simpki.OpStatus))
	for _, tc := range []struct {
		statusURL string
		want      error
	}{
		{pe.srv.URL(), simpki.ErrRejected},
		{pe.srv.URLFor(simpki.OpStatus), nil},
	} {
		c := pe.client(t, simpki.AsynchClientServer, func(c *simpki.Config) { c.StatusURL = tc.statusURL })
		s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
		require.NoError(t, err)
		_, err = s.SignDigest(context.Background(), digestOf(tc.statusURL), crypto.SHA256)
		if tc.want == nil {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, tc.want)
		}
	}
	// A URL that does not end in the profile's signature port is used for
	// every operation as it is.
	require.Equal(t, "https://mssp.example/mss", simpki.ProfileVGCA().Endpoint("https://mssp.example/mss", simpki.OpStatus))
	require.Equal(t, "https://mssp.example/x/MSS_ReceiptPort", simpki.ProfileVGCA().Endpoint("https://mssp.example/x/MSS_SignaturePort", simpki.OpReceipt))
}

// TestAPRequestSigningEveryProfile: requests signed with the AP's key
// verify at the simulator in every profile's SOAP form (rpc/literal, SOAP
// 1.1), and xmlsec1 agrees.
func TestAPRequestSigningEveryProfile(t *testing.T) {
	for _, p := range simpki.Profiles() {
		pk := pkitest.New(t)
		apID := pk.MustIssue(pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
		e := &env{t: t, pki: pk, srv: mssptest.New(t, mssptest.Config{APCertificate: apID.Cert, Profile: p})}
		e.subscriber("0912345678", nil, pkitest.RSAKey(2048))
		c, err := simpki.NewClient(simpki.Config{URL: e.srv.URL(), APID: e.srv.APID(), Profile: p, Mode: simpki.AsynchClientServer,
			PollDelay: 10 * time.Millisecond, RequestSigner: apID.Signer()})
		require.NoError(t, err)
		s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{})
		require.NoError(t, err, p.Name)
		_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
		require.NoError(t, err, p.Name)
		for _, r := range e.srv.Requests() {
			require.True(t, r.Signed, "%s %s", p.Name, r.Operation)
			require.Equal(t, p.RPC, r.RPC)
		}
		body := string(e.srv.Requests()[1].Body)
		if p.SOAP11 {
			require.Contains(t, body, `env:mustUnderstand="1"`) // SOAP 1.1 has no "true" and no role
			require.NotContains(t, body, "env:role")
		} else {
			require.Contains(t, body, `env:mustUnderstand="true"`)
		}
		checkWithXMLSec(t, e.srv.Requests()[1].Body, apID.Cert)
	}
}
