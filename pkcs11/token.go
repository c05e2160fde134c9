package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	p11 "github.com/miekg/pkcs11"
)

// TokenSpec selects a token. Every non-zero field must match; a spec with no
// field set selects the only present token. Serial and Label are compared
// after trimming padding and NUL bytes and NFC normalisation. When more than
// one token matches, OpenToken fails with ErrAmbiguousToken rather than
// guess (two tokens of the same CA often carry the same label).
type TokenSpec struct {
	Serial string // the token's serial number (TokenInfo.Serial)
	Label  string // the token's label (TokenInfo.Label)
	Slot   *uint  // nil: any slot
}

// SlotID returns a pointer to id, for TokenSpec.Slot.
func SlotID(id uint) *uint { return &id }

// String describes the selection for error messages, e.g. `serial "54AB"`.
func (s TokenSpec) String() string {
	var parts []string
	if s.Serial != "" {
		parts = append(parts, fmt.Sprintf("serial %q", s.Serial))
	}
	if s.Label != "" {
		parts = append(parts, fmt.Sprintf("label %q", s.Label))
	}
	if s.Slot != nil {
		parts = append(parts, fmt.Sprintf("slot %d", *s.Slot))
	}
	if len(parts) == 0 {
		return "any token"
	}
	return strings.Join(parts, ", ")
}

func (s TokenSpec) matches(ti TokenInfo) bool {
	if s.Slot != nil && *s.Slot != ti.Slot {
		return false
	}
	if s.Serial != "" && cleanText(s.Serial) != ti.Serial {
		return false
	}
	if s.Label != "" && cleanText(s.Label) != ti.Label {
		return false
	}
	return true
}

// PINFunc supplies the user PIN for a login. It is called only when the
// token needs a login, once per login attempt; a wrong PIN is reported to
// the caller as a *PINError and never retried by kyso, so each call is one
// attempt the user chose to make. ctx is the context of the operation that
// needs the login. Returning an error aborts that operation.
type PINFunc func(ctx context.Context, req PINRequest) (string, error)

// PINRequest tells a PINFunc what is being unlocked and how the token's PIN
// stands, so a user interface can warn before the last attempt.
type PINRequest struct {
	// Token is the token whose PIN is asked for.
	Token TokenInfo
	// ProtectedPath: the PIN is entered on the reader's pinpad
	// (CKF_PROTECTED_AUTHENTICATION_PATH). The returned string is ignored
	// and C_Login gets a NULL PIN; the callback should tell the user to
	// enter the PIN on the device, and may return an error to cancel.
	ProtectedPath bool
	// ContextSpecific: a per-signature login for a key marked
	// CKA_ALWAYS_AUTHENTICATE; KeyLabel names the key.
	ContextSpecific bool
	KeyLabel        string
	// CountLow and FinalTry are the token's CKF_USER_PIN_COUNT_LOW and
	// CKF_USER_PIN_FINAL_TRY flags, read just before the login.
	CountLow bool
	FinalTry bool
}

// FixedPIN returns a PINFunc for unattended use (a signing server with the
// PIN in its secret store). Because nobody is there to notice a wrong PIN,
// it refuses with ErrPINFinalTry when the token says one more wrong PIN
// locks it; with a wrong PIN configured, each operation spends at most one
// attempt and concurrent operations share one.
func FixedPIN(pin string) PINFunc {
	return func(_ context.Context, req PINRequest) (string, error) {
		if req.FinalTry && !req.ProtectedPath {
			return "", &PINError{Err: ErrPINFinalTry, Token: req.Token.Label, FinalTry: true, CountLow: req.CountLow, Context: req.ContextSpecific}
		}
		return pin, nil
	}
}

