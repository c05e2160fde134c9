package pdf_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"

	"github.com/kyso-vn/kyso/internal/testutil"
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
		&pdf.Options{Level: pdf.LevelBLTA, TimestampURL: p.TSAURL()}))
	require.NoError(t, pdf.Sign(ctx, &bt, bytes.NewReader(in), int64(len(in)), id.Signer(),
		&pdf.Options{Level: pdf.LevelBT, TimestampURL: p.TSAURL()}))

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

// A document signed by MuPDF (B-B, adbe.pkcs7.detached, its own CMS) is
// raised to B-LTA by kyso without touching its bytes, and validates from
// the embedded data after the signer's certificate expired.
func TestAugmentMutoolSigned(t *testing.T) {
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := pkitest.New(t)
	t0 := p.Now()
	id := p.MustIssue(pkitest.RSAKey(2048), pkitest.Validity(t0.Add(-time.Hour), t0.AddDate(1, 0, 0)))
	dir := t.TempDir()
	key, err := id.KeyPEM()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "k.pem"), key, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.pem"), id.ChainPEM(), 0o600))
	out, err := exec.Command(openssl, "pkcs12", "-export", "-inkey", filepath.Join(dir, "k.pem"), "-in", filepath.Join(dir, "c.pem"),
		"-out", filepath.Join(dir, "id.p12"), "-passout", "pass:pw").CombinedOutput()
	require.NoError(t, err, "%s", out)
	signed := filepath.Join(dir, "mutool.pdf")
	// Object 5 is the empty signature field of form-empty-field.pdf.
	out, err = exec.Command(mutool, "sign", "-s", filepath.Join(dir, "id.p12"), "-P", "pw", "-o", signed,
		filepath.Join("testdata", "form-empty-field.pdf"), "5").CombinedOutput()
	require.NoError(t, err, "%s", out)
	orig, err := os.ReadFile(signed)
	require.NoError(t, err)

	ctx := context.Background()
	lta := filepath.Join(dir, "lta.pdf")
	require.NoError(t, pdf.AugmentFile(ctx, lta, signed, pdf.LevelBLTA, &pdf.LTVOptions{HTTPClient: p.HTTPClient()},
		&pdf.DocTimestampOptions{TimestampURL: p.TSAURL()}))
	got, err := os.ReadFile(lta)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(got, orig), "the MuPDF revision is untouched")

	out, err = exec.Command(mutool, "sign", "-v", lta).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "The signature is valid but there have been edits since signing.", "%s", out)
	require.NotContains(t, string(out), "Digest error", "%s", out)
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	out, err = exec.Command(pdfsig, "-nocert", lta).Output()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Signature Validation: Signature is Valid.", "%s", out)
	require.Contains(t, string(out), "Signature Type: adbe.pkcs7.detached", "%s", out)

	// MuPDF writes no signature time-stamp: the document time-stamp is the
	// proof of existence, and the DSS holds the evidence for its TSA too.
	// After the signer's certificate expired, the embedded evidence proves
	// the certificate was valid and not revoked at the document
	// time-stamp, offline. MuPDF 1.21 hashes with SHA-1, which the
	// Vietnamese policy refuses after 2012: that, and only that, keeps
	// the signature from passing.
	rep := verifyAt(t, p, got, t0.AddDate(2, 0, 0))
	require.Len(t, rep.Signatures, 2)
	mu, dts := rep.Signatures[0], rep.Signatures[1]
	require.Equal(t, verify.TotalPassed, dts.Indication, "%+v", dts.Findings)
	require.Equal(t, verify.TimeFromTimestamp, mu.TimeSource)
	require.Len(t, mu.Findings, 1, "%+v", mu.Findings)
	require.Equal(t, verify.CryptoConstraintsFailure, mu.Findings[0].SubIndication)
	require.Contains(t, mu.Findings[0].Detail.String(), "SHA-1")

	// Without the LT data the same signature also lacks POE (and MuPDF's
	// CMS carries only the signer's certificate: no chain either).
	rep = verifyAt(t, p, orig, t0.AddDate(2, 0, 0))
	require.Equal(t, verify.Indeterminate, rep.Signatures[0].Indication)
	subs := map[verify.SubIndication]bool{}
	for _, f := range rep.Signatures[0].Findings {
		subs[f.SubIndication] = true
	}
	require.True(t, subs[verify.OutOfBoundsNoPOE] && subs[verify.NoCertificateChainFound], "%+v", rep.Signatures[0].Findings)
}

// Certified documents (DocMDP P=1, 2 and 3) accept the DSS and document
// time-stamp revisions as allowed changes.
func TestCertifiedLTA(t *testing.T) {
	p, id, t0, in := ltvScenario(t)
	for _, perm := range []int{1, 2, 3} {
		var out bytes.Buffer
		require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), id.Signer(),
			&pdf.Options{Level: pdf.LevelBLTA, TimestampURL: p.TSAURL(), Certify: perm}))
		rep := verifyAt(t, p, out.Bytes(), t0.AddDate(0, 0, 1))
		require.Len(t, rep.Signatures, 2)
		for _, s := range rep.Signatures {
			require.Equal(t, verify.TotalPassed, s.Indication, "P=%d %s: %+v", perm, s.ID, s.Findings)
		}
		require.NotEmpty(t, rep.Signatures[0].Coverage.AllowedChanges)
	}
}

// Two-phase signing at B-LTA: the level survives the serialised state.
func TestTwoPhaseLTA(t *testing.T) {
	p, id, t0, in := ltvScenario(t)
	ctx := context.Background()
	prep, err := pdf.Prepare(ctx, bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain,
		&pdf.Options{Level: pdf.LevelBLTA, TimestampURL: p.TSAURL()})
	require.NoError(t, err)
	state, err := prep.MarshalBinary()
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(ctx, prep.Digest(), prep.SignerOpts())
	require.NoError(t, err)
	var later pdf.Prepared
	require.NoError(t, later.UnmarshalBinary(state))
	var out bytes.Buffer
	require.NoError(t, later.Finish(ctx, &out, bytes.NewReader(in), int64(len(in)), sig))
	rep := verifyAt(t, p, out.Bytes(), t0.AddDate(3, 0, 0))
	require.Len(t, rep.Signatures, 2)
	for _, s := range rep.Signatures {
		require.Equal(t, verify.TotalPassed, s.Indication, "%s: %+v", s.ID, s.Findings)
	}
}
