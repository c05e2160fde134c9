package pkcs11

import (
	"context"
	"crypto"
	"fmt"
	"sync"
	"testing"
	"time"

	p11 "github.com/miekg/pkcs11"
)

// BenchmarkSign measures signatures per second through SoftHSM2 with 1, 2
// and 8 goroutines sharing one Token (pool of 8 sessions).
func BenchmarkSign(b *testing.B) {
	f, m := openModuleTB(b)
	tok := openToken(b, m, "kyso-main", Options{PIN: newPIN(testPIN).fn, MaxSessions: 8})
	for _, key := range []string{"rsa2048", "p256"} {
		sg := keySigner(b, f, tok, "kyso-main/"+key)
		d := digestOf(crypto.SHA256, "bench")
		for _, g := range []int{1, 2, 8} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", key, g), func(b *testing.B) {
				var wg sync.WaitGroup
				start := time.Now()
				per := (b.N + g - 1) / g
				errs := make(chan error, g)
				for range g {
					wg.Go(func() {
						for range per {
							if _, err := sg.SignDigest(context.Background(), d, crypto.SHA256); err != nil {
								errs <- err
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				b.ReportMetric(float64(per*g)/time.Since(start).Seconds(), "sigs/s")
			})
		}
	}
}

// BenchmarkRawSoftHSM is the reference: C_SignInit + C_Sign on one
// logged-in session through miekg/pkcs11, with no pool, no key lookup and
// no verification of the result.
func BenchmarkRawSoftHSM(b *testing.B) {
	f, m := openModuleTB(b)
	tok := openToken(b, m, "kyso-main", Options{PIN: newPIN(testPIN).fn, MaxSessions: 1})
	for _, key := range []string{"rsa2048", "p256"} {
		sg := keySigner(b, f, tok, "kyso-main/"+key)
		d := digestOf(crypto.SHA256, "bench")
		mech, input, err := sg.mechanism(d, crypto.SHA256)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(key, func(b *testing.B) {
			s, err := tok.acquire(context.Background(), true)
			if err != nil {
				b.Fatal(err)
			}
			defer tok.release(s, nil, true)
			c := m.lib.ctx
			start := time.Now()
			for b.Loop() {
				if err := c.SignInit(s.h, []*p11.Mechanism{mech}, sg.key.h); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Sign(s.h, input); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sigs/s")
		})
	}
}
