package remote_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

var digest = func() []byte { h := sha256.Sum256([]byte("văn bản")); return h[:] }()

// TestCSCErrors drives every failure the issue names through the
// simulator and checks the typed error.
func TestCSCErrors(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	slow := []remotetest.Step{{Delay: time.Hour}}
	e.user("pin", remotetest.Credential{ID: "c-pin", PIN: "1111"})
	e.user("decline", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.Decline, Delay: 20 * time.Millisecond}}})
	e.user("expire", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.Expire, Delay: 40 * time.Millisecond}}})
	e.user("slow", remotetest.Credential{Script: slow})
	e.user("disabled", remotetest.Credential{ID: "c-off"})
	e.user("bad", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.BadSignature}}})
	e.user("ok", remotetest.Credential{})
	ctx := context.Background()

	open := func(user string, auth remote.Authorization, cfg remote.CSCConfig) *remote.CSCSigner {
		t.Helper()
		cfg.Username, cfg.Password = user, "mat-khau-"+user
		s, err := e.csc(cfg).Signer(ctx, "", auth)
		require.NoError(t, err)
		return s
	}

	t.Run("wrong credentials", func(t *testing.T) {
		c := e.csc(remote.CSCConfig{Username: "ok", Password: "sai"})
		_, err := c.Signer(ctx, "", remote.Authorization{})
		require.ErrorIs(t, err, remote.ErrWrongCredentials)
		var re *remote.Error
		require.ErrorAs(t, err, &re)
		require.Equal(t, "auth/login", re.Op)
		require.Equal(t, "authentication_error", re.Code)
		_, err = e.csc(remote.CSCConfig{AccessToken: "forged"}).Credentials(ctx)
		require.ErrorIs(t, err, remote.ErrWrongCredentials)
	})
	t.Run("wrong PIN then locked", func(t *testing.T) {
		s := open("pin", remote.Authorization{PIN: "0000"}, remote.CSCConfig{})
		good := open("pin", remote.Authorization{PIN: "1111"}, remote.CSCConfig{})
		for range 3 {
			_, err := s.SignDigest(ctx, digest, crypto.SHA256)
			require.ErrorIs(t, err, remote.ErrPINIncorrect)
			require.ErrorIs(t, err, signer.ErrWrongPassword)
		}
		_, err := good.SignDigest(ctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, remote.ErrCredentialDisabled, "three wrong PINs lock the credential")
		_, err = e.csc(remote.CSCConfig{Username: "pin", Password: "mat-khau-pin"}).Signer(ctx, "", remote.Authorization{PIN: "1111"})
		require.ErrorIs(t, err, remote.ErrCredentialDisabled)
	})
	t.Run("declined", func(t *testing.T) {
		_, err := open("decline", remote.Authorization{}, remote.CSCConfig{}).SignDigest(ctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, remote.ErrDeclined)
	})
	t.Run("service timeout", func(t *testing.T) {
		_, err := open("expire", remote.Authorization{}, remote.CSCConfig{}).SignDigest(ctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, remote.ErrTimeout)
		require.NotErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("client timeout", func(t *testing.T) {
		s := open("slow", remote.Authorization{}, remote.CSCConfig{Timeout: 150 * time.Millisecond})
		start := time.Now()
		_, err := s.SignDigest(ctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, remote.ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 10*time.Second)
	})
	t.Run("cancelled", func(t *testing.T) {
		s := open("slow", remote.Authorization{}, remote.CSCConfig{})
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := s.SignDigest(cctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, remote.ErrTimeout)
	})
	t.Run("credential disabled", func(t *testing.T) {
		s := open("disabled", remote.Authorization{}, remote.CSCConfig{})
		e.srv.SetDisabled("c-off", true)
		_, err := s.SignDigest(ctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, remote.ErrCredentialDisabled)
		_, err = e.csc(remote.CSCConfig{Username: "disabled", Password: "mat-khau-disabled"}).Signer(ctx, "", remote.Authorization{})
		require.ErrorIs(t, err, remote.ErrCredentialDisabled, "info says key/status disabled")
		e.srv.SetDisabled("c-off", false)
	})
	t.Run("bad signature", func(t *testing.T) {
		_, err := open("bad", remote.Authorization{}, remote.CSCConfig{}).SignDigest(ctx, digest, crypto.SHA256)
		require.ErrorIs(t, err, signer.ErrBadSignature)
	})
	t.Run("unknown credential", func(t *testing.T) {
		_, err := e.csc(remote.CSCConfig{Username: "ok", Password: "mat-khau-ok"}).Signer(ctx, "nope", remote.Authorization{})
		require.ErrorIs(t, err, remote.ErrNotFound)
	})
}

// TestCSCSADExpired: a SAD that expires before signHash is ErrSADExpired.
func TestCSCSADExpired(t *testing.T) {
	e := newEnv(t, remotetest.Config{SADLifetime: time.Nanosecond})
	e.user("ok", remotetest.Credential{})
	s, err := e.csc(remote.CSCConfig{Username: "ok", Password: "mat-khau-ok"}).Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.ErrorIs(t, err, remote.ErrSADExpired)
}

// TestRateLimited: HTTP 429 is ErrRateLimited with Retry-After, on both APIs.
func TestRateLimited(t *testing.T) {
	e := newEnv(t, remotetest.Config{RateLimit: 2})
	e.user("ok", remotetest.Credential{})
	c := e.csc(remote.CSCConfig{Username: "ok", Password: "mat-khau-ok"})
	var err error
	for range 5 {
		if _, err = c.Credentials(context.Background()); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, remote.ErrRateLimited)
	var re *remote.Error
	require.ErrorAs(t, err, &re)
	require.Equal(t, time.Second, re.RetryAfter)

	time.Sleep(1100 * time.Millisecond)
	sp := e.sp769(remote.SP769Config{})
	for range 5 {
		if _, err = sp.GetCertificate(context.Background(), "ok", ""); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, remote.ErrRateLimited)
}

// TestSP769Errors drives the sp769 failures.
func TestSP769Errors(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("decline", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.Decline, Delay: 20 * time.Millisecond}}})
	e.user("expire", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.Expire, Delay: 40 * time.Millisecond}}})
	e.user("slow", remotetest.Credential{Script: []remotetest.Step{{Delay: time.Hour}}})
	e.user("disabled", remotetest.Credential{ID: "sp-off"})
	e.user("bad", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.BadSignature}}})
	ctx := context.Background()
	open := func(user string, cfg remote.SP769Config) *remote.SP769Signer {
		t.Helper()
		s, err := e.sp769(cfg).Signer(ctx, user, "")
		require.NoError(t, err)
		return s
	}

	_, err := e.sp769(remote.SP769Config{SPID: "kyso-sp", SPPassword: "sai"}).GetCertificate(ctx, "decline", "")
	require.ErrorIs(t, err, remote.ErrWrongCredentials)
	_, err = e.sp769(remote.SP769Config{}).GetCertificate(ctx, "nobody", "")
	require.ErrorIs(t, err, remote.ErrNotFound)
	_, err = e.sp769(remote.SP769Config{}).Signer(ctx, "decline", "DEADBEEF")
	require.ErrorIs(t, err, remote.ErrNotFound)

	_, err = open("decline", remote.SP769Config{}).SignDigest(ctx, digest, crypto.SHA256)
	require.ErrorIs(t, err, remote.ErrDeclined)
	_, err = open("expire", remote.SP769Config{}).SignDigest(ctx, digest, crypto.SHA256)
	require.ErrorIs(t, err, remote.ErrTimeout)
	_, err = open("slow", remote.SP769Config{Timeout: 150 * time.Millisecond}).SignDigest(ctx, digest, crypto.SHA256)
	require.ErrorIs(t, err, remote.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(80*time.Millisecond, cancel)
	_, err = open("slow", remote.SP769Config{}).SignDigest(cctx, digest, crypto.SHA256)
	require.ErrorIs(t, err, context.Canceled)

	s := open("disabled", remote.SP769Config{})
	e.srv.SetDisabled("sp-off", true)
	_, err = s.SignDigest(ctx, digest, crypto.SHA256)
	require.ErrorIs(t, err, remote.ErrCredentialDisabled)

	_, err = open("bad", remote.SP769Config{}).SignDigest(ctx, digest, crypto.SHA256)
	require.ErrorIs(t, err, signer.ErrBadSignature)

	_, err = open("bad", remote.SP769Config{}).SignDigest(ctx, digest, &rsa.PSSOptions{Hash: crypto.SHA256})
	require.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm)
}

