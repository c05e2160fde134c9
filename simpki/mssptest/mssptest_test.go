package mssptest_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/soap+xml", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func sigReq(apID, apTrans, msspID, msisdn, mime, dtbs, mode string) string {
	return `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_Signature>` +
		`<mss:MSS_SignatureReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MessagingMode="` + mode + `">` +
		`<mss:AP_Info AP_ID="` + apID + `" AP_TransID="` + apTrans + `" AP_PWD="" Instant="2026-11-23T08:00:00Z"/>` +
		`<mss:MSSP_Info><mss:MSSP_ID><mss:URI>` + msspID + `</mss:URI></mss:MSSP_ID></mss:MSSP_Info>` +
		`<mss:MobileUser><mss:MSISDN>` + msisdn + `</mss:MSISDN></mss:MobileUser>` +
		`<mss:DataToBeSigned MimeType="` + mime + `" Encoding="base64">` + dtbs + `</mss:DataToBeSigned>` +
		`</mss:MSS_SignatureReq></MSS_Signature></env:Body></env:Envelope>`
}

// TestProtocolChecks talks raw SOAP to the simulator: it rejects what a
// real MSSP rejects, with the TS 102 204 fault codes.
func TestProtocolChecks(t *testing.T) {
	p := pkitest.New(t)
	srv := mssptest.New(t, mssptest.Config{})
	id := p.MustIssue()
	require.NoError(t, srv.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: id.Signer()}))
	d := sha256.Sum256([]byte("x"))
	dtbs := base64.StdEncoding.EncodeToString(d[:])
	ms := srv.MSSPID()

	code, body := post(t, srv.URL(), sigReq("kyso-ap", "t1", ms, "0912345678", "application/x-sha256", dtbs, "synch"))
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `<mss:StatusCode Value="500"/>`)

	for _, tc := range []struct {
		body, fault string
	}{
		{sigReq("kyso-ap", "t1", ms, "0912345678", "application/x-sha256", dtbs, "synch"), "mss:_101"}, // AP_TransID reused
		{sigReq("someone", "t2", ms, "0912345678", "application/x-sha256", dtbs, "synch"), "mss:_104"}, // unknown AP
		{sigReq("kyso-ap", "t3", "http://other/", "0912345678", "application/x-sha256", dtbs, "synch"), "mss:_101"},
		{sigReq("kyso-ap", "t4", ms, "0933333333", "application/x-sha256", dtbs, "synch"), "mss:_105"},              // unknown number
		{sigReq("kyso-ap", "t5", ms, "12345", "application/x-sha256", dtbs, "synch"), "mss:_101"},                   // illegal MSISDN
		{sigReq("kyso-ap", "t6", ms, "0912345678", "text/plain", dtbs, "synch"), "mss:_101"},                        // not a digest
		{sigReq("kyso-ap", "t7", ms, "0912345678", "application/x-sha384", dtbs, "synch"), "mss:_103"},              // wrong length
		{sigReq("kyso-ap", "t8", ms, "0912345678", "application/x-sha256", dtbs, "asynchServerServer"), "mss:_102"}, // no AP_URL
		{sigReq("kyso-ap", "t9", ms, "0912345678", "application/x-sha256", dtbs, "sometimes"), "mss:_101"},
		{"<not soap/>", "mss:_101"},
	} {
		code, body := post(t, srv.URL(), tc.body)
		require.Equal(t, 500, code, body)
		require.Contains(t, body, tc.fault, body)
	}
	resp, err := http.Get(srv.URL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	require.Equal(t, d[:], reqs[0].DataToBeSigned)
	require.Equal(t, mssptest.Signed, srv.Transactions()[0].State)
}

func TestAddSubscriberChecks(t *testing.T) {
	srv := mssptest.New(t, mssptest.Config{})
	require.ErrorIs(t, srv.AddSubscriber(mssptest.Subscriber{MSISDN: "12"}), simpki.ErrInvalidMSISDN)
	require.ErrorIs(t, srv.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678"}), signer.ErrNoKey)
	_, err := mssptest.Start(mssptest.Config{ClientCAs: pkitest.New(t).Roots()})
	require.Error(t, err)
}

// TestReregisterUnblocks: a blocked PIN stays blocked until the number is
// registered again (the PUK at the operator's shop).
func TestReregisterUnblocks(t *testing.T) {
	p := pkitest.New(t)
	srv := mssptest.New(t, mssptest.Config{})
	id := p.MustIssue()
	add := func(steps ...mssptest.Step) {
		require.NoError(t, srv.AddSubscriber(mssptest.Subscriber{MSISDN: "0912345678", Key: id.Signer(), Script: steps}))
	}
	add(mssptest.Step{Outcome: mssptest.WrongPIN}, mssptest.Step{Outcome: mssptest.Approve})
	c, err := simpki.NewClient(simpki.Config{URL: srv.URL(), APID: srv.APID(), MSSPID: srv.MSSPID(), PollDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	d := sha256.Sum256([]byte("x"))
	for i := 0; i < 2; i++ {
		_, err = s.SignDigest(context.Background(), d[:], crypto.SHA256)
		require.ErrorIs(t, err, simpki.ErrPINLocked)
	}
	add()
	_, err = s.SignDigest(context.Background(), d[:], crypto.SHA256)
	require.NoError(t, err)
}
