package pdf

import (
	"fmt"
	"time"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// encodeTextString encodes s as a PDF text string: plain bytes when it is
// printable ASCII (a subset of PDFDocEncoding), UTF-16BE with a byte order
// mark otherwise, so Vietnamese names survive in every reader. s is first
// normalised to NFC.
func encodeTextString(s string) pdfString {
	s = norm.NFC.String(s)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return pdfString(s)
	}
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2, 2+2*len(u))
	out[0], out[1] = 0xfe, 0xff
	for _, c := range u {
		out = append(out, byte(c>>8), byte(c))
	}
	return out
}

// pdfDocHigh maps PDFDocEncoding bytes 0x80–0x9F (the ones that differ
// from Latin-1) to Unicode.
var pdfDocHigh = [32]rune{
	0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044,
	0x2039, 0x203A, 0x2212, 0x2030, 0x201E, 0x201C, 0x201D, 0x2018,
	0x2019, 0x201A, 0x2122, 0xFB01, 0xFB02, 0x0141, 0x0152, 0x0160,
	0x0178, 0x017D, 0x0131, 0x0142, 0x0153, 0x0161, 0x017E, 0xFFFD,
}

// decodeTextString decodes a PDF text string (UTF-16BE with BOM, UTF-8
// with BOM, or PDFDocEncoding).
func decodeTextString(b []byte) string {
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		return string(b[3:])
	}
	r := make([]rune, len(b))
	for i, c := range b {
		switch {
		case c >= 0x80 && c < 0xa0:
			r[i] = pdfDocHigh[c-0x80]
		case c == 0xa0:
			r[i] = 0x20ac
		default:
			r[i] = rune(c)
		}
	}
	return string(r)
}

// pdfDate formats t as a PDF date string, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) pdfString {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	if off == 0 {
		return pdfString(t.Format("D:20060102150405") + "Z")
	}
	return pdfString(fmt.Sprintf("%s%c%02d'%02d'", t.Format("D:20060102150405"), sign, off/3600, off/60%60))
}
