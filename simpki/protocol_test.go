package simpki_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

const envelopeHead = `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>`
const envelopeTail = `</env:Body></env:Envelope>`

func sigResp(status int, sig string) string {
	s := `<MSS_SignatureResponse><mss:MSS_SignatureResp xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MSSP_TransID="t1">` +
		`<mss:AP_Info AP_ID="kyso-ap" AP_TransID="x" AP_PWD="" Instant="2026-01-01T00:00:00Z"/>` +
		`<mss:MSSP_Info><mss:MSSP_ID><mss:URI>http://mssp.kyso.test/</mss:URI></mss:MSSP_ID></mss:MSSP_Info>` +
		`<mss:MobileUser><mss:MSISDN>84912345678</mss:MSISDN></mss:MobileUser>` + sig +
		`<mss:Status><mss:StatusCode Value="` + strconv.Itoa(status) + `"/></mss:Status></mss:MSS_SignatureResp></MSS_SignatureResponse>`
	return envelopeHead + s + envelopeTail
}

// TestMalformedAnswersAreErrors points the client at an MSSP that answers
// badly in every way; each must be an error and never a signature.
func TestMalformedAnswersAreErrors(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	other := p.MustIssue()
	digest := digestOf("x")
	goodSig, err := id.Signer().SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	otherSig, err := other.Signer().SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString

	cases := []struct {
		name   string
		status int
		body   string
		want   []error
		// pkcs1 are further errors when a raw signature was asked for
		// (in CMS format a raw signature already fails to parse as CMS).
		pkcs1 []error
	}{
		{"http-503-text", 503, "Service Unavailable", []error{simpki.ErrProtocol}, nil},
		{"http-200-garbage", 200, "<html>hello</html>", []error{simpki.ErrProtocol}, nil},
		{"http-200-not-xml", 200, "\x00\x01garbage", []error{simpki.ErrProtocol}, nil},
		{"soap-1.1-envelope", 200, `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>`, []error{simpki.ErrProtocol}, nil},
		{"empty-body", 200, envelopeHead + envelopeTail, []error{simpki.ErrProtocol}, nil},
		{"fault-without-code", 500, envelopeHead + `<env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">boom</env:Text></env:Reason></env:Fault>` + envelopeTail, []error{simpki.ErrProtocol}, nil},
		{"fault-401", 500, envelopeHead + `<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#">mss:_401</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">USER_CANCEL</env:Text></env:Reason></env:Fault>` + envelopeTail, []error{simpki.ErrDeclined}, nil},
		{"signature-status-without-signature", 200, sigResp(500, ""), []error{simpki.ErrProtocol}, nil},
		{"status-without-code", 200, strings.Replace(sigResp(500, ""), `Value="500"`, `Value="abc"`, 1), []error{simpki.ErrProtocol}, nil},
		{"unexpected-status", 200, sigResp(100, ""), []error{simpki.ErrProtocol}, nil},
		{"bad-base64", 200, sigResp(500, `<mss:MSS_Signature><mss:Base64Signature>!!!</mss:Base64Signature></mss:MSS_Signature>`), []error{simpki.ErrProtocol}, nil},
		{"signature-by-another-key", 200, sigResp(500, `<mss:MSS_Signature><mss:Base64Signature>`+b64(otherSig)+`</mss:Base64Signature></mss:MSS_Signature>`), []error{simpki.ErrProtocol}, []error{signer.ErrBadSignature}},
		{"pkcs1-with-another-certificate", 200, sigResp(500, `<mss:MSS_Signature><fi:PKCS1 xmlns:fi="http://mss.ficom.fi/TS102204/v1.0.0#"><fi:SignatureValue>`+b64(otherSig)+`</fi:SignatureValue><fi:X509Certificate>`+b64(other.Cert.Raw)+`</fi:X509Certificate></fi:PKCS1></mss:MSS_Signature>`), []error{simpki.ErrProtocol, signer.ErrKeyMismatch}, nil},
		{"garbage-signature", 200, sigResp(500, `<mss:MSS_Signature><mss:Base64Signature>`+b64([]byte("not a signature"))+`</mss:Base64Signature></mss:MSS_Signature>`), []error{simpki.ErrProtocol}, []error{signer.ErrBadSignature}},
		{"wrong-response-type", 200, envelopeHead + `<MSS_ReceiptResponse><mss:MSS_ReceiptResp xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1"><mss:AP_Info AP_ID="a" AP_TransID="b" AP_PWD="" Instant="2026-01-01T00:00:00Z"/><mss:Status><mss:StatusCode Value="100"/></mss:Status></mss:MSS_ReceiptResp></MSS_ReceiptResponse>` + envelopeTail, []error{simpki.ErrProtocol}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			for _, f := range []simpki.Format{simpki.FormatPKCS1, simpki.FormatCMS} {
				c, err := simpki.NewClient(simpki.Config{URL: srv.URL, APID: "kyso-ap", Format: f})
				require.NoError(t, err)
				s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
				require.NoError(t, err)
				sig, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
				require.Nil(t, sig)
				for _, w := range tc.want {
					require.ErrorIs(t, err, w)
				}
				if f == simpki.FormatPKCS1 {
					for _, w := range tc.pkcs1 {
						require.ErrorIs(t, err, w)
					}
				}
			}
		})
	}
	// The same server with a good signature works, so the failures above
	// are about what was wrong.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, sigResp(500, `<mss:MSS_Signature><mss:Base64Signature>`+b64(goodSig)+`</mss:Base64Signature></mss:MSS_Signature>`))
	}))
	defer srv.Close()
	requireSigns(t, simpki.Config{URL: srv.URL, APID: "kyso-ap"}, id, digest, goodSig)
}

