package pdf

import (
	"bytes"
	"crypto/x509/pkix"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// longAgency is a 64-character agency name.
const longAgency = "Sở Tài nguyên và Môi trường tỉnh Bà Rịa - Vũng Tàu Phòng Đất đai"

func TestLongAgencyNameStaysReadable(t *testing.T) {
	require.Equal(t, 64, utf8.RuneCountInString(longAgency))
	s := testSigner(t, pkitest.Subject(pkix.Name{
		CommonName: "Nguyễn Thị Ánh Tuyết", Organization: []string{longAgency}, Country: []string{"VN"},
	}))
	at := time.Date(2026, 11, 23, 14, 5, 9, 0, time.UTC)
	for _, c := range []struct {
		box     Rect
		min     float64
		image   bool
		dropped bool
	}{
		{Rect{X: 340, Y: 140, W: 200, H: 90}, MinFontSizeLarge, false, false},
		{Rect{X: 340, Y: 140, W: 200, H: 90}, MinFontSize, true, false}, // with a seal the text area is under 150 pt wide
		{Rect{X: 340, Y: 140, W: 120, H: 45}, MinFontSize, false, false},
		{Rect{X: 340, Y: 140, W: 120, H: 30}, MinFontSize, false, true}, // the agency line does not fit: left out, not shrunk
	} {
		t.Run(fmt.Sprintf("%gx%g image=%v", c.box.W, c.box.H, c.image), func(t *testing.T) {
			ap := &Appearance{Rect: c.box}
			if c.image {
				ap.Image = redSeal(t, 100)
			}
			var got AppearanceLayout
			ap.OnLayout = func(l AppearanceLayout) { got = l }
			plan, err := PlanAppearance(ap, s.Certificate(), at)
			require.NoError(t, err)
			out := signBytes(t, corpus(t, "simple.pdf"), s, &Options{SigningTime: at, Appearance: ap})
			assert.Equal(t, plan, got, "PlanAppearance and Sign lay out alike")
			assert.GreaterOrEqual(t, got.FontSize, c.min)
			assert.Equal(t, c.dropped, len(got.Dropped) > 0, "dropped %q", got.Dropped)
			// Every drawn line fits in the text area.
			tt, err := parseTrueType(defaultFont())
			require.NoError(t, err)
			for _, l := range got.Lines {
				assert.LessOrEqual(t, textWidth(ttMeasurer{tt}, l)*got.FontSize/1000, got.TextBox[2]-got.TextBox[0]+0.01, l)
			}
			assert.LessOrEqual(t, float64(len(got.Lines))*got.FontSize*lineGap, got.TextBox[3]-got.TextBox[1]+0.01)
			// What is drawn reads back: the signer's name whole, the agency
			// (unless left out) word by word across its wrapped lines.
			// (pdftotext takes a hyphen that ends a line for hyphenation.)
			text := strings.Join(strings.Fields(strings.ReplaceAll(pdftotext(t, out, ""), "-", "")), " ")
			assert.Contains(t, text, "Ký bởi: Nguyễn Thị Ánh Tuyết")
			assert.Contains(t, text, "Thời gian ký: 23/11/2026 21:05:09 (GMT+7)")
			if !c.dropped {
				assert.Contains(t, text, strings.Join(strings.Fields(strings.ReplaceAll("Cơ quan: "+longAgency, "-", "")), " "))
			} else {
				assert.NotContains(t, text, "Cơ quan")
			}
			checkTools(t, out, 1, "")
		})
	}
}

func TestLayoutNFDInputDrawsLikeNFC(t *testing.T) {
	tt, err := parseTrueType(defaultFont())
	require.NoError(t, err)
	nfc := "Ủy ban nhân dân tỉnh Quảng Ngãi — Văn phòng"
	nfd := norm.NFD.String(nfc)
	require.NotEqual(t, nfc, nfd)
	a, err := layoutText(ttMeasurer{tt}, []textLine{{nfc, 0}}, 150, 60, 0)
	require.NoError(t, err)
	b, err := layoutText(ttMeasurer{tt}, []textLine{{nfd, 0}}, 150, 60, 0)
	require.NoError(t, err)
	assert.Equal(t, a, b)

	s := testSigner(t)
	out := signBytes(t, corpus(t, "simple.pdf"), s, &Options{Appearance: &Appearance{Rect: Rect{X: 300, Y: 60, W: 260, H: 60}, Lines: []string{nfd}}})
	assert.Contains(t, pdftotext(t, out, ""), nfc)
}

func TestLayoutFixedSizeWrapsAndDropsInsteadOfClipping(t *testing.T) {
	tt, err := parseTrueType(defaultFont())
	require.NoError(t, err)
	m := ttMeasurer{tt}
	lines := []textLine{{"Ký bởi: Trần Văn Bình", 0}, {"Cơ quan: " + longAgency, 2}, {"Thời gian ký: 03/12/2026 09:00:00 (GMT+7)", 1}}
	l, err := layoutText(m, append([]textLine(nil), lines...), 196, 60, 12)
	require.NoError(t, err)
	assert.Equal(t, 12.0, l.FontSize, "a set size is kept")
	require.Len(t, l.Lines, 3, "%q", l.Lines)
	assert.Equal(t, "Thời gian ký: 03/12/2026 09:00:00 (GMT+7)", l.Lines[1]+" "+l.Lines[2], "a long line wraps")
	assert.Equal(t, []string{"Cơ quan: " + longAgency}, l.Dropped, "the lowest-priority line goes first")
	for _, line := range l.Lines {
		assert.LessOrEqual(t, textWidth(m, line)*12/1000, 196.0)
	}

	_, err = layoutText(m, append([]textLine(nil), lines...), 196, 60, 5)
	assert.ErrorIs(t, err, ErrBadOptions, "under 6 pt is refused")

	// Nothing fits at all: a typed error, not an invisible signature.
	_, err = layoutText(m, append([]textLine(nil), lines...), 30, 5, 0)
	assert.ErrorIs(t, err, ErrBadRect)

	// A word wider than the line breaks inside.
	w := wrapLine(m, strings.Repeat("Đ", 40), 3000)
	assert.Greater(t, len(w), 1)
	assert.Equal(t, strings.Repeat("Đ", 40), strings.Join(w, ""))
}

func TestRectChecked(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "simple.pdf") // 612 x 792
	for _, r := range []Rect{
		{X: 500, Y: 700, W: 200, H: 90}, // runs off the right edge
		{X: -50, Y: 10, W: 100, H: 50},
		{X: 10, Y: 10, W: 0, H: 50},
		{X: 340, Y: 140, W: 540, H: -230},
		{X: math.Inf(1), Y: 0, W: 10, H: 10},
	} {
		err := Sign(t.Context(), &strings.Builder{}, bytes.NewReader(in), int64(len(in)), s, &Options{Appearance: &Appearance{Rect: r}})
		assert.ErrorIs(t, err, ErrBadRect, "%+v", r)
		assert.ErrorIs(t, err, ErrBadOptions, "%+v", r)
	}
	assert.Equal(t, Rect{X: 340, Y: 140, W: 200, H: 90}, Corners(540, 230, 340, 140))
	assert.InDelta(t, 102.05, MM(36), 0.01)
	seal := SealRect(Rect{X: 340, Y: 140, W: 210, H: 90}, 90)
	assert.Equal(t, Rect{X: 340 + 70 - 90, Y: 140, W: 90, H: 90}, seal, "right edge a third into the leader's box")
}

