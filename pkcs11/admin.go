package pkcs11

import (
	"context"
	"errors"
	"fmt"

	p11 "github.com/miekg/pkcs11"
)

// Token management (key generation, certificate import and deletion, PIN
// change and unblock) runs in a read/write session of its own, opened for
// the one operation and closed after it, so a token opened read-only for
// signing needs no other options.

// Errors of token management. They match with errors.Is.
var (
	// ErrKeyNotOnToken: a certificate to import has no private key on the
	// token (matched by public key). It also matches signer.ErrNoKey.
	ErrKeyNotOnToken = errors.New("pkcs11: the certificate's private key is not on the token")
	// ErrKeyInUse: deleting a key that another certificate on the token
	// still certifies.
	ErrKeyInUse = errors.New("pkcs11: another certificate on the token uses this key")
	// ErrBadChain: a chain certificate to import is not a CA certificate,
	// or none of them issued the certificate.
	ErrBadChain = errors.New("pkcs11: chain does not belong to the certificate")
	// ErrKeyNotProtected: the token created a private key that is
	// extractable or not sensitive although the template asked otherwise;
	// the key was destroyed.
	ErrKeyNotProtected = errors.New("pkcs11: token did not protect the generated key")
	// ErrNewPINInvalid: the new PIN is outside the token's length range or
	// refused by the token (CKR_PIN_INVALID, CKR_PIN_LEN_RANGE).
	ErrNewPINInvalid = errors.New("pkcs11: new PIN not accepted by the token")
	// ErrSOPINIncorrect: the security officer's PIN is wrong
	// (CKR_PIN_INCORRECT at the SO login). It is never retried. It also
	// matches signer.ErrWrongPassword.
	ErrSOPINIncorrect = errors.New("pkcs11: SO PIN incorrect")
	// ErrSOPINLocked: the SO PIN is locked (CKF_SO_PIN_LOCKED or
	// CKR_PIN_LOCKED at the SO login); only the vendor can reset the token.
	ErrSOPINLocked = errors.New("pkcs11: SO PIN locked")
	// ErrTokenBusy: an SO login is impossible while another application
	// holds read-only sessions or a login on the token
	// (CKR_SESSION_READ_ONLY_EXISTS, CKR_USER_ANOTHER_ALREADY_LOGGED_IN).
	ErrTokenBusy = errors.New("pkcs11: token in use by another session; close other programs using it")
)

// adminSession opens a read/write session outside the pool and, with
// login, logs the user in through the PIN callback (sharing the login with
// the pool, as PKCS#11 logins are per application). done closes it.
func (t *Token) adminSession(ctx context.Context, login bool) (s *session, done func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("pkcs11: %w", err)
	}
	leave, err := t.enter()
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	gen, slot := t.gen, t.slot
	t.mu.Unlock()
	h, err := t.lib.ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil && lossKind(err) != nil {
		// The token may have come back in another slot.
		t.invalidate(gen)
		if rerr := t.relocate(); rerr == nil {
			t.mu.Lock()
			gen, slot = t.gen, t.slot
			t.mu.Unlock()
			h, err = t.lib.ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
		}
	}
	if err != nil {
		leave()
		if rv(err) == p11.CKR_TOKEN_WRITE_PROTECTED {
			return nil, nil, fmt.Errorf("pkcs11: token %q is write-protected: %w", t.name, err)
		}
		return nil, nil, wrapLoss(fmt.Sprintf("C_OpenSession (read/write) on token %q", t.name), err)
	}
	s = &session{h: h, gen: gen, slot: slot}
	done = func() {
		_ = t.lib.ctx.CloseSession(h)
		leave()
	}
	if login {
		if err := t.ensureLogin(ctx, s); err != nil {
			done()
			return nil, nil, err
		}
	}
	return s, done, nil
}

// exclusive waits until no pooled session is in use, closes the idle ones
// and returns a function that lets the pool work again. The SO login needs
// it: PKCS#11 refuses it while the application has read-only sessions.
func (t *Token) exclusive(ctx context.Context) (func(), error) {
	taken := 0
	undo := func() {
		for ; taken > 0; taken-- {
			<-t.sem
		}
		t.signal()
	}
	for taken < cap(t.sem) {
		select {
		case t.sem <- struct{}{}:
			taken++
		case <-ctx.Done():
			undo()
			return nil, fmt.Errorf("pkcs11: waiting for signatures in progress on token %q: %w", t.name, ctx.Err())
		case <-t.done:
			undo()
			return nil, ErrClosed
		}
	}
	t.mu.Lock()
	gen := t.gen
	t.mu.Unlock()
	t.invalidate(gen)
	return undo, nil
}

// destroy removes objects, stopping at the first failure.
func (t *Token) destroy(s *session, objs ...p11.ObjectHandle) error {
	for _, o := range objs {
		if err := t.lib.ctx.DestroyObject(s.h, o); err != nil {
			return wrapLoss(fmt.Sprintf("C_DestroyObject on token %q", t.name), err)
		}
	}
	return nil
}