// TestCMSFromAnotherCertificate: the Signer expects one certificate and
// the SIM behind the number has another key: refused in both formats.
func TestCMSFromAnotherCertificate(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	e.subscriber("0912345678", nil)
	expected := e.pki.MustIssue()
	for _, f := range []simpki.Format{simpki.FormatCMS, simpki.FormatPKCS1} {
		s, err := simpki.New(context.Background(), e.client(format(f)), "0912345678", simpki.Options{Certificate: expected.Cert})
		require.NoError(t, err)
		sig, err := s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
		require.Nil(t, sig)
		require.ErrorIs(t, err, signer.ErrKeyMismatch)
		require.ErrorIs(t, err, simpki.ErrProtocol)
	}
}

func TestECDSAPlainSignatures(t *testing.T) {
	e := newEnv(t, mssptest.Config{ECDSAPlain: true})
	id := e.subscriber("0912345678", nil)
	s, err := simpki.New(context.Background(), e.client(), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	for i := 0; i < 8; i++ {
		d := digestOf(strconv.Itoa(i + 1))
		sig, err := s.SignDigest(context.Background(), d, crypto.SHA256)
		require.NoError(t, err)
		require.Equal(t, byte(0x30), sig[0], "converted to DER")
		require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, d, crypto.SHA256, sig))
	}
}

func TestTLSClientCertificate(t *testing.T) {
	p := pkitest.New(t)
	apID := p.MustIssue(pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"),
		pkitest.ExtKeyUsage(x509.ExtKeyUsageClientAuth))
	e := &env{t: t, pki: p, srv: mssptest.New(t, mssptest.Config{TLS: true, ClientCAs: p.Roots()})}
	id := e.subscriber("0912345678", nil)
	roots := x509.NewCertPool()
	roots.AddCert(e.srv.Certificate())
	tlsCert := tls.Certificate{Certificate: [][]byte{apID.Cert.Raw}, PrivateKey: apID.Key, Leaf: apID.Cert}
	for _, c := range apID.Chain {
		tlsCert.Certificate = append(tlsCert.Certificate, c.Raw)
	}

	c := e.client(func(c *simpki.Config) {
		c.RootCAs = roots
		c.TLSClientCertificates = []tls.Certificate{tlsCert}
	})
	s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{})
	require.NoError(t, err)
	require.True(t, s.Certificate().Equal(id.Cert))
	_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.NoError(t, err)

	// Without the client certificate the TLS handshake fails: an error,
	// no signature, nothing recorded.
	n := len(e.srv.Requests())
	c = e.client(func(c *simpki.Config) { c.RootCAs = roots })
	s, err = simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	sig, err := s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.Nil(t, sig)
	require.ErrorIs(t, err, simpki.ErrProtocol)
	require.Len(t, e.srv.Requests(), n)
}

func TestAPRequestSigning(t *testing.T) {
	p := pkitest.New(t)
	for _, keyOpt := range []pkitest.CertOption{pkitest.RSAKey(2048), pkitest.ECDSAKey(nil)} {
		apID := p.MustIssue(pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"), keyOpt)
		e := &env{t: t, pki: p, srv: mssptest.New(t, mssptest.Config{APCertificate: apID.Cert})}
		id := e.subscriber("0912345678", nil)

		for _, m := range []simpki.Mode{simpki.Synch, simpki.AsynchClientServer} {
			c := e.client(mode(m), func(c *simpki.Config) { c.RequestSigner = apID.Signer() })
			s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{})
			require.NoError(t, err)
			_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
			require.NoError(t, err)
		}
		for _, r := range e.srv.Requests() {
			require.True(t, r.Signed, r.Operation)
		}
		checkWithXMLSec(t, e.srv.Requests()[1].Body, apID.Cert)

		// Unsigned, or signed by someone else: refused as unauthorised.
		intruder := p.MustIssue()
		for _, rs := range []signer.Signer{nil, intruder.Signer()} {
			c := e.client(func(c *simpki.Config) { c.RequestSigner = rs })
			s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
			require.NoError(t, err)
			_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
			require.ErrorIs(t, err, simpki.ErrUnauthorized)
		}
	}
}

