package simpki_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/internal/wire"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

// replay is an MSSP that answers each operation with the next recorded
// answer of its queue (the last repeats), filling in signature values
// over the digest it was sent.
type replay struct {
	t    *testing.T
	id   *pkitest.Identity
	srv  *httptest.Server
	mu   sync.Mutex
	next map[string][]string // operation element -> fixture files
	seen []seenRequest
	acks []string // the AP's answers to notifications
	// forge makes the recorded signatures cover another digest than the
	// one requested (a broken or hostile MSSP).
	forge bool
	sig   map[string]string // placeholder -> value, from the last signature request
}

type seenRequest struct {
	op, path string
	dialect  wire.Dialect
	msg      wire.Message
}

func newReplay(t *testing.T, id *pkitest.Identity, script map[string][]string) *replay {
	r := &replay{t: t, id: id, next: script, sig: map[string]string{
		"{{CERT}}": base64.StdEncoding.EncodeToString(id.Cert.Raw),
		"{{CA}}":   base64.StdEncoding.EncodeToString(id.Chain[0].Raw),
	}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *replay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	env, err := wire.Decode(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	_, op := wire.Operation(env.Message)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, seenRequest{op: op, path: req.URL.Path, dialect: env.Dialect, msg: env.Message})
	if m, ok := env.Message.(*wire.SignatureReq); ok {
		dtbs, err := wire.DecodeBase64(m.DataToBeSigned.Value)
		require.NoError(r.t, err)
		h := map[string]crypto.Hash{"application/x-sha256": crypto.SHA256, "application/x-sha384": crypto.SHA384, "application/x-sha1": crypto.SHA1}[m.DataToBeSigned.MimeType]
		if m.DataToBeSigned.MimeType == "application/octet-stream" {
			h, dtbs, err = simpki.ParseDigestInfo(dtbs)
			require.NoError(r.t, err)
		}
		if r.forge {
			dtbs = hashOf(h, "another document")
		}
		raw, err := r.id.Signer().SignDigest(context.Background(), dtbs, h)
		require.NoError(r.t, err)
		der, err := cms.Sign(context.Background(), r.id.Signer(), dtbs, cms.Options{Hash: h})
		require.NoError(r.t, err)
		r.sig["{{SIG}}"] = base64.StdEncoding.EncodeToString(raw)
		r.sig["{{CMS}}"] = base64.StdEncoding.EncodeToString(der)
		r.sig["{{AP_TRANSID}}"] = m.APTransID
		if q := r.next["MSS_Notification"]; len(q) > 0 && m.APURL != "" {
			// asynchServerServer: the MSSP posts the recorded
			// notification to AP_URL once it has acknowledged.
			body := r.fill(q[0])
			go func() {
				time.Sleep(30 * time.Millisecond)
				resp, err := http.Post(m.APURL, "text/xml; charset=utf-8", strings.NewReader(body))
				if err == nil {
					ack, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.mu.Lock()
					r.acks = append(r.acks, string(ack))
					r.mu.Unlock()
				}
			}()
		}
	}
	q := r.next[op]
	if len(q) == 0 {
		http.Error(w, "no recorded answer for "+op, http.StatusNotFound)
		return
	}
	file := q[0]
	if len(q) > 1 {
		r.next[op] = q[1:]
	}
	out := r.fill(file)
	if strings.Contains(out, "Fault>") {
		w.WriteHeader(http.StatusInternalServerError)
	}
	_, _ = io.WriteString(w, out)
}

// fill returns the recorded answer in file with its placeholders filled.
func (r *replay) fill(file string) string {
	data, err := os.ReadFile(filepath.Join("testdata", "mssp", file))
	require.NoError(r.t, err)
	out := string(data)
	for k, v := range r.sig {
		out = strings.ReplaceAll(out, k, v)
	}
	return out
}

func (r *replay) requests() []seenRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenRequest(nil), r.seen...)
}

