package pdf_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// corpusRow is a legitimate signed PDF of ../shared/corpus/attacks.
type corpusRow struct {
	file, class, trust string
	at                 time.Time
}

// legitimateCorpus returns the rows of ../shared/corpus/attacks/SOURCES.tsv
// that are legitimate signed PDFs (the RUB originals, pyHanko's and Adobe
// Reader's double signatures, certified documents).
func legitimateCorpus(t *testing.T) (string, []corpusRow) {
	t.Helper()
	dir := filepath.Join(testutil.RepoRoot(t), "..", "shared", "corpus", "attacks")
	data, err := os.ReadFile(filepath.Join(dir, "SOURCES.tsv"))
	if err != nil {
		testutil.Missing(t, "../shared/corpus/attacks/SOURCES.tsv not found")
	}
	var rows []corpusRow
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) < 8 || !strings.HasPrefix(f[0], "pdf/") || !strings.HasPrefix(f[5], "legitimate") {
			continue
		}
		at, err := time.Parse(time.RFC3339, f[7])
		require.NoError(t, err, "row %d", i)
		rows = append(rows, corpusRow{file: f[0], class: f[4], trust: f[6], at: at})
	}
	require.NotEmpty(t, rows)
	return dir, rows
}

// pdfsigValid returns how many signatures pdfsig -nocert calls valid, and
// its output.
func pdfsigValid(t *testing.T, doc []byte) (int, string) {
	t.Helper()
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(path, doc, 0o644))
	out, _ := exec.Command(pdfsig, "-nocert", path).CombinedOutput()
	return strings.Count(string(out), "Signature Validation: Signature is Valid."), string(out)
}

func mutoolOutput(t *testing.T, doc []byte) string {
	t.Helper()
	mutool := testutil.Tool(t, "mutool", "mupdf-tools")
	path := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(path, doc, 0o644))
	out, _ := exec.Command(mutool, "sign", "-v", path).CombinedOutput()
	return string(out)
}

// mutoolValid returns how many signatures mutool sign -v finds with a
// good digest (with or without edits since).
func mutoolValid(t *testing.T, doc []byte) (int, string) {
	text := mutoolOutput(t, doc)
	return strings.Count(text, "there have been edits since signing.") + strings.Count(text, "The document is unchanged since signing."), text
}

// mutoolAfter returns how many signatures mutool sign -v finds valid with
// edits since, and how many valid with none.
func mutoolAfter(t *testing.T, doc []byte) (edited, total int, text string) {
	text = mutoolOutput(t, doc)
	return strings.Count(text, "there have been edits since signing."), strings.Count(text, "The document is unchanged since signing."), text
}

