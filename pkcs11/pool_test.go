package pkcs11

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"sync"
	"testing"
	"time"

	p11 "github.com/miekg/pkcs11"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPoolSize(t *testing.T) {
	unknown := p11.CK_UNAVAILABLE_INFORMATION
	for _, c := range []struct {
		name string
		ti   TokenInfo
		opts Options
		want int
	}{
		{"default", TokenInfo{}, Options{}, defaultMaxSessions},
		{"caller bound", TokenInfo{}, Options{MaxSessions: 2}, 2},
		{"token allows 3 sessions", TokenInfo{MaxSessions: 3}, Options{MaxSessions: 8}, 3},
		{"2 of 3 already open", TokenInfo{MaxSessions: 3, Sessions: 2}, Options{}, 1},
		{"all open: still try one", TokenInfo{MaxSessions: 3, Sessions: 3}, Options{}, 1},
		{"one R/W session (ePass2003-like)", TokenInfo{MaxRWSessions: 1}, Options{ReadWrite: true}, 1},
		{"R/W limit ignored for R/O sessions", TokenInfo{MaxRWSessions: 1}, Options{}, defaultMaxSessions},
		{"unknown limits", TokenInfo{MaxSessions: unknown, MaxRWSessions: unknown, Sessions: unknown}, Options{ReadWrite: true}, defaultMaxSessions},
		{"unknown count", TokenInfo{MaxSessions: 2, Sessions: unknown}, Options{}, 2},
	} {
		assert.Equal(t, c.want, poolSize(c.ti, c.opts), c.name)
	}
}

// TestConcurrentSigning: many goroutines sign with several keys on one
// token; every signature verifies against its own certificate and against
// no other.
func TestConcurrentSigning(t *testing.T) {
	f, m := openModuleTB(t)
	for _, opts := range []Options{
		{MaxSessions: 4},
		{MaxSessions: 1, ReadWrite: true}, // a token that allows one R/W session
	} {
		t.Run(fmt.Sprintf("sessions=%d,rw=%v", opts.MaxSessions, opts.ReadWrite), func(t *testing.T) {
			pin := newPIN(testPIN)
			opts.PIN = pin.fn
			tok := openToken(t, m, "kyso-main", opts)
			names := []string{"rsa2048", "p256", "p384", "gen-rsa2048", "gen-p256"}
			signers := make([]*Signer, len(names))
			for i, n := range names {
				signers[i] = keySigner(t, f, tok, "kyso-main/"+n)
			}
			const goroutines, each = 16, 12
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*each)
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						k := (g + i) % len(signers)
						sg := signers[k]
						d := digestOf(crypto.SHA256, fmt.Sprintf("g%d-i%d", g, i))
						sig, err := sg.SignDigest(context.Background(), d, crypto.SHA256)
						if err != nil {
							errs <- err
							continue
						}
						for j, other := range signers {
							ok := verify(other.Public(), d, sig)
							if ok != (j == k) {
								errs <- fmt.Errorf("signature by %s verifies under %s: %v", names[k], names[j], ok)
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			assert.Equal(t, int32(1), pin.user.Load(), "one login shared by all sessions")
			tok.mu.Lock()
			open := tok.open
			tok.mu.Unlock()
			assert.LessOrEqual(t, open, max(opts.MaxSessions, 1), "pool bound respected")
		})
	}
}

func verify(pub crypto.PublicKey, d, sig []byte) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, d, sig)
	}
	return false
}

// TestCancelWhileWaitingForSession: with every session busy, a caller whose
// context ends gives up instead of waiting forever.
func TestCancelWhileWaitingForSession(t *testing.T) {
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn, MaxSessions: 1})
	sg := keySigner(t, f, tok, "kyso-main/p256")
	busy, err := tok.acquire(context.Background(), true)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = sg.SignDigest(ctx, digestOf(crypto.SHA256, "wait"), crypto.SHA256)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A waiter is served as soon as the session comes back.
	done := make(chan error, 1)
	go func() {
		_, err := sg.SignDigest(context.Background(), digestOf(crypto.SHA256, "wait"), crypto.SHA256)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	tok.release(busy, nil, true)
	require.NoError(t, <-done)

	// Close waits for borrowed sessions, then refuses new work.
	require.NoError(t, tok.Close())
	_, err = sg.SignDigest(context.Background(), digestOf(crypto.SHA256, "closed"), crypto.SHA256)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, tok.Close(), "Close is idempotent")
}
