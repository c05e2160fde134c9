package remotetest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

func post(t *testing.T, url, token string, in any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(in)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The simulator enforces what the specification asks of a service: the
// SAD is bound to the authorized hashes (SCAL 2) and to numSignatures, and
// an sp769 request needs the service provider's credentials and hash
// entries.
func TestSimulatorEnforcesTheProtocol(t *testing.T) {
	p := pkitest.New(t)
	srv := remotetest.New(t, remotetest.Config{})
	require.NoError(t, srv.AddUser(remotetest.User{ID: "u", Password: "pw", Credentials: []remotetest.Credential{{ID: "c", Key: p.MustIssue().Signer()}}}))
	require.Error(t, srv.AddUser(remotetest.User{ID: "u"}))

	req, _ := http.NewRequest(http.MethodPost, srv.CSCURL()+"/auth/login", nil)
	req.SetBasicAuth("u", "pw")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var login struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&login))
	resp.Body.Close()
	tok := login.AccessToken

	h1, h2 := sha256.Sum256([]byte("1")), sha256.Sum256([]byte("2"))
	b1, b2 := base64.StdEncoding.EncodeToString(h1[:]), base64.StdEncoding.EncodeToString(h2[:])
	status, out := post(t, srv.CSCURL()+"/credentials/authorize", tok, map[string]any{
		"credentialID": "c", "numSignatures": 1, "hashes": []string{b1}, "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1"})
	require.Equal(t, 200, status, out)
	sad := out["SAD"].(string)

	sign := func(h string) (int, map[string]any) {
		return post(t, srv.CSCURL()+"/signatures/signHash", tok, map[string]any{
			"credentialID": "c", "SAD": sad, "hashes": []string{h}, "signAlgo": "1.2.840.10045.4.3.2"})
	}
	status, out = sign(b2)
	require.Equal(t, 400, status)
	require.Equal(t, "Hash is not authorized by the SAD", out["error_description"])
	status, out = sign(b1)
	require.Equal(t, 200, status, out)
	status, out = sign(b1)
	require.Equal(t, 400, status, "the SAD was for one signature")
	require.Equal(t, "Invalid parameter SAD", out["error_description"])
	require.Equal(t, 3, srv.Calls("csc/signatures/signHash"))

	status, out = post(t, srv.CSCURL()+"/credentials/list", "forged", map[string]any{})
	require.Equal(t, 401, status)
	require.Equal(t, "invalid_token", out["error"])

	_, out = post(t, srv.SP769URL()+"/signatures/sign", "", map[string]any{"sp_id": srv.SPID(), "sp_password": "x", "user_id": "u"})
	require.EqualValues(t, 401, out["status_code"])
	_, out = post(t, srv.SP769URL()+"/signatures/sign", "", map[string]any{"sp_id": srv.SPID(), "sp_password": srv.SPPassword(), "user_id": "u",
		"sign_files": []map[string]string{{"doc_id": "1", "sign_type": "file", "data_to_be_signed": "00"}}})
	require.EqualValues(t, 400, out["status_code"])
}
