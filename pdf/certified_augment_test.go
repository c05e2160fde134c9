package pdf_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/verify"
)

// ETSI EN 319 142-1 allows validation data (a DSS revision) and document
// time-stamps after a certification signature whatever its DocMDP level:
// AddDSS, AddDocumentTimestamp and Augment (B-LT, B-LTA) work on a
// document certified with P=1, 2 or 3, and the certification stays
// TOTAL_PASSED for kyso's verifier; pdfsig, mutool and qpdf accept the
// result. A new signature after P=1 stays refused.
func TestAugmentAfterCertification(t *testing.T) {
	p, id, t0, in := ltvScenario(t)
	ctx := context.Background()
	dts := &pdf.DocTimestampOptions{TimestampURL: p.TSAURL()}
	for _, perm := range []int{1, 2, 3} {
		var buf bytes.Buffer
		require.NoError(t, pdf.Sign(ctx, &buf, bytes.NewReader(in), int64(len(in)), id.Signer(),
			&pdf.Options{Level: pdf.LevelBT, TimestampURL: p.TSAURL(), Certify: perm}))
		certified := append([]byte(nil), buf.Bytes()...)

		allPass := func(doc []byte, n int, what string) {
			t.Helper()
			require.True(t, bytes.HasPrefix(doc, certified), "P=%d %s: the certified revision is an exact prefix", perm, what)
			rep := verifyAt(t, p, doc, t0.AddDate(0, 0, 1))
			require.Len(t, rep.Signatures, n, "P=%d %s", perm, what)
			for _, s := range rep.Signatures {
				require.Equal(t, verify.TotalPassed, s.Indication, "P=%d %s, %s: %+v %v", perm, what, s.ID, s.Findings, s.Coverage.ModifiedAfterSigning)
			}
		}

		// A DSS revision.
		buf.Reset()
		require.NoError(t, pdf.AddDSS(ctx, &buf, bytes.NewReader(certified), int64(len(certified)), nil), "P=%d", perm)
		withDSS := append([]byte(nil), buf.Bytes()...)
		allPass(withDSS, 1, "AddDSS")
		pdf.LTVToolsForTest(t, withDSS, 1, 0, "")

		// A document time-stamp on top.
		buf.Reset()
		require.NoError(t, pdf.AddDocumentTimestamp(ctx, &buf, bytes.NewReader(withDSS), int64(len(withDSS)), dts), "P=%d", perm)
		allPass(buf.Bytes(), 2, "AddDSS + AddDocumentTimestamp")
		pdf.LTVToolsForTest(t, buf.Bytes(), 1, 1, "", p.Root.Cert)

		// Augment to B-LT and B-LTA in one call.
		for _, level := range []pdf.Level{pdf.LevelBLT, pdf.LevelBLTA} {
			buf.Reset()
			require.NoError(t, pdf.Augment(ctx, &buf, bytes.NewReader(certified), int64(len(certified)), level, nil, dts), "P=%d %v", perm, level)
			n := 1
			if level == pdf.LevelBLTA {
				n = 2
			}
			allPass(buf.Bytes(), n, "Augment "+level.String())
			pdf.LTVToolsForTest(t, buf.Bytes(), 1, n-1, "", p.Root.Cert)
		}

		// A new signature: refused after P=1 (at any level), allowed
		// after P=2 and P=3.
		for _, level := range []pdf.Level{pdf.LevelBB, pdf.LevelBLT} {
			buf.Reset()
			err := pdf.Sign(ctx, &buf, bytes.NewReader(certified), int64(len(certified)), id.Signer(),
				&pdf.Options{Level: level, TimestampURL: p.TSAURL()})
			if perm == 1 {
				require.ErrorIs(t, err, pdf.ErrNotPermitted, "P=1 forbids a new signature (%v)", level)
				require.Zero(t, buf.Len(), "nothing is written")
				continue
			}
			require.NoError(t, err, "P=%d %v", perm, level)
			if level == pdf.LevelBLT { // (at B-B nothing in the file answers for revocation offline)
				allPass(buf.Bytes(), 2, "approval signature "+level.String())
			}
		}
	}
}