// TestRotatedPageVisualOrientation: on a page shown rotated, Rect is
// measured on the page as displayed and the text reads upright there.
func TestRotatedPageVisualOrientation(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "rotated.pdf")
	d, err := open(bytes.NewReader(in), int64(len(in)), nil)
	require.NoError(t, err)
	pg, err := d.page(1)
	require.NoError(t, err)
	require.Contains(t, []int{90, 270}, pg.rotate, "the fixture is rotated a quarter turn")
	dw := pg.mediaBox[3] - pg.mediaBox[1] // displayed width
	dh := pg.mediaBox[2] - pg.mediaBox[0]
	// The top-right corner of the page as displayed.
	box := Rect{X: dw - 230, Y: dh - 100, W: 220, H: 90}
	out := signBytes(t, in, s, &Options{Appearance: &Appearance{Rect: box, Lines: []string{"ĐÃ KÝ SỐ ĐÃ KÝ SỐ", "ĐÃ KÝ SỐ ĐÃ KÝ SỐ"}}})
	checkTools(t, out, 1, "")
	img := renderPage(t, out)
	require.Equal(t, int(dw+0.5), img.Bounds().Dx(), "rendered as displayed")
	inBox := darkPixels(img, box)
	other := darkPixels(img, Rect{X: 10, Y: 10, W: 220, H: 90}) // the bottom-left corner
	assert.Greater(t, inBox, 300, "text drawn in the displayed top-right corner")
	assert.Less(t, other, inBox/4)
	// Upright: the text's first line is above the second, so the top half
	// of the box is dark as well as the bottom half (a sideways text would
	// fill a narrow vertical band instead).
	left := darkPixels(img, Rect{X: box.X, Y: box.Y, W: box.W / 2, H: box.H})
	right := darkPixels(img, Rect{X: box.X + box.W/2, Y: box.Y, W: box.W / 2, H: box.H})
	assert.Greater(t, left, inBox/5)
	assert.Greater(t, right, inBox/5)
}

