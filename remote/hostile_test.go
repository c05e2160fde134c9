package remote_test

import (
	"context"
	"crypto"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// hostileCSC answers credentials/info with a real certificate, everything
// else with the body of the named method from answers.
func hostileCSC(t testing.TB, certB64 string, answers map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/csc/v2/")
		if a, ok := answers[method]; ok {
			if strings.HasPrefix(a, "STATUS ") {
				var code int
				fmt.Sscanf(a, "STATUS %d", &code)
				w.WriteHeader(code)
				a = a[strings.Index(a, "\n")+1:]
			}
			w.Write([]byte(a))
			return
		}
		switch method {
		case "auth/login":
			w.Write([]byte(`{"access_token":"t"}`))
		case "credentials/info":
			fmt.Fprintf(w, `{"key":{"status":"enabled","algo":["1.2.840.10045.2.1"],"len":256},"cert":{"certificates":[%q]},"auth":{"mode":"explicit","objects":[]},"multisign":10}`, certB64)
		case "credentials/authorize":
			w.Write([]byte(`{"SAD":"s"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/csc/v2"
}

// TestHostileCSCAnswers: malformed, oversized, short and inconsistent
// answers are typed errors, never signatures or panics.
func TestHostileCSCAnswers(t *testing.T) {
	p := pkitest.New(t)
	cert, good := encodedPair(t, p)
	for name, tc := range map[string]struct {
		answers map[string]string
		want    error
	}{
		"not json":            {map[string]string{"signatures/signHash": `<html>`}, remote.ErrProtocol},
		"too few signatures":  {map[string]string{"signatures/signHash": `{"signatures":[]}`}, remote.ErrProtocol},
		"too many":            {map[string]string{"signatures/signHash": fmt.Sprintf(`{"signatures":[%q,%q]}`, good, good)}, remote.ErrProtocol},
		"not base64":          {map[string]string{"signatures/signHash": `{"signatures":["%%%"]}`}, remote.ErrProtocol},
		"no SAD":              {map[string]string{"credentials/authorize": `{}`}, remote.ErrProtocol},
		"202 without handle":  {map[string]string{"credentials/authorize": "STATUS 202\n{}"}, remote.ErrProtocol},
		"async without id":    {map[string]string{"signatures/signHash": "STATUS 202\n{}"}, remote.ErrProtocol},
		"oversized":           {map[string]string{"signatures/signHash": `{"signatures":["` + strings.Repeat("A", 9<<20) + `"]}`}, remote.ErrProtocol},
		"no access token":     {map[string]string{"auth/login": `{}`}, remote.ErrProtocol},
		"HTML error page":     {map[string]string{"signatures/signHash": "STATUS 502\n<html>bad gateway</html>"}, remote.ErrService},
		"other key's sig":     {map[string]string{"signatures/signHash": fmt.Sprintf(`{"signatures":[%q]}`, base64.StdEncoding.EncodeToString(mustSign(t, p)))}, errBadSig},
		"no certificate":      {map[string]string{"credentials/info": `{"key":{"status":"enabled"},"cert":{"certificates":[]}}`}, remote.ErrProtocol},
		"garbage certificate": {map[string]string{"credentials/info": `{"key":{"status":"enabled"},"cert":{"certificates":["AAAA"]}}`}, remote.ErrProtocol},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: hostileCSC(t, cert, tc.answers), Username: "u", Password: "p", PollInterval: 1})
			require.NoError(t, err)
			s, err := c.Signer(context.Background(), "c", remote.Authorization{})
			if err == nil {
				var sigs [][]byte
				sigs, err = s.SignDigests(context.Background(), [][]byte{digest}, crypto.SHA256)
				require.Nil(t, sigs)
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// encodedPair issues an identity from p and returns its certificate and
// its signature of digest, base64-encoded as the services send them.
func encodedPair(t *testing.T, p *pkitest.PKI) (cert, sig string) {
	t.Helper()
	id := p.MustIssue()
	raw, err := id.Signer().SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(id.Cert.Raw), base64.StdEncoding.EncodeToString(raw)
}

func mustSign(t *testing.T, p *pkitest.PKI) []byte {
	sig, err := p.MustIssue().Signer().SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	return sig
}

// TestHostileSP769Answers: the same for sp769.
func TestHostileSP769Answers(t *testing.T) {
	p := pkitest.New(t)
	cert, good := encodedPair(t, p)
	for name, tc := range map[string]struct {
		sign string
		want error
	}{
		"wrong doc_id":     {fmt.Sprintf(`{"status_code":200,"data":{"signed_files":[{"doc_id":"9","signature_value":%q}]}}`, good), remote.ErrProtocol},
		"two for one":      {fmt.Sprintf(`{"status_code":200,"data":{"signed_files":[{"doc_id":"1","signature_value":%q},{"doc_id":"2","signature_value":%q}]}}`, good, good), remote.ErrProtocol},
		"not json":         {`]`, remote.ErrProtocol},
		"data not object":  {`{"status_code":200,"data":[1]}`, remote.ErrProtocol},
		"unknown code":     {`{"status_code":5001,"message":"Lỗi hệ thống"}`, remote.ErrService},
		"words inside":     {`{"status_code":500,"message":"mapping error while generating the separate hash"}`, remote.ErrService},
		"vietnamese":       {`{"status_code":4001,"message":"Người dùng từ chối ký"}`, remote.ErrDeclined},
		"expired":          {`{"status_code":4002,"message":"Giao dịch hết hạn"}`, remote.ErrTimeout},
		"wrong otp":        {`{"status_code":4003,"message":"OTP is incorrect"}`, remote.ErrPINIncorrect},
		"bad signature":    {fmt.Sprintf(`{"status_code":200,"data":{"signed_files":[{"doc_id":"1","signature_value":%q}]}}`, base64.StdEncoding.EncodeToString(mustSign(t, p))), errBadSig},
		"http 500 no body": {"", remote.ErrService},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "get_certificate") {
					json.NewEncoder(w).Encode(map[string]any{"status_code": 200, "data": map[string]any{"user_certificates": []map[string]any{{"cert_id": "1", "serial_number": "01", "cert_data": cert, "chain_data": nil}}}})
					return
				}
				if tc.sign == "" {
					w.WriteHeader(500)
					return
				}
				w.Write([]byte(tc.sign))
			}))
			t.Cleanup(srv.Close)
			c, err := remote.NewSP769Client(remote.SP769Config{BaseURL: srv.URL, SPID: "sp", SPPassword: "pw", PollInterval: 1})
			require.NoError(t, err)
			s, err := c.Signer(context.Background(), "u", "")
			require.NoError(t, err)
			sigs, err := s.SignDigests(context.Background(), [][]byte{digest}, crypto.SHA256)
			require.Nil(t, sigs)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// TestLowLevelRefusals: the low-level calls refuse empty requests instead
// of sending them (or panicking).
func TestLowLevelRefusals(t *testing.T) {
	c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: "http://127.0.0.1:1/csc/v2", AccessToken: "t"})
	require.NoError(t, err)
	_, err = c.Authorize(context.Background(), nil, nil, crypto.SHA256, 1, remote.Authorization{})
	require.ErrorIs(t, err, remote.ErrBatch)
	_, err = c.SignHash(context.Background(), remote.SignHashRequest{})
	require.ErrorIs(t, err, remote.ErrBatch)
	sp, err := remote.NewSP769Client(remote.SP769Config{BaseURL: "http://127.0.0.1:1/", SPID: "sp"})
	require.NoError(t, err)
	_, err = sp.Sign(context.Background(), remote.SP769SignRequest{UserID: "u"})
	require.ErrorIs(t, err, remote.ErrBatch)
	for _, bad := range []string{"", "ftp://x", "http://", "://"} {
		_, err = remote.NewCSCClient(remote.CSCConfig{BaseURL: bad, AccessToken: "t"})
		require.Error(t, err, bad)
		_, err = remote.NewSP769Client(remote.SP769Config{BaseURL: bad, SPID: "sp"})
		require.Error(t, err, bad)
	}
	_, err = remote.NewCSCClient(remote.CSCConfig{BaseURL: "https://h/csc/v2"})
	require.Error(t, err, "no credentials")
}

// TestSP769RequestShape checks the sign request as sent: the fields of
// Decision 769 public clients send, flat or with NEAC's file_options.
func TestSP769RequestShape(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	cert := base64.StdEncoding.EncodeToString(id.Cert.Raw)
	for _, nested := range []bool{false, true} {
		var got map[string]any
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "get_certificate") {
				json.NewEncoder(w).Encode(map[string]any{"status_code": 200, "data": map[string]any{"user_certificates": []map[string]any{{"cert_id": "1", "serial_number": "0A", "cert_data": cert}}}})
				return
			}
			json.NewDecoder(r.Body).Decode(&got)
			w.Write([]byte(`{"status_code":400,"message":"sig_user_rejected"}`))
		}))
		c, err := remote.NewSP769Client(remote.SP769Config{BaseURL: srv.URL, SPID: "sp", SPPassword: "pw", FileOptions: nested})
		require.NoError(t, err)
		s, err := c.Signer(context.Background(), "0912345678", "")
		require.NoError(t, err)
		s.FileType, s.Description = "pdf", "Ký hợp đồng"
		_, err = s.SignDigest(context.Background(), digest, crypto.SHA256)
		require.ErrorIs(t, err, remote.ErrDeclined)
		srv.Close()
		for _, k := range []string{"sp_id", "sp_password", "user_id", "transaction_id", "serial_number", "time_stamp", "transaction_desc", "sign_files"} {
			require.Contains(t, got, k)
		}
		require.Equal(t, "0A", got["serial_number"])
		require.Regexp(t, `^\d{14}Z$`, got["time_stamp"])
		f := got["sign_files"].([]any)[0].(map[string]any)
		require.Equal(t, "1", f["doc_id"])
		require.Equal(t, fmt.Sprintf("%x", digest), f["data_to_be_signed"])
		opts := f
		if nested {
			require.NotContains(t, f, "sign_type")
			opts = f["file_options"].(map[string]any)
		}
		require.Equal(t, "hash", opts["sign_type"])
		require.Equal(t, "pdf", opts["file_type"])
	}
}

// TestCSCECDSAPlain: an ECDSA signature returned as r||s (as some HSMs
// give it) is converted to DER and accepted.
func TestCSCECDSAPlain(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.ECDSAKey(nil))
	der, err := id.Signer().SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	var rs struct{ R, S *big.Int }
	_, err = asn1.Unmarshal(der, &rs)
	require.NoError(t, err)
	plain := append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...)
	url := hostileCSC(t, base64.StdEncoding.EncodeToString(id.Cert.Raw), map[string]string{
		"signatures/signHash": fmt.Sprintf(`{"signatures":[%q]}`, base64.StdEncoding.EncodeToString(plain))})
	c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: url, Username: "u", Password: "p"})
	require.NoError(t, err)
	s, err := c.Signer(context.Background(), "c", remote.Authorization{})
	require.NoError(t, err)
	sig, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(id.Cert.PublicKey, digest, crypto.SHA256, sig))
}
