package simpki_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

var rsaPSS = rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}

func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/mss/notify", h)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// TestStatusPaths drives every scripted user behaviour through every
// messaging mode and checks the typed error a caller sees.
func TestStatusPaths(t *testing.T) {
	cases := []struct {
		name  string
		steps []mssptest.Step
		want  []error
		code  simpki.StatusCode
	}{
		{"cancel", []mssptest.Step{{Outcome: mssptest.Cancel, Delay: 30 * time.Millisecond}}, []error{simpki.ErrDeclined}, simpki.UserCancel},
		{"expire", []mssptest.Step{{Outcome: mssptest.Expire, Delay: 50 * time.Millisecond}}, []error{simpki.ErrExpired}, simpki.ExpiredTransaction},
		{"pin-blocked", []mssptest.Step{{Outcome: mssptest.WrongPIN, Delay: 10 * time.Millisecond}}, []error{simpki.ErrPINLocked, signer.ErrWrongPassword}, simpki.PINNRBlocked},
		{"card-blocked", []mssptest.Step{{Outcome: mssptest.CardBlocked}}, []error{simpki.ErrCardBlocked}, simpki.CardBlocked},
		{"no-key", []mssptest.Step{{Outcome: mssptest.NoKey}}, []error{simpki.ErrNoKeyFound, signer.ErrNoKey}, simpki.NoKeyFound},
		{"no-cert", []mssptest.Step{{Outcome: mssptest.NoCert}}, []error{simpki.ErrNoCertFound, signer.ErrNoCertificate}, simpki.NoCertFound},
		{"ota", []mssptest.Step{{Outcome: mssptest.OTAFailure, Delay: 20 * time.Millisecond}}, []error{simpki.ErrOTA}, simpki.OTAError},
		{"internal", []mssptest.Step{{Outcome: mssptest.InternalError}}, []error{simpki.ErrMSSPInternal}, simpki.InternalError},
		{"bad-signature", []mssptest.Step{{Outcome: mssptest.BadSignature}}, []error{signer.ErrBadSignature, simpki.ErrProtocol}, 0},
	}
	notif := simpki.NewNotificationHandler()
	ap := httptestServer(t, notif)
	for _, statusErrors := range []bool{false, true} {
		e := newEnv(t, mssptest.Config{StatusErrors: statusErrors})
		for _, m := range []simpki.Mode{simpki.Synch, simpki.AsynchClientServer, simpki.AsynchServerServer} {
			if statusErrors && m != simpki.AsynchClientServer {
				continue // only status queries differ
			}
			for _, f := range []simpki.Format{simpki.FormatPKCS1, simpki.FormatCMS} {
				for i, tc := range cases {
					msisdn := fmt.Sprintf("09%d%d%06d", int(m), len(f)%10, i)
					name := fmt.Sprintf("%s/%v/%s/status-errors=%v", tc.name, m, f[len(f)-4:], statusErrors)
					t.Run(name, func(t *testing.T) {
						id := e.subscriber(msisdn, tc.steps)
						c := e.client(mode(m), format(f), func(c *simpki.Config) {
							c.NotificationURL = ap.URL + "/mss/notify"
							c.Notifications = notif
						})
						s, err := simpki.New(context.Background(), c, msisdn, simpki.Options{Certificate: id.Cert})
						require.NoError(t, err)
						sig, err := s.SignDigest(context.Background(), digestOf(name), crypto.SHA256)
						require.Nil(t, sig)
						for _, w := range tc.want {
							require.ErrorIs(t, err, w)
						}
						if tc.code != 0 {
							var se *simpki.StatusError
							require.ErrorAs(t, err, &se)
							require.Equal(t, tc.code, se.Code)
							if m != simpki.Synch { // a synch fault carries no MSSP_TransID
								require.NotEmpty(t, se.MSSPTransID)
							}
						}
					})
				}
			}
		}
	}
}

func TestWrongPINThenBlock(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", []mssptest.Step{
		{Outcome: mssptest.WrongPIN, WrongPINs: 2}, // two wrong PINs, then the right one
		{Outcome: mssptest.WrongPIN},               // three wrong PINs: blocked
		{Outcome: mssptest.Approve},                // would approve, but the PIN is blocked
	})
	s, err := simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer)), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digestOf("1"), crypto.SHA256)
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digestOf("2"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrPINLocked)
	_, err = s.SignDigest(context.Background(), digestOf("3"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrPINLocked)
}

