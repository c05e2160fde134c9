package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// officialLetter is a two-page official letter as an e-office system
// renders it before issuing: the number and date left blank for the
// clerk, the leader's title above an empty signature area.
func officialLetter(t *testing.T) []byte {
	t.Helper()
	page1 := []string{
		"BT /F1 12 Tf 72 780 Td (UY BAN NHAN DAN TINH DONG NAI) Tj ET",
		"BT /F1 11 Tf 90 750 Td (So:          /QD-UBND) Tj ET",
		"BT /F1 11 Tf 330 750 Td (Dong Nai, ngay) Tj ET",
		"BT /F1 14 Tf 240 700 Td (QUYET DINH) Tj ET",
		"BT /F1 11 Tf 72 660 Td (Ve viec trien khai ky so van ban di.) Tj ET",
		"BT /F1 11 Tf 72 300 Td (Noi nhan:) Tj ET",
		"BT /F1 12 Tf 400 300 Td (CHU TICH) Tj ET",
	}
	page2 := []string{"BT /F1 11 Tf 72 700 Td (Phu luc: danh sach don vi) Tj ET"}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.27563 841.8898] /Resources << /Font << /F1 7 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.27563 841.8898] /Resources << /Font << /F1 7 0 R >> >> /Contents 6 0 R >>",
	}
	for _, p := range [][]string{page1, page2} {
		c := strings.Join(p, "\n")
		objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c))
	}
	objs = append(objs, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	return sample.BuildPDF(objs, "")
}

// pngOf draws a w×h PNG: a filled disc (seal) or an ink stroke.
func pngOf(t *testing.T, w, h int, c color.NRGBA, disc bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(w)-0.5, float64(y)/float64(h)-0.5
			in := math.Hypot(fx, fy) < 0.48
			if !disc {
				in = math.Abs(fy-0.25*math.Sin(fx*12)) < 0.06
			}
			if in {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func signWith(t *testing.T, in []byte, fn func(w *bytes.Buffer, r *bytes.Reader) error) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, fn(&out, bytes.NewReader(in)))
	require.True(t, bytes.HasPrefix(out.Bytes(), in), "incremental: the earlier revision is a prefix")
	return out.Bytes()
}

