package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/asn1"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

func ltvValidator(t *testing.T, p *pkitest.PKI, at time.Time, mode verify.RevocationMode) *verify.Validator {
	t.Helper()
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Time: at, Revocation: mode, HTTPClient: p.HTTPClient()})
	require.NoError(t, err)
	return v
}

// Every document of the pdf package's corpus — xref tables and streams,
// hybrid, linearized, RC4 40/128, AES-128, AES-256 R5 and R6 — signed by
// pdf.Sign verifies TOTAL_PASSED; at B-LTA it does so offline, from the
// embedded evidence, three years later.
func TestPDFCorpusSignedVerifies(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	t0 := p.Now()
	files, err := filepath.Glob(filepath.Join("..", "pdf", "testdata", "*.pdf"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		if name == "aes256-userpw.pdf" {
			continue // needs a user password, which PDFVerifier does not take
		}
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, level := range []pdf.Level{pdf.LevelT, pdf.LevelLTA} {
				var out bytes.Buffer
				require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), id.Signer(),
					&pdf.Options{Level: level, TimestampURL: p.TSAURL(), LTV: &pdf.LTVOptions{HTTPClient: p.HTTPClient()}}))
				v := ltvValidator(t, p, time.Time{}, verify.RevocationOnline)
				at := time.Time{}
				if level == pdf.LevelLTA {
					at = t0.AddDate(3, 0, 0)
					v = ltvValidator(t, p, at, verify.RevocationOffline)
				}
				rep, err := verify.NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()))
				require.NoError(t, err)
				require.NotEmpty(t, rep.Signatures)
				last := rep.Signatures[len(rep.Signatures)-1]
				if level == pdf.LevelLTA {
					last = rep.Signatures[len(rep.Signatures)-2]
				}
				require.Equal(t, verify.TotalPassed, last.Indication, "%v: %+v", level, last.Findings)
				require.Equal(t, id.Cert.Subject.CommonName, last.Signer.Name)
			}
		})
	}
}

// A garbage signature time-stamp attribute (outside what the signature
// covers) costs the time-stamp, not the signature.
func TestGarbageTimestampAttribute(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	doc := []byte("Quyết định số 12/QĐ-UBND")
	digest := sha256.Sum256(doc)
	junk, err := cms.NewAttribute(cms.OIDAttrTimestampToken, asn1.RawValue{Tag: asn1.TagOctetString, Bytes: []byte("not a token")})
	require.NoError(t, err)
	sig, err := cms.Sign(context.Background(), id.Signer(), digest[:], cms.Options{SigningTime: time.Now(), UnsignedAttributes: []cms.Attribute{junk}})
	require.NoError(t, err)
	v := ltvValidator(t, p, time.Time{}, verify.RevocationOnline)
	rep, err := v.VerifyDetached(context.Background(), sig, bytes.NewReader(doc))
	require.NoError(t, err)
	s := rep.Signatures[0]
	require.Equal(t, verify.TotalPassed, s.Indication, "%+v", s.Findings)
	require.Len(t, s.Timestamps, 1)
	require.False(t, s.Timestamps[0].Valid)
	require.NotEmpty(t, s.Timestamps[0].Problems)
	require.Equal(t, verify.TimeFromValidation, s.TimeSource)
}