func TestUnknownNumberAndBadCredentials(t *testing.T) {
	e := newEnv(t, mssptest.Config{APPassword: "secret"})
	id := e.subscriber("0912345678", nil)
	for _, m := range []simpki.Mode{simpki.Synch, simpki.AsynchClientServer} {
		resp, err := e.client(mode(m)).Sign(context.Background(), &simpki.Request{
			MSISDN: "0933333333", Digest: digestOf("x"), Hash: crypto.SHA256,
		})
		require.Nil(t, resp)
		require.ErrorIs(t, err, simpki.ErrUnknownClient)
		var se *simpki.StatusError
		require.ErrorAs(t, err, &se)
		require.True(t, se.Fault)

		s, err := simpki.New(context.Background(), e.client(mode(m), func(c *simpki.Config) { c.APPassword = "wrong" }),
			"0912345678", simpki.Options{Certificate: id.Cert})
		require.NoError(t, err)
		_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
		require.ErrorIs(t, err, simpki.ErrUnauthorized)
	}
}

// answeredTransport hands each MSSP answer to the client only after reading
// it whole, then reports the SOAP action it answered. A test that cancels
// on that report knows the client holds the answer (and so the
// MSSP_TransID): cancelling cannot race with the answer still in flight.
type answeredTransport struct {
	answered chan string
}

func (rt *answeredTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	action := ""
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
		action = params["action"]
	}
	select {
	case rt.answered <- action:
	default:
	}
	return resp, nil
}

// TestCancellationMidPoll cancels the caller's context while the client
// polls: SignDigest returns at once with the context's error and the MSSP is
// told, so the phone stops asking.
func TestCancellationMidPoll(t *testing.T) {
	for _, m := range []simpki.Mode{simpki.AsynchClientServer, simpki.AsynchServerServer, simpki.Synch} {
		t.Run(m.String(), func(t *testing.T) {
			notif := simpki.NewNotificationHandler()
			ap := httptestServer(t, notif)
			e := newEnv(t, mssptest.Config{})
			id := e.subscriber("0912345678", []mssptest.Step{{Outcome: mssptest.Approve, Delay: time.Minute}})
			rt := &answeredTransport{answered: make(chan string, 64)}
			c := e.client(mode(m), func(c *simpki.Config) {
				c.NotificationURL = ap.URL + "/mss/notify"
				c.Notifications = notif
				c.HTTPClient = &http.Client{Transport: rt}
			})
			s, err := simpki.New(context.Background(), c, "0912345678", simpki.Options{Certificate: id.Cert})
			require.NoError(t, err)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				if m == simpki.Synch {
					// Cancel once the request is in: its answer only
					// comes when the user acts.
					for {
						for _, r := range e.srv.Requests() {
							if r.Operation == "MSS_SignatureReq" {
								cancel()
								return
							}
						}
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
						}
					}
				}
				// Cancel once the client holds the MSSP's answer to a
				// status query (mid-poll) or, waiting for a notification,
				// to the signature request.
				want := "MSS_StatusQuery"
				if m == simpki.AsynchServerServer {
					want = "MSS_Signature"
				}
				for {
					select {
					case a := <-rt.answered:
						if a == want {
							cancel()
							return
						}
					case <-stop:
						return
					}
				}
			}()
			start := time.Now()
			sig, err := s.SignDigest(ctx, digestOf("x"), crypto.SHA256)
			require.Nil(t, sig)
			require.ErrorIs(t, err, context.Canceled)
			require.Less(t, time.Since(start), 30*time.Second)

			if m == simpki.Synch {
				return // the transaction ID is unknown until the synch answer
			}
			txs := e.srv.Transactions()
			require.Len(t, txs, 1)
			require.Equal(t, mssptest.CancelledByAP, txs[0].State)
			phone := e.srv.Phone("0912345678")
			require.Equal(t, simpki.CancelMessage, phone[len(phone)-1])
			reqs := e.srv.Requests()
			last := reqs[len(reqs)-1]
			require.Equal(t, "MSS_ReceiptReq", last.Operation)
			require.Equal(t, int(simpki.UserCancel), last.ReceiptStatus)
			require.Equal(t, txs[0].MSSPTransID, last.MSSPTransID)
		})
	}
}

func TestDeadlineAndCeiling(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", []mssptest.Step{{Outcome: mssptest.Approve, Delay: time.Minute}})

	// The caller's deadline. It must leave time for the MSSP's first answer
	// (which carries the MSSP_TransID needed to call the transaction off)
	// even on a loaded machine; 200 ms is within reach of a scheduling
	// stall under go test -race ./... on two cores.
	s, err := simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer)), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err = s.SignDigest(ctx, digestOf("x"), crypto.SHA256)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// The client's own ceiling.
	s, err = simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer), func(c *simpki.Config) {
		c.MaxWait = 200 * time.Millisecond
	}), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digestOf("y"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrTimeout)

	// Both transactions were called off at the MSSP.
	txs := e.srv.Transactions()
	require.Len(t, txs, 2)
	for _, tx := range txs {
		require.Equal(t, mssptest.CancelledByAP, tx.State)
	}

	// DisableCancelReceipt keeps quiet.
	s, err = simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer), func(c *simpki.Config) {
		c.MaxWait = 100 * time.Millisecond
		c.DisableCancelReceipt = true
	}), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digestOf("z"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrTimeout)
	require.Equal(t, mssptest.Outstanding, e.srv.Transactions()[2].State)
}

