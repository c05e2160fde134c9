package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
)

// TestFlowApproveVisibleSize: with --flow approve the anchor places the
// box and --visible gives its size; the size was silently replaced by the
// default 180 x 110 pt.
func TestFlowApproveVisibleSize(t *testing.T) {
	dir := t.TempDir()
	_, env, key := flowKey(t, dir)
	in := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "approved.pdf")
	r := kyso(t, env, "", append(append([]string{"sign", "pdf", in, out}, key...),
		"--flow", "approve", "--anchor", "giam doc", "--field", "GiamDoc", "--visible", "1:0,0,150,60")...)
	require.Equal(t, 0, r.code, r.stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	_, box, err := pdf.FieldRect(bytes.NewReader(data), int64(len(data)), "", "GiamDoc")
	require.NoError(t, err)
	require.InDelta(t, 150, box.W, 0.01, "%+v", box)
	require.InDelta(t, 60, box.H, 0.01, "%+v", box)
}

// TestFlowIssueVisibleNeedsSeal: --flow issue with --visible (the seal's
// box given by hand) still needs --seal: a usage error naming it, exit 2,
// no output — not a library error about an "ImageOnly appearance".
func TestFlowIssueVisibleNeedsSeal(t *testing.T) {
	dir := t.TempDir()
	_, env, key := flowKey(t, dir)
	in := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "issued.pdf")
	r := kyso(t, env, "", append(append([]string{"sign", "pdf", in, out}, key...),
		"--flow", "issue", "--number", "1", "--number-anchor", "CONG VAN", "--date-anchor", "dien tu", "--visible", "1:300,100,100,100")...)
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "--seal")
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err))
}
