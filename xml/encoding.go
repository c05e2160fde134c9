package xml

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Input encodings. XML 1.0 §4.3.3 requires every processor to read UTF-8
// and UTF-16; ISO-8859-1 and US-ASCII are read too (older producers declare
// them). Anything else is refused with ErrEncoding naming the encoding,
// rather than guessed at. The parsed Document holds the text as UTF-8
// (canonical XML is UTF-8 whatever the input encoding), and
// Document.Encoding names what the input was.

// decodeInput returns the document as UTF-8 text and the name of the
// encoding it was read from ("" for UTF-8).
func decodeInput(data []byte) (string, string, error) {
	encErr := func(format string, args ...any) error {
		return &SyntaxError{Line: 1, Msg: fmt.Sprintf(format, args...), Err: ErrEncoding}
	}
	switch {
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}),
		bytes.HasPrefix(data, []byte{0, 0, 0, '<'}), bytes.HasPrefix(data, []byte{'<', 0, 0, 0}):
		return "", "", encErr("encoding UTF-32 is not supported (UTF-8, UTF-16, ISO-8859-1 and US-ASCII are)")
	case bytes.HasPrefix(data, []byte{0x4C, 0x6F, 0xA7, 0x94}):
		return "", "", encErr("encoding EBCDIC is not supported (UTF-8, UTF-16, ISO-8859-1 and US-ASCII are)")
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], true, true)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], false, true)
	case len(data) >= 4 && data[0] == 0 && data[1] == '<' && data[2] == 0:
		// UTF-16 without a byte order mark: only with a declaration.
		return decodeUTF16(data, true, false)
	case len(data) >= 4 && data[0] == '<' && data[1] == 0 && data[3] == 0:
		return decodeUTF16(data, false, false)
	}
	bom := bytes.HasPrefix(data, []byte("\xEF\xBB\xBF"))
	declared, _ := declaredEncoding(strings.TrimPrefix(string(data[:min(len(data), 512)]), "\xEF\xBB\xBF"))
	switch name := strings.ToLower(declared); {
	case name == "" || name == "utf-8" || name == "utf8":
		return string(data), "", nil
	case bom:
		return "", "", encErr("the document starts with a UTF-8 byte order mark but declares encoding %q", declared)
	case isLatin1Name(name):
		return latin1(data), "ISO-8859-1", nil
	case isASCIIName(name):
		for i, c := range data {
			if c >= 0x80 {
				return "", "", &SyntaxError{Offset: i, Line: 1 + bytes.Count(data[:i], []byte("\n")), Msg: fmt.Sprintf("byte %#x in a document declared %q", c, declared), Err: ErrEncoding}
			}
		}
		return string(data), "US-ASCII", nil
	case strings.HasPrefix(name, "utf-16") || name == "utf16":
		return "", "", encErr("the document declares encoding %q but is not UTF-16 encoded", declared)
	}
	return "", "", encErr("encoding %q is not supported (UTF-8, UTF-16, ISO-8859-1 and US-ASCII are)", declared)
}

func isLatin1Name(n string) bool {
	switch n {
	case "iso-8859-1", "iso_8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819", "csisolatin1", "iso_8859-1:1987":
		return true
	}
	return false
}

func isASCIIName(n string) bool {
	switch n {
	case "us-ascii", "ascii", "iso646-us", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "cp367", "ibm367", "csascii", "iso-ir-6":
		return true
	}
	return false
}

// latin1 maps each byte to the code point of the same value.
func latin1(data []byte) string {
	ascii := true
	for _, c := range data {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data) + len(data)/8)
	for _, c := range data {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// decodeUTF16 decodes UTF-16 text (after the byte order mark, if any).
// Without a byte order mark the document must declare a UTF-16 encoding.
func decodeUTF16(data []byte, bigEndian, bom bool) (string, string, error) {
	if len(data)%2 != 0 {
		return "", "", &SyntaxError{Offset: len(data), Line: 1, Msg: "odd number of bytes in a UTF-16 document", Err: ErrEncoding}
	}
	unit := func(i int) uint16 {
		if bigEndian {
			return uint16(data[2*i])<<8 | uint16(data[2*i+1])
		}
		return uint16(data[2*i+1])<<8 | uint16(data[2*i])
	}
	n := len(data) / 2
	var b strings.Builder
	b.Grow(n + n/2)
	for i := 0; i < n; i++ {
		u := unit(i)
		switch {
		case u < 0xD800 || u > 0xDFFF:
			b.WriteRune(rune(u))
		case u < 0xDC00 && i+1 < n && unit(i+1) >= 0xDC00 && unit(i+1) <= 0xDFFF:
			b.WriteRune(utf16.DecodeRune(rune(u), rune(unit(i+1))))
			i++
		default:
			return "", "", &SyntaxError{Offset: 2 * i, Line: 1, Msg: "unpaired UTF-16 surrogate", Err: ErrEncoding}
		}
	}
	s := b.String()
	declared, _ := declaredEncoding(s)
	switch n := strings.ToLower(declared); {
	case n == "utf-16" || n == "utf16" || n == "utf-16le" && !bigEndian || n == "utf-16be" && bigEndian:
	case n == "" && bom:
	case n == "":
		return "", "", &SyntaxError{Line: 1, Msg: "UTF-16 document without a byte order mark or an encoding declaration", Err: ErrEncoding}
	default:
		return "", "", &SyntaxError{Line: 1, Msg: fmt.Sprintf("the document is UTF-16 encoded but declares encoding %q", declared), Err: ErrEncoding}
	}
	return s, "UTF-16", nil
}

// declaredEncoding reads the encoding pseudo-attribute of an XML
// declaration at the start of s.
func declaredEncoding(s string) (string, bool) {
	if !strings.HasPrefix(s, "<?xml") || len(s) < 6 || !isSpace(s[5]) {
		return "", false
	}
	end := strings.Index(s, "?>")
	if end < 0 {
		return "", false
	}
	decl := s[5:end]
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return "", true
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return "", true
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return "", true
	}
	q := rest[0]
	j := strings.IndexByte(rest[1:], q)
	if j < 0 {
		return "", true
	}
	return rest[1 : 1+j], true
}