// Options configure a Token.
type Options struct {
	// PIN supplies the user PIN (see PINFunc). It may be nil for tokens
	// that need no login; a token that needs one then fails with
	// ErrPINRequired. Pinpad tokens call it only to notify.
	PIN PINFunc
	// MaxSessions bounds the session pool; 0 means 4. The pool is further
	// bounded by the token's ulMaxSessionCount (and ulMaxRwSessionCount
	// with ReadWrite) minus the sessions already open. When the token still
	// answers CKR_SESSION_COUNT, a caller waits for a session this Token
	// holds to come back (ErrNoSession if it holds none).
	MaxSessions int
	// ReadWrite opens read/write sessions, for middleware that refuses to
	// sign in read-only ones. Many USB tokens allow a single R/W session.
	ReadWrite bool
}

const defaultMaxSessions = 4

// Token is an open token: a pool of sessions, the login state and the
// mechanisms it offers. It is safe for concurrent use; each operation
// borrows its own session. Close it when done.
type Token struct {
	lib    *library
	spec   TokenSpec
	opts   Options
	serial string // pinned at open, used to find the token again after re-insertion
	name   string // label at open, for messages

	sem  chan struct{} // one element per session in use
	done chan struct{} // closed by Close
	wake chan struct{} // signalled when a session is released

	mu     sync.Mutex
	slot   uint
	info   TokenInfo
	gen    uint64 // bumped when every session and handle is invalidated
	idle   []*session
	open   int // sessions open: idle + in use
	mechs  map[uint]bool
	minfo  map[uint]p11.MechanismInfo
	closed bool

	// use is held (shared) by calls into the library made without a
	// borrowed session (which Close waits for anyway), and exclusively by
	// Close around releasing the library.
	use sync.RWMutex
}

// enter guards a call into the library made outside a borrowed session
// against a concurrent Close; the caller must call the returned function
// when done. It must not be called with t.mu held.
func (t *Token) enter() (func(), error) {
	t.use.RLock()
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		t.use.RUnlock()
		return nil, ErrClosed
	}
	return t.use.RUnlock, nil
}

type session struct {
	h    p11.SessionHandle
	gen  uint64
	slot uint
}

// OpenToken selects a present token and prepares a session pool for it.
// It does not log in: the PIN callback runs on the first operation that
// needs a login.
func (m *Module) OpenToken(spec TokenSpec, opts Options) (*Token, error) {
	leave, err := m.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	ti, err := resolveToken(m.lib.ctx, spec)
	if err != nil {
		return nil, err
	}
	n := poolSize(ti, opts)
	t := &Token{
		lib:    m.lib,
		spec:   spec,
		opts:   opts,
		serial: ti.Serial,
		name:   ti.Label,
		sem:    make(chan struct{}, n),
		done:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		slot:   ti.Slot,
		info:   ti,
	}
	t.loadMechanisms()
	m.lib.retain()
	return t, nil
}

// poolSize is opts.MaxSessions bounded by the token's session limits.
func poolSize(ti TokenInfo, opts Options) int {
	n := opts.MaxSessions
	if n <= 0 {
		n = defaultMaxSessions
	}
	limit := func(maxCount, inUse uint) {
		if maxCount == p11.CK_EFFECTIVELY_INFINITE || maxCount == p11.CK_UNAVAILABLE_INFORMATION {
			return
		}
		free := 1
		if inUse != p11.CK_UNAVAILABLE_INFORMATION && maxCount > inUse {
			free = int(maxCount - inUse)
		} else if inUse == p11.CK_UNAVAILABLE_INFORMATION {
			free = int(min(maxCount, 1<<20))
		}
		n = min(n, max(free, 1))
	}
	limit(ti.MaxSessions, ti.Sessions)
	if opts.ReadWrite {
		limit(ti.MaxRWSessions, ti.RWSessions)
	}
	return n
}

func resolveToken(ctx *p11.Ctx, spec TokenSpec) (TokenInfo, error) {
	ids, err := ctx.GetSlotList(true)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("pkcs11: C_GetSlotList: %w", err)
	}
	var all, match []TokenInfo
	for _, id := range ids {
		ti, err := tokenInfo(ctx, id)
		if err != nil {
			continue // a token that cannot be read cannot be selected
		}
		if !ti.Initialized() {
			continue // a blank token (SoftHSM's free slot, a factory-new card)
		}
		all = append(all, ti)
		if spec.matches(ti) {
			match = append(match, ti)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return TokenInfo{}, fmt.Errorf("%w for %s; present tokens: %s", ErrTokenNotFound, spec, listTokens(all))
	default:
		return TokenInfo{}, fmt.Errorf("%w %s: %s; select by serial number", ErrAmbiguousToken, spec, listTokens(match))
	}
}

