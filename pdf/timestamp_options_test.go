package pdf

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadTSA is the URL of a TSA that refuses connections.
func deadTSA(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := "http://" + l.Addr().String() + "/tsa"
	require.NoError(t, l.Close())
	return u
}

// A TSA that cannot be reached fails with ErrTimestamp, like cades and
// xml: when sizing the placeholder, when time-stamping the signature in
// Finish, and for a document time-stamp. Nothing is written.
func TestTimestampErrors(t *testing.T) {
	ctx := context.Background()
	in := corpus(t, "simple.pdf")
	s := testSigner(t)
	dead := deadTSA(t)

	var out bytes.Buffer
	err := Sign(ctx, &out, bytes.NewReader(in), int64(len(in)), s, &Options{TimestampURL: dead})
	assert.ErrorIs(t, err, ErrTimestamp)
	assert.Zero(t, out.Len())

	// With Reserve set no probe is made: the failure comes in Finish.
	p, err := Prepare(ctx, bytes.NewReader(in), int64(len(in)), s.Certificate(), s.Chain(), &Options{TimestampURL: dead, Reserve: 16000})
	require.NoError(t, err)
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	require.NoError(t, err)
	err = p.Finish(ctx, &out, bytes.NewReader(in), int64(len(in)), sig)
	assert.ErrorIs(t, err, ErrTimestamp)
	assert.Zero(t, out.Len())

	err = AddDocumentTimestamp(ctx, &out, bytes.NewReader(in), int64(len(in)), &DocTimestampOptions{TimestampURL: dead})
	assert.ErrorIs(t, err, ErrTimestamp)
	err = AddDocumentTimestamp(ctx, &out, bytes.NewReader(in), int64(len(in)), &DocTimestampOptions{TimestampURL: dead, Reserve: 16000})
	assert.ErrorIs(t, err, ErrTimestamp)
	assert.Zero(t, out.Len())
	assert.False(t, errors.Is(err, ErrMalformed))
}

// PrepareFile and FinishFile are the two phases over files: the output is
// the input plus one signed update, as with Prepare and Finish.
func TestPrepareFileFinishFile(t *testing.T) {
	ctx := context.Background()
	in := corpus(t, "simple.pdf")
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	require.NoError(t, os.WriteFile(src, in, 0o644))
	s := testSigner(t)

	p, err := PrepareFile(ctx, src, s.Certificate(), s.Chain(), &Options{Reason: "file"})
	require.NoError(t, err)
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	require.NoError(t, err)
	require.NoError(t, p.FinishFile(ctx, dst, src, sig))
	out, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out, in))
	checkTools(t, out, 1, "")

	_, err = PrepareFile(ctx, filepath.Join(dir, "missing.pdf"), s.Certificate(), s.Chain(), nil)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = PrepareFile(ctx, dir, s.Certificate(), s.Chain(), nil)
	assert.Error(t, err, "a directory is not a PDF")
}
