package simpki_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/simpki"
)

// asyncMSSP serves an MSSP that accepts every MSS_Signature request
// (REQUEST_OK) and answers MSS_StatusQuery with status; it offers nothing
// else.
func asyncMSSP(t *testing.T, status http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch params["action"] {
		case "MSS_Signature":
			_, _ = io.WriteString(w, sigResp(int(simpki.RequestOK), ""))
		case "MSS_StatusQuery":
			status(w, r)
		default:
			http.Error(w, "not offered", http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCeilingBoundsAHangingStatusQuery: MaxWait caps the whole wait. An
// MSSP that accepts the request and then never answers a status query must
// not keep the caller waiting for RequestTimeout (here 30 s) past the
// ceiling (300 ms). The bound asserted is generous (10 s) so that only the
// defect, not a loaded machine, can fail it.
func TestCeilingBoundsAHangingStatusQuery(t *testing.T) {
	release := make(chan struct{})
	srv := asyncMSSP(t, func(w http.ResponseWriter, r *http.Request) {
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c, err := simpki.NewClient(simpki.Config{
		URL: srv.URL, APID: "kyso-ap", Mode: simpki.AsynchClientServer,
		PollDelay: 10 * time.Millisecond, MaxWait: 300 * time.Millisecond,
		RequestTimeout: 30 * time.Second,
	})
	require.NoError(t, err)
	start := time.Now()
	resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digestOf("x"), Hash: crypto.SHA256})
	require.Nil(t, resp)
	require.ErrorIs(t, err, simpki.ErrTimeout)
	require.Less(t, time.Since(start), 10*time.Second)
}

// TestOutstandingFaultKeepsPolling: some MSSPs answer a status query for a
// transaction still waiting for the user with a SOAP fault mss:_504
// (OUTSTANDING_TRANSACTION) instead of a status. That means "ask again",
// not an error.
func TestOutstandingFaultKeepsPolling(t *testing.T) {
	id, digest, sig := signedX(t)
	var queries atomic.Int32
	srv := asyncMSSP(t, func(w http.ResponseWriter, r *http.Request) {
		if queries.Add(1) <= 3 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, envelopeHead+`<env:Fault><env:Code><env:Value>env:Receiver</env:Value><env:Subcode><env:Value xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#">mss:_504</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">OUTSTANDING_TRANSACTION</env:Text></env:Reason></env:Fault>`+envelopeTail)
			return
		}
		s := strings.Replace(sigResp(int(simpki.Signature), `<mss:MSS_Signature><mss:Base64Signature>`+base64.StdEncoding.EncodeToString(sig)+`</mss:Base64Signature></mss:MSS_Signature>`),
			"MSS_SignatureResp", "MSS_StatusResp", -1)
		_, _ = io.WriteString(w, strings.Replace(s, "MSS_SignatureResponse", "MSS_StatusQueryResponse", -1))
	})
	requireSigns(t, simpki.Config{URL: srv.URL, APID: "kyso-ap", Mode: simpki.AsynchClientServer,
		PollDelay: 5 * time.Millisecond, PollMaxInterval: 10 * time.Millisecond, MaxWait: 30 * time.Second}, id, digest, sig)
	require.Equal(t, int32(4), queries.Load())
}
