package pkcs11

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUseAfterClose: once a Token and its Module are closed, the module is
// finalised and unloaded. Every later call on the Token, its Signers or the
// Module must fail with ErrClosed instead of calling into the unloaded
// library (a NULL function table: the process would crash).
func TestUseAfterClose(t *testing.T) {
	f := setup(t)
	m, err := Open(f.module)
	require.NoError(t, err)
	tok, err := m.OpenToken(TokenSpec{Label: "kyso-main"}, Options{PIN: newPIN(testPIN).fn})
	require.NoError(t, err)
	sg := keySigner(t, f, tok, "kyso-main/rsa2048")
	require.NoError(t, tok.Close())
	require.NoError(t, m.Close())
	_, ok := registered(m.Path())
	require.False(t, ok, "the module is finalised")

	_, err = tok.Refresh()
	require.ErrorIs(t, err, ErrClosed)
	// RSA-PSS was never used, so its mechanism information is not cached.
	d := digestOf(crypto.SHA256, "after close")
	_, err = sg.SignDigest(context.Background(), d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	require.ErrorIs(t, err, ErrClosed)
	_, err = sg.SignDigest(context.Background(), d, crypto.SHA256)
	require.ErrorIs(t, err, ErrClosed)
	_, err = tok.Certificates(context.Background())
	require.ErrorIs(t, err, ErrClosed)
	_, err = m.Info()
	require.ErrorIs(t, err, ErrClosed)
}

// TestCloseWhileInUse: a Module and a Token are documented as safe for
// concurrent use; closing them while other goroutines still list slots,
// refresh the token or sign must neither crash nor race (run with -race):
// each call either completes or fails with ErrClosed.
func TestCloseWhileInUse(t *testing.T) {
	f := setup(t)
	d := digestOf(crypto.SHA256, "close race")
	for range 20 {
		m, err := Open(f.module)
		require.NoError(t, err)
		tok, err := m.OpenToken(TokenSpec{Label: "kyso-main"}, Options{PIN: newPIN(testPIN).fn})
		require.NoError(t, err)
		sg := keySigner(t, f, tok, "kyso-main/p256")
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		loop := func(op func() error) {
			wg.Go(func() {
				<-start
				for range 200 {
					if err := op(); err != nil {
						if !errors.Is(err, ErrClosed) {
							errs <- err
						}
						return
					}
				}
			})
		}
		loop(func() error { _, err := m.Slots(); return err })
		loop(func() error { _, err := m.Info(); return err })
		loop(func() error { _, err := tok.Refresh(); return err })
		loop(func() error { _, err := sg.SignDigest(context.Background(), d, crypto.SHA256); return err })
		close(start)
		wg.Go(func() {
			// Both handles go away while the loops run; the module is
			// finalised once both are closed.
			if err := tok.Close(); err != nil {
				errs <- err
			}
			if err := m.Close(); err != nil {
				errs <- err
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		_, ok := registered(m.Path())
		require.False(t, ok)
	}
}