// TestCSCAsyncAndPSS: operationMode "A" polls signatures/signPolling; an
// RSA-PSS signature carries signAlgoParams the simulator decodes.
func TestCSCAsyncAndPSS(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("ok", remotetest.Credential{}, pkitest.RSAKey(2048), pkitest.Person("Phạm Thị Dung", "001190000002"))
	s, err := e.csc(remote.CSCConfig{Username: "ok", Password: "mat-khau-ok", Async: true}).Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	sigs, err := s.SignDigests(context.Background(), [][]byte{digest, digest[:]}, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
	require.NoError(t, err)
	require.Len(t, sigs, 2)
	require.NoError(t, rsa.VerifyPSS(s.Certificate().PublicKey.(*rsa.PublicKey), crypto.SHA256, digest, sigs[0], nil))
	require.Equal(t, 2, e.srv.Calls("csc/signatures/signPolling"))
}

// TestCSCECDSA: an ECDSA credential's signatures come back as DER.
func TestCSCECDSA(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("ec", remotetest.Credential{}, pkitest.ECDSAKey(nil), pkitest.Person("Lê Văn Cường", "001090000001"))
	s, err := e.csc(remote.CSCConfig{Username: "ec", Password: "mat-khau-ec"}).Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	sig, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(s.Certificate().PublicKey, digest, crypto.SHA256, sig))
}

