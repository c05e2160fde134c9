//go:build ignore

// gen writes the sample documents the examples sign:
//
//	go run testdata/gen.go
//
// sample.pdf is a one-page A4 official letter (classic xref table, standard
// Helvetica font) with room for two visible signatures at the bottom;
// invoice.xml is a VAT e-invoice in the layout of Decision 1450/QĐ-TCT
// (Circular 78/2021) with empty seller, buyer and tax-authority slots.
package main

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/kyso-vn/kyso/internal/sample"
)

func main() {
	if err := os.WriteFile("testdata/sample.pdf", samplePDF(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("testdata/invoice.xml", []byte(invoice), 0o644); err != nil {
		log.Fatal(err)
	}
}

func samplePDF() []byte {
	lines := []struct {
		size, x, y int
		text       string
	}{
		{11, 60, 790, "UY BAN NHAN DAN TINH DONG NAI"},
		{11, 340, 790, "CONG HOA XA HOI CHU NGHIA VIET NAM"},
		{11, 70, 775, "SO THONG TIN VA TRUYEN THONG"},
		{11, 375, 775, "Doc lap - Tu do - Hanh phuc"},
		{10, 80, 750, "So: 42/STTTT-VP"},
		{10, 360, 750, "Dong Nai, ngay 23 thang 11 nam 2026"},
		{14, 200, 700, "CONG VAN"},
		{11, 150, 682, "V/v trien khai ky so van ban dien tu"},
		{11, 72, 640, "Kinh gui: Cac co quan, don vi tren dia ban tinh."},
		{11, 72, 610, "Thuc hien Nghi dinh 30/2020/ND-CP ve cong tac van thu, So Thong tin va"},
		{11, 72, 595, "Truyen thong de nghi cac co quan, don vi ky so van ban di truoc khi phat"},
		{11, 72, 580, "hanh tren he thong quan ly van ban va dieu hanh."},
		{11, 72, 550, "Van ban nay duoc ky so boi lanh dao va dong dau so cua co quan."},
		{11, 72, 260, "Noi nhan:"},
		{10, 72, 245, "- Nhu tren;"},
		{10, 72, 232, "- Luu: VT, VP."},
		{11, 380, 260, "GIAM DOC"},
	}
	var content strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&content, "BT /F1 %d Tf %d %d Td (%s) Tj ET\n", l.size, l.x, l.y, l.text)
	}
	stream := content.String()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Title (Cong van 42/STTTT-VP) /Producer (kyso testdata/gen.go) >>",
	}
	return sample.BuildPDF(objs, "/Info 6 0 R /ID [<6b79736f2d73616d706c652d706466> <6b79736f2d73616d706c652d706466>]")
}

const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<HDon>
  <DLHDon Id="DLHDon">
    <TTChung>
      <PBan>2.0.1</PBan>
      <THDon>Hóa đơn giá trị gia tăng</THDon>
      <KHMSHDon>1</KHMSHDon>
      <KHHDon>C26TKY</KHHDon>
      <SHDon>42</SHDon>
      <NLap>2026-11-23</NLap>
      <DVTTe>VND</DVTTe>
      <TGia>1</TGia>
      <HTTToan>TM/CK</HTTToan>
      <MSTTCGP>0312345678</MSTTCGP>
    </TTChung>
    <NDHDon>
      <NBan>
        <Ten>Công ty TNHH Phần mềm Kyso</Ten>
        <MST>0312345678</MST>
        <DChi>12 Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh</DChi>
      </NBan>
      <NMua>
        <Ten>Công ty Cổ phần Thương mại Đồng Nai</Ten>
        <MST>3600123456</MST>
        <DChi>1 Võ Thị Sáu, Phường Trấn Biên, tỉnh Đồng Nai</DChi>
      </NMua>
      <DSHHDVu>
        <HHDVu>
          <TChat>1</TChat>
          <STT>1</STT>
          <THHDVu>Phần mềm ký số văn bản (gói 1 năm)</THHDVu>
          <DVTinh>Gói</DVTinh>
          <SLuong>2</SLuong>
          <DGia>1500000</DGia>
          <ThTien>3000000</ThTien>
          <TSuat>10%</TSuat>
        </HHDVu>
      </DSHHDVu>
      <TToan>
        <TgTCThue>3000000</TgTCThue>
        <TgTThue>300000</TgTThue>
        <TgTTTBSo>3300000</TgTTTBSo>
        <TgTTTBChu>Ba triệu ba trăm nghìn đồng chẵn</TgTTTBChu>
      </TToan>
    </NDHDon>
  </DLHDon>
  <DSCKS>
    <NBan/>
    <NMua/>
    <CQT/>
    <CCKSKhac/>
  </DSCKS>
</HDon>
`
