package verify

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// readTSV reads a tab-separated table with a header row into maps.
func readTSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	head, err := r.Read()
	require.NoError(t, err)
	var out []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		m := map[string]string{}
		for i, h := range head {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// corpusCase is one row: a file, whether it is an attack, its trust file
// (relative to dir, "" for none) and validation time ("" for now).
type corpusCase struct {
	id, file, trust, at string
	attack              bool
	check               string // "first" or "all" (CASES.tsv), "" for all
}

// runCorpusCase verifies a row's file as the corpus README defines it: an
// attack must not be TOTAL_PASSED and must show the manipulation (a
// content failure or a refused change); a legitimate file must have no
// signature TOTAL_FAILED for content reasons, no refused change, and
// INDETERMINATE only for trust, time, revocation or algorithm reasons.
func runCorpusCase(t *testing.T, dir string, c corpusCase) {
	opts := Options{Trust: NewTrustStore(), Revocation: RevocationOffline}
	if c.trust != "" {
		// Some trust files hold certificates with negative serial
		// numbers: they load (internal/certparse), whatever GODEBUG says.
		_, err := opts.Trust.AddFile(filepath.Join(dir, c.trust))
		require.NoError(t, err)
	}
	if c.at != "" {
		at, err := time.Parse(time.RFC3339, c.at)
		require.NoError(t, err)
		opts.Time = at
	}
	v, err := New(opts)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, c.file))
	require.NoError(t, err)
	rep, err := NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(data), int64(len(data)))
	if err == nil {
		requireKnownCodes(t, rep)
	}
	if c.attack {
		if err != nil {
			return // unreadable: not accepted
		}
		require.NotEqual(t, TotalPassed, rep.Indication(), "attack %s passed", c.id)
		shown := len(rep.Signatures) == 0
		for _, s := range rep.Signatures {
			if s.Indication == TotalFailed && (s.SubIndication == HashFailure || s.SubIndication == SigCryptoFailure || s.SubIndication == FormatFailure) {
				shown = true
			}
			if len(s.Coverage.ModifiedAfterSigning) > 0 {
				shown = true
			}
		}
		require.True(t, shown, "attack %s: the report does not show the manipulation: %+v", c.id, rep.Signatures)
		return
	}
	require.NoError(t, err, c.id)
	require.NotEmpty(t, rep.Signatures, c.id)
	for i, s := range rep.Signatures {
		if c.check == "first" && i > 0 {
			break
		}
		require.Empty(t, s.Coverage.ModifiedAfterSigning, "%s: %s", c.id, s.ID)
		switch s.Indication {
		case TotalPassed:
		case TotalFailed:
			require.Contains(t, []SubIndication{Expired, NotYetValid, Revoked}, s.SubIndication, "%s: %s: %+v", c.id, s.ID, s.Findings)
		case Indeterminate:
			require.NotContains(t, []SubIndication{SignedDataNotFound}, s.SubIndication, "%s: %s", c.id, s.ID)
		}
	}
}

// The published attack files and their signed originals
// (../shared/corpus/attacks/SOURCES.tsv, PDF rows): every attack caught,
// every original accepted.
func TestPDFCorpusAttacks(t *testing.T) {
	dir := testutil.Corpus(t, "attacks")
	for _, r := range readTSV(t, filepath.Join(dir, "SOURCES.tsv")) {
		if !strings.HasPrefix(r["file"], "pdf/") {
			continue // XML rows belong to the XML verifier's tests
		}
		exp := r["expected_correct_outcome"]
		c := corpusCase{id: r["case_id"], file: r["file"], attack: strings.HasPrefix(exp, "must not be TOTAL_PASSED")}
		if !c.attack && !strings.HasPrefix(exp, "legitimate") {
			continue
		}
		if tr := r["trust"]; tr != "" && tr != "-" {
			c.trust = tr
		}
		if at := r["at"]; at != "" && !strings.HasPrefix(at, "(none") && !strings.HasPrefix(at, "online") {
			c.at = at
		}
		t.Run(c.id, func(t *testing.T) { runCorpusCase(t, dir, c) })
	}
}

// The files whose outcome pyHanko's own tests assert
// (../shared/corpus/pyhanko/CASES.tsv).
func TestPDFCorpusPyHanko(t *testing.T) {
	dir := testutil.Corpus(t, "pyhanko")
	for _, r := range readTSV(t, filepath.Join(dir, "CASES.tsv")) {
		c := corpusCase{id: strings.TrimSuffix(r["file"], ".pdf"), file: r["file"], attack: r["expect"] == "reject", check: r["check_sig"]}
		if r["expect"] != "reject" && r["expect"] != "accept" {
			continue
		}
		if c.id == "gen-visible-field-after-certify" {
			// pyHanko refuses it as a policy stricter than Acrobat; the
			// corpus README accepts either outcome.
			continue
		}
		if tr := r["trust_root"]; tr != "" && !strings.HasPrefix(tr, "(") {
			c.trust = tr
		}
		if at := r["at"]; at != "" && !strings.HasPrefix(at, "(") {
			c.at = at
		}
		t.Run(c.id, func(t *testing.T) { runCorpusCase(t, dir, c) })
	}
}
