package simpki_test

import (
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// TestRedirectIsNotFollowed: an endpoint answering 307 must not make the
// client resend the request (and its AP_PWD) to the redirect target.
func TestRedirectIsNotFollowed(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	id := e.subscriber("0912345678", nil)

	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "secret") {
			leaked.Store(true)
		}
		http.Error(w, "not an MSSP", http.StatusNotFound)
	}))
	t.Cleanup(elsewhere.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)

	s, err := simpki.New(context.Background(), e.client(func(c *simpki.Config) { c.URL = redirector.URL }),
		"0912345678", simpki.Options{Certificate: id.Cert})
	require.NoError(t, err)
	sig, err := s.SignDigest(context.Background(), digestOf("x"), crypto.SHA256)
	require.ErrorIs(t, err, simpki.ErrProtocol)
	require.Nil(t, sig)
	require.False(t, leaked.Load(), "the AP password was sent to the redirect target")
}