// TestPollingBacksOff checks that the interval between status queries grows
// up to the ceiling instead of hammering the MSSP.
func TestPollingBacksOff(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	// The delay is generous so that a loaded machine (CI runs with -race on
	// two cores) still sees several polls before the user approves.
	id := e.subscriber("0912345678", []mssptest.Step{{Outcome: mssptest.Approve, Delay: 1500 * time.Millisecond}})
	s, err := simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer), func(c *simpki.Config) {
		c.PollDelay = 20 * time.Millisecond
		c.PollMaxInterval = 300 * time.Millisecond
	}), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.NoError(t, err)
	var polls []time.Time
	for _, r := range e.srv.Requests() {
		if r.Operation == "MSS_StatusReq" {
			polls = append(polls, r.Time)
		}
	}
	// A fixed 20 ms interval would poll ~75 times; 20, 30, 45, 67, 101, 151,
	// 227, 300, 300… needs about 10.
	require.GreaterOrEqual(t, len(polls), 3)
	require.LessOrEqual(t, len(polls), 20)
	// Each wait is at least the backed-off delay: 30 ms, 45 ms, … up to
	// 300 ms. A timer never fires early, so a loaded machine can only make
	// the intervals longer, never fail this (comparing the first interval
	// with the last could: a stall during the first one inverts them).
	want := 20 * time.Millisecond
	for i := 1; i < len(polls); i++ {
		want = min(want*3/2, 300*time.Millisecond)
		require.GreaterOrEqual(t, polls[i].Sub(polls[i-1]), want-time.Millisecond, "interval %d", i)
	}
}

// TestConcurrentSubscribers signs for many subscribers at once; each gets a
// signature under its own key and each phone shows only its own request.
func TestConcurrentSubscribers(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	const n = 12
	type sub struct {
		msisdn string
		s      *simpki.Signer
	}
	subs := make([]sub, n)
	c := e.client(mode(simpki.AsynchClientServer))
	for i := range subs {
		msisdn := fmt.Sprintf("0912%06d", i)
		id := e.subscriber(msisdn, []mssptest.Step{{Outcome: mssptest.Approve, Delay: time.Duration(n-i) * 15 * time.Millisecond}})
		s, err := simpki.New(context.Background(), c, msisdn, simpki.Options{Certificate: id.Cert})
		require.NoError(t, err)
		subs[i] = sub{msisdn, s}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range subs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := digestOf(subs[i].msisdn)
			ctx := simpki.WithDisplay(context.Background(), "Văn bản của "+subs[i].msisdn)
			sig, err := subs[i].s.SignDigest(ctx, d, crypto.SHA256)
			if err == nil {
				err = signer.CheckSignature(subs[i].s.Certificate().PublicKey, d, crypto.SHA256, sig)
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i := range subs {
		require.NoError(t, errs[i], subs[i].msisdn)
		phone := e.srv.Phone(subs[i].msisdn)
		require.Len(t, phone, 1)
		require.Contains(t, phone[0], "Văn bản của "+subs[i].msisdn)
	}
}

func TestSlowNetwork(t *testing.T) {
	e := newEnv(t, mssptest.Config{NetworkDelay: 80 * time.Millisecond})
	id := e.subscriber("0912345678", []mssptest.Step{{Outcome: mssptest.Approve, Delay: 100 * time.Millisecond}})
	for _, m := range []simpki.Mode{simpki.Synch, simpki.AsynchClientServer} {
		s, err := simpki.New(context.Background(), e.client(mode(m)), "0912345678", simpki.Options{Certificate: id.Cert})
		require.NoError(t, err)
		_, err = s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
		require.NoError(t, err, m.String())
	}
	// A network slower than the client's per-request limit is an error,
	// never a signature.
	s, err := simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer), func(c *simpki.Config) {
		c.RequestTimeout = 30 * time.Millisecond
	}), "0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	sig, err := s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.Nil(t, sig)
	require.ErrorIs(t, err, simpki.ErrProtocol)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestStatusErrorMessages(t *testing.T) {
	err := &simpki.StatusError{Code: simpki.UserCancel, Message: "USER_CANCEL", MSSPTransID: "t1"}
	require.Equal(t, "simpki: MSSP answered 401 USER_CANCEL [transaction t1]", err.Error())
	require.True(t, errors.Is(err, simpki.ErrDeclined))
	require.False(t, errors.Is(err, simpki.ErrExpired))
	require.ErrorIs(t, &simpki.StatusError{Code: simpki.WrongParam}, simpki.ErrRejected)
	require.ErrorIs(t, &simpki.StatusError{Code: simpki.OutstandingTransaction}, simpki.ErrProtocol)
	require.Equal(t, "STATUS_777", simpki.StatusCode(777).String())
}
