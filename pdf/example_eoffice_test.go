package pdf_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// Find printed text to place a signature by it instead of by coordinates.
func ExampleFindText() {
	doc, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pdf"))
	if err != nil {
		log.Fatal(err)
	}
	matches, err := pdf.FindText(bytes.NewReader(doc), int64(len(doc)), "giam doc", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range matches {
		box := m.CentredBelow(180, 80, 6) // the director's signature goes here
		fmt.Printf("page %d: %q at x=%.0f y=%.0f; signature box x=%.0f y=%.0f\n", m.Page, m.Line, m.Rect.X, m.Rect.Y, box.X, box.Y)
	}
	// Output:
	// page 1: "GIAM DOC" at x=380 y=258; signature box x=318 y=172
}

// See how a visible signature will be laid out before signing: the font
// size, the wrapped lines and the lines a small box leaves out.
func ExamplePlanAppearance() {
	ap := &pdf.Appearance{
		Rect:  pdf.Rect{X: 340, Y: 140, W: 120, H: 30},
		Lines: []string{"Ký bởi: Nguyễn Văn An", "Thời gian ký: 03/12/2026 09:00:00 (GMT+7)", "Cơ quan: Sở Thông tin và Truyền thông tỉnh Đồng Nai"},
	}
	l, err := pdf.PlanAppearance(ap, nil, time.Time{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.1f pt\n", l.FontSize)
	for _, line := range l.Lines {
		fmt.Println(line)
	}
	fmt.Println("left out:", l.Dropped)
	// Output:
	// 7.0 pt
	// Ký bởi: Nguyễn Văn An
	// Thời gian ký: 03/12/2026 09:00:00
	// (GMT+7)
	// left out: [Cơ quan: Sở Thông tin và Truyền thông tỉnh Đồng Nai]
}

// The clerk's issuing signature: the number and date written after "So:"
// and "ngay", the agency's seal over the left third of the director's
// signature.
func ExampleIssue() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	director, err := pki.Issue(pkitest.Person("Lê Văn Hùng", "075078001122"))
	if err != nil {
		log.Fatal(err)
	}
	agency, err := pki.Issue(pkitest.Organization("Sở Thông tin và Truyền thông tỉnh Đồng Nai", "3600123456"))
	if err != nil {
		log.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "testdata", "sample.pdf"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// The director approves under the printed title.
	approval := &pdf.ApprovalOptions{Anchor: pdf.Anchor{Text: "GIAM DOC"}, Width: 200, Height: 90}
	var approved bytes.Buffer
	if err := pdf.Approve(ctx, &approved, bytes.NewReader(doc), int64(len(doc)), director.Signer(), approval); err != nil {
		log.Fatal(err)
	}
	page, box, _, err := approval.Place(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		log.Fatal(err)
	}

	// The clerk issues it.
	var issued bytes.Buffer
	err = pdf.Issue(ctx, &issued, bytes.NewReader(approved.Bytes()), int64(approved.Len()), agency.Signer(), &pdf.IssueOptions{
		Number:       "43/STTTT-VP",
		NumberAnchor: &pdf.Anchor{Text: "CONG VAN", Where: pdf.PlaceRight, Gap: 6},
		DateText:     "(phát hành 03/12/2026)",
		DateAnchor:   &pdf.Anchor{Text: "dien tu", Where: pdf.PlaceRight, Gap: 4},
		Seal:         examplePNG(),
		LeaderImage:  box, // the director's box: the seal covers its left third
		LeaderPage:   page,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("issued:", bytes.HasPrefix(issued.Bytes(), approved.Bytes()))
	// Output:
	// issued: true
}

// examplePNG is a small red disc standing in for a seal image.
func examplePNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if (x-32)*(x-32)+(y-32)*(y-32) < 30*30 {
				img.SetNRGBA(x, y, color.NRGBA{R: 0xd0, G: 0x20, B: 0x20, A: 0xd0})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}
