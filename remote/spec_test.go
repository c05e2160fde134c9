package remote_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// specServer answers with the bodies printed in the CSC API v2.0.0.2
// specification (testdata/csc-v2-spec) and checks that each request the
// client sends equals the specification's sample request for the same
// call. It shares no code with the client or the simulator.
type specServer struct {
	t        *testing.T
	srv      *httptest.Server
	certs    []string // substituted for the placeholders
	async    bool     // signHash answers with a responseID
	accepted bool     // authorize answers 202 with a handle
	fail     map[string]json.RawMessage

	mu   sync.Mutex
	seen []string
}

func spec(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "csc-v2-spec", name))
	require.NoError(t, err)
	return b
}

func newSpecServer(t *testing.T, certs []string) *specServer {
	s := &specServer{t: t, certs: certs, fail: map[string]json.RawMessage{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// sameJSON asserts that got has exactly the members of want. clientData
// is OPTIONAL in every method and the samples show it in some only: the
// client sends the configured value everywhere, so a clientData the
// sample lacks is ignored.
func sameJSON(t *testing.T, want, got []byte, what string) {
	t.Helper()
	var w, g map[string]any
	require.NoError(t, json.Unmarshal(want, &w), what)
	require.NoError(t, json.Unmarshal(got, &g), "%s: %s", what, got)
	if _, ok := w["clientData"]; !ok {
		delete(g, "clientData")
	}
	require.Equal(t, w, g, "%s: the request differs from the specification's sample", what)
}

func (s *specServer) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/csc/v2/")
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.seen = append(s.seen, method)
	s.mu.Unlock()
	if e, ok := s.fail[method]; ok {
		var spec struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		}
		require.NoError(s.t, json.Unmarshal(e, &spec))
		w.WriteHeader(spec.Status)
		w.Write(spec.Body)
		return
	}
	if method != "auth/login" {
		// Every sample request carries this token.
		require.Equal(s.t, "Bearer 4/CKN69L8gdSYp5_pwH3XlFQZ3ndFhkXf9P2_TiHRG-bA", r.Header.Get("Authorization"), method)
	}
	reply := func(name string) {
		b := spec(s.t, name)
		for i, ph := range []string{"<Base64-encoded_X.509_end_entity_certificate>", "<Base64-encoded_X.509_intermediate_CA_certificate>", "<Base64-encoded_X.509_root_CA_certificate>"} {
			b = []byte(strings.ReplaceAll(string(b), ph, s.certs[i]))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
	switch method {
	case "auth/login":
		// The sample request: "Authorization: Basic Y2xpZW50OnNlY3JldA==".
		require.Equal(s.t, "Basic Y2xpZW50OnNlY3JldA==", r.Header.Get("Authorization"))
		reply("auth-login.response.json")
	case "credentials/list":
		reply("credentials-list.response.json")
	case "credentials/info":
		sameJSON(s.t, spec(s.t, "credentials-info.request.json"), body, method)
		reply("credentials-info.response.json")
	case "credentials/authorize":
		sameJSON(s.t, spec(s.t, "credentials-authorize.request.json"), body, method)
		if s.accepted {
			w.WriteHeader(http.StatusAccepted)
			w.Write(spec(s.t, "credentials-authorize.response-202.json"))
			return
		}
		reply("credentials-authorize.response.json")
	case "credentials/authorizeCheck":
		sameJSON(s.t, spec(s.t, "credentials-authorizeCheck.request.json"), body, method)
		reply("credentials-authorize.response.json")
	case "signatures/signHash":
		want := spec(s.t, "signatures-signHash.request.json")
		if s.async {
			var m map[string]any
			require.NoError(s.t, json.Unmarshal(want, &m))
			m["operationMode"] = "A"
			want, _ = json.Marshal(m)
		}
		sameJSON(s.t, want, body, method)
		if s.async {
			reply("signatures-signHash.response-async.json")
			return
		}
		reply("signatures-signHash.response.json")
	case "signatures/signPolling":
		sameJSON(s.t, spec(s.t, "signatures-signPolling.request.json"), body, method)
		reply("signatures-signPolling.response.json")
	default:
		http.NotFound(w, r)
	}
}

func specHashes(t *testing.T) [][]byte {
	var req struct {
		Hashes []string `json:"hashes"`
	}
	require.NoError(t, json.Unmarshal(spec(t, "credentials-authorize.request.json"), &req))
	out := make([][]byte, len(req.Hashes))
	for i, h := range req.Hashes {
		var err error
		out[i], err = base64.StdEncoding.DecodeString(h)
		require.NoError(t, err)
	}
	return out
}

// TestCSCAgainstSpecificationExamples runs the client against a server
// made of the specification's sample bodies: login with the sample Basic
// credentials, list, info (the chain placeholders filled in), authorize
// with PIN and OTP for two hashes, and signHash — synchronous, with a 202
// authorization, and asynchronous with signPolling. Every request must
// equal the sample request. The sample signatures are not signatures by
// any key, so the client must refuse them with signer.ErrBadSignature
// after parsing them.
func TestCSCAgainstSpecificationExamples(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.RSAKey(2048), pkitest.Person("Nguyễn Văn An", "001085012345"))
	certs := []string{base64.StdEncoding.EncodeToString(id.Cert.Raw), base64.StdEncoding.EncodeToString(p.CA.Cert.Raw), base64.StdEncoding.EncodeToString(p.Root.Cert.Raw)}
	hashes := specHashes(t)
	ctx := context.Background()

	for _, mode := range []string{"sync", "202", "async"} {
		t.Run(mode, func(t *testing.T) {
			srv := newSpecServer(t, certs)
			srv.accepted, srv.async = mode == "202", mode == "async"
			c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.srv.URL + "/csc/v2", Username: "client", Password: "secret",
				ClientData: "12345678", Async: srv.async, PollInterval: 1})
			require.NoError(t, err)

			ids, err := c.Credentials(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{"GX0112348", "HX0224685"}, ids)

			cr, err := c.CredentialInfo(ctx, "GX0112348")
			require.NoError(t, err)
			require.True(t, cr.Certificate.Equal(id.Cert))
			require.Len(t, cr.Chain, 2)
			require.Equal(t, 5, cr.Multisign)
			require.Equal(t, "explicit", cr.AuthMode)
			require.Equal(t, "enabled", cr.KeyStatus)
			require.Len(t, cr.AuthObjects, 2)
			require.Equal(t, "totp", cr.AuthObjects[1].Generator)

			sad, err := c.Authorize(ctx, cr, hashes, crypto.SHA256, 2, remote.Authorization{PIN: "123456", OTP: "738496"})
			require.NoError(t, err)
			require.Equal(t, "_TiHRG-bAH3XlFQZ3ndFhkXf9P24/CKN69L8gdSYp5_pw", sad)

			_, err = c.SignHash(ctx, remote.SignHashRequest{Credential: cr, SAD: sad, Hashes: hashes, Opts: crypto.SHA256})
			require.ErrorIs(t, err, signer.ErrBadSignature)
			require.NotErrorIs(t, err, remote.ErrProtocol)

			want := []string{"auth/login", "credentials/list", "credentials/info", "credentials/authorize"}
			if mode == "202" {
				want = append(want, "credentials/authorizeCheck")
			}
			want = append(want, "signatures/signHash")
			if mode == "async" {
				want = append(want, "signatures/signPolling")
			}
			require.Equal(t, want, srv.seen)
		})
	}
}

