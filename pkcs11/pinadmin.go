package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	p11 "github.com/miekg/pkcs11"
)

// PINStatus is what a token's flags say about its user and SO PINs.
type PINStatus struct {
	CountLow      bool // CKF_USER_PIN_COUNT_LOW: a wrong user PIN since the last login
	FinalTry      bool // CKF_USER_PIN_FINAL_TRY: one more wrong user PIN locks it
	Locked        bool // CKF_USER_PIN_LOCKED
	ToBeChanged   bool // CKF_USER_PIN_TO_BE_CHANGED (also a fresh CKF_USER_PIN_INITIALIZED false)
	SOCountLow    bool // CKF_SO_PIN_COUNT_LOW
	SOFinalTry    bool // CKF_SO_PIN_FINAL_TRY
	SOLocked      bool // CKF_SO_PIN_LOCKED
	SOToBeChanged bool // CKF_SO_PIN_TO_BE_CHANGED
	Initialized   bool // CKF_USER_PIN_INITIALIZED
	ProtectedPath bool // CKF_PROTECTED_AUTHENTICATION_PATH: PINs go on the pinpad
}

// PINStatus returns the PIN flags of the token description.
func (t TokenInfo) PINStatus() PINStatus {
	f := t.Flags
	return PINStatus{
		CountLow:      f&p11.CKF_USER_PIN_COUNT_LOW != 0,
		FinalTry:      f&p11.CKF_USER_PIN_FINAL_TRY != 0,
		Locked:        f&p11.CKF_USER_PIN_LOCKED != 0,
		ToBeChanged:   f&p11.CKF_USER_PIN_TO_BE_CHANGED != 0,
		SOCountLow:    f&p11.CKF_SO_PIN_COUNT_LOW != 0,
		SOFinalTry:    f&p11.CKF_SO_PIN_FINAL_TRY != 0,
		SOLocked:      f&p11.CKF_SO_PIN_LOCKED != 0,
		SOToBeChanged: f&p11.CKF_SO_PIN_TO_BE_CHANGED != 0,
		Initialized:   f&p11.CKF_USER_PIN_INITIALIZED != 0,
		ProtectedPath: f&p11.CKF_PROTECTED_AUTHENTICATION_PATH != 0,
	}
}

// String describes both PINs in English, e.g.
// "user PIN: locked; SO PIN: ok".
func (p PINStatus) String() string {
	return "user PIN: " + pinWords(p.Locked, p.FinalTry, p.CountLow, p.ToBeChanged, !p.Initialized, false) +
		"; SO PIN: " + pinWords(p.SOLocked, p.SOFinalTry, p.SOCountLow, p.SOToBeChanged, false, false)
}

// Vietnamese describes both PINs in Vietnamese, e.g.
// "PIN người dùng: bị khóa; PIN quản trị (SO): bình thường".
func (p PINStatus) Vietnamese() string {
	return "PIN người dùng: " + pinWords(p.Locked, p.FinalTry, p.CountLow, p.ToBeChanged, !p.Initialized, true) +
		"; PIN quản trị (SO): " + pinWords(p.SOLocked, p.SOFinalTry, p.SOCountLow, p.SOToBeChanged, false, true)
}

func pinWords(locked, final, low, change, uninit, vi bool) string {
	var w []string
	add := func(en, v string) {
		if vi {
			w = append(w, v)
		} else {
			w = append(w, en)
		}
	}
	switch {
	case locked:
		add("locked", "bị khóa")
	case final:
		add("one try left", "còn một lần thử")
	case low:
		add("wrong PIN entered since the last login", "đã nhập sai kể từ lần đăng nhập trước")
	}
	if uninit {
		add("not initialised", "chưa khởi tạo")
	}
	if change {
		add("must be changed", "cần đổi")
	}
	if len(w) == 0 {
		add("ok", "bình thường")
	}
	return strings.Join(w, ", ")
}

// PINChange reports the PIN flags before and after a change or unblock.
type PINChange struct {
	Before, After PINStatus
}

// PINStatus re-reads the token's PIN flags.
func (t *Token) PINStatus() (PINStatus, error) {
	ti, err := t.Refresh()
	if err != nil {
		return PINStatus{}, err
	}
	return ti.PINStatus(), nil
}