func listTokens(ts []TokenInfo) string {
	if len(ts) == 0 {
		return "none"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, "; ")
}

// Info returns the token's description as last read.
func (t *Token) Info() TokenInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.info
}

// Refresh re-reads the token's description (flags such as the PIN counters
// change with every login).
func (t *Token) Refresh() (TokenInfo, error) {
	leave, err := t.enter()
	if err != nil {
		return TokenInfo{}, err
	}
	defer leave()
	t.mu.Lock()
	slot := t.slot
	t.mu.Unlock()
	ti, err := tokenInfo(t.lib.ctx, slot)
	if err != nil {
		return TokenInfo{}, err
	}
	t.mu.Lock()
	t.info = ti
	t.mu.Unlock()
	return ti, nil
}

// Close closes the token's sessions and releases the module. Operations in
// flight finish first. Close does not call C_Logout: the login is shared by
// the whole process and ends when its last session closes.
func (t *Token) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.done)
	t.mu.Unlock()
	// Wait for borrowed sessions by filling the semaphore.
	for i := 0; i < cap(t.sem); i++ {
		t.sem <- struct{}{}
	}
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, s := range idle {
		_ = t.lib.ctx.CloseSession(s.h)
	}
	t.use.Lock() // wait for Refresh and mechanism queries in flight
	defer t.use.Unlock()
	return t.lib.release()
}

func (t *Token) loadMechanisms() {
	t.mu.Lock()
	slot := t.slot
	t.mu.Unlock()
	list, err := t.lib.ctx.GetMechanismList(slot)
	var mechs map[uint]bool
	if err == nil { // else unknown: let C_SignInit decide
		mechs = make(map[uint]bool, len(list))
		for _, m := range list {
			mechs[m.Mechanism] = true
		}
	}
	t.mu.Lock()
	t.mechs, t.minfo = mechs, map[uint]p11.MechanismInfo{}
	t.mu.Unlock()
}

// checkMechanism reports an ErrMechanismNotSupported error when the token
// does not list mech with CKF_SIGN, and ErrClosed after Close.
func (t *Token) checkMechanism(mech uint) error {
	leave, err := t.enter()
	if err != nil {
		return err
	}
	defer leave()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mechs == nil {
		return nil
	}
	if !t.mechs[mech] {
		return fmt.Errorf("%w: token %q does not list %s", ErrMechanismNotSupported, t.name, mechName(mech))
	}
	mi, ok := t.minfo[mech]
	if !ok {
		var err error
		mi, err = t.lib.ctx.GetMechanismInfo(t.slot, []*p11.Mechanism{p11.NewMechanism(mech, nil)})
		if err != nil {
			return nil // listed; let C_SignInit decide
		}
		t.minfo[mech] = mi
	}
	if mi.Flags&p11.CKF_SIGN == 0 {
		return fmt.Errorf("%w: token %q lists %s but not for signing", ErrMechanismNotSupported, t.name, mechName(mech))
	}
	return nil
}

func (t *Token) sessionFlags() uint {
	f := uint(p11.CKF_SERIAL_SESSION)
	if t.opts.ReadWrite {
		f |= p11.CKF_RW_SESSION
	}
	return f
}

// acquire borrows a session, waiting (bounded by ctx) for a free one. With
// login, the session is logged in as the user, through the PIN callback if
// needed. The caller must hand it back with release.
func (t *Token) acquire(ctx context.Context, login bool) (*session, error) {
	select {
	case <-t.done:
		return nil, ErrClosed
	default:
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("pkcs11: waiting for a session on token %q: %w", t.name, ctx.Err())
	case <-t.done:
		return nil, ErrClosed
	}
	s, err := t.session(ctx)
	if err != nil {
		<-t.sem
		t.signal()
		return nil, err
	}
	if login {
		if err := t.ensureLogin(ctx, s); err != nil {
			t.release(s, err, lossKind(err) == nil)
			return nil, err
		}
	}
	return s, nil
}

