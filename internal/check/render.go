package check

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// Render renders page (from 1) of the PDF file at path with pdftoppm at
// 72 dpi, one pixel per point; args go to pdftoppm before the file (for
// example "-cropbox").
func Render(t testing.TB, path string, page int, args ...string) image.Image {
	t.Helper()
	tool := testutil.Tool(t, "pdftoppm", "poppler-utils")
	prefix := filepath.Join(t.TempDir(), "p")
	args = append(args, "-png", "-r", "72", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-singlefile", path, prefix)
	if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", path, err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Area is the box x, y, w, h (PDF points from the page's lower-left
// corner) as pixels of a page Render drew (y flipped), within the image.
func Area(img image.Image, x, y, w, h float64) image.Rectangle {
	ih := img.Bounds().Dy()
	return image.Rect(int(x), ih-int(y+h), int(x+w), ih-int(y)).Intersect(img.Bounds())
}

// Count counts the pixels of area in img whose 8-bit red, green and blue
// values satisfy pred.
func Count(img image.Image, area image.Rectangle, pred func(r, g, b uint32) bool) int {
	n := 0
	for y := area.Min.Y; y < area.Max.Y; y++ {
		for x := area.Min.X; x < area.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if pred(r>>8, g>>8, b>>8) {
				n++
			}
		}
	}
	return n
}
