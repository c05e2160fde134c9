package xml

import (
	"errors"
	"testing"
)

// FuzzPreparedState feeds arbitrary two-phase states to UnmarshalBinary:
// it fails with ErrBadState or yields a state that marshals back into one
// it accepts again; it never panics. The seeds in
// testdata/fuzz/FuzzPreparedState are a B-B and a B-T state (with a TSA
// URL) of a seller's invoice signature.
func FuzzPreparedState(f *testing.F) {
	f.Add([]byte(stateMagic))
	f.Fuzz(func(t *testing.T, state []byte) {
		var q Prepared
		if err := q.UnmarshalBinary(state); err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			return
		}
		again, err := q.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var r Prepared
		if err := r.UnmarshalBinary(again); err != nil {
			t.Fatalf("a state that was accepted does not round-trip: %v", err)
		}
	})
}
