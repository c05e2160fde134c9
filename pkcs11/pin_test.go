package pkcs11

import (
	"context"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	p11 "github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
)

// spyModule returns OpenSC's pkcs11-spy, which logs every PKCS#11 call the
// application makes to the real module.
func spyModule(t *testing.T) string {
	t.Helper()
	for _, p := range []string{
		"/usr/lib/x86_64-linux-gnu/pkcs11-spy.so",
		"/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so",
		"/usr/lib/aarch64-linux-gnu/pkcs11-spy.so",
		"/usr/lib64/pkcs11-spy.so",
		"/usr/lib/pkcs11-spy.so",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testutil.Missing(t, "pkcs11-spy.so not found; install Debian package opensc-pkcs11")
	return ""
}

// signConcurrently has n goroutines sign the SHA-256 digest of msg with
// sg at once and returns their errors.
func signConcurrently(sg *Signer, n int, msg string) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = sg.SignDigest(context.Background(), digestOf(crypto.SHA256, msg), crypto.SHA256)
		})
	}
	wg.Wait()
	return errs
}

// spied opens SoftHSM through pkcs11-spy, which logs every call kyso makes
// to it; calls counts the calls named call in that log so far.
func spied(t *testing.T) (f *fixture, m *Module, calls func(call string) int) {
	t.Helper()
	f = setup(t)
	spy := spyModule(t)
	logFile := filepath.Join(t.TempDir(), "spy.log")
	t.Setenv("PKCS11SPY", f.module)
	t.Setenv("PKCS11SPY_OUTPUT", logFile)
	m, err := Open(spy)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return f, m, func(call string) int {
		b, err := os.ReadFile(logFile)
		require.NoError(t, err)
		return strings.Count(string(b), call)
	}
}

// TestWrongPINIsNeverRetried counts, with pkcs11-spy between kyso and
// SoftHSM, the C_Login calls the token really receives: one per PIN the
// user typed, never more, so the token's retry counter only moves when
// the user tries.
func TestWrongPINIsNeverRetried(t *testing.T) {
	f, m, calls := spied(t)
	logins := func() int { return calls("C_Login") }

	pin := newPIN("000000")
	tok, err := m.OpenToken(TokenSpec{Label: "kyso-spy"}, Options{PIN: pin.fn, MaxSessions: 4})
	require.NoError(t, err)
	defer tok.Close()
	k := f.keys["kyso-spy/p256"]
	ctx := context.Background()

	for attempt := 1; attempt <= 3; attempt++ {
		_, err = tok.Signer(ctx, Certificate{Cert: k.cert, ID: k.id})
		require.ErrorIs(t, err, ErrPINIncorrect)
		require.ErrorIs(t, err, signer.ErrWrongPassword)
		var pe *PINError
		require.ErrorAs(t, err, &pe)
		// What SoftHSM really does: it sets CKF_USER_PIN_COUNT_LOW after a
		// wrong PIN, and has no retry limit (never FINAL_TRY or LOCKED).
		assert.True(t, pe.CountLow)
		assert.ErrorIs(t, err, ErrPINCountLow)
		assert.False(t, pe.FinalTry)
		assert.False(t, pe.Locked)
		assert.Equal(t, int32(attempt), pin.user.Load(), "one callback per attempt")
		assert.Equal(t, attempt, logins(), "one C_Login per attempt")
	}
	// The next prompt is told that a wrong PIN was entered.
	pin.pin.Store(testPIN)
	sg, err := tok.Signer(ctx, Certificate{Cert: k.cert, ID: k.id})
	require.NoError(t, err)
	req := pin.lastReq.Load().(PINRequest)
	assert.True(t, req.CountLow, "the callback sees CKF_USER_PIN_COUNT_LOW before the login")
	assert.False(t, req.FinalTry)
	assert.Equal(t, 4, logins())
	// A successful login clears the flag.
	ti, err := tok.Refresh()
	require.NoError(t, err)
	assert.False(t, ti.PINCountLow())

	d := digestOf(crypto.SHA256, "after wrong PINs")
	for range 5 {
		_, err = sg.SignDigest(ctx, d, crypto.SHA256)
		require.NoError(t, err)
	}
	assert.Equal(t, 4, logins(), "no login per signature")
	assert.Equal(t, int32(4), pin.user.Load())
}

