package pdf

import (
	"errors"
	"testing"

	"github.com/go-fonts/liberation/liberationserifregular"
)

// FuzzFont parses a user-supplied TrueType font and subsets it the way a
// visible signature does: a damaged font must give ErrBadOptions, never a
// panic.
func FuzzFont(f *testing.F) {
	f.Add(liberationserifregular.TTF)
	f.Add([]byte("\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00head\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tt, err := parseTrueType(data)
		if err != nil {
			if !errors.Is(err, ErrBadOptions) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		used := map[uint16]bool{}
		for _, r := range "Ký bởi: Nguyễn Văn Ĩ (x)" {
			g := tt.glyph(r)
			used[g] = true
			_ = tt.width(g)
		}
		if _, err := parseTrueType(tt.subset(used)); err != nil {
			t.Fatalf("the subset of a readable font is unreadable: %v", err)
		}
	})
}
