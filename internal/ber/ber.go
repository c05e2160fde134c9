// Package ber reads ASN.1 BER (ITU-T X.690 §8) the way kyso's producers
// write it — indefinite lengths, constructed (chunked) strings — and
// re-encodes it as DER lengths. It is the one BER reader of kyso: CMS
// parsing (internal/cms), BER PKCS#12 files (signer), the extent of a
// signature in a PDF /Contents string (pdf, verify).
//
// Every entry point bounds nesting and refuses lengths that run past the
// input; no value is interpreted.
package ber

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error of this package.
var ErrMalformed = errors.New("malformed BER")

// MaxDepth is the default bound on nesting for Len and ToDER.
const MaxDepth = 64

// Element is one parsed BER element.
type Element struct {
	Class       int
	Constructed bool
	Tag         int
	Content     []byte     // primitive contents
	Children    []*Element // constructed contents
}

// Is reports whether e has the given class and tag number.
func (e *Element) Is(class, tag int) bool { return e.Class == class && e.Tag == tag }

// header is an element's identifier and length octets.
type header struct {
	class       int
	constructed bool
	tag         int
	size        int // identifier and length octets
	length      int // content length; -1 when indefinite
}

// readHeader reads the identifier and length octets at the start of data.
// A definite length must fit in what follows.
func readHeader(data []byte) (header, error) {
	if len(data) < 2 {
		return header{}, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	h := header{class: int(data[0] >> 6), constructed: data[0]&0x20 != 0, tag: int(data[0] & 0x1f)}
	i := 1
	if h.tag == 0x1f {
		h.tag = 0
		for n := 0; ; n++ {
			if i >= len(data) || n == 4 {
				return header{}, fmt.Errorf("%w: bad tag", ErrMalformed)
			}
			b := data[i]
			i++
			h.tag = h.tag<<7 | int(b&0x7f)
			if b&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(data) {
		return header{}, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	l0 := data[i]
	i++
	if l0 == 0x80 {
		if !h.constructed {
			return header{}, fmt.Errorf("%w: indefinite length on a primitive", ErrMalformed)
		}
		h.size, h.length = i, -1
		return h, nil
	}
	length := int(l0)
	if l0 > 0x80 {
		n := int(l0 & 0x7f)
		if n > 4 || i+n > len(data) {
			return header{}, fmt.Errorf("%w: bad length", ErrMalformed)
		}
		length = 0
		for _, b := range data[i : i+n] {
			length = length<<8 | int(b)
		}
		i += n
	}
	if length < 0 || length > len(data)-i {
		return header{}, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	h.size, h.length = i, length
	return h, nil
}

// Parse reads one element from data, nested at most maxDepth deep, and
// returns it with the bytes after it.
func Parse(data []byte, maxDepth int) (*Element, []byte, error) {
	return parse(data, 0, maxDepth)
}

func parse(data []byte, depth, maxDepth int) (*Element, []byte, error) {
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("%w: nested too deeply", ErrMalformed)
	}
	h, err := readHeader(data)
	if err != nil {
		return nil, nil, err
	}
	e := &Element{Class: h.class, Constructed: h.constructed, Tag: h.tag}
	if h.length < 0 { // indefinite: children up to the end-of-contents octets
		rest := data[h.size:]
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				return e, rest[2:], nil
			}
			child, r, err := parse(rest, depth+1, maxDepth)
			if err != nil {
				return nil, nil, err
			}
			e.Children = append(e.Children, child)
			rest = r
		}
	}
	content, rest := data[h.size:h.size+h.length], data[h.size+h.length:]
	if !e.Constructed {
		e.Content = content
		return e, rest, nil
	}
	for len(content) > 0 {
		child, r, err := parse(content, depth+1, maxDepth)
		if err != nil {
			return nil, nil, err
		}
		e.Children = append(e.Children, child)
		content = r
	}
	return e, rest, nil
}

// Len returns the length of the element at the start of b — identifier,
// length and contents octets — following indefinite lengths (as NSS, and
// so poppler's pdfsig, writes them) down to their end-of-contents octets.
// It does not build the element; nesting is bounded by MaxDepth.
func Len(b []byte) (int, error) { return elemLen(b, 0) }

func elemLen(b []byte, depth int) (int, error) {
	if depth > MaxDepth {
		return 0, fmt.Errorf("%w: nested too deeply", ErrMalformed)
	}
	h, err := readHeader(b)
	if err != nil {
		return 0, err
	}
	if h.length >= 0 {
		return h.size + h.length, nil
	}
	i := h.size
	for {
		if i+2 > len(b) {
			return 0, fmt.Errorf("%w: no end-of-contents octets", ErrMalformed)
		}
		if b[i] == 0 && b[i+1] == 0 {
			return i + 2, nil
		}
		n, err := elemLen(b[i:], depth+1)
		if err != nil {
			return 0, err
		}
		i += n
	}
}

// StringTag reports whether a universal tag is a string type that BER may
// chunk into a constructed encoding.
func StringTag(tag int) bool {
	switch tag {
	case asn1.TagOctetString, asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagT61String,
		asn1.TagIA5String, asn1.TagBMPString, asn1.TagNumericString:
		return true
	}
	return false
}

// Join returns the value of a possibly chunked string element: its
// contents when primitive, or its chunks' values concatenated; a chunk
// accepted only when chunk(class, tag) says so.
func (e *Element) Join(chunk func(class, tag int) bool) ([]byte, error) {
	if !e.Constructed {
		return e.Content, nil
	}
	var out []byte
	for _, c := range e.Children {
		if !chunk(c.Class, c.Tag) {
			return nil, fmt.Errorf("%w: chunk of a constructed string is not a string", ErrMalformed)
		}
		b, err := c.Join(chunk)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// ToDER re-encodes one BER element (all of b) with DER lengths: indefinite
// and non-minimal lengths become minimal definite ones, and constructed
// universal OCTET STRINGs become primitive ones. Other values, primitive
// or constructed, are kept as they are.
func ToDER(b []byte) ([]byte, error) {
	e, rest, err := Parse(b, MaxDepth)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the element", ErrMalformed, len(rest))
	}
	var out bytes.Buffer
	if err := writeLengthsDER(&out, e); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func isOctetString(class, tag int) bool {
	return class == asn1.ClassUniversal && tag == asn1.TagOctetString
}

func writeLengthsDER(out *bytes.Buffer, e *Element) error {
	if !e.Constructed {
		WriteHeader(out, e.Class, false, e.Tag, len(e.Content))
		out.Write(e.Content)
		return nil
	}
	if isOctetString(e.Class, e.Tag) {
		flat, err := e.Join(isOctetString)
		if err != nil {
			return err
		}
		WriteHeader(out, e.Class, false, e.Tag, len(flat))
		out.Write(flat)
		return nil
	}
	var body bytes.Buffer
	for _, c := range e.Children {
		if err := writeLengthsDER(&body, c); err != nil {
			return err
		}
	}
	WriteHeader(out, e.Class, true, e.Tag, body.Len())
	out.Write(body.Bytes())
	return nil
}

// WriteHeader writes DER identifier and length octets.
func WriteHeader(out *bytes.Buffer, class int, constructed bool, tag, length int) {
	b0 := byte(class << 6)
	if constructed {
		b0 |= 0x20
	}
	if tag < 0x1f {
		out.WriteByte(b0 | byte(tag))
	} else {
		out.WriteByte(b0 | 0x1f)
		var t []byte
		for v := tag; ; v >>= 7 {
			t = append([]byte{byte(v & 0x7f)}, t...)
			if v < 0x80 {
				break
			}
		}
		for i := 0; i < len(t)-1; i++ {
			t[i] |= 0x80
		}
		out.Write(t)
	}
	switch {
	case length < 0x80:
		out.WriteByte(byte(length))
	case length < 1<<8:
		out.Write([]byte{0x81, byte(length)})
	case length < 1<<16:
		out.Write([]byte{0x82, byte(length >> 8), byte(length)})
	case length < 1<<24:
		out.Write([]byte{0x83, byte(length >> 16), byte(length >> 8), byte(length)})
	default:
		out.Write([]byte{0x84, byte(length >> 24), byte(length >> 16), byte(length >> 8), byte(length)})
	}
}