// TestCSCOAuth2ClientCredentials logs in with the client-credentials grant
// at the token endpoint announced by info.
func TestCSCOAuth2ClientCredentials(t *testing.T) {
	e := newEnv(t, remotetest.Config{ClientUser: "ok"})
	e.user("ok", remotetest.Credential{})
	c := e.csc(remote.CSCConfig{ClientID: "kyso-client", ClientSecret: "kyso-secret"})
	s, err := c.Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	_, err = s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	require.Equal(t, 1, e.srv.Calls("csc/oauth2/token"))
	_, err = e.csc(remote.CSCConfig{ClientID: "kyso-client", ClientSecret: "sai"}).Credentials(context.Background())
	require.ErrorIs(t, err, remote.ErrWrongCredentials)
}

// TestSP769Callback waits through the call-back handler instead of polling.
func TestSP769Callback(t *testing.T) {
	cb := remote.NewSP769Callbacks()
	hook := httptest.NewServer(cb)
	t.Cleanup(hook.Close)
	e := newEnv(t, remotetest.Config{CallbackURL: hook.URL})
	e.user("u", remotetest.Credential{Script: []remotetest.Step{{Delay: 50 * time.Millisecond}, {Outcome: remotetest.Decline, Delay: 50 * time.Millisecond}}})
	s, err := e.sp769(remote.SP769Config{Callbacks: cb, PollInterval: time.Hour}).Signer(context.Background(), "u", "")
	require.NoError(t, err)
	sig, err := s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(s.Certificate().PublicKey, digest, crypto.SHA256, sig))
	_, err = s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.ErrorIs(t, err, remote.ErrDeclined)
	require.Zero(t, e.srv.Calls("sp769/status"), "no polling")
	require.Equal(t, 2, e.srv.Calls("sp769/callback"))

	// A call-back for a transaction nobody waits for is refused.
	resp, err := http.Post(hook.URL, "application/json", jsonBody(`{"status_code":200,"data":{"transaction_id":"x"}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestErrorMessages(t *testing.T) {
	err := &remote.Error{API: "csc", Op: "signatures/signHash", HTTPStatus: 400, Code: "invalid_request", Message: "SAD expired", Kind: remote.ErrSADExpired}
	require.Equal(t, "remote: csc signatures/signHash: HTTP 400 invalid_request: SAD expired (signature activation data expired)", err.Error())
	require.True(t, errors.Is(err, remote.ErrSADExpired))
	require.True(t, errors.Is(&remote.Error{API: "sp769", Op: "sign"}, remote.ErrService))
}

// TestCSCInfo reads the info method, which needs no login.
func TestCSCInfo(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	info, err := e.csc(remote.CSCConfig{Username: "x", Password: "y"}).Info(context.Background())
	require.NoError(t, err)
	require.Equal(t, "VN", info.Region)
	require.Contains(t, info.Methods, "credentials/authorizeCheck")
	require.Contains(t, info.AuthType, "basic")
	require.True(t, info.AsyncMode)
	require.Zero(t, e.srv.Calls("csc/auth/login"))
}

// TestSP769NEACPaths uses the method paths of NEAC's gateway as the laverca
// client calls them (BASE/get_certificate, BASE/sign) and its file_options
// object, answered at once.
func TestSP769NEACPaths(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("84912345678", remotetest.Credential{})
	c := e.sp769(remote.SP769Config{GetCertificatePath: "get_certificate", SignPath: "sign", FileOptions: true})
	s, err := c.Signer(context.Background(), "84912345678", "")
	require.NoError(t, err)
	sigs, err := s.SignDigests(context.Background(), [][]byte{digest, digest}, crypto.SHA256)
	require.NoError(t, err)
	require.Len(t, sigs, 2)
	require.Equal(t, 1, e.srv.Calls("sp769/get_certificate"))
	require.Equal(t, 1, e.srv.Calls("sp769/sign"))
	require.Zero(t, e.srv.Calls("sp769/status"), "answered synchronously")
}

// TestCSCLogsInAgain: when the service stops accepting the access token,
// the client logs in once more and carries on.
func TestCSCLogsInAgain(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("ok", remotetest.Credential{})
	s, err := e.csc(remote.CSCConfig{Username: "ok", Password: "mat-khau-ok"}).Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	e.srv.ExpireTokens()
	_, err = s.SignDigest(context.Background(), digest, crypto.SHA256)
	require.NoError(t, err)
	require.Equal(t, 2, e.srv.Calls("csc/auth/login"))
}
