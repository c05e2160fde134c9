package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/verify"
)

// "kyso verify --json" gives every remark as {code, args, cause, text}
// with the English text, whatever --lang says, and each file's report
// reads back into verify.Report: the same JSON again, the same text.
func TestVerifyJSONMessages(t *testing.T) {
	tampered := testutil.Realworld(t, "rw41_student_pdf_tampered.pdf")
	changed := filepath.Join(testutil.RepoRoot(t), "..", "shared", "corpus", "attacks", "pdf", "pyhanko", "form-update-override-appearance-stream-ap-indirect-sneaky.pdf")
	if _, err := os.Stat(changed); err != nil {
		testutil.Missing(t, "corpus file not found in ../shared/corpus: "+changed)
	}
	r := kyso(t, nil, "", "verify", "--json", "--offline", "--quiet", "--lang", "vi", tampered, changed)
	require.Equal(t, 1, r.code, r.stderr)

	var raw struct {
		Files []map[string]json.RawMessage `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &raw), r.stdout)
	require.Len(t, raw.Files, 2)
	var texts []string
	for _, f := range raw.Files {
		// The file's entry is its report plus file and indication.
		var file string
		require.NoError(t, json.Unmarshal(f["file"], &file))
		delete(f, "file")
		delete(f, "indication")
		b, err := json.Marshal(f)
		require.NoError(t, err)
		var rep verify.Report
		require.NoError(t, json.Unmarshal(b, &rep), file)
		again, err := rep.JSON()
		require.NoError(t, err)
		assert.JSONEq(t, string(b), string(again), "%s: the report's JSON changes on a round trip", file)
		require.NotEmpty(t, rep.Signatures, file)
		for _, s := range rep.Signatures {
			for _, fd := range s.Findings {
				texts = append(texts, fd.Detail.String())
			}
		}
		texts = append(texts, rep.Text(verify.Vietnamese))
	}
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, "stream /Form changed after signing")
	assert.Contains(t, all, "luồng dữ liệu /Form bị thay đổi sau khi ký")
	assert.NotContains(t, all, "[signature.")
	assert.NotContains(t, all, "[pdf.")

	// Each message is an object with a code and the English text.
	var shape struct {
		Files []struct {
			Signatures []struct {
				Findings []struct {
					Detail struct {
						Code  string          `json:"code"`
						Args  []string        `json:"args"`
						Cause json.RawMessage `json:"cause"`
						Text  string          `json:"text"`
					} `json:"detail"`
				} `json:"findings"`
			} `json:"signatures"`
		} `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &shape))
	d := shape.Files[1].Signatures[0].Findings[0].Detail
	assert.Equal(t, "signature.modified-after-signing", d.Code)
	assert.Equal(t, []string{"2"}, d.Args)
	var cause struct {
		Code string `json:"code"`
		Text string `json:"text"`
	}
	require.NoError(t, json.Unmarshal(d.Cause, &cause))
	assert.Equal(t, "pdf.change.at-object", cause.Code)
	assert.Equal(t, "revision 2, object 9 at /Root/FooBar/N: stream /Form changed after signing (rule reject-by-default)", cause.Text)
	assert.True(t, strings.HasPrefix(d.Text, "the document was modified after signing"), d.Text)
}
