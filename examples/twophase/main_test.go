package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	"github.com/kyso-vn/kyso/xml"
)

func TestTwoPhase(t *testing.T) {
	dir := t.TempDir()
	res, _ := testutil.RunExample(t, run, dir)
	assert.Equal(t, verify.TotalPassed, res.PDF.Indication())
	assert.Equal(t, verify.TotalPassed, res.Invoice.Indication())
	assert.Equal(t, verify.TimeFromTimestamp, res.PDF.Signatures[0].TimeSource, "the TSA was reached in Finish")
	check.PDFSig(t, filepath.Join(dir, "server", "sample-signed.pdf"), 1)

	// The client saw digests only; the server never held the key.
	entries, err := os.ReadDir(filepath.Join(dir, "server"))
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotEqual(t, ".p12", filepath.Ext(e.Name()))
	}
}

// A signature made with another key is refused when finishing, and no
// output file appears.
func TestTwoPhaseWrongKey(t *testing.T) {
	ctx := testutil.Context(t, time.Minute)
	dir := t.TempDir()
	testutil.RunExample(t, run, dir)
	server, wire := filepath.Join(dir, "server"), filepath.Join(dir, "wire")
	require.NoError(t, os.Remove(filepath.Join(server, "sample-signed.pdf")))
	require.NoError(t, os.Remove(filepath.Join(server, "invoice-signed.xml")))

	// Re-sign the request with an impostor's key.
	var req Request
	require.NoError(t, readJSON(filepath.Join(wire, "request.json"), &req))
	other := pkitest.New(t).MustIssue().Signer()
	var resp Response
	for _, it := range req.Items {
		h, err := parseHash(it.Hash)
		require.NoError(t, err)
		sig, err := other.SignDigest(ctx, it.Digest, h)
		require.NoError(t, err)
		resp.Signatures = append(resp.Signatures, sig)
	}
	require.NoError(t, writeJSON(filepath.Join(wire, "response.json"), resp))

	err := finish(ctx, io.Discard, server, wire, nil)
	require.Error(t, err)
	assert.NoFileExists(t, filepath.Join(server, "sample-signed.pdf"))
	assert.NoFileExists(t, filepath.Join(server, "invoice-signed.xml"))

	// And the XML state refuses it on its own too.
	var xp xml.Prepared
	require.NoError(t, unmarshalFile(filepath.Join(server, "xml.state"), &xp))
	_, err = xp.Finish(ctx, resp.Signatures[1])
	assert.Error(t, err)
	var pp pdf.Prepared
	require.NoError(t, unmarshalFile(filepath.Join(server, "pdf.state"), &pp))
	src := testutil.SamplePath(t, sample.PDF)
	dst := filepath.Join(server, "impostor.pdf")
	assert.Error(t, pp.FinishFile(ctx, dst, src, resp.Signatures[0]))
	assert.NoFileExists(t, dst)
}