func TestWrongPINOnSignature(t *testing.T) {
	f, m := openModuleTB(t)
	tok, sg, pin := countedSigner(t, f, m, "kyso-pin", "p256", Options{MaxSessions: 1})
	ctx := context.Background()
	d := digestOf(crypto.SHA256, "pin")

	// Lose the login (all sessions closed elsewhere), then type it wrong.
	closeAllSessions(t, f, tok.Info().Slot)
	pin.pin.Store("999999")
	_, err := sg.SignDigest(ctx, d, crypto.SHA256)
	require.ErrorIs(t, err, ErrPINIncorrect)
	assert.Equal(t, int32(2), pin.user.Load())
	_, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.ErrorIs(t, err, ErrPINIncorrect)
	assert.Equal(t, int32(3), pin.user.Load(), "each SignDigest is one attempt, no retries")

	// The callback can cancel; the error says so and nothing is signed.
	pin.failWith = errors.New("người dùng hủy")
	_, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.ErrorIs(t, err, pin.failWith)
	pin.failWith = nil

	// An empty PIN is not sent (it would reach the token as NULL).
	pin.pin.Store("")
	_, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.ErrorIs(t, err, ErrPINIncorrect)
	ti, err := tok.Refresh()
	require.NoError(t, err)
	assert.True(t, ti.PINCountLow(), "still set by the earlier wrong PINs")

	pin.pin.Store(testPIN)
	_, err = sg.SignDigest(ctx, d, crypto.SHA256)
	require.NoError(t, err)

	// No callback at all.
	tok2 := openToken(t, m, "kyso-pin", Options{})
	closeAllSessions(t, f, tok2.Info().Slot)
	_, err = tok2.Signer(ctx, Certificate{Cert: f.keys["kyso-pin/p256"].cert})
	require.ErrorIs(t, err, ErrPINRequired)
}

// TestPINFlagsBeforeLogin: a token that says its PIN is locked is refused
// without asking the user or calling C_Login; final-try and count-low
// reach the callback. SoftHSM never sets these flags, so the flags are
// given here as a token would report them.
func TestPINFlagsBeforeLogin(t *testing.T) {
	locked := TokenInfo{Label: "VNPT-CA", Flags: p11.CKF_LOGIN_REQUIRED | p11.CKF_USER_PIN_LOCKED | p11.CKF_USER_PIN_COUNT_LOW}
	err := preLoginCheck(locked, false)
	require.ErrorIs(t, err, ErrPINLocked)
	var pe *PINError
	require.ErrorAs(t, err, &pe)
	assert.True(t, pe.Locked)
	assert.NotErrorIs(t, err, signer.ErrWrongPassword)
	require.NoError(t, preLoginCheck(TokenInfo{Flags: p11.CKF_USER_PIN_FINAL_TRY}, false))

	final := &PINError{Err: ErrPINIncorrect, Token: "BkavCA", CountLow: true, FinalTry: true}
	assert.ErrorIs(t, final, ErrPINFinalTry)
	assert.ErrorIs(t, final, ErrPINCountLow)
	assert.ErrorIs(t, final, signer.ErrWrongPassword)
	assert.Contains(t, final.Error(), "one more incorrect PIN locks the token")
	nowLocked := &PINError{Err: ErrPINIncorrect, Token: "BkavCA", Locked: true}
	assert.ErrorIs(t, nowLocked, ErrPINLocked)
	assert.Contains(t, nowLocked.Error(), "now locked")

	// The request a PIN callback gets for a pinpad token: the PIN it
	// returns is ignored and C_Login receives NULL.
	var got PINRequest
	tok := &Token{opts: Options{PIN: func(_ context.Context, r PINRequest) (string, error) {
		got = r
		return "ignored", nil
	}}}
	pin, err := tok.askPIN(context.Background(), PINRequest{Token: TokenInfo{Label: "pinpad"}, ProtectedPath: true, FinalTry: true})
	require.NoError(t, err)
	assert.Equal(t, "", pin)
	assert.True(t, got.ProtectedPath)
	assert.True(t, got.FinalTry)
	tok.opts.PIN = nil
	pin, err = tok.askPIN(context.Background(), PINRequest{ProtectedPath: true})
	require.NoError(t, err, "a pinpad needs no callback")
	assert.Equal(t, "", pin)
}

