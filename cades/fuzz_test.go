package cades_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// FuzzP7S feeds arbitrary .p7s input to every function of the package
// that reads one: none may panic, and each either fails with one of the
// package's errors or returns a .p7s that parses again.
func FuzzP7S(f *testing.F) {
	pki := pkitest.New(f)
	s := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()
	ctx := context.Background()
	data := []byte("tệp đính kèm")
	good, err := cades.Sign(ctx, bytes.NewReader(data), s, nil)
	if err != nil {
		f.Fatal(err)
	}
	counter, err := cades.CounterSign(ctx, good, 0, s, nil)
	if err != nil {
		f.Fatal(err)
	}
	env, err := cades.Sign(ctx, bytes.NewReader(data), s, &cades.Options{Enveloping: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{good, counter, env, {0x30, 0x80, 0x06, 0x09}, []byte("-----BEGIN CMS-----\nMAA=\n-----END CMS-----\n")} {
		f.Add(seed)
	}
	known := []error{cades.ErrMalformed, cades.ErrContentMismatch, cades.ErrBadOptions}
	isKnown := func(err error) bool {
		for _, k := range known {
			if errors.Is(err, k) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, p7s []byte) {
		if _, err := cades.Detached(p7s); err != nil && !isKnown(err) {
			t.Fatalf("Detached: %v", err)
		}
		if err := cades.CheckContent(ctx, p7s, bytes.NewReader(data)); err != nil && !isKnown(err) {
			t.Fatalf("CheckContent: %v", err)
		}
		for _, pair := range [][2][]byte{{p7s, good}, {good, p7s}} {
			out, err := cades.Merge(pair[0], pair[1])
			if err != nil && !isKnown(err) {
				t.Fatalf("Merge: %v", err)
			}
			if err == nil {
				if _, err := cades.Detached(out); err != nil {
					t.Fatalf("Merge made an unparsable .p7s: %v", err)
				}
			}
		}
		out, err := cades.Augment(ctx, p7s, nil)
		if err == nil && !bytes.Equal(out, p7s) {
			if _, err := cades.Detached(out); err != nil {
				t.Fatalf("Augment B-B changed the input into something unparsable: %v", err)
			}
		} else if err != nil && !isKnown(err) {
			t.Fatalf("Augment: %v", err)
		}
		if p, err := cades.PrepareCounterSign(ctx, p7s, 0, s.Certificate(), s.Chain(), nil); err == nil {
			sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Finish(ctx, sig); err != nil && !isKnown(err) {
				t.Fatalf("countersign Finish: %v", err)
			}
		} else if !isKnown(err) {
			t.Fatalf("PrepareCounterSign: %v", err)
		}
	})
}

// FuzzPreparedState feeds arbitrary two-phase states to UnmarshalBinary:
// ErrBadState, or a state whose Finish either fails cleanly or gives a .p7s
// that parses.
func FuzzPreparedState(f *testing.F) {
	pki := pkitest.New(f)
	s := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()
	ctx := context.Background()
	data := []byte("tệp đính kèm")
	p, err := cades.Prepare(ctx, bytes.NewReader(data), s.Certificate(), s.Chain(), nil)
	if err != nil {
		f.Fatal(err)
	}
	st, _ := p.MarshalBinary()
	f.Add(st)
	good, _ := cades.Sign(ctx, bytes.NewReader(data), s, nil)
	c, err := cades.PrepareCounterSign(ctx, good, 0, s.Certificate(), s.Chain(), nil)
	if err != nil {
		f.Fatal(err)
	}
	st, _ = c.MarshalBinary()
	f.Add(st)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, state []byte) {
		var q cades.Prepared
		if err := q.UnmarshalBinary(state); err != nil {
			if !errors.Is(err, cades.ErrBadState) {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			return
		}
		if !bytes.Equal(q.Certificate().Raw, s.Certificate().Raw) || q.Level() != cades.LevelBB {
			return // another key, or a TSA URL the fuzzer chose: not finished here
		}
		sig, err := s.SignDigest(ctx, q.Digest(), q.SignerOpts())
		if err != nil {
			t.Fatal(err)
		}
		out, err := q.Finish(ctx, sig)
		if err == nil {
			if _, err := cades.Detached(out); err != nil {
				t.Fatalf("Finish made an unparsable .p7s: %v", err)
			}
		}
	})
}
