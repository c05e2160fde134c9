package pdf

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/testutil"
)

func sampleDoc(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pdf"))
	require.NoError(t, err)
	return b
}

// popplerWords returns poppler's word boxes of page 1 (pdftotext -bbox):
// text → [xMin yMin xMax yMax] with y from the top of the page.
func popplerWords(t *testing.T, data []byte) (map[string][][4]float64, float64) {
	tool := testutil.Tool(t, "pdftotext", "poppler-utils")
	path := filepath.Join(t.TempDir(), "in.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	out, err := exec.Command(tool, "-bbox", "-f", "1", "-l", "1", path, "-").Output()
	require.NoError(t, err)
	words := map[string][][4]float64{}
	re := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		var b [4]float64
		for i := range b {
			b[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		w := norm.NFC.String(m[5])
		words[w] = append(words[w], b)
	}
	h := regexp.MustCompile(`<page width="[\d.]+" height="([\d.]+)"`).FindStringSubmatch(string(out))
	require.NotNil(t, h)
	ph, _ := strconv.ParseFloat(h[1], 64)
	return words, ph
}

// TestFindTextAgreesWithPoppler: the boxes FindText gives for single words
// are those poppler's text extraction gives, on a generated page
// (standard 14 font without widths) and on a real Vietnamese tax form
// (embedded TrueType fonts, ToUnicode maps and glyph-name encodings).
func TestFindTextAgreesWithPoppler(t *testing.T) {
	cases := []struct {
		name  string
		data  func(t *testing.T) []byte
		words []string
	}{
		{"sample", func(t *testing.T) []byte { return sampleDoc(t) }, []string{"GIAM", "DOC", "So:", "nhan:", "CONG", "Kinh"}},
		{"rw07", func(t *testing.T) []byte {
			b, err := os.ReadFile(testutil.Realworld(t, "rw07_sieuviet_tokhaiGTGT_T0113_adbe.pkcs7.sha1.pdf"))
			require.NoError(t, err)
			return b
		}, []string{"CỘNG", "NGHĨA", "TĂNG", "Kỳ", "thuế:", "Siêu", "Việt", "Giấy", "Hà", "Nội", "01/GTGT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			words, ph := popplerWords(t, data)
			for _, w := range c.words {
				want := words[w]
				require.NotEmpty(t, want, "poppler finds %q", w)
				got, err := FindText(bytes.NewReader(data), int64(len(data)), w, &FindOptions{Pages: []int{1}, MatchCase: true})
				require.NoError(t, err)
				require.NotEmpty(t, got, "kyso finds %q", w)
				// Each poppler box has a kyso match at the same place.
				for _, b := range want {
					found := false
					for _, m := range got {
						top := ph - (m.Rect.Y + m.Rect.H)
						if abs64(m.Rect.X-b[0]) < 1.5 && abs64(m.Rect.X+m.Rect.W-b[2]) < 2 && abs64(top-b[1]) < 2.5 {
							found = true
						}
					}
					assert.True(t, found, "%q at poppler's %v; kyso has %+v", w, b, got)
				}
			}
		})
	}
}

func abs64(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestFindTextMatching(t *testing.T) {
	in, err := os.ReadFile(testutil.Realworld(t, "rw07_sieuviet_tokhaiGTGT_T0113_adbe.pkcs7.sha1.pdf"))
	require.NoError(t, err)
	find := func(s string, o *FindOptions) []TextMatch {
		m, err := FindText(bytes.NewReader(in), int64(len(in)), s, o)
		require.NoError(t, err)
		return m
	}
	phrase := find("Cộng hoà xã hội chủ nghĩa Việt Nam", &FindOptions{Pages: []int{1}})
	require.Len(t, phrase, 1, "case-insensitive by default, across words")
	assert.Equal(t, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM Mẫu số: 01/GTGT", phrase[0].Line)
	assert.Empty(t, find("Cộng hoà xã hội chủ nghĩa Việt Nam", &FindOptions{Pages: []int{1}, MatchCase: true}))
	nfd := find(norm.NFD.String("Mã  số thuế"), &FindOptions{Pages: []int{1}})
	require.Len(t, nfd, 1, "NFD needle and doubled spaces")
	assert.Contains(t, nfd[0].Line, "0 1 0 6 0 5 4 4 5 3")
	all := find("thuế", nil)
	assert.Greater(t, len(all), 1, "every page searched")
	for i := 1; i < len(all); i++ {
		assert.GreaterOrEqual(t, all[i].Page, all[i-1].Page, "page order")
	}
	_, err = FindText(bytes.NewReader(in), int64(len(in)), "x", &FindOptions{Pages: []int{99}})
	assert.ErrorIs(t, err, ErrBadOptions)
	_, err = FindText(bytes.NewReader(in), int64(len(in)), "  ", nil)
	assert.ErrorIs(t, err, ErrBadOptions)
}

// TestFindTextRendersThere: poppler draws the found text inside the box
// FindText reports, on an unrotated and on a rotated page (the box is in
// the displayed orientation).
func TestFindTextRendersThere(t *testing.T) {
	for _, c := range []struct {
		file, text string
		page       int
	}{
		{"simple.pdf", "kyso corpus page 1", 1},
		{"rotated.pdf", "kyso corpus page 1", 1},
	} {
		t.Run(c.file, func(t *testing.T) {
			in := corpus(t, c.file)
			m, err := FindText(bytes.NewReader(in), int64(len(in)), c.text, &FindOptions{Pages: []int{c.page}})
			require.NoError(t, err)
			require.Len(t, m, 1)
			img := renderPage(t, in)
			box := m[0].Rect
			inked := func(r Rect) int {
				return countPixels(img, r, func(r, g, b uint32) bool { return r < 160 && g < 160 && b < 160 })
			}
			inside := inked(box)
			assert.Greater(t, inside, int(box.W*box.H/20), "text drawn in %+v", box)
			// The box holds the text whole: growing it adds little ink.
			grown := inked(Rect{X: box.X - 3, Y: box.Y - 3, W: box.W + 6, H: box.H + 6})
			assert.Greater(t, float64(inside), 0.85*float64(grown), "text spills out of %+v", box)
		})
	}
}

// TestSignAtTextAnchor: a signature placed under "GIAM DOC" by text, with
// no coordinates from the caller, is drawn there.
func TestSignAtTextAnchor(t *testing.T) {
	in := sampleDoc(t)
	m, err := FindText(bytes.NewReader(in), int64(len(in)), "Giám đốc", nil)
	require.NoError(t, err)
	assert.Empty(t, m, "diacritics matter: the sample says GIAM DOC")
	m, err = FindText(bytes.NewReader(in), int64(len(in)), "giam doc", nil)
	require.NoError(t, err)
	require.Len(t, m, 1)
	box := m[0].CentredBelow(180, 70, 6)
	s := testSigner(t)
	out := signBytes(t, in, s, &Options{Appearance: &Appearance{Rect: box, Lines: []string{"ĐÃ KÝ", "Nguyễn Văn An"}}})
	checkTools(t, out, 1, "")
	img := renderPage(t, out)
	drawn := countPixels(img, box, func(r, g, b uint32) bool { return r < 160 && g < 160 && b < 160 })
	assert.Greater(t, drawn, 150)
	assert.Equal(t, fmt.Sprint(box.X+box.W/2), fmt.Sprint(m[0].Rect.X+m[0].Rect.W/2), "centred on the anchor")
	assert.Less(t, box.Y+box.H, m[0].Rect.Y, "under it")
}

// textPage is a one-page document for the text-extraction tests: its page
// draws content with font (object 5) as resource /Font /name (F1 when
// empty); page adds entries to the page dictionary, res to its
// /Resources, and more adds objects from 6 on.
type textPage struct {
	content, name, font string
	page, res           string
	more                map[int]string
}

// pdf writes the document with a classic xref table.
func (p textPage) pdf() []byte {
	name := p.name
	if name == "" {
		name = "F1"
	}
	objs := map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]%s /Contents 4 0 R /Resources << /Font << /%s 5 0 R >>%s >> >>", p.page, name, p.res),
		4: streamObj("", p.content),
		5: p.font,
	}
	for n, o := range p.more {
		objs[n] = o
	}
	return classicPDF(objs)
}

// helvetica is the standard Type1 font most text tests draw with.
const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"

// streamObj is a stream object holding data; entries, when not empty, go
// into its dictionary before /Length.
func streamObj(entries, data string) string {
	if entries != "" {
		entries += " "
	}
	return fmt.Sprintf("<< %s/Length %d >>\nstream\n%s\nendstream", entries, len(data), data)
}