// TestLoginResultMapping feeds C_Login failures through the real token so
// the flags are read back from SoftHSM.
func TestLoginResultMapping(t *testing.T) {
	_, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-pin", Options{})
	slot := tok.Info().Slot
	for code, want := range map[uint]error{
		p11.CKR_PIN_INCORRECT: ErrPINIncorrect,
		p11.CKR_PIN_LEN_RANGE: ErrPINIncorrect,
		p11.CKR_PIN_LOCKED:    ErrPINLocked,
		p11.CKR_PIN_EXPIRED:   ErrPINExpired,
	} {
		err := tok.loginResult(slot, "kyso-pin", false, p11.Error(code))
		require.ErrorIs(t, err, want)
		var pe *PINError
		require.ErrorAs(t, err, &pe)
		var raw p11.Error
		require.ErrorAs(t, err, &raw)
		assert.Equal(t, p11.Error(code), raw)
	}
	require.NoError(t, tok.loginResult(slot, "kyso-pin", false, p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN)))
	err := tok.loginResult(slot, "kyso-pin", false, p11.Error(p11.CKR_DEVICE_REMOVED))
	require.ErrorIs(t, err, ErrTokenNotPresent)
}

// TestNullPINReachesModule shows that the login kyso makes for a pinpad
// token passes a NULL PIN: SoftHSM, which has no pinpad, answers
// CKR_ARGUMENTS_BAD to exactly that.
func TestNullPINReachesModule(t *testing.T) {
	_, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-pin", Options{})
	s, err := tok.acquire(context.Background(), false)
	require.NoError(t, err)
	defer tok.release(s, nil, true)
	err = m.lib.ctx.Login(s.h, p11.CKU_USER, "")
	assert.Equal(t, p11.Error(p11.CKR_ARGUMENTS_BAD), err)
}

// TestAlwaysAuthenticate: a key with CKA_ALWAYS_AUTHENTICATE gets a
// context-specific login before every signature.
func TestAlwaysAuthenticate(t *testing.T) {
	f, m := openModuleTB(t)
	tok, sg, pin := countedSigner(t, f, m, "kyso-main", "always-auth", Options{})
	require.True(t, sg.key.alwaysAuth)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		d := digestOf(crypto.SHA256, "always "+string(rune('0'+i)))
		_, err := sg.SignDigest(ctx, d, crypto.SHA256)
		require.NoError(t, err)
		assert.Equal(t, int32(i), pin.context.Load())
	}
	req := pin.lastReq.Load().(PINRequest)
	assert.True(t, req.ContextSpecific)
	assert.Equal(t, "always-auth", req.KeyLabel)
	assert.Equal(t, int32(1), pin.user.Load(), "one user login")

	// A wrong context PIN fails that signature only.
	pin.pin.Store("111111")
	_, err := sg.SignDigest(ctx, digestOf(crypto.SHA256, "x"), crypto.SHA256)
	require.ErrorIs(t, err, ErrPINIncorrect)
	var pe *PINError
	require.ErrorAs(t, err, &pe)
	assert.True(t, pe.Context)
	pin.pin.Store(testPIN)
	_, err = sg.SignDigest(ctx, digestOf(crypto.SHA256, "y"), crypto.SHA256)
	require.NoError(t, err)

	// Other keys on the token sign without a context login.
	before := pin.context.Load()
	_, err = keySigner(t, f, tok, "kyso-main/p256").SignDigest(ctx, digestOf(crypto.SHA256, "z"), crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, before, pin.context.Load())
}

