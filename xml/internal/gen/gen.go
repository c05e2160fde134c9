// Package gen writes synthetic Vietnamese e-government XML documents
// (e-invoices, registration forms, tax notices) for kyso's tests and
// benchmarks. The layout follows Decision 1450/QĐ-TCT; the content is made
// up.
package gen

import (
	"fmt"
	"strings"
)

// Invoice returns an unsigned invoice with items line items. With wrapped,
// the HDon sits in a TDiep/DLieu transport message, as sent to the tax
// authority. HDon declares the inv and ds namespaces, as real invoices do,
// so inclusive canonicalization of DLHDon must carry them.
func Invoice(items int, wrapped bool) []byte {
	var b strings.Builder
	b.Grow(200*items + 4096)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	if wrapped {
		b.WriteString(`<TDiep><TTChung><PBan>2.0.0</PBan><MNGui>V0309478306</MNGui><MNNhan>TCT</MNNhan><MLTDiep>200</MLTDiep><MTDiep>V0309478306B2C5E9AF7DEF49B5BA33411171A2DF30</MTDiep><MTDTChieu/><MST>0106324653</MST><SLuong>1</SLuong></TTChung><DLieu>`)
	}
	b.WriteString(`<HDon xmlns:inv="http://laphoadon.gdt.gov.vn/2014/09/invoicexml/v1" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`)
	b.WriteString(`<DLHDon Id="K24TAA-0000123"><TTChung><PBan>2.0.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C24TAA</KHHDon><SHDon>123</SHDon><NLap>2024-05-17</NLap><DVTTe>VND</DVTTe><TGia>1</TGia><HTTToan>TM/CK</HTTToan><MSTTCGP>0309478306</MSTTCGP></TTChung>`)
	b.WriteString(`<NDHDon><NBan><Ten>Công ty TNHH Kiểm thử Ký số</Ten><MST>0106324653</MST><DChi>114 phố Đội Cấn, Phường Đội Cấn, Ba Đình, Hà Nội</DChi><SDThoai>0243 123 4567</SDThoai><DCTDTu>ketoan@kyso.example.vn</DCTDTu></NBan>`)
	b.WriteString(`<NMua><Ten>Công ty Cổ phần Người Mua &amp; Đối Tác</Ten><MST>0106322455</MST><DChi>285/94B Cách Mạng Tháng 8, Quận 10, TP. Hồ Chí Minh</DChi><HVTNMHang>Nguyễn Văn A</HVTNMHang></NMua><DSHHDVu>`)
	total := 0
	for i := 1; i <= items; i++ {
		price := 1000 + (i*7919)%900000
		qty := 1 + i%9
		total += price * qty
		fmt.Fprintf(&b, `<HHDVu><TChat>1</TChat><STT>%d</STT><MHHDVu>MH%06d</MHHDVu><THHDVu>Hàng hoá %d</THHDVu><DVTinh>Cái</DVTinh><SLuong>%d</SLuong><DGia>%d</DGia><ThTien>%d</ThTien></HHDVu>`,
			i, i, i, qty, price, price*qty)
	}
	fmt.Fprintf(&b, `</DSHHDVu><TToan><TgTCThue>%d</TgTCThue><TgTThue>%d</TgTThue><TgTTTBSo>%d</TgTTTBSo><TgTTTBChu>Số tiền bằng chữ</TgTTTBChu></TToan></NDHDon></DLHDon>`,
		total, total/10, total+total/10)
	b.WriteString(`<DSCKS><NBan/><NMua/><CCKSKhac/></DSCKS></HDon>`)
	if wrapped {
		b.WriteString(`</DLieu></TDiep>`)
	}
	return []byte(b.String())
}

// Registration returns an unsigned registration form (TKhai, 01/ĐKTĐ-HĐĐT).
func Registration() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><TKhai><DLTKhai Id="DLTKhai-01"><TTChung><PBan>2.0.0</PBan><MSo>01/ĐKTĐ-HĐĐT</MSo><Ten>Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử</Ten><HThuc>1</HThuc><TNNT>Công ty TNHH Kiểm thử Ký số</TNNT><MST>0106324653</MST><CQTQLy>Cục Thuế Thành phố Hà Nội</CQTQLy><MCQTQLy>10100</MCQTQLy><NLap>2024-05-17</NLap></TTChung><NDTKhai><HTHDon><CMa>1</CMa><KCMa>0</KCMa></HTHDon></NDTKhai></DLTKhai><DSCKS><NNT/></DSCKS></TKhai>`)
}

// Notice returns an unsigned tax notice (TBao, 01/TB-ĐKĐT).
func Notice() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><TBao><DLTBao Id="DLTBao-01"><PBan>2.0.0</PBan><MSo>01/TB-ĐKĐT</MSo><Ten>Thông báo về việc tiếp nhận tờ khai</Ten><DDanh>Hà Nội</DDanh><TCQTCTren>Tổng cục Thuế</TCQTCTren><TCQT>Cục Thuế Thành phố Hà Nội</TCQT><TNNT>Công ty TNHH Kiểm thử Ký số</TNNT><MST>0106324653</MST><NTBao>2024-05-18</NTBao></DLTBao><STBao Id="STBao-01"><So>1234/TB-CT</So><NTBao>2024-05-18</NTBao></STBao><DSCKS><TTCQT/><CQT/></DSCKS></TBao>`)
}