func (t *Token) signal() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// session returns a valid session: an idle one that C_GetSessionInfo still
// accepts, or a new one. A session found invalid (another application
// closed all sessions, the token was pulled out) invalidates the pool, and
// the token is looked for again by serial number (re-inserted tokens often
// come back in another slot).
func (t *Token) session(ctx context.Context) (*session, error) {
	relocated := false
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pkcs11: %w", err)
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return nil, ErrClosed
		}
		var s *session
		var stale []*session
		for len(t.idle) > 0 && s == nil {
			s = t.idle[len(t.idle)-1]
			t.idle = t.idle[:len(t.idle)-1]
			if s.gen != t.gen {
				t.open--
				stale = append(stale, s)
				s = nil
			}
		}
		gen, slot := t.gen, t.slot
		t.mu.Unlock()
		for _, st := range stale {
			_ = t.lib.ctx.CloseSession(st.h)
		}

		if s != nil {
			_, err := t.lib.ctx.GetSessionInfo(s.h)
			if err == nil {
				return s, nil
			}
			t.discard(s)
			if lossKind(err) == nil {
				return nil, fmt.Errorf("pkcs11: C_GetSessionInfo: %w", err)
			}
			t.invalidate(gen)
			continue
		}

		h, err := t.lib.ctx.OpenSession(slot, t.sessionFlags())
		if err == nil {
			t.mu.Lock()
			t.open++
			t.mu.Unlock()
			return &session{h: h, gen: gen, slot: slot}, nil
		}
		switch {
		case rv(err) == p11.CKR_SESSION_COUNT:
			t.mu.Lock()
			others := t.open
			t.mu.Unlock()
			if others == 0 {
				return nil, fmt.Errorf("%w (token %q): %w", ErrNoSession, t.name, err)
			}
			// Wait for one of ours to come back.
			select {
			case <-t.wake:
			case <-ctx.Done():
				return nil, fmt.Errorf("pkcs11: waiting for a session on token %q: %w", t.name, ctx.Err())
			case <-t.done:
				return nil, ErrClosed
			}
		case lossKind(err) != nil && !relocated:
			relocated = true
			t.invalidate(gen)
			if rerr := t.relocate(); rerr != nil {
				return nil, fmt.Errorf("pkcs11: opening a session on token %q: %w: %w", t.name, ErrTokenNotPresent, rerr)
			}
		default:
			return nil, wrapLoss(fmt.Sprintf("C_OpenSession on token %q", t.name), err)
		}
		if attempt > 100 {
			return nil, fmt.Errorf("%w (token %q)", ErrNoSession, t.name)
		}
	}
}

// relocate finds the token again (by its serial number when it has one).
func (t *Token) relocate() error {
	spec := t.spec
	if t.serial != "" {
		spec = TokenSpec{Serial: t.serial, Label: t.spec.Label}
	}
	ti, err := resolveToken(t.lib.ctx, spec)
	if err != nil {
		return err
	}
	t.mu.Lock()
	if ti.Slot != t.slot {
		t.gen++
	}
	t.slot, t.info = ti.Slot, ti
	t.mu.Unlock()
	t.loadMechanisms()
	return nil
}

// invalidate drops every idle session and cached handle of generation gen.
func (t *Token) invalidate(gen uint64) {
	t.mu.Lock()
	if t.gen != gen {
		t.mu.Unlock()
		return
	}
	t.gen++
	idle := t.idle
	t.idle = nil
	t.open -= len(idle)
	t.mu.Unlock()
	for _, s := range idle {
		_ = t.lib.ctx.CloseSession(s.h)
	}
}

