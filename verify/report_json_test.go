package verify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireJSONRoundTrip checks that rep's JSON reads back into a Report
// that says the same: the same JSON again and the same text in both
// languages.
func requireJSONRoundTrip(t *testing.T, rep *Report) {
	t.Helper()
	b, err := rep.JSON()
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back), "the report's JSON does not read back")
	again, err := back.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(again), "the report's JSON changes on a round trip")
	assert.Equal(t, rep.Text(Vietnamese), back.Text(Vietnamese))
	assert.Equal(t, rep.Text(English), back.Text(English))
	assert.Equal(t, rep.Indication(), back.Indication())
}

// A report with every kind of remark — findings with nested causes,
// technical causes, coverage, changes, timestamps with problems,
// revocation — encodes with {code, args, cause, text} for each message
// and decodes into Report as it was.
func TestReportJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	revokedAt := at.Add(-time.Hour)
	change := Change{Revision: 2, Object: 7, Path: "/Root/Pages", XRef: "changed", Rule: ruleDefault,
		Detail: msg("pdf.change.object", "stream /Form", "changed")}
	rep := &Report{
		Format: "PDF", ValidationTime: at, RevocationMode: "offline", Anchors: 1,
		Warnings: []Message{msg("pdf.trailing-bytes", 12)},
		Signatures: []*SignatureReport{{
			ID: "Sig1", Format: "PAdES", Indication: TotalFailed, SubIndication: FormatFailure,
			Signer:             &SignerInfo{Name: "Nguyễn Văn An", Identifiers: []IdentifierInfo{{Type: "CCCD", Value: "001190012345"}}, NotBefore: at.AddDate(-1, 0, 0), NotAfter: at.AddDate(1, 0, 0)},
			ClaimedSigningTime: &at, BestSignatureTime: at, TimeSource: TimeFromValidation,
			Integrity: Integrity{Intact: false, DigestAlgorithm: "SHA-256", SignatureAlgorithm: "RSA PKCS#1 v1.5",
				Detail: msg("signature.data-changed", errString("cms: digest does not match the signed data"))},
			Revocation: []RevocationInfo{{Subject: "Nguyễn Văn An", Status: StatusRevoked, RevokedAt: &revokedAt, Reason: "keyCompromise", Source: "OCSP", Origin: "embedded",
				Problems: []Message{msg("revocation.crl-unparsable", "fetched", errorMsg("revocation.crl-partial"))}}},
			Timestamps: []TimestampInfo{{Kind: "signature", GenTime: at, TSA: "Kyso Test TSA", Valid: false,
				Problems: []Message{msg("timestamp.tsa-chain", msg("chain.no-path", &Message{Code: "x509.unknown-authority"}))}}},
			Coverage: Coverage{Description: msg("pdf.coverage", 10, 20, 50, 100), References: []string{"0 10", "20 30"},
				ModifiedAfterSigning: []Message{change.Message()}, Changes: []Change{change}},
			Findings:    []Finding{{Indication: TotalFailed, SubIndication: FormatFailure, Detail: msg("signature.modified-after-signing-one", change.Message())}},
			Warnings:    []Message{msg("time.self-declared")},
			Information: []Message{msg("algorithm.pkcs1v15")},
		}},
	}
	requireKnownCodes(t, rep)

	b, err := rep.JSON()
	require.NoError(t, err)
	var raw struct {
		Signatures []struct {
			Findings []struct {
				Detail map[string]any `json:"detail"`
			} `json:"findings"`
			Integrity struct {
				Detail map[string]any `json:"detail"`
			} `json:"integrity"`
		} `json:"signatures"`
	}
	require.NoError(t, json.Unmarshal(b, &raw))
	d := raw.Signatures[0].Findings[0].Detail
	assert.Equal(t, "signature.modified-after-signing-one", d["code"])
	assert.NotContains(t, d, "args")
	assert.Contains(t, d["text"], "stream /Form changed after signing")
	cause := d["cause"].(map[string]any)
	assert.Equal(t, "pdf.change.at-object", cause["code"])
	assert.Equal(t, []any{"2", "7", "/Root/Pages", "reject-by-default"}, cause["args"])
	tech := raw.Signatures[0].Integrity.Detail["cause"].(map[string]any)
	assert.Equal(t, map[string]any{"code": "technical", "args": []any{"cms: digest does not match the signed data"}, "text": "cms: digest does not match the signed data"}, tech)

	requireJSONRoundTrip(t, rep)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back.Signatures[0].Findings[0].Detail.equal(rep.Signatures[0].Findings[0].Detail))
	assert.Equal(t, "luồng dữ liệu /Form bị thay đổi sau khi ký", back.Signatures[0].Coverage.Changes[0].Detail.Text(Vietnamese))
}
