package verify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLocalizeVietnamese: the English remarks a report carries are rendered in
// Vietnamese in Text(Vietnamese), unknown ones are marked as technical detail,
// and English text is left alone.
func TestLocalizeVietnamese(t *testing.T) {
	for in, want := range map[string]string{
		"bytes 0–2193 and 16531–17364 of 17364 (the revision ending at byte 17364)": "byte 0–2193 và 16531–17364 trên tổng 17364 byte (phiên bản kết thúc tại byte 17364)",
		"2 references": "2 tham chiếu",
		"the signature covers only the referenced elements, not the whole document":                                          "chữ ký chỉ bao phủ các phần tử được tham chiếu, không phải toàn bộ tài liệu",
		"the signing time is self-declared by the signer and not proven by a timestamp; validation used the validation time": "thời điểm ký do người ký tự khai, không được chứng minh bằng dấu thời gian; việc kiểm tra dùng thời điểm kiểm tra",
		`certificate "Nguyễn Văn An" was revoked at 2026-01-02T00:00:00Z, after the signature time 2026-01-01T00:00:00Z`:     `chứng thư số "Nguyễn Văn An" bị thu hồi lúc 2026-01-02T00:00:00Z, sau thời điểm ký 2026-01-01T00:00:00Z`,
		"something new": "(chi tiết kỹ thuật) something new",
	} {
		require.Equal(t, want, localize(Vietnamese, in))
		require.Equal(t, in, localize(English, in))
	}
	require.Equal(t, "tải trực tuyến", localizeWord(Vietnamese, "fetched"))
	require.Equal(t, "fetched", localizeWord(English, "fetched"))

	rep := &SignatureReport{
		Indication: TotalPassed,
		Warnings:   []string{"the signature covers only the referenced elements, not the whole document"},
		Coverage:   Coverage{Description: "2 references"},
	}
	vi := rep.Text(Vietnamese)
	require.Contains(t, vi, "2 tham chiếu")
	require.Contains(t, vi, "chữ ký chỉ bao phủ các phần tử được tham chiếu")
	require.False(t, strings.Contains(vi, "covers only"), vi)
	require.Contains(t, rep.Text(English), "covers only the referenced elements")
}

// Every refusal the change analysis writes has a Vietnamese rendering.
func TestChangeLinesVietnamese(t *testing.T) {
	for _, line := range []string{
		`revision 3, object 4 at /Root/Pages/Kids[0]/Contents: stream (page content or other data) re-pointed to an older definition after signing (rule reject-by-default)`,
		`revision 3, object 30 at /Root/AcroForm/Fields[1]: signature field "B" added after signing but not signed (an annotation like any other) (rule reject-by-default)`,
		`revision 2, object 6 at /Root/AcroForm/Fields[0]: form field "HoTen" filled in, but the signature locked it (FieldMDP) (rule field-lock)`,
		`revision 4: objects appended after signing outside any revision (stray %%EOF or missing cross-reference data) (rule structure)`,
		`revision 2, object 1 at /Root: document catalog entries changed: /OpenAction (rule reject-by-default)`,
	} {
		vi := localize(Vietnamese, line)
		if !strings.HasPrefix(vi, "phiên bản ") || strings.Contains(vi, "chi tiết kỹ thuật") || strings.Contains(vi, "after signing") {
			t.Errorf("%q rendered %q", line, vi)
		}
	}
}