// discard closes s, which is no longer usable.
func (t *Token) discard(s *session) {
	_ = t.lib.ctx.CloseSession(s.h)
	t.mu.Lock()
	t.open--
	t.mu.Unlock()
}

// release hands s back. keep says whether s is still usable (no operation
// left active in it). An error that means the session or the token is gone
// invalidates the whole pool, so the next call starts afresh.
func (t *Token) release(s *session, err error, keep bool) {
	if lossKind(err) != nil {
		t.discard(s)
		t.invalidate(s.gen)
	} else if keep {
		t.mu.Lock()
		if s.gen == t.gen && !t.closed {
			t.idle = append(t.idle, s)
			t.mu.Unlock()
		} else {
			t.mu.Unlock()
			t.discard(s)
		}
	} else {
		t.discard(s)
	}
	<-t.sem
	t.signal()
}

// ensureLogin logs the user in unless the session already is.
func (t *Token) ensureLogin(ctx context.Context, s *session) error {
	loggedIn := func() (bool, error) {
		si, err := t.lib.ctx.GetSessionInfo(s.h)
		if err != nil {
			return false, wrapLoss("C_GetSessionInfo", err)
		}
		return si.State == p11.CKS_RO_USER_FUNCTIONS || si.State == p11.CKS_RW_USER_FUNCTIONS, nil
	}
	if ok, err := loggedIn(); ok || err != nil {
		return err
	}
	sl := t.lib.slotLogin(s.slot)
	return t.queueLogin(ctx, sl, &sl.user, loggedIn, func() error {
		return t.login(ctx, s, p11.CKU_USER, "")
	})
}

// contextLogin performs the context-specific login a CKA_ALWAYS_AUTHENTICATE
// key needs before each signature (s has the signing operation active).
// Like user logins, such logins on one slot are made one at a time, and a
// caller that waited while another attempt failed gets that failure
// instead of spending another PIN try.
func (t *Token) contextLogin(ctx context.Context, s *session, keyLabel string) error {
	sl := t.lib.slotLogin(s.slot)
	return t.queueLogin(ctx, sl, &sl.ctx, nil, func() error {
		return t.login(ctx, s, p11.CKU_CONTEXT_SPECIFIC, keyLabel)
	})
}

// queueLogin makes one login attempt of kind a on slot sl, one at a time.
// Once it holds the slot's lock it returns without an attempt when
// loggedIn (if not nil) says another caller logged in meanwhile, or with
// the error of an attempt of the same kind that failed while it waited.
func (t *Token) queueLogin(ctx context.Context, sl *slotLogin, a *loginAttempts, loggedIn func() (bool, error), attempt func() error) error {
	seen := a.seq.Load()
	if testHookLoginQueued != nil {
		testHookLoginQueued()
	}
	select {
	case sl.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("pkcs11: waiting to log in to token %q: %w", t.name, ctx.Err())
	}
	defer func() { <-sl.lock }()
	// Another goroutine (or Token on the same slot) may have logged in.
	if loggedIn != nil {
		if ok, err := loggedIn(); ok || err != nil {
			return err
		}
	}
	// An attempt made while this caller waited failed: share its result
	// rather than spend another PIN try on the same (likely wrong) PIN.
	if a.seq.Load() != seen && a.lastErr != nil {
		return fmt.Errorf("pkcs11: not logging in again after a concurrent attempt failed: %w", a.lastErr)
	}
	err := attempt()
	a.seq.Add(1)
	a.lastErr = err
	if errorsIsAny(err, context.Canceled, context.DeadlineExceeded) {
		a.lastErr = nil // that caller gave up; others may still try
	}
	return err
}