func TestSealAtRealSize(t *testing.T) {
	s := testSigner(t)
	box := Rect{X: 100, Y: 100, W: MM(40), H: MM(40)}
	out := signBytes(t, corpus(t, "simple.pdf"), s, &Options{Appearance: &Appearance{
		Rect: box, Image: redSeal(t, 300), ImageLayout: ImageOnly, ImageWidth: MM(36),
	}})
	img := renderPage(t, out)
	// Measure the seal's red extent along the middle row.
	h := img.Bounds().Dy()
	y := h - int(box.Y+box.H/2)
	minX, maxX := -1, -1
	for x := 0; x < img.Bounds().Dx(); x++ {
		r, g, b, _ := img.At(x, y).RGBA()
		if r>>8 > 150 && g>>8 < 110 && b>>8 < 110 {
			if minX < 0 {
				minX = x
			}
			maxX = x
		}
	}
	require.GreaterOrEqual(t, minX, 0, "seal drawn")
	assert.InDelta(t, MM(36), float64(maxX-minX+1), 4, "36 mm across")

	// A seal larger than its box is refused, not shrunk.
	in := corpus(t, "simple.pdf")
	err := Sign(t.Context(), &strings.Builder{}, bytes.NewReader(in), int64(len(in)), s, &Options{Appearance: &Appearance{
		Rect: Rect{X: 100, Y: 100, W: 60, H: 60}, Image: redSeal(t, 300), ImageLayout: ImageOnly, ImageWidth: MM(36),
	}})
	assert.ErrorIs(t, err, ErrBadRect)
}

func TestTemplateEmailAndZone(t *testing.T) {
	s := testSigner(t, pkitest.Subject(pkix.Name{CommonName: "Phạm Minh Châu", Country: []string{"VN"},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidEmailAddress, Value: "chau.pm@dongnai.gov.vn"}}}))
	at := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	lines := appearanceLines(&Appearance{ShowEmail: true}, s.Certificate(), at)
	var texts []string
	for _, l := range lines {
		texts = append(texts, l.text)
	}
	assert.Equal(t, []string{"Ký bởi: Phạm Minh Châu", "Email: chau.pm@dongnai.gov.vn", "Thời gian ký: 03/12/2026 09:00:00 (GMT+7)"}, texts)
	utc := appearanceLines(&Appearance{TimeZone: time.UTC}, s.Certificate(), at)
	assert.Equal(t, "Thời gian ký: 03/12/2026 02:00:00 (GMT)", utc[len(utc)-1].text)
	assert.Equal(t, "GMT+5:30", gmtOffset(at.In(time.FixedZone("IST", 5*3600+1800))))
}

// TestLayoutGolden renders each layout and compares the signature's box
// with a stored rendering (KYSO_UPDATE_GOLDEN=1 rewrites them).
func TestLayoutGolden(t *testing.T) {
	s := testSigner(t, pkitest.Subject(pkix.Name{
		CommonName: "Nguyễn Văn An", Organization: []string{"Ủy ban nhân dân tỉnh Đồng Nai"}, Country: []string{"VN"},
	}))
	at := time.Date(2026, 11, 23, 14, 5, 9, 0, time.UTC)
	seal := redSeal(t, 200)
	box := Rect{X: 300, Y: 100, W: 220, H: 100}
	cases := []struct {
		name string
		ap   Appearance
	}{
		{"text-only", Appearance{ImageLayout: TextOnly, Image: seal}},
		{"image-left", Appearance{Image: seal, ImageLayout: ImageLeft}},
		{"image-right", Appearance{Image: seal, ImageLayout: ImageRight, ImageWidth: MM(30)}},
		{"image-above", Appearance{Image: seal, ImageLayout: ImageAbove, Rect: Rect{X: 300, Y: 100, W: 160, H: 140}}},
		{"image-only", Appearance{Image: seal, ImageLayout: ImageOnly}},
		{"background", Appearance{Image: seal, ImageLayout: ImageBackground}},
		{"small-box", Appearance{Rect: Rect{X: 300, Y: 100, W: 120, H: 45}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ap := c.ap
			if ap.Rect == (Rect{}) {
				ap.Rect = box
			}
			out := signBytes(t, corpus(t, "simple.pdf"), s, &Options{SigningTime: at, Appearance: &ap})
			img := renderPage(t, out)
			got := crop(img, ap.Rect)
			golden := filepath.Join("testdata", "golden", c.name+".png")
			goldenCompare(t, got, golden, 0.03)
			inked := countPixels(img, ap.Rect, func(r, g, b uint32) bool { return r < 200 || g < 200 || b < 200 })
			assert.Greater(t, inked, 200, "something drawn")
		})
	}
}

