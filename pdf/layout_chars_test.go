package pdf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLayoutInvisibleCharacters: text read from Windows files or copied
// from word processors carries invisible characters — a byte order mark,
// a line separator — that no font draws: they are left out (the line
// separator becomes a space) instead of refusing the whole signature.
func TestLayoutInvisibleCharacters(t *testing.T) {
	ap := &Appearance{Rect: Rect{W: 200, H: 90}, Lines: []string{"\ufeffSở Nội vụ", "Phòng\u2028Tổ chức\u2029cán bộ"}}
	l, err := PlanAppearance(ap, nil, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []string{"Sở Nội vụ", "Phòng Tổ chức cán bộ"}, l.Lines)
}