// login performs one C_Login (user or context-specific). It reads the PIN
// flags first: a locked PIN is refused without calling the callback or the
// token, and the count-low / final-try state is passed to the callback.
// A failed login is never retried.
func (t *Token) login(ctx context.Context, s *session, userType uint, keyLabel string) error {
	ti, err := tokenInfo(t.lib.ctx, s.slot)
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.info = ti
	t.mu.Unlock()
	contextSpecific := userType == p11.CKU_CONTEXT_SPECIFIC
	if userType == p11.CKU_USER && !ti.LoginRequired() {
		return nil
	}
	if err := preLoginCheck(ti, contextSpecific); err != nil {
		return err
	}
	req := PINRequest{
		Token:           ti,
		ProtectedPath:   ti.ProtectedAuthPath(),
		ContextSpecific: contextSpecific,
		KeyLabel:        keyLabel,
		CountLow:        ti.PINCountLow(),
		FinalTry:        ti.PINFinalTry(),
	}
	pin, err := t.askPIN(ctx, req)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pkcs11: login to token %q: %w", ti.Label, err)
	}
	err = t.lib.ctx.Login(s.h, userType, pin)
	return t.loginResult(s.slot, ti.Label, contextSpecific, err)
}

// preLoginCheck refuses a login the token says cannot succeed.
func preLoginCheck(ti TokenInfo, contextSpecific bool) error {
	if ti.PINLocked() {
		return &PINError{Err: ErrPINLocked, Token: ti.Label, Locked: true, CountLow: ti.PINCountLow(), Context: contextSpecific}
	}
	return nil
}

// askPIN runs the PIN callback. For a pinpad token the PIN is "" (NULL to
// C_Login) and the callback only notifies.
func (t *Token) askPIN(ctx context.Context, req PINRequest) (string, error) {
	if req.ProtectedPath {
		if t.opts.PIN != nil {
			if _, err := t.opts.PIN(ctx, req); err != nil {
				return "", fmt.Errorf("pkcs11: PIN callback for token %q: %w", req.Token.Label, err)
			}
		}
		return "", nil
	}
	if t.opts.PIN == nil {
		return "", fmt.Errorf("%w (token %q)", ErrPINRequired, req.Token.Label)
	}
	pin, err := t.opts.PIN(ctx, req)
	if err != nil {
		return "", fmt.Errorf("pkcs11: PIN callback for token %q: %w", req.Token.Label, err)
	}
	if pin == "" {
		// An empty PIN would reach C_Login as NULL, which only pinpad
		// readers accept; do not spend an attempt on it.
		return "", &PINError{Err: ErrPINIncorrect, Token: req.Token.Label, Context: req.ContextSpecific,
			CountLow: req.CountLow, FinalTry: req.FinalTry,
			cause: errors.New("empty PIN not sent to the token")}
	}
	return pin, nil
}

// loginResult maps C_Login's result to a typed error, reading the PIN flags
// the token reports after a failure.
func (t *Token) loginResult(slot uint, label string, contextSpecific bool, err error) error {
	code := rv(err)
	if err == nil || code == p11.CKR_USER_ALREADY_LOGGED_IN {
		return nil
	}
	pe := &PINError{Token: label, Context: contextSpecific, cause: err}
	switch code {
	case p11.CKR_PIN_INCORRECT, p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE:
		pe.Err = ErrPINIncorrect
	case p11.CKR_PIN_LOCKED:
		pe.Err = ErrPINLocked
	case p11.CKR_PIN_EXPIRED:
		pe.Err = ErrPINExpired
	default:
		return wrapLoss(fmt.Sprintf("C_Login to token %q", label), err)
	}
	if ti, ierr := tokenInfo(t.lib.ctx, slot); ierr == nil {
		pe.CountLow, pe.FinalTry, pe.Locked = ti.PINCountLow(), ti.PINFinalTry(), ti.PINLocked()
		t.mu.Lock()
		t.info = ti
		t.mu.Unlock()
	}
	if pe.Err == ErrPINLocked {
		pe.Locked = true
	}
	return pe
}

// Login logs in now (through the PIN callback) instead of on the first
// signature, so an application can ask for the PIN at a time of its
// choosing. It does nothing when the token is already logged in.
func (t *Token) Login(ctx context.Context) error {
	s, err := t.acquire(ctx, true)
	if err != nil {
		return err
	}
	t.release(s, nil, true)
	return nil
}
