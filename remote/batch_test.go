package remote_test

import (
	"context"
	"crypto"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// TestBatch20PDFsCSC signs 20 PDFs with exactly one credentials/authorize
// (numSignatures=20) and one signatures/signHash, under one confirmation.
func TestBatch20PDFsCSC(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("tranthibinh", remotetest.Credential{PIN: "2468", Script: []remotetest.Step{{Delay: 50 * time.Millisecond}}})
	c := e.csc(remote.CSCConfig{Username: "tranthibinh", Password: "mat-khau-tranthibinh"})
	s, err := c.Signer(context.Background(), "", remote.Authorization{PIN: "2468", Description: "Ký 20 văn bản"})
	require.NoError(t, err)
	e.srv.ResetCalls()

	dir := t.TempDir()
	jobs := pdfJobs(t, dir, s, 20, &pdf.Options{Reason: "Phê duyệt"})
	require.NoError(t, remote.SignFiles(context.Background(), s, jobs))
	require.Equal(t, 1, e.srv.Calls("csc/credentials/authorize"))
	require.Equal(t, 1, e.srv.Calls("csc/signatures/signHash"))
	require.Equal(t, []string{"Ký 20 văn bản (20 tài liệu)"}, e.srv.Phone("tranthibinh"))
	require.Len(t, listDir(t, dir, "out-*.pdf"), 20)
	for _, j := range jobs {
		data, err := os.ReadFile(j.Out)
		require.NoError(t, err)
		e.requirePDFPassed(data)
	}
}

// TestBatchSP769 signs 20 PDFs and an invoice with one sp769 sign call
// carrying 21 sign_files: pdf and xml feed the same batch.
func TestBatchSP769(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("079085001234", remotetest.Credential{Script: []remotetest.Step{{Delay: 50 * time.Millisecond}}})
	s, err := e.sp769(remote.SP769Config{}).Signer(context.Background(), "079085001234", "")
	require.NoError(t, err)
	e.srv.ResetCalls()
	dir := t.TempDir()
	jobs := append(pdfJobs(t, dir, s, 20, &pdf.Options{}), xmlJob(t, dir+"/hd.xml", s, kxml.Seller()))
	require.NoError(t, remote.SignFiles(context.Background(), s, jobs))
	require.Equal(t, 1, e.srv.Calls("sp769/sign"))
	for _, j := range jobs[:20] {
		data, err := os.ReadFile(j.Out)
		require.NoError(t, err)
		e.requirePDFPassed(data)
	}
	_, err = os.Stat(dir + "/hd.xml")
	require.NoError(t, err)
}

// TestBatchFailureLeavesNoOutput: a declined batch, a batch whose
// finishing fails half-way (TSA down for the last document) and a batch
// with a broken signature each leave no output file and no temporary file.
func TestBatchFailureLeavesNoOutput(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("decline", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.Decline, Delay: 30 * time.Millisecond}}})
	e.user("ok", remotetest.Credential{})
	e.user("broken", remotetest.Credential{Script: []remotetest.Step{{Outcome: remotetest.BadSignature}}})

	signer := func(user string) *remote.CSCSigner {
		s, err := e.csc(remote.CSCConfig{Username: user, Password: "mat-khau-" + user}).Signer(context.Background(), "", remote.Authorization{})
		require.NoError(t, err)
		return s
	}
	for _, tc := range []struct {
		user  string
		fail  bool // the last document's Finish fails
		want  error
		pairs int
	}{
		{"decline", false, remote.ErrDeclined, 5},
		{"ok", true, errFinish, 5},
		{"broken", false, errBadSig, 5},
	} {
		t.Run(tc.user, func(t *testing.T) {
			dir := t.TempDir()
			s := signer(tc.user)
			jobs := pdfJobs(t, dir, s, tc.pairs, &pdf.Options{})
			if tc.fail {
				last := jobs[len(jobs)-1].Finish
				jobs[len(jobs)-1].Finish = func(ctx context.Context, w io.Writer, sig []byte) error {
					if err := last(ctx, w, sig); err != nil {
						return err
					}
					return errFinish
				}
			}
			err := remote.SignFiles(context.Background(), s, jobs)
			require.ErrorIs(t, err, tc.want)
			require.Empty(t, listDir(t, dir, "out-*"), "no output")
			require.Empty(t, listDir(t, dir, ".out-*"), "no temporary file")
		})
	}
}

var errFinish = errors.New("TSA unreachable")

// TestBatchRefusals: mixed hash algorithms, an empty batch, two jobs to
// one file and more documents than multisign are refused before any
// request.
func TestBatchRefusals(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("u", remotetest.Credential{Multisign: 3})
	s, err := e.csc(remote.CSCConfig{Username: "u", Password: "mat-khau-u"}).Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	require.Equal(t, 3, s.MaxBatch())
	e.srv.ResetCalls()
	dir := t.TempDir()

	require.ErrorIs(t, remote.SignFiles(context.Background(), s, nil), remote.ErrBatch)
	jobs := pdfJobs(t, dir, s, 4, &pdf.Options{})
	require.ErrorIs(t, remote.SignFiles(context.Background(), s, jobs), remote.ErrBatch)
	mixed := append(pdfJobs(t, dir, s, 1, &pdf.Options{}), pdfJobs(t, t.TempDir(), s, 1, &pdf.Options{Hash: crypto.SHA384})...)
	require.ErrorIs(t, remote.SignFiles(context.Background(), s, mixed), remote.ErrBatch)
	dup := pdfJobs(t, dir, s, 2, &pdf.Options{})
	dup[1].Out = dup[0].Out
	require.ErrorIs(t, remote.SignFiles(context.Background(), s, dup), remote.ErrBatch)
	nodir := pdfJobs(t, dir, s, 1, &pdf.Options{})
	nodir[0].Out = dir + "/missing/out.pdf"
	require.ErrorIs(t, remote.SignFiles(context.Background(), s, nodir), remote.ErrBatch)
	require.Zero(t, e.srv.Calls("csc/credentials/authorize"))
	require.Empty(t, listDir(t, dir, "out-*"))
}

// TestBatchRenameFailureRollsBack: when an output cannot be moved into
// place (here a directory stands at its path), the outputs already moved
// are removed again.
func TestBatchRenameFailureRollsBack(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	e.user("ok", remotetest.Credential{})
	s, err := e.csc(remote.CSCConfig{Username: "ok", Password: "mat-khau-ok"}).Signer(context.Background(), "", remote.Authorization{})
	require.NoError(t, err)
	dir := t.TempDir()
	jobs := pdfJobs(t, dir, s, 3, &pdf.Options{})
	require.NoError(t, os.MkdirAll(jobs[2].Out+"/occupied", 0o755))
	err = remote.SignFiles(context.Background(), s, jobs)
	require.Error(t, err)
	require.NoFileExists(t, jobs[0].Out)
	require.NoFileExists(t, jobs[1].Out)
	require.Empty(t, listDir(t, dir, ".out-*"))
}
