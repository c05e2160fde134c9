package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon Id="DLHDon"><TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C26TKY</KHHDon><SHDon>123</SHDon><NLap>2026-12-03</NLap><DVTTe>VND</DVTTe></TTChung><NDHDon><NBan><Ten>Công ty TNHH Phần mềm Kyso</Ten><MST>0101234567</MST></NBan><NMua><Ten>Công ty Cổ phần Mua Hàng</Ten><MST>0109876543</MST></NMua><TToan><TgTTTBSo>1100000</TgTTTBSo><TgTTTBChu>Một triệu một trăm nghìn đồng</TgTTTBChu></TToan></NDHDon></DLHDon><DSCKS><NBan/></DSCKS></HDon>`

// env is a test PKI with a simulator.
type env struct {
	t   *testing.T
	pki *pkitest.PKI
	srv *remotetest.Server
}

func newEnv(t *testing.T, cfg remotetest.Config) *env {
	t.Helper()
	return &env{t: t, pki: pkitest.New(t), srv: remotetest.New(t, cfg)}
}

// user adds a user with one credential and returns its identity.
func (e *env) user(id string, cred remotetest.Credential, opts ...pkitest.CertOption) *pkitest.Identity {
	e.t.Helper()
	if len(opts) == 0 {
		opts = []pkitest.CertOption{pkitest.Person("Nguyễn Văn An", "001085012345")}
	}
	ident := e.pki.MustIssue(opts...)
	cred.Key = ident.Signer()
	require.NoError(e.t, e.srv.AddUser(remotetest.User{ID: id, Password: "mat-khau-" + id, Credentials: []remotetest.Credential{cred}}))
	return ident
}

func (e *env) csc(cfg remote.CSCConfig) *remote.CSCClient {
	e.t.Helper()
	cfg.BaseURL = e.srv.CSCURL()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * 1e6 // 20 ms
	}
	c, err := remote.NewCSCClient(cfg)
	require.NoError(e.t, err)
	return c
}

func (e *env) sp769(cfg remote.SP769Config) *remote.SP769Client {
	e.t.Helper()
	cfg.BaseURL = e.srv.SP769URL()
	if cfg.SPID == "" {
		cfg.SPID, cfg.SPPassword = e.srv.SPID(), e.srv.SPPassword()
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * 1e6
	}
	c, err := remote.NewSP769Client(cfg)
	require.NoError(e.t, err)
	return c
}

// validator trusts the test root, with revocation checked online.
func (e *env) validator() *verify.Validator {
	e.t.Helper()
	trust := verify.NewTrustStore()
	trust.AddCertificate(e.pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: e.pki.HTTPClient()})
	require.NoError(e.t, err)
	return v
}

func (e *env) requirePDFPassed(data []byte) *verify.Report {
	e.t.Helper()
	rep, err := verify.VerifyBytes(context.Background(), verify.NewPDFVerifier(e.validator()), data)
	require.NoError(e.t, err)
	require.Equal(e.t, verify.TotalPassed, rep.Indication(), "%+v", rep)
	return rep
}

// pdfJobs prepares n PDFs in dir for s and returns the jobs writing to
// dir/out-i.pdf.
func pdfJobs(t *testing.T, dir string, s remote.BatchSigner, n int, opts *pdf.Options) []remote.Job {
	t.Helper()
	jobs := make([]remote.Job, n)
	for i := range n {
		in := filepath.Join(dir, fmt.Sprintf("in-%02d.pdf", i))
		require.NoError(t, os.WriteFile(in, testutil.MinimalPDF(fmt.Sprintf("Van ban so %d", i)), 0o600))
		data, err := os.ReadFile(in)
		require.NoError(t, err)
		o := *opts
		p, err := pdf.Prepare(context.Background(), bytes.NewReader(data), int64(len(data)), s.Certificate(), s.Chain(), &o)
		require.NoError(t, err)
		jobs[i] = remote.Job{
			Prepared: p,
			Out:      filepath.Join(dir, fmt.Sprintf("out-%02d.pdf", i)),
			Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
				return p.Finish(ctx, w, bytes.NewReader(data), int64(len(data)), sig)
			},
		}
	}
	return jobs
}

// xmlJob prepares the invoice for s.
func xmlJob(t *testing.T, out string, s remote.BatchSigner, opts *kxml.SignOptions) remote.Job {
	t.Helper()
	p, err := kxml.Prepare(context.Background(), []byte(invoice), s.Certificate(), s.Chain(), opts)
	require.NoError(t, err)
	return remote.Job{Prepared: p, Out: out, Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
		doc, err := p.Finish(ctx, sig)
		if err != nil {
			return err
		}
		_, err = w.Write(doc)
		return err
	}}
}

// checkPdfsig has pdfsig check the one signature of the PDF at path:
// valid, by signerName.
func checkPdfsig(t *testing.T, path, signerName string) {
	t.Helper()
	out := check.PDFSig(t, path, 1)
	require.Contains(t, out, signerName, out)
}

func listDir(t *testing.T, dir, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	require.NoError(t, err)
	return m
}

var errBadSig = signer.ErrBadSignature

func jsonBody(s string) io.Reader { return strings.NewReader(s) }