// checkNewPIN refuses a new PIN outside the token's length range before
// any call that could count as an attempt.
func checkNewPIN(ti TokenInfo, pin string) error {
	if ti.ProtectedAuthPath() {
		return nil
	}
	n := uint(utf8.RuneCountInString(pin))
	if pin == "" {
		return fmt.Errorf("%w: empty", ErrNewPINInvalid)
	}
	if !utf8.ValidString(pin) {
		return fmt.Errorf("%w: not UTF-8", ErrNewPINInvalid)
	}
	lo, hi := ti.MinPINLen, ti.MaxPINLen
	if hi == p11.CK_UNAVAILABLE_INFORMATION || hi == 0 {
		hi = ^uint(0)
	}
	if lo == p11.CK_UNAVAILABLE_INFORMATION {
		lo = 0
	}
	if n < lo || uint(len(pin)) > hi {
		return fmt.Errorf("%w: token %q takes PINs of %d to %d characters", ErrNewPINInvalid, ti.Label, lo, hi)
	}
	return nil
}

// lockSlot takes the slot's login lock, so no user login runs during a PIN
// change or an SO session.
func (t *Token) lockSlot(ctx context.Context, slot uint) (func(), error) {
	sl := t.lib.slotLogin(slot)
	select {
	case sl.lock <- struct{}{}:
		return func() { <-sl.lock }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("pkcs11: waiting for a login in progress on token %q: %w", t.name, ctx.Err())
	}
}