// closeAllSessions closes every session of this process on slot through a
// second handle on the module, as another library in the same process (or
// a middleware reset) does.
func closeAllSessions(t testing.TB, f *fixture, slot uint) {
	t.Helper()
	raw := p11.New(f.module)
	require.NotNil(t, raw)
	defer raw.Destroy()
	require.Equal(t, p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED), raw.Initialize())
	require.NoError(t, raw.CloseAllSessions(slot))
}

// TestConcurrentWrongPINTriedOnce: goroutines that need a login at the same
// time wait for one attempt and share its failure; a wrong PIN is not
// tried once per goroutine (the pkcs11key lock-out trap).
func TestConcurrentWrongPINTriedOnce(t *testing.T) {
	f, m := openModuleTB(t)
	var q *queuedLogins
	var calls atomic.Int32
	wrong := func(context.Context, PINRequest) (string, error) {
		calls.Add(1)
		// The user is typing while every other signature joins the queue
		// (event-driven, so a loaded machine cannot make a late goroutine
		// start a second attempt after this one failed).
		q.wait(8, 10*time.Second)
		return "000000", nil
	}
	good := newPIN(testPIN)
	tok := openToken(t, m, "kyso-pin", Options{PIN: wrong, MaxSessions: 8})
	k := f.keys["kyso-pin/p256"]
	// Log in first, so the Signer exists; then lose the login.
	tokGood := openToken(t, m, "kyso-pin", Options{PIN: good.fn})
	sg, err := tokGood.Signer(context.Background(), Certificate{Cert: k.cert, ID: k.id})
	require.NoError(t, err)
	sg.tok = tok
	closeAllSessions(t, f, tok.Info().Slot)

	q = hookLoginQueue(t) // count only the signatures below
	for _, err := range signConcurrently(sg, 8, "c") {
		require.ErrorIs(t, err, ErrPINIncorrect)
	}
	assert.Equal(t, int32(1), calls.Load(), "one PIN attempt for eight waiting signatures")

	// A later call is a new attempt.
	_, err = sg.SignDigest(context.Background(), digestOf(crypto.SHA256, "c"), crypto.SHA256)
	require.ErrorIs(t, err, ErrPINIncorrect)
	assert.Equal(t, int32(2), calls.Load())
}

func TestFixedPIN(t *testing.T) {
	fn := FixedPIN("246810")
	pin, err := fn(context.Background(), PINRequest{CountLow: true})
	require.NoError(t, err)
	assert.Equal(t, "246810", pin)
	_, err = fn(context.Background(), PINRequest{Token: TokenInfo{Label: "FPT-CA"}, FinalTry: true})
	require.ErrorIs(t, err, ErrPINFinalTry)
	assert.NotErrorIs(t, err, signer.ErrWrongPassword)
}

// queuedLogins counts, through testHookLoginQueued, the callers that
// reached the login queue of a slot; wait blocks until n have.
type queuedLogins struct {
	mu   sync.Mutex
	n    int
	cond *sync.Cond
}

func hookLoginQueue(t *testing.T) *queuedLogins {
	q := &queuedLogins{}
	q.cond = sync.NewCond(&q.mu)
	testHookLoginQueued = func() {
		q.mu.Lock()
		q.n++
		q.cond.Broadcast()
		q.mu.Unlock()
	}
	t.Cleanup(func() { testHookLoginQueued = nil })
	return q
}

// wait returns when n callers queued, or false after timeout.
func (q *queuedLogins) wait(n int, timeout time.Duration) bool {
	timer := time.AfterFunc(timeout, func() {
		q.mu.Lock()
		q.n = -1 << 30 // give up
		q.cond.Broadcast()
		q.mu.Unlock()
	})
	defer timer.Stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n >= 0 && q.n < n {
		q.cond.Wait()
	}
	return q.n >= n
}