// kyso signs each legitimate signed PDF of the attack corpus (a document
// certified with P=1 gets a document time-stamp instead, which P=1
// allows): every earlier signature keeps its verdict in kyso's verifier
// (at the row's validation time, with its trust file), the input is an
// exact prefix of the output, pdfsig and mutool still call every earlier
// signature valid and the new one total, and qpdf --check passes.
func TestCoSignCorpus(t *testing.T) {
	dir, rows := legitimateCorpus(t)
	qpdf := testutil.Tool(t, "qpdf", "qpdf")
	p := pkitest.New(t)
	id := p.MustIssue()
	for _, row := range rows {
		t.Run(filepath.Base(row.file), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, row.file))
			require.NoError(t, err)
			trust := verify.NewTrustStore()
			pemData, err := os.ReadFile(filepath.Join(dir, row.trust))
			require.NoError(t, err)
			if _, err := trust.Add(pemData, row.trust); err != nil {
				// Certificates with negative serial numbers are not
				// readable yet (the PKI issue): compare the verdicts
				// with the anchors that are.
				t.Logf("trust file %s: %v; using the readable anchors", row.trust, err)
				trust = verify.NewTrustStore()
				for rest := pemData; ; {
					var b *pem.Block
					if b, rest = pem.Decode(rest); b == nil {
						break
					}
					if c, err := x509.ParseCertificate(b.Bytes); err == nil {
						trust.AddCertificate(c, row.trust)
					}
				}
			}
			o := verify.Options{Trust: trust, Time: row.at}
			before, rep := verdicts(t, o, in)
			require.NotEmpty(t, before, "%s", rep.Text(verify.English))

			var buf bytes.Buffer
			err = pdf.Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), id.Signer(),
				&pdf.Options{Appearance: &pdf.Appearance{Rect: pdf.Corners(40, 40, 250, 120)}})
			added := "signature"
			if errors.Is(err, pdf.ErrNotPermitted) {
				// Certified with P=1: no new signature, but a document
				// time-stamp is allowed.
				buf.Reset()
				err = pdf.AddDocumentTimestamp(context.Background(), &buf, bytes.NewReader(in), int64(len(in)),
					&pdf.DocTimestampOptions{TimestampURL: p.TSAURL()})
				added = "document time-stamp"
			}
			require.NoError(t, err)
			out := buf.Bytes()
			require.True(t, bytes.HasPrefix(out, in), "every earlier revision is an exact prefix")
			t.Logf("%s (%s): kyso added a %s", row.file, row.class, added)
			requireOnlyInsertions(t, in, out)

			after, rep := verdicts(t, o, out)
			require.Len(t, after, len(before)+1, "%s", rep.Text(verify.English))
			for sid, v := range before {
				require.Equal(t, v, after[sid], "%s keeps its verdict after kyso's %s:\n%s", sid, added, rep.Text(verify.English))
			}

			nBefore, _ := pdfsigValid(t, in)
			nAfter, text := pdfsigValid(t, out)
			if added == "signature" {
				require.Equal(t, nBefore+1, nAfter, "pdfsig: every earlier signature stays valid and kyso's is valid:\n%s", text)
				blocks := strings.Split(text, "Signature #")
				require.Contains(t, blocks[len(blocks)-1], "Total document signed", text)
			} else {
				require.Equal(t, nBefore, nAfter, "pdfsig: every earlier signature stays valid:\n%s", text)
			}
			mBefore, _ := mutoolValid(t, in)
			mEdited, mTotal, mText := mutoolAfter(t, out)
			require.Equal(t, mBefore, mEdited, "mutool: every signature it called valid stays valid (with edits since):\n%s", mText)
			if added == "signature" {
				require.Equal(t, 1, mTotal, "mutool: kyso's signature covers the document:\n%s", mText)
			}
			path := filepath.Join(t.TempDir(), "out.pdf")
			require.NoError(t, os.WriteFile(path, out, 0o644))
			inPath := filepath.Join(t.TempDir(), "in.pdf")
			require.NoError(t, os.WriteFile(inPath, in, 0o644))
			if exec.Command(qpdf, "--check", inPath).Run() == nil {
				res, err := exec.Command(qpdf, "--check", path).CombinedOutput()
				require.NoError(t, err, "qpdf --check: %s", res)
			}
		})
	}
}

// requireOnlyInsertions checks, byte for byte, that every object of in
// that the update in out rewrites keeps its whole source text: the new text
// is the old one with a few short insertions (a key, an array element),
// every number, string and name as it was written.
func requireOnlyInsertions(t *testing.T, in, out []byte) {
	t.Helper()
	nums, before, after, err := pdf.RewrittenSourcesForTest(in, out)
	require.NoError(t, err)
	require.NotEmpty(t, nums)
	for i, n := range nums {
		old, cur := before[i], after[i]
		require.NotNil(t, old, "object %d had source text", n)
		require.NotNil(t, cur, "object %d has source text", n)
		j := 0
		for k := 0; k < len(cur) && j < len(old); k++ {
			if cur[k] == old[j] {
				j++
			}
		}
		require.Equal(t, len(old), j, "object %d: the old text survives in order:\nold: %s\nnew: %s", n, old, cur)
		require.Less(t, len(cur)-len(old), 64, "object %d: only short insertions:\nold: %s\nnew: %s", n, old, cur)
	}
}

// kyso signs a tax declaration signed in 2013 by a Vietnamese system
// (SieuViet, adbe.pkcs7.sha1, ../shared/realworld): the earlier signature
// keeps its verdict, every rewritten object keeps its source text, pdfsig
// still calls it valid.
func TestCoSignRealworldPDF(t *testing.T) {
	in, err := os.ReadFile(testutil.Realworld(t, "rw07_sieuviet_tokhaiGTGT_T0113_adbe.pkcs7.sha1.pdf"))
	require.NoError(t, err)
	o := verify.Options{Trust: verify.NewTrustStore(), Time: time.Date(2013, 2, 20, 2, 1, 54, 0, time.UTC)}
	before, rep := verdicts(t, o, in)
	require.Len(t, before, 1, "%s", rep.Text(verify.English))
	p := pkitest.New(t)
	var buf bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), p.MustIssue().Signer(),
		&pdf.Options{Appearance: &pdf.Appearance{Rect: pdf.Corners(40, 40, 250, 120)}}))
	out := buf.Bytes()
	require.True(t, bytes.HasPrefix(out, in))
	requireOnlyInsertions(t, in, out)
	after, rep := verdicts(t, o, out)
	require.Len(t, after, 2)
	for sid, v := range before {
		require.Equal(t, v, after[sid], "%s keeps its verdict:\n%s", sid, rep.Text(verify.English))
	}
	nBefore, _ := pdfsigValid(t, in)
	nAfter, text := pdfsigValid(t, out)
	require.Equal(t, 1, nBefore)
	require.Equal(t, 2, nAfter, text)
}
