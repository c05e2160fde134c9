package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// --sha1-before with --poe accepts a real rsa-sha1 tax message and says so;
// without them SHA-1 is a CRYPTO_CONSTRAINTS_FAILURE.
func TestVerifySHA1Before(t *testing.T) {
	doc := testutil.Realworld(t, "rw14_ca2_tdiep_ca2_sha1.xml")
	findings := func(args ...string) (subs []string, warnings []string) {
		r := kyso(t, nil, "", append([]string{"verify", "--offline", "--json", doc}, args...)...)
		require.Contains(t, []int{0, 1}, r.code, r.stderr)
		var out struct {
			Files []struct {
				Signatures []struct {
					Findings []struct {
						SubIndication string `json:"subIndication"`
					} `json:"findings"`
					Warnings []struct {
						Text string `json:"text"`
					} `json:"warnings"`
				} `json:"signatures"`
			} `json:"files"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stdout)
		require.Len(t, out.Files, 1)
		for _, s := range out.Files[0].Signatures {
			for _, f := range s.Findings {
				subs = append(subs, f.SubIndication)
			}
			for _, w := range s.Warnings {
				warnings = append(warnings, w.Text)
			}
		}
		return subs, warnings
	}
	subs, _ := findings()
	assert.Contains(t, subs, "CRYPTO_CONSTRAINTS_FAILURE")
	subs, warnings := findings("--sha1-before", "2026-01-01", "--poe", "2025-12-23")
	assert.NotContains(t, subs, "CRYPTO_CONSTRAINTS_FAILURE")
	assert.True(t, strings.Contains(strings.Join(warnings, "\n"), "SHA-1 accepted by the caller's policy"), "%v", warnings)
	subs, _ = findings("--sha1-before", "2021-07-01", "--poe", "2025-12-23")
	assert.Contains(t, subs, "CRYPTO_CONSTRAINTS_FAILURE", "proof of existence after the caller's date")
	r := kyso(t, nil, "", "verify", "--offline", "--sha1-before", "July 2021", doc)
	assert.Equal(t, 2, r.code)
}
