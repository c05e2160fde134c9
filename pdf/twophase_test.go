package pdf

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

func TestTwoPhaseAcrossProcesses(t *testing.T) {
	pki := sharedPKI(t)
	id := pki.MustIssue(pkitest.RSAKey(2048))
	in := corpus(t, "form-empty-field.pdf")
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, vietnamTime())

	// Phase 1 (the server): only the certificate is known.
	p, err := Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, &Options{
		Field: "LanhDao", SigningTime: at, TimestampURL: pki.TSAURL(),
	})
	require.NoError(t, err)
	state, err := p.MarshalBinary()
	require.NoError(t, err)
	digest, opts := p.Digest(), p.SignerOpts()

	// The key holder (a browser plugin, a SIM) signs the digest.
	sig, err := id.Signer().SignDigest(context.Background(), digest, opts)
	require.NoError(t, err)

	// Phase 2 (another process, minutes later): a fresh value from bytes.
	var q Prepared
	require.NoError(t, q.UnmarshalBinary(state))
	require.Equal(t, digest, q.Digest())
	require.True(t, q.SigningTime().Equal(at))
	dir := t.TempDir()
	src := filepath.Join(dir, "in.pdf")
	require.NoError(t, os.WriteFile(src, in, 0o644))
	dst := filepath.Join(dir, "out.pdf")
	require.NoError(t, q.FinishFile(context.Background(), dst, src, sig))
	out, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out, in))
	checkTools(t, out, 1, "")
	sigs := readSignatures(t, out, "")
	require.Equal(t, "LanhDao", sigs[0].field)
	require.Equal(t, pdfString("D:20261120090000+07'00'"), sigs[0].dict["M"])
	require.Len(t, sigs[0].cms.SignerInfos[0].Timestamps, 1)

	// Finishing twice from the same state gives an equally valid file.
	var again bytes.Buffer
	require.NoError(t, q.Finish(context.Background(), &again, bytes.NewReader(in), int64(len(in)), sig))
	checkTools(t, again.Bytes(), 1, "")
}

func TestTwoPhaseWholeCMSAndECDSA(t *testing.T) {
	id := sharedPKI(t).MustIssue() // ECDSA P-256
	in := corpus(t, "objstm.pdf")
	p, err := Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, nil)
	require.NoError(t, err)
	// A backend that builds its own CMS over the document digest.
	whole, err := cms.Sign(context.Background(), id.Signer(), p.DocumentDigest(), cms.Options{})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, p.Finish(context.Background(), &out, bytes.NewReader(in), int64(len(in)), whole))
	checkTools(t, out.Bytes(), 1, "")
}

func TestTwoPhaseErrors(t *testing.T) {
	id := sharedPKI(t).MustIssue()
	other := sharedPKI(t).MustIssue()
	in := corpus(t, "simple.pdf")
	p, err := Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, nil)
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(context.Background(), p.Digest(), p.SignerOpts())
	require.NoError(t, err)

	// Another key's signature is refused before anything is written.
	bad, err := other.Signer().SignDigest(context.Background(), p.Digest(), p.SignerOpts())
	require.NoError(t, err)
	var out bytes.Buffer
	err = p.Finish(context.Background(), &out, bytes.NewReader(in), int64(len(in)), bad)
	require.ErrorIs(t, err, signer.ErrBadSignature)
	require.Zero(t, out.Len())

	// A different input is detected.
	changed := bytes.Clone(in)
	changed[100] ^= 1
	err = p.Finish(context.Background(), &out, bytes.NewReader(changed), int64(len(changed)), sig)
	require.ErrorIs(t, err, ErrInputChanged)
	dir := t.TempDir()
	src := filepath.Join(dir, "changed.pdf")
	require.NoError(t, os.WriteFile(src, changed, 0o644))
	err = p.FinishFile(context.Background(), filepath.Join(dir, "out.pdf"), src, sig)
	require.ErrorIs(t, err, ErrInputChanged)
	_, statErr := os.Stat(filepath.Join(dir, "out.pdf"))
	require.True(t, os.IsNotExist(statErr), "no output after a failure")
	err = p.Finish(context.Background(), &out, bytes.NewReader(in[:len(in)-1]), int64(len(in)-1), sig)
	require.ErrorIs(t, err, ErrInputChanged)

	// Corrupt states.
	var q Prepared
	require.ErrorIs(t, q.UnmarshalBinary([]byte("{")), ErrBadState)
	require.ErrorIs(t, q.UnmarshalBinary([]byte(`{"v":1}`)), ErrBadState)
	_, err = q.MarshalBinary()
	require.ErrorIs(t, err, ErrBadState)
}

