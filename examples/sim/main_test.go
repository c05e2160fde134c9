package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/simpki"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "signed.pdf")
	require.NoError(t, run("", out, "0912345678", "Hợp đồng", "approve", "notify"))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, minimalPDF()))

	err = run("", out, "0912345678", "Hợp đồng", "cancel", "synch")
	require.ErrorIs(t, err, simpki.ErrUserCancel)
	require.Error(t, run("", out, "0912345678", "x", "dance", "synch"))
}
