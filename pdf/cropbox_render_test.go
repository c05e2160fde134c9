package pdf

import (
	"fmt"
	"image"
	"testing"

	"github.com/stretchr/testify/require"
)

// renderCropBox renders page 1 at 72 dpi as viewers show it: its crop
// box (pdftoppm -cropbox).
func renderCropBox(t *testing.T, data []byte) image.Image {
	return renderPage(t, data, "-cropbox")
}

// TestCropBoxRotatedRender: on a page shown through a /CropBox that
// does not start at the media box's corner, at every /Rotate, a
// signature placed with Rect is drawn there on the page as poppler
// renders it with -cropbox, as viewers show it (the crop box, turned), and nothing of it elsewhere.
func TestCropBoxRotatedRender(t *testing.T) {
	s := testSigner(t)
	for _, rot := range []int{0, 90, 180, 270} {
		t.Run(fmt.Sprint(rot), func(t *testing.T) {
			doc := classicPDF(map[int]string{
				1: "<< /Type /Catalog /Pages 2 0 R >>",
				2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				3: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [-20 10 592 802] /CropBox [40 60 560 760] /Rotate %d >>", rot),
			})
			box := Rect{X: 30, Y: 40, W: 160, H: 50}
			out := signBytes(t, doc, s, &Options{Appearance: &Appearance{Rect: box, Lines: []string{"ĐÃ KÝ ĐÃ KÝ ĐÃ KÝ"}, FontSize: 14}})
			img := renderCropBox(t, out)
			dw, dh := 520, 700
			if rot == 90 || rot == 270 {
				dw, dh = dh, dw
			}
			require.InDelta(t, dw, img.Bounds().Dx(), 1)
			require.InDelta(t, dh, img.Bounds().Dy(), 1)
			inside := darkPixels(img, box)
			all := darkPixels(img, Rect{W: float64(dw), H: float64(dh)})
			require.Greater(t, inside, 100)
			require.Equal(t, all, inside, "all ink inside the box")
		})
	}
}
