package simpki_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/internal/wire"
)

// TestNotificationMustMatchTheTransaction: in asynchServerServer mode a
// notification can arrive before the client has read the MSSP_TransID
// from the MSSP's first answer, so the handler cannot check it then. A
// notification for another MSSP transaction that arrives in that window
// (here a USER_CANCEL) must not decide this one: the client checks the
// MSSP_TransID once it knows it, ignores the stray notification and takes
// the genuine one.
func TestNotificationMustMatchTheTransaction(t *testing.T) {
	id, digest, sig := signedX(t)

	notif := simpki.NewNotificationHandler()
	ap := httptestServer(t, notif)
	notifyURL := ap.URL + "/mss/notify"
	post := func(m wire.Message) {
		body, err := wire.Encode(m)
		require.NoError(t, err)
		resp, err := http.Post(notifyURL, wire.ContentType, bytes.NewReader(body))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	genuineSent := make(chan struct{})
	mssp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		env, err := wire.Decode(data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, ok := env.Message.(*wire.SignatureReq)
		if !ok {
			http.Error(w, "only signatures", http.StatusNotFound) // receipts
			return
		}
		h := wire.Header{MajorVersion: 1, MinorVersion: 1, APID: req.APID, APTransID: req.APTransID, Instant: time.Now()}
		// A notification of another transaction, before this answer.
		post(&wire.Notification{StatusResp: wire.StatusResp{Header: h, MSSPTransID: "other-tx",
			Status: wire.Status{Code: int(simpki.UserCancel), Message: "USER_CANCEL"}}})
		out, err := wire.Encode(&wire.SignatureResp{Header: h, MSSPTransID: "this-tx",
			Status: wire.Status{Code: int(simpki.RequestOK), Message: "REQUEST_OK"}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", wire.ContentType)
		_, _ = w.Write(out)
		go func() {
			defer close(genuineSent)
			post(&wire.Notification{StatusResp: wire.StatusResp{Header: h, MSSPTransID: "this-tx",
				Signature: &wire.Signature{Base64: sig},
				Status:    wire.Status{Code: int(simpki.Signature), Message: "SIGNATURE"}}})
		}()
	}))
	defer mssp.Close()

	requireSigns(t, simpki.Config{URL: mssp.URL, APID: "kyso-ap", Mode: simpki.AsynchServerServer,
		NotificationURL: notifyURL, Notifications: notif, MaxWait: 20 * time.Second}, id, digest, sig)
	<-genuineSent
}