// TestEOfficeFlows takes a letter through every e-office flow — initials
// on every page, the leader's approval placed by text, the clerk's issuing
// (number and date written at their places, the seal over the leader's
// signature), the receiving agency's incoming stamp and a certified copy —
// and an appendix through the appendix signature. Every signature passes
// pdfsig, mutool and kyso's verifier; what each flow writes is on the page.
func TestEOfficeFlows(t *testing.T) {
	ctx := context.Background()
	p := pkitest.New(t)
	at := p.Now()
	drafter := p.MustIssue(pkitest.Person("Trần Thị Bình", "075090001111"))
	leader := p.MustIssue(pkitest.Person("Lê Văn Hùng", "075078001122"))
	agency := p.MustIssue(pkitest.Organization("Ủy ban nhân dân tỉnh Đồng Nai", "3600100100"))
	receiver := p.MustIssue(pkitest.Organization("Sở Nội vụ tỉnh Đồng Nai", "3600100200"))
	seal := pngOf(t, 240, 240, color.NRGBA{R: 0xd7, G: 0x1a, B: 0x21, A: 0xd0}, true)
	hand := pngOf(t, 300, 150, color.NRGBA{R: 0x1a, G: 0x2f, B: 0x9c, A: 0xff}, false)
	letter := officialLetter(t)
	base := pdf.Options{SigningTime: at}

	// 1. The drafter initials every page: one signature, two widgets.
	doc := signWith(t, letter, func(w *bytes.Buffer, r *bytes.Reader) error {
		return pdf.Initial(ctx, w, r, r.Size(), drafter.Signer(), &pdf.InitialsOptions{Options: base})
	})
	// 2. The chairman approves, under "CHU TICH", found by text.
	approval := &pdf.ApprovalOptions{Options: base, Anchor: pdf.Anchor{Text: "chu tich"}, Image: hand}
	page, box, handBox, err := approval.Place(bytes.NewReader(doc), int64(len(doc)))
	require.NoError(t, err)
	assert.Equal(t, 1, page)
	assert.Less(t, box.Y+box.H, 300.0, "under the title")
	doc = signWith(t, doc, func(w *bytes.Buffer, r *bytes.Reader) error {
		return pdf.Approve(ctx, w, r, r.Size(), leader.Signer(), approval)
	})
	// 3. The clerk issues it: number and date, the seal over the left
	// third of the chairman's signature image.
	doc = signWith(t, doc, func(w *bytes.Buffer, r *bytes.Reader) error {
		return pdf.Issue(ctx, w, r, r.Size(), agency.Signer(), &pdf.IssueOptions{
			Options: base, Number: "15", DateText: "03 tháng 12 năm 2026", Seal: seal, LeaderImage: handBox, LeaderPage: page,
			NumberAnchor: &pdf.Anchor{Text: "So:", Page: 1, Where: pdf.PlaceRight, Gap: 4},
			DateAnchor:   &pdf.Anchor{Text: "ngay", Page: 1, Where: pdf.PlaceRight, Gap: 3},
		})
	})
	issued := doc
	// 4. The receiving agency stamps it in, top left.
	doc = signWith(t, doc, func(w *bytes.Buffer, r *bytes.Reader) error {
		return pdf.StampIncoming(ctx, w, r, r.Size(), receiver.Signer(), &pdf.IncomingOptions{
			StampOptions: pdf.StampOptions{Options: base, Rect: pdf.Rect{X: 72, Y: 540, W: 190, H: 70}},
			Agency:       "SỞ NỘI VỤ TỈNH ĐỒNG NAI", Number: "1234", Transfer: "Phòng Tổ chức",
		})
	})
	// 5. It makes a certified copy.
	doc = signWith(t, doc, func(w *bytes.Buffer, r *bytes.Reader) error {
		return pdf.CertifyCopy(ctx, w, r, r.Size(), receiver.Signer(), &pdf.CopyOptions{
			StampOptions: pdf.StampOptions{Options: base}, Agency: "SỞ NỘI VỤ TỈNH ĐỒNG NAI", Number: "27/SY-SNV", Place: "Đồng Nai",
		})
	})
	// 6. An appendix sent with the decision gets the agency's signature.
	appendix := signWith(t, letter, func(w *bytes.Buffer, r *bytes.Reader) error {
		return pdf.SignAppendix(ctx, w, r, r.Size(), agency.Signer(), &pdf.AppendixOptions{
			StampOptions: pdf.StampOptions{Options: base}, Number: "15/QĐ-UBND", Agency: "Ủy ban nhân dân tỉnh Đồng Nai",
		})
	})

	dir := t.TempDir()
	final := filepath.Join(dir, "final.pdf")
	require.NoError(t, os.WriteFile(final, doc, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendix.pdf"), appendix, 0o644))
	if keep := os.Getenv("KYSO_KEEP_RENDER"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "eoffice-final.pdf"), doc, 0o644)
	}

	// Independent verifiers: every signature valid; the last covers the
	// whole file.
	for _, c := range []struct {
		path string
		n    int
	}{{final, 5}, {filepath.Join(dir, "appendix.pdf"), 1}} {
		out, err := exec.Command(testutil.Tool(t, "pdfsig", "poppler-utils"), "-nocert", c.path).CombinedOutput()
		require.NoError(t, err, "%s", out)
		// pdfsig and mutool list a signature once per widget: count the
		// fields, and require every entry valid.
		assert.Equal(t, c.n, distinct(regexp.MustCompile(`Signature Field Name: (\S+)`), string(out)), "%s", out)
		assert.Equal(t, strings.Count(string(out), "Signature Field Name"), strings.Count(string(out), "Signature Validation: Signature is Valid."), "%s", out)
		out, err = exec.Command(testutil.Tool(t, "qpdf", "qpdf"), "--check", c.path).CombinedOutput()
		require.NoError(t, err, "%s", out)
		out, _ = exec.Command(testutil.Tool(t, "mutool", "mupdf-tools"), "sign", "-v", c.path).CombinedOutput()
		entries := strings.Split(string(out), "Verifying signature")[1:]
		assert.GreaterOrEqual(t, len(entries), c.n, "%s", out)
		for _, e := range entries {
			assert.NotContains(t, e, "Digest error", "%s", out)
			assert.True(t, strings.Contains(e, "The signature is valid but there have been edits since signing.") ||
				strings.Contains(e, "The document is unchanged since signing."), "%s", out)
		}
		assert.Contains(t, entries[len(entries)-1], "The document is unchanged since signing.")
	}
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Time: at.Add(time.Minute), Revocation: verify.RevocationOffline})
	require.NoError(t, err)
	for name, data := range map[string][]byte{"final": doc, "issued": issued, "appendix": appendix} {
		rep, err := verify.NewPDFVerifier(v).Verify(ctx, bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		for _, s := range rep.Signatures {
			// Trust and revocation aside (offline, no revocation data),
			// no signature may fail for its content or for changes.
			assert.NotEqual(t, verify.TotalFailed, s.Indication, "%s: %s\n%s", name, s.ID, rep.Text(verify.English))
		}
	}

	// What the flows wrote is on the pages.
	text, err := exec.Command(testutil.Tool(t, "pdftotext", "poppler-utils"), final, "-").Output()
	require.NoError(t, err)
	for _, want := range []string{"So: 15", "03 tháng 12 năm 2026", "ĐẾN Số: 1234", "Chuyển: Phòng Tổ chức", "SAO Y", "Số: 27/SY-SNV", "Trần Thị Bình", "Ký bởi: Lê Văn Hùng"} {
		assert.Contains(t, strings.Join(strings.Fields(string(text)), " "), want)
	}
	// The number is right of "So:" on the same line.
	ms, err := pdf.FindText(bytes.NewReader(letter), int64(len(letter)), "So:", nil)
	require.NoError(t, err)
	require.Len(t, ms, 1)
	img := check.Render(t, final, 1)
	numberArea := pdf.Rect{X: ms[0].Rect.X + ms[0].Rect.W + 2, Y: ms[0].Rect.Y - 3, W: 70, H: ms[0].Rect.H + 6}
	assert.Greater(t, inked(img, numberArea), 60, "number drawn after So:")
	// Both pages as stored renderings (the times drawn differ from run to
	// run; the tolerance allows for that, not for anything moved).
	for i, im := range []image.Image{img, check.Render(t, final, 2)} {
		pdf.GoldenCompare(t, im, filepath.Join("testdata", "golden", fmt.Sprintf("flows-page%d.png", i+1)), 0.015)
	}
	// The initials are on page 2 too.
	img2 := check.Render(t, final, 2)
	assert.Greater(t, inked(img2, pdf.Rect{X: 595 - 135, Y: 10, W: 120, H: 35}), 30, "initials on page 2")
	// The seal is red over the left third of the chairman's signature.
	third := pdf.Rect{X: handBox.X, Y: handBox.Y, W: handBox.W / 3, H: handBox.H}
	assert.Greater(t, countRGB(img, third, func(r, g, b uint32) bool { return r > 150 && g < 110 && b < 110 }), int(third.W*third.H/4))
	right := pdf.Rect{X: handBox.X + handBox.W*0.45, Y: handBox.Y, W: handBox.W * 0.5, H: handBox.H}
	assert.Greater(t, countRGB(img, right, func(r, g, b uint32) bool { return b > 120 && r < 90 }), 30, "the signature shows right of the seal")
}

func distinct(re *regexp.Regexp, s string) int {
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		seen[m[1]] = true
	}
	return len(seen)
}

func countRGB(img image.Image, r pdf.Rect, pred func(r, g, b uint32) bool) int {
	return check.Count(img, check.Area(img, r.X, r.Y, r.W, r.H), pred)
}

func inked(img image.Image, r pdf.Rect) int {
	return countRGB(img, r, func(r, g, b uint32) bool { return r < 160 && g < 160 && b < 160 })
}
