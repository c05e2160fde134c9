package main

import (
	"bytes"
	"image/png"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSealImage(t *testing.T) {
	b, err := makeSeal(300, "SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "TỈNH ĐỒNG NAI")
	require.NoError(t, err)
	if p := os.Getenv("KYSO_SEAL_OUT"); p != "" {
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, 300, img.Bounds().Dx())
	// Corners transparent, the ring and the star red.
	_, _, _, a := img.At(2, 2).RGBA()
	require.Zero(t, a)
	r, g, _, a := img.At(150, 4).RGBA()
	require.NotZero(t, a)
	require.Greater(t, r, 3*g)
	_, _, _, a = img.At(150, 150).RGBA()
	require.NotZero(t, a, "star centre")
}