// checkWithXMLSec verifies a signed request with xmlsec1, an independent
// XML-DSig implementation.
func checkWithXMLSec(t *testing.T, body []byte, cert *x509.Certificate) {
	t.Helper()
	xmlsec := testutil.Tool(t, "xmlsec1", "xmlsec1")
	dir := t.TempDir()
	in := filepath.Join(dir, "req.xml")
	require.NoError(t, os.WriteFile(in, body, 0o600))
	pemFile := filepath.Join(dir, "ap.pem")
	require.NoError(t, os.WriteFile(pemFile, pkitest.PEM(cert), 0o600))
	name := "MSS_SignatureReq"
	if strings.Contains(string(body), "MSS_ProfileReq") {
		name = "MSS_ProfileReq"
	}
	out, err := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", pemFile,
		"--id-attr:ID", name, in).CombinedOutput()
	require.NoError(t, err, "xmlsec1: %s", out)
	require.Contains(t, string(out), "OK")
}

func TestNotificationHandlerRejects(t *testing.T) {
	h := simpki.NewNotificationHandler()
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	for _, body := range []string{
		"garbage",
		sigResp(500, ""), // not a notification
		envelopeHead + `<MSS_Notification><mss:MSS_StatusResp xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MSSP_TransID="t9"><mss:AP_Info AP_ID="a" AP_TransID="nobody-waits" AP_PWD="" Instant="2026-01-01T00:00:00Z"/><mss:MobileUser><mss:MSISDN>84912345678</mss:MSISDN></mss:MobileUser><mss:Status><mss:StatusCode Value="500"/></mss:Status></mss:MSS_StatusResp></MSS_Notification>` + envelopeTail,
	} {
		resp, err := http.Post(srv.URL, "application/soap+xml", strings.NewReader(body))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		require.Contains(t, string(b), "mss:_101")
	}
}

// TestSharedNotificationHandler: one handler serves many clients and
// concurrent transactions.
func TestSharedNotificationHandler(t *testing.T) {
	notif := simpki.NewNotificationHandler()
	ap := httptestServer(t, notif)
	e := newEnv(t, mssptest.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		msisdn := "09870000" + strconv.Itoa(10+i)
		id := e.subscriber(msisdn, []mssptest.Step{{Outcome: mssptest.Approve}})
		c := e.client(mode(simpki.AsynchServerServer), func(c *simpki.Config) {
			c.NotificationURL = ap.URL + "/mss/notify"
			c.Notifications = notif
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := simpki.New(context.Background(), c, msisdn, simpki.Options{Certificate: id.Cert})
			if err == nil {
				_, err = s.SignDigest(context.Background(), digestOf(msisdn), crypto.SHA256)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestCMSWithSignedAttributes: an MSSP that returns a CAdES-style CMS whose
// messageDigest is the requested digest. Client.Sign checks and returns the
// CMS; the Signer refuses it as a raw signature, because its signature
// covers the MSSP's signed attributes, not the digest.
func TestCMSWithSignedAttributes(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	digest := digestOf("x")
	good, err := cms.Sign(context.Background(), id.Signer(), digest, cms.Options{Hash: crypto.SHA256})
	require.NoError(t, err)
	other, err := cms.Sign(context.Background(), id.Signer(), digestOf("y"), cms.Options{Hash: crypto.SHA256})
	require.NoError(t, err)
	serve := func(der []byte) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, sigResp(500, `<mss:MSS_Signature><mss:Base64Signature>`+base64.StdEncoding.EncodeToString(der)+`</mss:Base64Signature></mss:MSS_Signature>`))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}

	c, err := simpki.NewClient(simpki.Config{URL: serve(good), APID: "kyso-ap", Format: simpki.FormatCMS})
	require.NoError(t, err)
	resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256})
	require.NoError(t, err)
	require.Nil(t, resp.Signature)
	require.Equal(t, good, resp.CMS)
	require.True(t, resp.Verified)
	require.True(t, resp.Certificate.Equal(id.Cert))

	s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrNotRawSignature)

	c, err = simpki.NewClient(simpki.Config{URL: serve(other), APID: "kyso-ap", Format: simpki.FormatCMS})
	require.NoError(t, err)
	_, err = c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256})
	require.ErrorIs(t, err, simpki.ErrProtocol)
}

// TestSimulatorCMSVerifiesWithInternalCMS: the simulator's CMS is accepted
// by the project's CMS verifier too (no signed attributes, signature over
// the content digest).
func TestSimulatorCMSVerifiesWithInternalCMS(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil, pkitest.RSAKey(2048))
	c := e.client(format(simpki.FormatCMS))
	digest := digestOf("x")
	resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256, Certificate: id.Cert})
	require.NoError(t, err)
	sd, err := cms.Parse(resp.CMS)
	require.NoError(t, err)
	require.NoError(t, sd.Verify(digest))
	require.Error(t, sd.Verify(digestOf("y")))
}