// TestRecordedAnswers plays recorded MSSP answers in every form
// (simpki/testdata/mssp: Swisscom-style rpc/literal SOAP 1.2 with CMS,
// FiCom/Kiuru rpc/literal SOAP 1.1 with fi:PKCS1 and SOAP 1.1 faults, the
// Government CA's rpc/literal with its own status codes and zone-less
// Instants, plain document/literal) against the client configured with
// the matching profile, in synch and asynchClientServer mode: signatures
// are accepted and checked — a PDF and an e-invoice signed through them
// verify TOTAL_PASSED — and refusals are the typed errors.
func TestRecordedAnswers(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.RSAKey(2048), pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: p.HTTPClient()})
	require.NoError(t, err)
	const (
		sw = "swisscom-rpc-soap12/"
		fc = "ficom-rpc-soap11/"
		vg = "vgca-rpc/"
		et = "etsi-doclit/"
	)
	cases := []struct {
		name    string
		profile *simpki.Profile
		mode    simpki.Mode
		format  simpki.Format
		script  map[string][]string
		want    error
		raw     int  // the StatusError's Raw code
		forge   bool // signatures over another digest
	}{
		{"swisscom/async/cms", simpki.ProfileETSI(), simpki.AsynchClientServer, simpki.FormatCMS, map[string][]string{
			"MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_StatusReq": {sw + "MSS_StatusResp-outstanding.xml", sw + "MSS_StatusResp-signature.xml"}}, nil, 0, false},
		{"swisscom/async/cancel", simpki.ProfileETSI(), simpki.AsynchClientServer, "", map[string][]string{
			"MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_StatusReq": {sw + "MSS_StatusResp-outstanding.xml", sw + "fault-401.xml"}}, simpki.ErrDeclined, 0, false},
		{"ficom/synch", simpki.ProfileFiCom(), simpki.Synch, "", map[string][]string{
			"MSS_ProfileReq": {fc + "MSS_ProfileResp.xml"}, "MSS_SignatureReq": {fc + "MSS_SignatureResp.xml"}}, nil, 0, false},
		{"ficom/synch/pin-blocked", simpki.ProfileFiCom(), simpki.Synch, "", map[string][]string{
			"MSS_ProfileReq": {fc + "MSS_ProfileResp.xml"}, "MSS_SignatureReq": {fc + "fault-402.xml"}}, simpki.ErrPINLocked, 0, false},
		{"ficom/async/expired", simpki.ProfileFiCom(), simpki.AsynchClientServer, "", map[string][]string{
			"MSS_ProfileReq": {fc + "MSS_ProfileResp.xml"}, "MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_StatusReq": {sw + "MSS_StatusResp-outstanding.xml", fc + "fault-208.xml"}}, simpki.ErrExpired, 0, false},
		{"vgca/synch", simpki.ProfileVGCA(), simpki.Synch, "", map[string][]string{
			"MSS_RegistrationReq": {vg + "MSS_RegistrationResp.xml"}, "MSS_SignatureReq": {vg + "MSS_SignatureResp-synch.xml"}}, nil, 0, false},
		{"vgca/synch/cancel", simpki.ProfileVGCA(), simpki.Synch, "", map[string][]string{
			"MSS_RegistrationReq": {vg + "MSS_RegistrationResp.xml"}, "MSS_SignatureReq": {vg + "MSS_SignatureResp-cancel.xml"}}, simpki.ErrDeclined, 405, false},
		{"vgca/async", simpki.ProfileVGCA(), simpki.AsynchClientServer, "", map[string][]string{
			"MSS_RegistrationReq": {vg + "MSS_RegistrationResp.xml"}, "MSS_SignatureReq": {vg + "MSS_SignatureResp-ack.xml"}, "MSS_StatusReq": {sw + "MSS_StatusResp-outstanding.xml", vg + "MSS_StatusResp-signature.xml"}}, nil, 0, false},
		{"vgca/async/expired", simpki.ProfileVGCA(), simpki.AsynchClientServer, "", map[string][]string{
			"MSS_RegistrationReq": {vg + "MSS_RegistrationResp.xml"}, "MSS_SignatureReq": {vg + "MSS_SignatureResp-ack.xml"}, "MSS_StatusReq": {vg + "MSS_StatusResp-expired.xml"}}, simpki.ErrExpired, 406, false},
		{"ficom/notification", simpki.ProfileFiCom(), simpki.AsynchServerServer, "", map[string][]string{
			"MSS_ProfileReq": {fc + "MSS_ProfileResp.xml"}, "MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_Notification": {fc + "MSS_Notification.xml"}}, nil, 0, false},
		// The same answers carrying a signature over another digest are
		// refused in every form, and never reach the caller.
		{"vgca/synch/forged", simpki.ProfileVGCA(), simpki.Synch, "", map[string][]string{
			"MSS_RegistrationReq": {vg + "MSS_RegistrationResp.xml"}, "MSS_SignatureReq": {vg + "MSS_SignatureResp-synch.xml"}}, signer.ErrBadSignature, 0, true},
		{"ficom/synch/forged", simpki.ProfileFiCom(), simpki.Synch, "", map[string][]string{
			"MSS_ProfileReq": {fc + "MSS_ProfileResp.xml"}, "MSS_SignatureReq": {fc + "MSS_SignatureResp.xml"}}, signer.ErrBadSignature, 0, true},
		{"swisscom/async/cms/forged", simpki.ProfileETSI(), simpki.AsynchClientServer, simpki.FormatCMS, map[string][]string{
			"MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_StatusReq": {sw + "MSS_StatusResp-signature.xml"}}, simpki.ErrProtocol, 0, true},
		{"etsi/synch", simpki.ProfileETSI(), simpki.Synch, "", map[string][]string{
			"MSS_SignatureReq": {et + "MSS_SignatureResp.xml"}}, nil, 0, false},
		{"etsi/async", simpki.ProfileETSI(), simpki.AsynchClientServer, "", map[string][]string{
			"MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_StatusReq": {et + "MSS_StatusResp-signature.xml"}}, nil, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplay(t, id, tc.script)
			r.forge = tc.forge
			base := r.srv.URL + "/soap/services/"
			url := base + "MSS"
			if name, ok := tc.profile.Endpoints[simpki.OpSignature]; ok {
				url = base + name
			}
			notif := simpki.NewNotificationHandler()
			ap := httptestServer(t, notif)
			c, err := simpki.NewClient(simpki.Config{URL: url, APID: "kyso-ap", Profile: tc.profile, Mode: tc.mode, Format: tc.format,
				PollDelay: 10 * time.Millisecond, PollMaxInterval: 20 * time.Millisecond, TimeOut: 10 * time.Second,
				NotificationURL: ap.URL + "/mss/notify", Notifications: notif})
			require.NoError(t, err)
			opts := simpki.Options{}
			if tc.profile.Name == "etsi" {
				opts.Certificate = id.Cert // Swisscom's CMS and plain answers carry no lookup here
			}
			s, err := simpki.New(context.Background(), c, "0912345678", opts)
			require.NoError(t, err)
			require.True(t, s.Certificate().Equal(id.Cert))
			d := digestOf(tc.name)
			var got []byte
			if tc.format.IsCMS() {
				got, err = s.SignCMS(context.Background(), d, crypto.SHA256)
			} else {
				got, err = s.SignDigest(context.Background(), d, crypto.SHA256)
			}
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				require.Nil(t, got)
				var se *simpki.StatusError
				if tc.forge {
					require.ErrorIs(t, err, simpki.ErrProtocol, "a forged signature is a protocol error")
					require.False(t, errors.As(err, &se))
				} else {
					require.True(t, errors.As(err, &se))
					require.Equal(t, tc.raw, se.Raw)
				}
			} else if tc.format.IsCMS() {
				require.NoError(t, err)
				sd, err := cms.Parse(got)
				require.NoError(t, err)
				require.NoError(t, sd.Verify(d))
			} else {
				require.NoError(t, err)
				require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, d, crypto.SHA256, got))
			}
			if tc.want == nil {
				// A PDF and (raw signatures) an e-invoice through the same
				// recorded answers, verified TOTAL_PASSED.
				pdfDoc, err := signPDF(s)
				require.NoError(t, err)
				requireTotalPassed(t, verify.NewPDFVerifier(v), pdfDoc)
				if !tc.format.IsCMS() {
					inv, err := kxml.Sign(context.Background(), []byte(invoice), s, kxml.Seller())
					require.NoError(t, err)
					requireTotalPassed(t, verify.NewXMLVerifier(v), inv)
				}
			}
			if tc.mode == simpki.AsynchServerServer {
				// The AP acknowledged each notification in its form.
				var acks []string
				require.Eventually(t, func() bool {
					r.mu.Lock()
					defer r.mu.Unlock()
					acks = append([]string(nil), r.acks...)
					return len(acks) > 0
				}, 5*time.Second, 10*time.Millisecond)
				for _, a := range acks {
					env, err := wire.Decode([]byte(a))
					require.NoError(t, err, a)
					require.IsType(t, &wire.NotificationResp{}, env.Message)
					require.True(t, env.Dialect.SOAP11, a)
				}
			}
			// What kyso sent was in the profile's form, at its endpoints.
			for _, q := range r.requests() {
				require.Equal(t, tc.profile.RPC, q.dialect.RPC, q.op)
				require.Equal(t, tc.profile.SOAP11, q.dialect.SOAP11, q.op)
				if ep := tc.profile.Endpoints; ep != nil {
					op := map[string]simpki.Operation{"MSS_SignatureReq": simpki.OpSignature, "MSS_StatusReq": simpki.OpStatus,
						"MSS_RegistrationReq": simpki.OpRegistration, "MSS_ReceiptReq": simpki.OpReceipt}[q.op]
					require.Equal(t, "/soap/services/"+ep[op], q.path, q.op)
				}
				if sr, ok := q.msg.(*wire.SignatureReq); ok {
					require.Equal(t, tc.profile.DigestInfo, sr.DataToBeSigned.MimeType == "application/octet-stream")
					if tc.profile.Name == "vgca" {
						require.Equal(t, "http://hmssp.mobile-id.vn", sr.MSSPID)
						require.Equal(t, "http://mobile-id.vn/digitalSignature", sr.SignatureProfile)
						require.Equal(t, string(simpki.FormatETSIPKCS1), sr.MSSFormat)
					}
				}
			}
		})
	}
}

// TestRecordedReceipt: a caller that gives up while the MSSP keeps
// answering OUTSTANDING sends a receipt with USER_CANCEL, read back from a
// recorded rpc/literal receipt answer.
func TestRecordedReceipt(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	const sw = "swisscom-rpc-soap12/"
	r := newReplay(t, id, map[string][]string{
		"MSS_SignatureReq": {sw + "MSS_SignatureResp.xml"}, "MSS_StatusReq": {sw + "MSS_StatusResp-outstanding.xml"},
		"MSS_ReceiptReq": {sw + "MSS_ReceiptResp.xml"},
	})
	c, err := simpki.NewClient(simpki.Config{URL: r.srv.URL, APID: "kyso-ap", Mode: simpki.AsynchClientServer,
		PollDelay: 10 * time.Millisecond, PollMaxInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = s.SignDigest(ctx, digestOf("x"), crypto.SHA256)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	reqs := r.requests()
	last := reqs[len(reqs)-1]
	require.Equal(t, "MSS_ReceiptReq", last.op)
	rr := last.msg.(*wire.ReceiptReq)
	require.Equal(t, "h7t2ls9a", rr.MSSPTransID)
	require.Equal(t, int(simpki.UserCancel), rr.Status.Code)
}
