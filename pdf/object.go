package pdf

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
)

// The PDF object model used internally. Objects are plain Go values:
//
//	nil            null
//	bool           boolean
//	int64          integer
//	float64        real
//	pdfString      string (decoded, decrypted bytes)
//	name           name (without the slash, #xx escapes decoded)
//	array          array
//	dict           dictionary
//	ref            indirect reference
//	*stream        stream (only as the value of an indirect object)
type object = any

type name string

type pdfString []byte

type array []object

type dict map[name]object

type ref struct {
	Num int
	Gen int
}

func (r ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// stream is a stream object. For streams read from the file, offset is the
// position of the first data byte and length the (encrypted, encoded) data
// length. For streams built by the writer, data holds the encoded bytes and
// raw marks data that must not be encrypted.
type stream struct {
	hdr    dict
	offset int64
	length int64
	data   []byte
}

// clone returns a shallow copy of d that can be modified without touching d.
func (d dict) clone() dict {
	c := make(dict, len(d)+2)
	for k, v := range d {
		c[k] = v
	}
	return c
}

func (d dict) name(k name) name {
	n, _ := d[k].(name)
	return n
}

// The serialiser. Values are written in a compact but readable form; dict
// keys are sorted (with /Type first) so output is deterministic.

// hole types are written with fixed width and their offsets recorded.
type contentsHole struct{ size int } // hex string of size bytes, never encrypted
type byteRangeHole struct{}          // [0 a b c] padded to a fixed width

const byteRangeWidth = 3*12 + 6 // "[0 a b c]" with three numbers of up to 12 digits

// rawToken is written verbatim (used for pre-serialised values).
type rawToken []byte

type serializer struct {
	buf *bytes.Buffer
	// encrypt, when non-nil, encrypts strings and stream data of the object
	// being written.
	encrypt func([]byte) ([]byte, error)
	// positions of holes (offsets into buf)
	contentsAt  int
	contentsLen int
	byteRangeAt int
	err         error
}

func (s *serializer) write(o object) {
	b := s.buf
	switch v := o.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(formatReal(v))
	case name:
		writeName(b, v)
	case pdfString:
		data := []byte(v)
		if s.encrypt != nil {
			enc, err := s.encrypt(data)
			if err != nil && s.err == nil {
				s.err = err
			}
			data = enc
			writeHexString(b, data)
			return
		}
		writeString(b, data)
	case array:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			s.write(e)
		}
		b.WriteByte(']')
	case dict:
		b.WriteString("<<")
		for _, k := range sortedKeys(v) {
			writeName(b, k)
			b.WriteByte(' ')
			s.write(v[k])
		}
		b.WriteString(">>")
	case ref:
		fmt.Fprintf(b, "%d %d R", v.Num, v.Gen)
	case contentsHole:
		s.contentsAt = b.Len()
		b.WriteByte('<')
		b.Write(bytes.Repeat([]byte{'0'}, 2*v.size))
		b.WriteByte('>')
		s.contentsLen = b.Len() - s.contentsAt
	case byteRangeHole:
		s.byteRangeAt = b.Len()
		b.Write(bytes.Repeat([]byte{' '}, byteRangeWidth))
	case rawToken:
		b.Write(v)
	default:
		if s.err == nil {
			s.err = fmt.Errorf("pdf: internal error: cannot serialise %T", o)
		}
	}
}

func sortedKeys(d dict) []name {
	keys := make([]name, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i] == "Type" {
			return keys[j] != "Type"
		}
		if keys[j] == "Type" {
			return false
		}
		return keys[i] < keys[j]
	})
	return keys
}

func formatReal(f float64) string {
	s := strconv.FormatFloat(f, 'f', 4, 64)
	if bytes.IndexByte([]byte(s), '.') >= 0 {
		for len(s) > 1 && s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func isRegular(c byte) bool {
	return c > ' ' && c < 0x7f && !isDelim(c) && c != '#'
}

func writeName(b *bytes.Buffer, n name) {
	b.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if isRegular(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(b, "#%02X", c)
		}
	}
}

func writeHexString(b *bytes.Buffer, data []byte) {
	const hexdigits = "0123456789ABCDEF"
	b.WriteByte('<')
	for _, c := range data {
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	b.WriteByte('>')
}

// writeString writes data as a literal string when it is printable ASCII and
// as a hex string otherwise (UTF-16BE text strings, binary data).
func writeString(b *bytes.Buffer, data []byte) {
	for _, c := range data {
		if c < 0x20 || c > 0x7e {
			writeHexString(b, data)
			return
		}
	}
	b.WriteByte('(')
	for _, c := range data {
		if c == '(' || c == ')' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte(')')
}
