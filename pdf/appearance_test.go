package pdf

import (
	"bytes"
	"crypto/x509/pkix"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// redSeal draws a red ring with a transparent background, like the round
// seal of a Vietnamese agency.
func redSeal(t testing.TB, size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)-c, float64(y)-c
			r2 := dx*dx + dy*dy
			if r2 < c*c && r2 > (c*0.8)*(c*0.8) || r2 < (c*0.3)*(c*0.3) {
				img.SetNRGBA(x, y, color.NRGBA{R: 220, A: 255})
			}
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func scannedSignature(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 60))
	for x := 0; x < 120; x++ {
		for y := 0; y < 60; y++ {
			img.Set(x, y, color.White)
		}
		y := 30 + int(20*float64((x%40)-20)/20)
		img.Set(x, y, color.RGBA{0, 0, 128, 255})
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, nil))
	return b.Bytes()
}

func pdftotext(t *testing.T, data []byte, password string) string {
	t.Helper()
	tool := testutil.Tool(t, "pdftotext", "poppler-utils")
	path := filepath.Join(t.TempDir(), "v.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	args := []string{"-f", "1", "-l", "1"}
	if password != "" {
		args = append(args, "-upw", password)
	}
	out, err := exec.Command(tool, append(args, path, "-")...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

func render(t *testing.T, data []byte, png, password string) {
	t.Helper()
	tool := testutil.Tool(t, "pdftoppm", "poppler-utils")
	path := filepath.Join(t.TempDir(), "v.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	args := []string{"-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"}
	if password != "" {
		args = append(args, "-upw", password)
	}
	out, err := exec.Command(tool, append(args, path, strings.TrimSuffix(png, ".png"))...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NotContains(t, string(out), "Error", string(out))
	st, err := os.Stat(png)
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(1000))
}

func TestVisibleSignatureVietnamese(t *testing.T) {
	s := testSigner(t, pkitest.Subject(pkix.Name{
		CommonName: "Nguyễn Thị Ánh Tuyết", Organization: []string{"Ủy ban nhân dân tỉnh Quảng Ngãi"}, Country: []string{"VN"},
	}))
	at := time.Date(2026, 11, 23, 14, 5, 9, 0, time.UTC)
	in := corpus(t, "simple.pdf")
	out := signBytes(t, in, s, &Options{
		SigningTime: at,
		Appearance:  &Appearance{Rect: Corners(300, 60, 560, 150), Image: redSeal(t, 200), ImageLayout: ImageLeft},
	})
	checkTools(t, out, 1, "")
	text := pdftotext(t, out, "")
	for _, want := range []string{
		"Ký bởi: Nguyễn Thị Ánh Tuyết",
		"Cơ quan: Ủy ban nhân dân tỉnh Quảng Ngãi",
		"Thời gian ký: 23/11/2026 21:05:09",
	} {
		require.Contains(t, text, want)
	}
	png := filepath.Join(t.TempDir(), "visible.png")
	if dir := os.Getenv("KYSO_KEEP_RENDER"); dir != "" {
		png = filepath.Join(dir, "visible.png")
	}
	render(t, out, png, "")

	// A second visible signature on top, text under a JPEG, decomposed
	// (NFD) input normalised to NFC.
	nfd := norm.NFD.String("Người ký: Lê Văn Ĩ") // combining marks
	require.NotEqual(t, nfd, norm.NFC.String(nfd))
	out2 := signBytes(t, out, testSigner(t), &Options{Appearance: &Appearance{
		Rect: Corners(40, 60, 280, 120), Lines: []string{nfd, "Phó Giám đốc"},
		Image: scannedSignature(t), ImageLayout: ImageBackground,
	}})
	checkTools(t, out2, 2, "")
	text = pdftotext(t, out2, "")
	require.Contains(t, text, "Người ký: Lê Văn Ĩ")
	require.Contains(t, text, "Phó Giám đốc")
}

func TestVisibleSignatureVariants(t *testing.T) {
	s := testSigner(t)
	cases := []struct {
		name, file, password string
		opts                 Options
		want                 string
	}{
		{"rotated page", "rotated.pdf", "", Options{Appearance: &Appearance{Rect: Corners(100, 100, 200, 300), Lines: []string{"Đã ký số"}}}, "Đã ký số"},
		{"existing field", "form-empty-field.pdf", "", Options{Field: "LanhDao", Appearance: &Appearance{Lines: []string{"Chủ tịch UBND"}}}, "Chủ tịch UBND"},
		{"encrypted AES-256", "aes256-userpw.pdf", "nguoidung", Options{Password: "nguoidung", Appearance: &Appearance{Rect: Corners(300, 60, 560, 150)}}, "Ký bởi: "},
		{"encrypted RC4", "rc4-128.pdf", "", Options{Appearance: &Appearance{Rect: Corners(300, 60, 560, 150), Lines: []string{"Văn thư"}}}, "Văn thư"},
		{"xref stream, last page", "objstm.pdf", "", Options{Page: -1, Appearance: &Appearance{Rect: Corners(300, 60, 560, 150), Lines: []string{"Trang cuối"}}}, ""},
		{"image only", "simple.pdf", "", Options{Appearance: &Appearance{Rect: Corners(300, 60, 400, 160), Image: redSeal(t, 64), ImageLayout: ImageOnly}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			out := signBytes(t, corpus(t, c.file), s, &opts)
			checkTools(t, out, 1, c.password)
			if c.want != "" {
				require.Contains(t, pdftotext(t, out, c.password), c.want)
			}
			render(t, out, filepath.Join(t.TempDir(), "r.png"), c.password)
		})
	}
}
