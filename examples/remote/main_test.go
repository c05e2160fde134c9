package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/remote"
)

func TestRun(t *testing.T) {
	ctx := testutil.Context(t, time.Minute)
	for _, api := range []string{"csc", "sp769"} {
		t.Run(api, func(t *testing.T) {
			var w bytes.Buffer
			dir := t.TempDir()
			files, err := run(ctx, &w, config{API: api, N: 3, Delay: 600 * time.Millisecond, User: "approve", Dir: dir})
			require.NoError(t, err, w.String())
			require.Len(t, files, 4)
			assert.Contains(t, w.String(), "Đang chờ xác nhận trên điện thoại (4 tài liệu)")
			assert.Contains(t, w.String(), "(1 yêu cầu ký gửi đến dịch vụ)")
			assert.Equal(t, 4, strings.Count(w.String(), "TOTAL_PASSED"))
			check.PDFSig(t, files[0], 1)
		})
	}

	dir := t.TempDir()
	var w bytes.Buffer
	_, err := run(ctx, &w, config{API: "csc", N: 2, Delay: 100 * time.Millisecond, User: "decline", Dir: dir})
	require.ErrorIs(t, err, remote.ErrDeclined)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)

	_, err = run(ctx, &w, config{API: "soap", N: 1, User: "approve", Dir: t.TempDir()})
	assert.ErrorContains(t, err, `unknown -api "soap"`)
}
