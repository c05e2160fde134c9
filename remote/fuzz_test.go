package remote_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/signer"
)

// Run with -fuzzminimizetime=10x: minimising the long inputs at the
// default 60 s each stalls the run.
//
// FuzzCSCAnswers feeds arbitrary bodies and status codes to the CSC
// client as the answers of credentials/info, credentials/authorize and
// signatures/signHash: it must return an error or signatures that verify,
// never panic.
func FuzzCSCAnswers(f *testing.F) {
	cert := fuzzCert(f)
	info := `{"key":{"status":"enabled","algo":["1.2.840.10045.4.3.2"],"len":256},"cert":{"certificates":["` + cert + `"]},"auth":{"mode":"explicit","objects":[{"type":"Password","id":"PIN"}]},"multisign":5}`
	f.Add(200, info, 200, `{"SAD":"x"}`, 200, `{"signatures":["AAAA"]}`)
	f.Add(200, info, 202, `{"handle":"h"}`, 200, `{"responseID":"r"}`)
	f.Add(400, `{"error":"invalid_request","error_description":"SAD expired"}`, 200, `{}`, 429, `{}`)
	f.Add(200, `{"cert":{"certificates":[null]}}`, 200, `{"SAD":1}`, 200, `{"signatures":null}`)
	f.Fuzz(func(t *testing.T, infoStatus int, infoBody string, authStatus int, authBody string, signStatus int, signBody string) {
		fix := func(s int) int {
			if s < 200 || s > 599 {
				return 200
			}
			return s
		}
		hc := inProcess(func(w http.ResponseWriter, r *http.Request) {
			status, body := 200, `{"access_token":"t"}`
			switch strings.TrimPrefix(r.URL.Path, "/") {
			case "credentials/info":
				status, body = fix(infoStatus), infoBody
			case "credentials/authorize":
				status, body = fix(authStatus), authBody
			case "credentials/authorizeCheck":
				status, body = 400, `{"error":"access_denied"}`
			case "signatures/signHash", "signatures/signPolling":
				status, body = fix(signStatus), signBody
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
		})
		c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: "http://csc.test", HTTPClient: hc, Username: "u", Password: "p", PollInterval: 1, Timeout: 2e6})
		if err != nil {
			t.Fatal(err)
		}
		signOrError(t, func(ctx context.Context) (batchSigner, error) {
			return c.Signer(ctx, "c", remote.Authorization{PIN: "1"})
		})
	})
}

// FuzzSP769Answers does the same for get_certificate and sign.
func FuzzSP769Answers(f *testing.F) {
	cert := fuzzCert(f)
	certs := `{"status_code":200,"data":{"user_certificates":[{"cert_id":"1","serial_number":"1","cert_data":"` + cert + `","chain_data":{"ca_cert":"` + cert + `"}}]}}`
	f.Add(certs, `{"status_code":200,"data":{"signed_files":[{"doc_id":"1","signature_value":"AAAA"}]}}`)
	f.Add(certs, `{"status_code":200,"message":"sig_wait_for_user_confirm","data":{"transaction_id":"t","tran_code":"c"}}`)
	f.Add(certs, `{"status_code":"400","message":"sig_user_rejected"}`)
	f.Add(`{"status_code":200,"data":{"user_certificates":[{"cert_data":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----","chain_data":[1]}]}}`, `{}`)
	f.Fuzz(func(t *testing.T, certBody, signBody string) {
		hc := inProcess(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case strings.HasSuffix(r.URL.Path, "get_certificate"):
				w.Write([]byte(certBody))
			case strings.HasSuffix(r.URL.Path, "/status"):
				w.Write([]byte(`{"status_code":400,"message":"sig_transaction_expired"}`))
			default:
				w.Write([]byte(signBody))
			}
		})
		c, err := remote.NewSP769Client(remote.SP769Config{BaseURL: "http://sp769.test", HTTPClient: hc, SPID: "sp", SPPassword: "pw", PollInterval: 1, Timeout: 2e6})
		if err != nil {
			t.Fatal(err)
		}
		signOrError(t, func(ctx context.Context) (batchSigner, error) { return c.Signer(ctx, "u", "") })
	})
}

// batchSigner is what both remote signers offer.
type batchSigner interface {
	Certificate() *x509.Certificate
	SignDigests(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error)
}

// signOrError asks open for a signer and has it sign digest, within 5 s:
// an error at either step is a valid outcome, a signature that does not
// verify fails t.
func signOrError(t *testing.T, open func(ctx context.Context) (batchSigner, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := open(ctx)
	if err != nil {
		return
	}
	sigs, err := s.SignDigests(ctx, [][]byte{digest}, crypto.SHA256)
	if err != nil {
		return
	}
	if err := signer.CheckSignature(s.Certificate().PublicKey, digest, crypto.SHA256, sigs[0]); err != nil {
		t.Fatalf("returned a signature that does not verify: %v", err)
	}
}

// fuzzCert is a quick self-signed ECDSA certificate (base64 DER): the fuzz
// workers need no whole test PKI.
func fuzzCert(f *testing.F) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// inProcess is an HTTP client whose requests are served by h in the same
// goroutine, without sockets: fuzzing needs no network.
func inProcess(h http.HandlerFunc) *http.Client {
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h(rec, r)
		return rec.Result(), nil
	})}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
