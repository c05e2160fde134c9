package signer

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"
)

// BER to DER re-encoding for PKCS#12 files.
//
// BouncyCastle (since 1.70) and EJBCA write PKCS#12 files in BER: indefinite
// lengths, and OCTET STRINGs split into constructed chunks. go-pkcs12 reads
// DER only (encoding/asn1). berToDER rewrites such a file's structure in DER
// without touching any value: chunked strings are joined, lengths made
// definite and minimal. The contents that PKCS#12 protects with its MAC are
// the octets of the authenticated safe, which change when re-encoded, so
// pkcs12FromBER checks the file's MAC on the original octets first and then
// seals the re-encoded file with a fresh MAC for go-pkcs12 to check again.

var errBER = errors.New("malformed BER")

const maxBERDepth = 48

type berElem struct {
	class       int
	constructed bool
	tag         int
	content     []byte     // primitive contents
	children    []*berElem // constructed contents
}

func (e *berElem) is(class, tag int) bool { return e.class == class && e.tag == tag }

// parseBER reads one element from data and returns it with the bytes after it.
func parseBER(data []byte, depth int) (*berElem, []byte, error) {
	if depth > maxBERDepth {
		return nil, nil, fmt.Errorf("%w: nested too deeply", errBER)
	}
	if len(data) < 2 {
		return nil, nil, fmt.Errorf("%w: truncated", errBER)
	}
	e := &berElem{class: int(data[0] >> 6), constructed: data[0]&0x20 != 0, tag: int(data[0] & 0x1f)}
	i := 1
	if e.tag == 0x1f {
		e.tag = 0
		for n := 0; ; n++ {
			if i >= len(data) || n == 4 {
				return nil, nil, fmt.Errorf("%w: bad tag", errBER)
			}
			b := data[i]
			i++
			e.tag = e.tag<<7 | int(b&0x7f)
			if b&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(data) {
		return nil, nil, fmt.Errorf("%w: truncated", errBER)
	}
	l0 := data[i]
	i++
	if l0 == 0x80 { // indefinite length
		if !e.constructed {
			return nil, nil, fmt.Errorf("%w: indefinite length on a primitive", errBER)
		}
		rest := data[i:]
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				return e, rest[2:], nil
			}
			child, r, err := parseBER(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			e.children = append(e.children, child)
			rest = r
		}
	}
	length := int(l0)
	if l0 > 0x80 {
		n := int(l0 & 0x7f)
		if n > 4 || i+n > len(data) {
			return nil, nil, fmt.Errorf("%w: bad length", errBER)
		}
		length = 0
		for _, b := range data[i : i+n] {
			length = length<<8 | int(b)
		}
		i += n
	}
	if length < 0 || length > len(data)-i {
		return nil, nil, fmt.Errorf("%w: truncated", errBER)
	}
	content, rest := data[i:i+length], data[i+length:]
	if !e.constructed {
		e.content = content
		return e, rest, nil
	}
	for len(content) > 0 {
		child, r, err := parseBER(content, depth+1)
		if err != nil {
			return nil, nil, err
		}
		e.children = append(e.children, child)
		content = r
	}
	return e, rest, nil
}

// berToDER re-encodes one BER element (all of data) as DER. With recurseData
// it also re-encodes the octets of id-data ContentInfos, which in PKCS#12
// hold the authenticated safe and the unencrypted SafeContents.
func berToDER(data []byte, recurseData bool) ([]byte, error) {
	e, rest, err := parseBER(data, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the element", errBER, len(rest))
	}
	var out bytes.Buffer
	if err := writeDER(&out, e, recurseData); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// oidDataContentDER is the DER contents of id-data, 1.2.840.113549.1.7.1.
var oidDataContentDER = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}

func writeDER(out *bytes.Buffer, e *berElem, recurseData bool) error {
	if !e.constructed {
		content := e.content
		if e.is(asn1.ClassUniversal, asn1.TagBoolean) && len(content) == 1 && content[0] != 0 {
			content = []byte{0xff}
		}
		writeHeader(out, e.class, false, e.tag, len(content))
		out.Write(content)
		return nil
	}
	if e.class == asn1.ClassUniversal && isStringTag(e.tag) {
		// A chunked string: DER wants it primitive.
		joined, err := joinChunks(e)
		if err != nil {
			return err
		}
		writeHeader(out, e.class, false, e.tag, len(joined))
		out.Write(joined)
		return nil
	}

	var body bytes.Buffer
	for i, c := range e.children {
		switch {
		case i == 2 && isEncryptedContentInfo(e):
			// encryptedContent [0] IMPLICIT OCTET STRING, chunked.
			joined, err := joinChunks(c)
			if err != nil {
				return err
			}
			writeHeader(&body, asn1.ClassContextSpecific, false, 0, len(joined))
			body.Write(joined)
		case i == 1 && recurseData && isDataContentInfo(e) && len(c.children) == 1 &&
			c.children[0].is(asn1.ClassUniversal, asn1.TagOctetString):
			// content [0] EXPLICIT OCTET STRING holding BER.
			octets, err := joinChunks(c.children[0])
			if err != nil {
				return err
			}
			if inner, err := berToDER(octets, true); err == nil {
				octets = inner
			}
			var str bytes.Buffer
			writeHeader(&str, asn1.ClassUniversal, false, asn1.TagOctetString, len(octets))
			str.Write(octets)
			writeHeader(&body, asn1.ClassContextSpecific, true, 0, str.Len())
			body.Write(str.Bytes())
		default:
			if err := writeDER(&body, c, recurseData); err != nil {
				return err
			}
		}
	}
	writeHeader(out, e.class, true, e.tag, body.Len())
	out.Write(body.Bytes())
	return nil
}

func isStringTag(tag int) bool {
	switch tag {
	case asn1.TagOctetString, asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagT61String,
		asn1.TagIA5String, asn1.TagBMPString, asn1.TagNumericString:
		return true
	}
	return false
}

// isEncryptedContentInfo: SEQUENCE { OID, AlgorithmIdentifier, [0] constructed }.
func isEncryptedContentInfo(e *berElem) bool {
	return e.is(asn1.ClassUniversal, asn1.TagSequence) && len(e.children) == 3 &&
		e.children[0].is(asn1.ClassUniversal, asn1.TagOID) &&
		e.children[1].is(asn1.ClassUniversal, asn1.TagSequence) &&
		e.children[2].is(asn1.ClassContextSpecific, 0) && e.children[2].constructed
}

// isDataContentInfo: SEQUENCE { id-data, [0] EXPLICIT ... }.
func isDataContentInfo(e *berElem) bool {
	return e.is(asn1.ClassUniversal, asn1.TagSequence) && len(e.children) == 2 &&
		e.children[0].is(asn1.ClassUniversal, asn1.TagOID) && !e.children[0].constructed &&
		bytes.Equal(e.children[0].content, oidDataContentDER) &&
		e.children[1].is(asn1.ClassContextSpecific, 0) && e.children[1].constructed
}

// joinChunks returns the value of a possibly chunked string element.
func joinChunks(e *berElem) ([]byte, error) {
	if !e.constructed {
		return e.content, nil
	}
	var out []byte
	for _, c := range e.children {
		if c.class != asn1.ClassUniversal || !isStringTag(c.tag) {
			return nil, fmt.Errorf("%w: chunk of a constructed string is not a string", errBER)
		}
		b, err := joinChunks(c)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func writeHeader(out *bytes.Buffer, class int, constructed bool, tag, length int) {
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
