package pkcs11

import (
	"context"
	"crypto"
	"fmt"
	"testing"

	p11 "github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

// signLosingSession takes a session, has lose end it (or its login) from
// outside, and signs d on it: the call must fail with ErrSessionLost
// wrapping the PKCS#11 error want.
func signLosingSession(t *testing.T, tok *Token, sg *Signer, d []byte, h crypto.Hash, lose func(), want uint) {
	t.Helper()
	ctx := context.Background()
	s, err := tok.acquire(ctx, true)
	require.NoError(t, err)
	lose()
	mech, input, err := sg.mechanism(d, h)
	require.NoError(t, err)
	_, keep, err := sg.sign(ctx, s, mech, input)
	tok.release(s, err, keep)
	require.ErrorIs(t, err, ErrSessionLost)
	var code p11.Error
	require.ErrorAs(t, err, &code)
	assert.Equal(t, p11.Error(want), code)
}

// TestRecoverAfterSessionsClosed: another handle on the module closes all
// sessions of the slot (SoftHSM then also forgets the login). The next
// signature opens a new session and logs in again through the callback.
func TestRecoverAfterSessionsClosed(t *testing.T) {
	f, m := openModuleTB(t)
	tok, sg, pin := countedSigner(t, f, m, "kyso-lost", "p256", Options{})
	ctx := context.Background()
	d := digestOf(crypto.SHA256, "lost")
	_, err := sg.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)
	require.Equal(t, int32(1), pin.user.Load())

	// Found dead before signing: replaced within the call.
	closeAllSessions(t, f, tok.Info().Slot)
	sig, err := sg.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(sg.Certificate().PublicKey, d, crypto.SHA256, sig))
	assert.Equal(t, int32(2), pin.user.Load(), "logged in again through the callback")

	// Lost in the middle of a signature: that call fails with a clear
	// error, the next one recovers.
	signLosingSession(t, tok, sg, d, crypto.SHA256, func() { closeAllSessions(t, f, tok.Info().Slot) }, p11.CKR_SESSION_HANDLE_INVALID)

	sig, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(sg.Certificate().PublicKey, d, crypto.SHA256, sig))
	assert.Equal(t, int32(3), pin.user.Load())
}

// TestRecoverAfterLogout: another session logs out, which ends the login of
// the whole application (CKR_USER_NOT_LOGGED_IN).
func TestRecoverAfterLogout(t *testing.T) {
	f, m := openModuleTB(t)
	tok, sg, pin := countedSigner(t, f, m, "kyso-logout", "rsa2048", Options{MaxSessions: 2})
	ctx := context.Background()
	d := digestOf(crypto.SHA384, "logout")
	_, err := sg.SignDigest(ctx, d, crypto.SHA384)
	require.NoError(t, err)

	logout := func() {
		h, err := m.lib.ctx.OpenSession(tok.Info().Slot, p11.CKF_SERIAL_SESSION)
		require.NoError(t, err)
		require.NoError(t, m.lib.ctx.Logout(h))
		require.NoError(t, m.lib.ctx.CloseSession(h))
	}
	logout()
	_, err = sg.SignDigest(ctx, d, crypto.SHA384)
	require.NoError(t, err)
	assert.Equal(t, int32(2), pin.user.Load())

	signLosingSession(t, tok, sg, d, crypto.SHA384, logout, p11.CKR_USER_NOT_LOGGED_IN)

	_, err = sg.SignDigest(ctx, d, crypto.SHA384)
	require.NoError(t, err)
	assert.Equal(t, int32(3), pin.user.Load())
}

