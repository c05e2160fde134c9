package pdf

import (
	"bytes"
	"context"
	"testing"

	"github.com/go-fonts/liberation/liberationsansbold"
	"github.com/stretchr/testify/require"
)

func TestOptionErrors(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "simple.pdf")
	cases := []struct {
		name string
		opts Options
		want error
	}{
		{"page out of range", Options{Page: 3}, ErrBadOptions},
		{"bad field name", Options{Field: "a.b"}, ErrBadOptions},
		{"empty rectangle", Options{Appearance: &Appearance{Rect: Corners(10, 10, 10, 50)}}, ErrBadOptions},
		{"glyph missing", Options{Appearance: &Appearance{Rect: Corners(10, 10, 200, 50), Lines: []string{"签名"}}}, ErrBadOptions},
		{"bad image", Options{Appearance: &Appearance{Rect: Corners(10, 10, 200, 50), Image: []byte("not an image")}}, ErrBadOptions},
		{"CFF font", Options{Appearance: &Appearance{Rect: Corners(10, 10, 200, 50), Font: append([]byte("OTTO"), make([]byte, 64)...)}}, ErrBadOptions},
		{"image only without image", Options{Appearance: &Appearance{Rect: Corners(10, 10, 200, 50), ImageLayout: ImageOnly}}, ErrBadOptions},
		{"certify level", Options{Certify: -1}, ErrBadOptions},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			opts := c.opts
			err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, &opts)
			require.ErrorIs(t, err, c.want)
			require.Zero(t, out.Len())
		})
	}
}

func TestUserFont(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "simple.pdf")
	out := signBytes(t, in, s, &Options{Appearance: &Appearance{
		Rect: Corners(300, 700, 560, 760), Font: liberationsansbold.TTF, FontSize: 11,
		Lines: []string{"Giám đốc Sở Tư pháp", "Đặng Thị Hương Giang"},
	}})
	checkTools(t, out, 1, "")
	text := pdftotext(t, out, "")
	require.Contains(t, text, "Giám đốc Sở Tư pháp")
	require.Contains(t, text, "Đặng Thị Hương Giang")
	// The subset is small: the font program is a fraction of the original.
	require.Less(t, len(out)-len(in), len(liberationsansbold.TTF)/4)
}

func TestSubsetFontParses(t *testing.T) {
	tt, err := parseTrueType(liberationsansbold.TTF)
	require.NoError(t, err)
	used := map[uint16]bool{}
	for _, r := range "Ký bởi Ữ ỹ" {
		used[tt.glyph(r)] = true
	}
	sub := tt.subset(used)
	st, err := parseTrueType(sub)
	require.NoError(t, err, "the subset is a valid TrueType font")
	require.Equal(t, tt.numGlyphs, st.numGlyphs, "glyph ids are kept (CIDToGIDMap /Identity)")
	for g := range used {
		require.Equal(t, tt.glyphData(int(g)), st.glyphData(int(g))[:len(tt.glyphData(int(g)))])
		require.Equal(t, tt.width(g), st.width(g))
	}
	require.Empty(t, st.glyphData(int(tt.glyph('Z'))), "unused glyphs are dropped")
	require.Equal(t, uint32(0xB1B0AFBA), checksum(sub), "checkSumAdjustment")
}
