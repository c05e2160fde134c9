package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/verify"
)

func TestRun(t *testing.T) {
	ctx := testutil.Context(t, time.Minute)

	// The default: the user approves, then declines.
	out := filepath.Join(t.TempDir(), "signed.pdf")
	var w bytes.Buffer
	res, err := run(ctx, &w, config{Out: out, MSISDN: "0912345678", Title: "Hợp đồng", Users: []string{"approve", "cancel"}, Mode: "notify"})
	require.NoError(t, err, w.String())
	require.Len(t, res, 2)
	assert.Equal(t, out, res[0].Out)
	require.NotNil(t, res[0].Report)
	assert.Equal(t, verify.TotalPassed, res[0].Report.Indication())
	assert.ErrorIs(t, res[1].Err, simpki.ErrDeclined)
	assert.Empty(t, res[1].Out)
	assert.Equal(t, 2, strings.Count(w.String(), "┃ Hợp đồng"), w.String())
	assert.Contains(t, w.String(), "Người ký đã từ chối trên điện thoại")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, sample.MinimalPDF("Hop dong mua ban so 12/2026")))
	check.PDFSig(t, out, 1)

	// Without -out the file goes to a temporary directory, not the
	// working directory.
	res, err = run(ctx, &bytes.Buffer{}, config{MSISDN: "0912345678", Title: "x", Users: []string{"approve"}, Mode: "synch"})
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, os.TempDir(), filepath.Dir(filepath.Dir(res[0].Out)))
	os.RemoveAll(filepath.Dir(res[0].Out))

	// A blocked PIN is reported as such; nothing is written.
	no := filepath.Join(t.TempDir(), "no.pdf")
	res, err = run(ctx, &bytes.Buffer{}, config{Out: no, MSISDN: "0912345678", Title: "x", Users: []string{"wrongpin"}, Mode: "async"})
	require.NoError(t, err)
	assert.ErrorIs(t, res[0].Err, simpki.ErrPINLocked)
	assert.NoFileExists(t, no)

	// Each MSSP profile, the user approving then declining.
	for _, p := range simpki.Profiles() {
		out := filepath.Join(t.TempDir(), p.Name+".pdf")
		res, err := run(ctx, &bytes.Buffer{}, config{Out: out, MSISDN: "0912345678", Title: "x", Users: []string{"approve", "cancel"}, Mode: "async", Profile: p.Name})
		require.NoError(t, err, p.Name)
		assert.Equal(t, verify.TotalPassed, res[0].Report.Indication(), p.Name)
		assert.ErrorIs(t, res[1].Err, simpki.ErrDeclined, p.Name)
		check.PDFSig(t, out, 1)
	}
	_, err = run(ctx, &bytes.Buffer{}, config{MSISDN: "0912345678", Users: []string{"approve"}, Mode: "synch", Profile: "viettel"})
	assert.ErrorContains(t, err, `unknown MSSP profile "viettel"`)

	_, err = run(ctx, &bytes.Buffer{}, config{MSISDN: "0912345678", Users: []string{"dance"}, Mode: "synch"})
	assert.ErrorContains(t, err, `unknown -user "dance"`)
	_, err = run(ctx, &bytes.Buffer{}, config{MSISDN: "0912345678", Users: []string{"approve"}, Mode: "smoke"})
	assert.ErrorContains(t, err, `unknown -mode "smoke"`)
}
