package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// `kyso verify` on a real tax-authority message, and on the same message
// with the signed DLHDon moved into HDon/DSCKS/CCKSKhac and a forged one
// in its place: the references still digest, the report says the signed
// data is not the invoice's data (in both languages), the verdict fails.
// The same message in UTF-16 is recognised and verified.
func TestCLIVerifyWrappedInvoice(t *testing.T) {
	src := testutil.Realworld(t, "ts24_tdiep202.xml")
	cert := testutil.Realworld(t, "ts24_seller_cert.pem")
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	doc := string(data)
	start := strings.Index(doc, "<DLHDon ")
	end := strings.Index(doc, "</DLHDon>") + len("</DLHDon>")
	require.True(t, start > 0 && end > start)
	orig := doc[start:end]
	forged := strings.Replace(orig[:len("<DLHDon")]+orig[strings.Index(orig, ">"):], "<TgTTTBSo>", "<TgTTTBSo>9", 1)
	wrapped := doc[:start] + forged + doc[end:]
	require.Contains(t, wrapped, "<CCKSKhac/>")
	wrapped = strings.Replace(wrapped, "<CCKSKhac/>", "<CCKSKhac>"+orig+"</CCKSKhac>", 1)

	dir := t.TempDir()
	wrappedPath := filepath.Join(dir, "wrapped.xml")
	require.NoError(t, os.WriteFile(wrappedPath, []byte(wrapped), 0o600))
	var u16 []byte
	u16 = append(u16, 0xFF, 0xFE)
	for _, u := range utf16.Encode([]rune(strings.Replace(doc, `encoding="UTF-8"`, `encoding="UTF-16"`, 1))) {
		u16 = append(u16, byte(u), byte(u>>8))
	}
	u16Path := filepath.Join(dir, "utf16.xml")
	require.NoError(t, os.WriteFile(u16Path, u16, 0o600))

	args := []string{"verify", "--quiet", "--offline", "--trust", cert, "--at", "2022-06-01T00:00:00Z"}
	r := kyso(t, nil, "", append(args, "--lang", "en", src)...)
	assert.Contains(t, r.stdout, "Content intact", r.stdout)
	assert.NotContains(t, r.stdout, "the signed data is not", r.stdout)

	r = kyso(t, nil, "", append(args, "--lang", "en", wrappedPath)...)
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stdout, "Overall result: Signature invalid", r.stdout)
	assert.Contains(t, r.stdout, "the signed data is not the invoice's data: /TDiep/DLieu/HDon/DSCKS[1]/CCKSKhac/DLHDon is signed, the invoice's data is /TDiep/DLieu/HDon/DLHDon", r.stdout)
	r = kyso(t, nil, "", append(args, "--lang", "vi", wrappedPath)...)
	assert.Contains(t, r.stdout, "dữ liệu được ký không phải là dữ liệu của hóa đơn", r.stdout)

	r = kyso(t, nil, "", append(args, "--lang", "en", u16Path)...)
	assert.Contains(t, r.stdout, "Content intact", r.stdout+r.stderr)
	assert.NotContains(t, r.stderr, "unknown document format")
}