// TestCSCSpecificationErrors maps the error answers of the specification's
// tables to the typed errors.
func TestCSCSpecificationErrors(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	certs := []string{base64.StdEncoding.EncodeToString(id.Cert.Raw), base64.StdEncoding.EncodeToString(p.CA.Cert.Raw), base64.StdEncoding.EncodeToString(p.Root.Cert.Raw)}
	var table map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(spec(t, "errors.json"), &table))
	hashes := specHashes(t)
	auth := remote.Authorization{PIN: "123456", OTP: "738496"}
	for name, want := range map[string]error{
		"auth/login authentication error":                   remote.ErrWrongCredentials,
		"credentials/authorize invalid authentication data": remote.ErrPINIncorrect,
		"credentials/authorize signing key disabled":        remote.ErrCredentialDisabled,
		"credentials/authorize credential locked":           remote.ErrCredentialDisabled,
		"signatures/signHash expired SAD":                   remote.ErrSADExpired,
		"signatures/signHash expired credential":            remote.ErrCredentialDisabled,
		"signatures/signHash invalid OTP":                   remote.ErrPINIncorrect,
		"credentials/info invalid credentialID":             remote.ErrNotFound,
		"access denied":                                     remote.ErrDeclined,
	} {
		t.Run(name, func(t *testing.T) {
			srv := newSpecServer(t, certs)
			method, _, _ := strings.Cut(name, " ")
			if name == "access denied" {
				method = "credentials/authorize"
			}
			srv.fail[method] = table[name]
			c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.srv.URL + "/csc/v2", Username: "client", Password: "secret", ClientData: "12345678"})
			require.NoError(t, err)
			err = func() error {
				cr, err := c.CredentialInfo(context.Background(), "GX0112348")
				if err != nil {
					return err
				}
				sad, err := c.Authorize(context.Background(), cr, hashes, crypto.SHA256, 2, auth)
				if err != nil {
					return err
				}
				_, err = c.SignHash(context.Background(), remote.SignHashRequest{Credential: cr, SAD: sad, Hashes: hashes, Opts: crypto.SHA256})
				return err
			}()
			require.ErrorIs(t, err, want)
			var re *remote.Error
			require.ErrorAs(t, err, &re)
			require.Equal(t, method, re.Op)
		})
	}
}
