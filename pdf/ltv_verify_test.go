package pdf_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// ltvScenario signs at T0 with a short-lived CA and signer, then revokes
// the CA after the time-stamp. It returns the PKI, T0 and the input.
func ltvScenario(t *testing.T) (*pkitest.PKI, *pkitest.Identity, time.Time, []byte) {
	t.Helper()
	p := pkitest.New(t)
	t0 := p.Now()
	ca := p.MustNewCA(pkitest.Validity(t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0)))
	id := p.MustIssue(pkitest.IssuedBy(ca), pkitest.Validity(t0.Add(-time.Hour), t0.AddDate(0, 6, 0)))
	in, err := os.ReadFile(filepath.Join("testdata", "simple.pdf"))
	require.NoError(t, err)
	return p, id, t0, in
}

func verifyAt(t *testing.T, p *pkitest.PKI, doc []byte, at time.Time) *verify.Report {
	t.Helper()
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Time: at, Revocation: verify.RevocationOffline})
	require.NoError(t, err)
	rep, err := verify.NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)))
	require.NoError(t, err)
	return rep
}

func TestLTAValidatesAfterExpiryAndRevocation(t *testing.T) {
	p, id, t0, in := ltvScenario(t)
	ctx := context.Background()
	var lta, bt bytes.Buffer
	require.NoError(t, pdf.Sign(ctx, &lta, bytes.NewReader(in), int64(len(in)), id.Signer(),
		&pdf.Options{Level: pdf.LevelLTA, TimestampURL: p.TSAURL()}))
	require.NoError(t, pdf.Sign(ctx, &bt, bytes.NewReader(in), int64(len(in)), id.Signer(),
		&pdf.Options{Level: pdf.LevelT, TimestampURL: p.TSAURL()}))

	// After signing: the CA is revoked (later than the time-stamps), then
	// the signer's and the CA's certificates expire.
	p.MustRevoke(id.Chain[0], t0.Add(24*time.Hour), ocsp.KeyCompromise)
	p.MustRevoke(id.Cert, t0.Add(48*time.Hour), ocsp.KeyCompromise)
	later := t0.AddDate(3, 0, 0)
	require.True(t, later.After(id.Cert.NotAfter) && later.After(id.Chain[0].NotAfter))

	rep := verifyAt(t, p, lta.Bytes(), later)
	require.Len(t, rep.Signatures, 2, "signature and document time-stamp")
	for _, s := range rep.Signatures {
		require.Equal(t, verify.TotalPassed, s.Indication, "%s: %+v", s.ID, s.Findings)
	}

	rep = verifyAt(t, p, bt.Bytes(), later)
	require.Len(t, rep.Signatures, 1)
	require.Equal(t, verify.Indeterminate, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)

	// Between the revocations and the expiry: the embedded evidence (made
	// before the revocations) still proves the status at the time-stamp.
	rep = verifyAt(t, p, lta.Bytes(), t0.Add(72*time.Hour))
	require.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
}
