package remote_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

// TestCSCPDFBT signs a PDF at PAdES B-T (pkitest TSA) with a CSC
// credential protected by a PIN and a phone confirmation; the verifier
// says TOTAL_PASSED and pdfsig agrees.
func TestCSCPDFBT(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	id := e.user("nguyenvanan", remotetest.Credential{ID: "GX0112348", PIN: "123456", Script: []remotetest.Step{{Delay: 100 * time.Millisecond}}})
	var waits []remote.Waiting
	c := e.csc(remote.CSCConfig{Username: "nguyenvanan", Password: "mat-khau-nguyenvanan", OnWait: func(w remote.Waiting) { waits = append(waits, w) }})
	s, err := c.Signer(context.Background(), "", remote.Authorization{PIN: "123456", Description: "Ký quyết định"})
	require.NoError(t, err)
	require.True(t, s.Certificate().Equal(id.Cert))
	require.Len(t, s.Chain(), len(id.Chain))

	dir := t.TempDir()
	jobs := pdfJobs(t, dir, s, 1, &pdf.Options{Reason: "Phê duyệt", TimestampURL: e.pki.TSAURL(), HTTPClient: e.pki.HTTPClient()})
	require.NoError(t, remote.SignFiles(context.Background(), s, jobs))
	data, err := os.ReadFile(jobs[0].Out)
	require.NoError(t, err)
	rep := e.requirePDFPassed(data)
	require.Len(t, rep.Signatures, 1)
	checkPdfsig(t, jobs[0].Out, id.Cert.Subject.CommonName)

	require.NotEmpty(t, waits, "OnWait is called while the phone confirms")
	require.Equal(t, 1, waits[0].Documents)
	require.False(t, waits[0].Deadline.IsZero())
	require.Equal(t, []string{"Ký quyết định"}, e.srv.Phone("nguyenvanan"))
	require.Equal(t, 1, e.srv.Calls("csc/credentials/authorize"))
	require.Equal(t, 1, e.srv.Calls("csc/signatures/signHash"))
	require.Positive(t, e.srv.Calls("csc/credentials/authorizeCheck"))
}

// TestSP769Invoice signs an e-invoice as the seller through sp769 with a
// phone confirmation (polling); the verifier says TOTAL_PASSED.
func TestSP769Invoice(t *testing.T) {
	e := newEnv(t, remotetest.Config{})
	id := e.user("0101234567", remotetest.Credential{Script: []remotetest.Step{{Delay: 100 * time.Millisecond}}},
		pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
	c := e.sp769(remote.SP769Config{})
	s, err := c.Signer(context.Background(), "0101234567", "")
	require.NoError(t, err)
	require.True(t, s.Certificate().Equal(id.Cert))
	s.FileType, s.Description = "xml", "Hóa đơn C26TKY số 123"

	out := t.TempDir() + "/hd.xml"
	require.NoError(t, remote.SignFiles(context.Background(), s, []remote.Job{xmlJob(t, out, s, kxml.Seller())}))
	doc, err := os.ReadFile(out)
	require.NoError(t, err)
	rep, err := verify.VerifyBytes(context.Background(), verify.NewXMLVerifier(e.validator()), doc)
	require.NoError(t, err)
	require.Equal(t, verify.TotalPassed, rep.Indication())
	require.Equal(t, 1, e.srv.Calls("sp769/sign"))
	require.Positive(t, e.srv.Calls("sp769/status"))
	require.Equal(t, []string{"Hóa đơn C26TKY số 123"}, e.srv.Phone("0101234567"))
}
