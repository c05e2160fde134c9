package simpki_test

import (
	"context"
	"crypto"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/simpki"
)

// TestCeilingBoundsAHangingStatusQuery: MaxWait caps the whole wait. An
// MSSP that accepts the request and then never answers a status query must
// not keep the caller waiting for RequestTimeout (here 30 s) past the
// ceiling (300 ms). The bound asserted is generous (10 s) so that only the
// defect, not a loaded machine, can fail it.
func TestCeilingBoundsAHangingStatusQuery(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch params["action"] {
		case "MSS_Signature":
			_, _ = io.WriteString(w, sigResp(int(simpki.RequestOK), ""))
		case "MSS_StatusQuery":
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
		default:
			http.Error(w, "not offered", http.StatusNotFound)
		}
	}))
	defer srv.Close()
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