func TestPlaceholderTooSmall(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "simple.pdf")
	var out bytes.Buffer
	err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, &Options{Reserve: 100})
	require.ErrorIs(t, err, ErrPlaceholderTooSmall)
	require.Zero(t, out.Len(), "no partial output")
}

func TestTimestampFailures(t *testing.T) {
	pki := pkitest.New(t)
	id := pki.MustIssue()
	in := corpus(t, "simple.pdf")
	opts := &Options{TimestampURL: pki.TSAURL()}
	p, err := Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, opts)
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(context.Background(), p.Digest(), p.SignerOpts())
	require.NoError(t, err)
	for _, c := range []struct {
		mode pkitest.TSAMode
		want error
	}{
		{pkitest.TSARejection, cms.ErrTSARejected},
		{pkitest.TSAWrongImprint, cms.ErrTimestamp},
		{pkitest.TSABadNonce, cms.ErrTimestamp},
		{pkitest.TSAUnavailable, nil},
	} {
		pki.SetTSAMode(c.mode)
		var out bytes.Buffer
		err := p.Finish(context.Background(), &out, bytes.NewReader(in), int64(len(in)), sig)
		require.Error(t, err, "mode %d", c.mode)
		if c.want != nil {
			require.ErrorIs(t, err, c.want, "mode %d", c.mode)
		}
		require.Zero(t, out.Len(), "no output when the TSA fails")
		// The one-call path fails while sizing the placeholder.
		err = Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), id.Signer(), opts)
		require.Error(t, err)
		require.Zero(t, out.Len())
	}
	pki.SetTSAMode(pkitest.TSANormal)
	var out bytes.Buffer
	require.NoError(t, p.Finish(context.Background(), &out, bytes.NewReader(in), int64(len(in)), sig))
	checkTools(t, out.Bytes(), 1, "")
}

// TestTimestampOpenSSL checks the PAdES B-T signature timestamp with an
// independent tool: openssl ts -verify over the hash of the signature value.
func TestTimestampOpenSSL(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	pki := sharedPKI(t)
	out := signBytes(t, corpus(t, "simple.pdf"), testSigner(t), &Options{TimestampURL: pki.TSAURL()})
	si := readSignatures(t, out, "")[0].cms.SignerInfos[0]
	require.Len(t, si.Timestamps, 1)
	dir := t.TempDir()
	tok := filepath.Join(dir, "token.der")
	require.NoError(t, os.WriteFile(tok, si.Timestamps[0].DER, 0o644))
	root := filepath.Join(dir, "root.pem")
	require.NoError(t, os.WriteFile(root, pkitest.PEM(pki.Root.Cert), 0o644))
	chain := filepath.Join(dir, "chain.pem")
	require.NoError(t, os.WriteFile(chain, pkitest.PEM(append([]*x509.Certificate{pki.TSA.Cert}, pki.TSA.Chain...)...), 0o644))
	sum := sha256.Sum256(si.Signature)
	res, err := exec.Command(openssl, "ts", "-verify", "-token_in", "-in", tok, "-digest", hex.EncodeToString(sum[:]),
		"-CAfile", root, "-untrusted", chain).CombinedOutput()
	require.NoError(t, err, "%s", res)
	require.Contains(t, string(res), "Verification: OK")
}