// renderPage renders page 1 of data at 72 dpi (check.Render; args such as
// "-cropbox" go to pdftoppm).
func renderPage(t *testing.T, data []byte, args ...string) image.Image {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return check.Render(t, path, 1, args...)
}

// pixelsOf is r as pixels of a page rendered at 72 dpi (y flipped).
func pixelsOf(img image.Image, r Rect) image.Rectangle {
	return check.Area(img, r.X, r.Y, r.W, r.H)
}

func crop(img image.Image, r Rect) image.Image {
	return img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(pixelsOf(img, r))
}

func countPixels(img image.Image, r Rect, pred func(r, g, b uint32) bool) int {
	return check.Count(img, pixelsOf(img, r), pred)
}

func darkPixels(img image.Image, r Rect) int {
	return countPixels(img, r, func(r, g, b uint32) bool { return r < 100 && g < 100 && b < 100 })
}

// goldenCompare compares img with the PNG at path: at most tol of the
// pixels may differ by more than 96 in a channel (KYSO_UPDATE_GOLDEN=1
// rewrites the file).
func goldenCompare(t *testing.T, img image.Image, path string, tol float64) {
	t.Helper()
	if os.Getenv("KYSO_UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, img))
		require.NoError(t, f.Close())
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	want, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, want.Bounds().Size(), img.Bounds().Size())
	diff := 0
	b := want.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if pixelDiff(want.At(b.Min.X+x, b.Min.Y+y), img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y)) > 96 {
				diff++
			}
		}
	}
	assert.Less(t, float64(diff)/float64(b.Dx()*b.Dy()), tol, "%d of %d pixels differ from %s", diff, b.Dx()*b.Dy(), path)
}

func pixelDiff(a, b interface{ RGBA() (r, g, b, a uint32) }) uint32 {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) uint32 {
		if x > y {
			return (x - y) >> 8
		}
		return (y - x) >> 8
	}
	return max(d(ar, br), d(ag, bg), d(ab, bb))
}

// TestLayoutsNFDLikeNFC: every layout draws decomposed Vietnamese input
// exactly as the composed form.
func TestLayoutsNFDLikeNFC(t *testing.T) {
	s := testSigner(t)
	lines := []string{"Ký bởi: Nguyễn Thị Ánh Tuyết", "Cơ quan: Ủy ban nhân dân tỉnh Quảng Ngãi", "Thời gian ký: 03/12/2026 09:00:00 (GMT+7)"}
	var nfd []string
	for _, l := range lines {
		nfd = append(nfd, norm.NFD.String(l))
	}
	box := Rect{X: 300, Y: 100, W: 220, H: 100}
	seal := redSeal(t, 100)
	for _, layout := range []ImageLayout{ImageLeft, ImageRight, ImageAbove, ImageBackground, TextOnly} {
		t.Run(fmt.Sprint(layout), func(t *testing.T) {
			var imgs []image.Image
			for _, ls := range [][]string{lines, nfd} {
				out := signBytes(t, corpus(t, "simple.pdf"), s, &Options{Appearance: &Appearance{Rect: box, Lines: ls, Image: seal, ImageLayout: layout}})
				imgs = append(imgs, crop(renderPage(t, out), box))
			}
			b := imgs[0].Bounds()
			diff := 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if pixelDiff(imgs[0].At(x, y), imgs[1].At(x, y)) > 0 {
						diff++
					}
				}
			}
			assert.Zero(t, diff, "NFD input draws differently")
		})
	}
}