// TestTokenReinitialised: another process re-initialises the token
// (softhsm2-util --init-token on its slot), wiping its objects, as a user
// resetting a token with the vendor tool does. Signing then fails with
// signer.ErrNoKey; a different key put under the certificate's CKA_ID is
// not used; once the certificate's own key is back, signing works again.
func TestTokenReinitialised(t *testing.T) {
	f, m := openModuleTB(t)
	tok, sg, _ := countedSigner(t, f, m, "kyso-reinit", "p256", Options{})
	ctx := context.Background()
	d := digestOf(crypto.SHA256, "reinit")
	_, err := sg.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)
	slot := tok.Info().Slot
	out, err := run("softhsm2-util", "--init-token", "--slot", fmt.Sprint(slot), "--label", "kyso-reinit", "--so-pin", testSOPIN, "--pin", testPIN)
	require.NoError(t, err, out)

	sig, err := sg.SignDigest(ctx, d, crypto.SHA256)
	require.ErrorIs(t, err, signer.ErrNoKey)
	assert.Nil(t, sig)
	certs, err := tok.Certificates(ctx)
	require.NoError(t, err)
	assert.Empty(t, certs)

	// Another key under the certificate's CKA_ID: not the certificate's key.
	stranger := f.pki.MustIssue()
	require.NoError(t, f.importKey("kyso-reinit", "stranger", "01", "01", stranger))
	sig, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.ErrorIs(t, err, signer.ErrNoKey)
	assert.Nil(t, sig)

	// The certificate's own key comes back (under another CKA_ID).
	require.NoError(t, f.importKeyOnly("kyso-reinit", "p256", "02", f.keys["kyso-reinit/p256"].ident))
	sig, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(sg.Certificate().PublicKey, d, crypto.SHA256, sig))
	assert.Equal(t, "p256", sg.key.label)
}

// TestTokenMovedToAnotherSlot: a re-inserted token often comes back under
// a new slot ID; the module then answers CKR_SLOT_ID_INVALID for the old
// one. The Token finds it again by serial number.
func TestTokenMovedToAnotherSlot(t *testing.T) {
	f, m := openModuleTB(t)
	tok, sg, pin := countedSigner(t, f, m, "kyso-lost", "p256", Options{})
	real := tok.Info().Slot
	d := digestOf(crypto.SHA256, "moved")

	// Forget the sessions and point the Token at a slot that no longer
	// exists, as after unplugging.
	tok.mu.Lock()
	tok.slot = real + 1000
	tok.mu.Unlock()
	tok.invalidate(tok.gen)
	sig, err := sg.SignDigest(context.Background(), d, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, signer.CheckSignature(sg.Certificate().PublicKey, d, crypto.SHA256, sig))
	assert.Equal(t, real, tok.Info().Slot)

	// A token that is really gone: a clear error naming the serial.
	tok2 := openToken(t, m, "kyso-lost", Options{PIN: pin.fn})
	sg2 := keySigner(t, f, tok2, "kyso-lost/p256")
	tok2.mu.Lock()
	tok2.slot = real + 1000
	tok2.serial = "0000000000000000"
	tok2.mu.Unlock()
	tok2.invalidate(tok2.gen)
	_, err = sg2.SignDigest(context.Background(), d, crypto.SHA256)
	require.ErrorIs(t, err, ErrTokenNotPresent)
	require.ErrorIs(t, err, ErrTokenNotFound)
	t.Log(err)
}

func TestLossClassification(t *testing.T) {
	for code, want := range map[uint]error{
		p11.CKR_DEVICE_REMOVED:         ErrTokenNotPresent,
		p11.CKR_TOKEN_NOT_PRESENT:      ErrTokenNotPresent,
		p11.CKR_SLOT_ID_INVALID:        ErrTokenNotPresent,
		p11.CKR_SESSION_HANDLE_INVALID: ErrSessionLost,
		p11.CKR_SESSION_CLOSED:         ErrSessionLost,
		p11.CKR_USER_NOT_LOGGED_IN:     ErrSessionLost,
		p11.CKR_PIN_INCORRECT:          nil,
		p11.CKR_FUNCTION_FAILED:        nil,
	} {
		err := wrapLoss("C_Sign", p11.Error(code))
		if want == nil {
			assert.NotErrorIs(t, err, ErrSessionLost)
			assert.NotErrorIs(t, err, ErrTokenNotPresent)
		} else {
			assert.ErrorIs(t, err, want)
		}
		var raw p11.Error
		require.ErrorAs(t, err, &raw)
		assert.Equal(t, p11.Error(code), raw)
	}
}