// pinSession opens a read/write session without login for a PIN change or
// an SO session and takes the slot's login lock (see lockSlot); done
// releases the lock, then the session.
func (t *Token) pinSession(ctx context.Context) (s *session, done func(), err error) {
	s, closeSession, err := t.adminSession(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := t.lockSlot(ctx, s.slot)
	if err != nil {
		closeSession()
		return nil, nil, err
	}
	return s, func() { unlock(); closeSession() }, nil
}

// readAfter reads the token's flags after a PIN operation into ch.After
// and t's token information; when they cannot be read, ch.After stays as
// it was.
func (t *Token) readAfter(slot uint, ch *PINChange) {
	if after, err := tokenInfo(t.lib.ctx, slot); err == nil {
		ch.After = after.PINStatus()
		t.mu.Lock()
		t.info = after
		t.mu.Unlock()
	}
}

// ChangePIN changes the user PIN with C_SetPIN, giving the current one.
// A wrong current PIN spends one try and returns a *PINError (errors.Is
// ErrPINIncorrect) with the flags after it; it is never retried. A new PIN
// outside the token's length range is ErrNewPINInvalid before anything is
// sent. A locked PIN is refused without calling the token. On a pinpad
// token (CKF_PROTECTED_AUTHENTICATION_PATH) both PINs are ignored and
// entered on the reader (C_SetPIN with NULL PINs).
func (t *Token) ChangePIN(ctx context.Context, oldPIN, newPIN string) (PINChange, error) {
	var ch PINChange
	before, err := t.Refresh()
	if err != nil {
		return ch, err
	}
	ch.Before = before.PINStatus()
	if err := preLoginCheck(before, false); err != nil {
		return ch, err
	}
	pinpad := before.ProtectedAuthPath()
	if !pinpad {
		if oldPIN == "" {
			return ch, &PINError{Err: ErrPINIncorrect, Token: before.Label, CountLow: ch.Before.CountLow, FinalTry: ch.Before.FinalTry,
				cause: errors.New("empty PIN not sent to the token")}
		}
		if err := checkNewPIN(before, newPIN); err != nil {
			return ch, err
		}
	}
	s, done, err := t.pinSession(ctx)
	if err != nil {
		return ch, err
	}
	defer done()
	if pinpad {
		err = nullPIN(t.lib, s.h, true)
	} else {
		err = t.lib.ctx.SetPIN(s.h, oldPIN, newPIN)
	}
	t.readAfter(s.slot, &ch)
	if err == nil {
		return ch, nil
	}
	switch rv(err) {
	case p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE:
		return ch, fmt.Errorf("%w (token %q): %w", ErrNewPINInvalid, before.Label, err)
	case p11.CKR_PIN_INCORRECT, p11.CKR_PIN_LOCKED:
		pe := &PINError{Err: ErrPINIncorrect, Token: before.Label, cause: err,
			CountLow: ch.After.CountLow, FinalTry: ch.After.FinalTry, Locked: ch.After.Locked}
		if rv(err) == p11.CKR_PIN_LOCKED {
			pe.Err, pe.Locked = ErrPINLocked, true
		}
		return ch, pe
	}
	return ch, wrapLoss(fmt.Sprintf("C_SetPIN on token %q", before.Label), err)
}

// UnblockPIN unlocks a locked (or forgotten) user PIN: it logs in as the
// security officer with soPIN and sets newPIN with C_InitPIN, then logs
// out. The SO login is made once: a wrong SO PIN returns a *PINError
// (errors.Is ErrSOPINIncorrect, with the SO flags after it) and is never
// retried, and a token whose SO PIN is locked is refused without an
// attempt (ErrSOPINLocked). Signatures in progress on this Token finish
// first; its idle sessions are closed (PKCS#11 allows no read-only session
// during an SO login) and a user login of this process is logged out.
// On a pinpad token both PINs are entered on the reader.
func (t *Token) UnblockPIN(ctx context.Context, soPIN, newPIN string) (PINChange, error) {
	var ch PINChange
	before, err := t.Refresh()
	if err != nil {
		return ch, err
	}
	ch.Before = before.PINStatus()
	if ch.Before.SOLocked {
		return ch, &PINError{Err: ErrSOPINLocked, Token: before.Label, SO: true, Locked: true}
	}
	pinpad := before.ProtectedAuthPath()
	if !pinpad {
		if soPIN == "" {
			return ch, &PINError{Err: ErrSOPINIncorrect, Token: before.Label, SO: true,
				CountLow: ch.Before.SOCountLow, FinalTry: ch.Before.SOFinalTry, cause: errors.New("empty SO PIN not sent to the token")}
		}
		if err := checkNewPIN(before, newPIN); err != nil {
			return ch, err
		}
	}
	release, err := t.exclusive(ctx)
	if err != nil {
		return ch, err
	}
	defer release()
	s, done, err := t.pinSession(ctx)
	if err != nil {
		return ch, err
	}
	defer done()
	if si, err := t.lib.ctx.GetSessionInfo(s.h); err == nil && si.State == p11.CKS_RW_USER_FUNCTIONS {
		// The user is logged in through another session of this process.
		_ = t.lib.ctx.Logout(s.h)
	}
	if err := t.lib.ctx.Login(s.h, p11.CKU_SO, soPIN); err != nil && rv(err) != p11.CKR_USER_ALREADY_LOGGED_IN {
		t.readAfter(s.slot, &ch)
		switch rv(err) {
		case p11.CKR_PIN_INCORRECT, p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE:
			return ch, &PINError{Err: ErrSOPINIncorrect, Token: before.Label, SO: true, cause: err,
				CountLow: ch.After.SOCountLow, FinalTry: ch.After.SOFinalTry, Locked: ch.After.SOLocked}
		case p11.CKR_PIN_LOCKED:
			return ch, &PINError{Err: ErrSOPINLocked, Token: before.Label, SO: true, Locked: true, cause: err}
		case p11.CKR_SESSION_READ_ONLY_EXISTS, p11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN, p11.CKR_USER_TOO_MANY_TYPES:
			return ch, fmt.Errorf("%w (token %q): %w", ErrTokenBusy, before.Label, err)
		}
		return ch, wrapLoss(fmt.Sprintf("SO login to token %q", before.Label), err)
	}
	if pinpad {
		err = nullPIN(t.lib, s.h, false)
	} else {
		err = t.lib.ctx.InitPIN(s.h, newPIN)
	}
	_ = t.lib.ctx.Logout(s.h)
	t.readAfter(s.slot, &ch)
	if err != nil {
		if c := rv(err); c == p11.CKR_PIN_INVALID || c == p11.CKR_PIN_LEN_RANGE {
			return ch, fmt.Errorf("%w (token %q): %w", ErrNewPINInvalid, before.Label, err)
		}
		return ch, wrapLoss(fmt.Sprintf("C_InitPIN on token %q", before.Label), err)
	}
	// A failure remembered from before the unblock must not be shared
	// with the next login.
	sl := t.lib.slotLogin(s.slot)
	sl.user.lastErr = nil
	return ch, nil
}