// TestConcurrentWrongContextPINTriedOnce: signatures with a
// CKA_ALWAYS_AUTHENTICATE key each need a context-specific login. With a
// wrong PIN (a FixedPIN with a stale secret), concurrent signatures must not
// each spend an attempt: they would lock the token in one burst, before
// FixedPIN could see CKF_USER_PIN_FINAL_TRY. They queue, and share a
// failure, as user logins do.
func TestConcurrentWrongContextPINTriedOnce(t *testing.T) {
	f, m := openModuleTB(t)
	var q *queuedLogins
	const n = 8
	var contextCalls atomic.Int32
	pin := func(_ context.Context, req PINRequest) (string, error) {
		if !req.ContextSpecific {
			return testPIN, nil
		}
		contextCalls.Add(1)
		// The user is slow to type: every signature reaches the queue
		// first (or, without one, the callback runs n times at once).
		q.wait(n, 3*time.Second)
		return "000000", nil
	}
	tok := openToken(t, m, "kyso-main", Options{PIN: pin, MaxSessions: n})
	sg := keySigner(t, f, tok, "kyso-main/always-auth")
	require.True(t, sg.key.alwaysAuth)

	q = hookLoginQueue(t) // count only the signatures below
	for _, err := range signConcurrently(sg, n, "ctx") {
		require.ErrorIs(t, err, ErrPINIncorrect)
	}
	assert.Equal(t, int32(1), contextCalls.Load(), "one context PIN attempt for eight waiting signatures")

	// Later signatures are new attempts, and a right PIN works again.
	_, err := sg.SignDigest(context.Background(), digestOf(crypto.SHA256, "ctx"), crypto.SHA256)
	require.ErrorIs(t, err, ErrPINIncorrect)
	assert.Equal(t, int32(2), contextCalls.Load())
	good := newPIN(testPIN)
	tok2 := openToken(t, m, "kyso-main", Options{PIN: good.fn})
	sg2 := keySigner(t, f, tok2, "kyso-main/always-auth")
	_, err = sg2.SignDigest(context.Background(), digestOf(crypto.SHA256, "ctx"), crypto.SHA256)
	require.NoError(t, err)
}

// TestCancelDuringLogin: a caller whose context ends while the PIN dialog
// is open gets the context's error and no login is made with the PIN the
// dialog returns late; a caller whose context ends while it waits behind
// that dialog leaves at once. Neither failure is shared with the next
// caller, which is asked for the PIN again.
func TestCancelDuringLogin(t *testing.T) {
	f, m := openModuleTB(t)
	entered := make(chan struct{}, 4)
	release := make(chan struct{})
	var calls atomic.Int32
	pin := func(context.Context, PINRequest) (string, error) {
		if calls.Add(1) == 1 {
			entered <- struct{}{}
			<-release // the dialog ignores ctx and answers late
		}
		return testPIN, nil
	}
	k := f.keys["kyso-pin/p256"]
	good := openToken(t, m, "kyso-pin", Options{PIN: newPIN(testPIN).fn})
	sg, err := good.Signer(context.Background(), Certificate{Cert: k.cert, ID: k.id})
	require.NoError(t, err)
	tok := openToken(t, m, "kyso-pin", Options{PIN: pin, MaxSessions: 4})
	sg.tok = tok
	closeAllSessions(t, f, tok.Info().Slot)
	q := hookLoginQueue(t)
	d := digestOf(crypto.SHA256, "cancel")

	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := sg.SignDigest(ctxA, d, crypto.SHA256); errA <- err }()
	<-entered
	ctxB, cancelB := context.WithCancel(context.Background())
	errB := make(chan error, 1)
	go func() { _, err := sg.SignDigest(ctxB, d, crypto.SHA256); errB <- err }()
	require.True(t, q.wait(2, 10*time.Second), "B queued behind A's dialog")
	cancelB()
	require.ErrorIs(t, <-errB, context.Canceled, "B leaves while A's dialog is still open")
	cancelA()
	close(release)
	require.ErrorIs(t, <-errA, context.Canceled)
	require.Equal(t, int32(1), calls.Load())

	// Not logged in by the late answer: the next call asks again, and works.
	si, err := tok.Refresh()
	require.NoError(t, err)
	require.False(t, si.PINCountLow(), "no wrong PIN was spent")
	sig, err := sg.SignDigest(context.Background(), d, crypto.SHA256)
	require.NoError(t, err)
	require.NotEmpty(t, sig)
	require.Equal(t, int32(2), calls.Load())
}
