package cms

import (
	"errors"
)

// Some producers (streaming CMS encoders, some Windows and Java signing
// plug-ins) emit BER: indefinite lengths and constructed OCTET STRINGs.
// Parse first insists on DER; when that fails it converts BER to DER with
// berToDER and parses the result, flagging SignedData.BER. The signature
// over signed attributes is always checked against their DER encoding, as
// RFC 5652 §5.4 defines it.

// maxBERDepth bounds the nesting berToDER follows.
const maxBERDepth = 64

var errBER = errors.New("invalid BER")

// berToDER re-encodes one BER element (and nothing after it) as DER lengths:
// indefinite and non-minimal lengths become minimal definite ones, and
// constructed universal OCTET STRINGs become primitive ones.
func berToDER(b []byte) ([]byte, error) {
	out, rest, err := berElement(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errBER
	}
	return out, nil
}

// berElement converts the element at the start of b and returns it and the
// bytes after it.
func berElement(b []byte, depth int) (out, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, errBER
	}
	tag, b, err := berTag(b)
	if err != nil {
		return nil, nil, err
	}
	if len(b) == 0 {
		return nil, nil, errBER
	}
	constructed := tag[0]&0x20 != 0
	var content []byte
	if b[0] == 0x80 { // indefinite
		if !constructed {
			return nil, nil, errBER
		}
		b = b[1:]
		for {
			if len(b) >= 2 && b[0] == 0 && b[1] == 0 {
				b = b[2:]
				break
			}
			if len(b) == 0 {
				return nil, nil, errBER
			}
			var child []byte
			child, b, err = berElement(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			content = append(content, child...)
		}
		rest = b
	} else {
		n, b2, err := berLength(b)
		if err != nil {
			return nil, nil, err
		}
		if n > len(b2) {
			return nil, nil, errBER
		}
		body := b2[:n]
		rest = b2[n:]
		if constructed {
			for len(body) > 0 {
				var child []byte
				child, body, err = berElement(body, depth+1)
				if err != nil {
					return nil, nil, err
				}
				content = append(content, child...)
			}
		} else {
			content = body
		}
	}
	if len(tag) == 1 && tag[0] == 0x24 { // constructed OCTET STRING
		flat, err := flattenOctets(content)
		if err != nil {
			return nil, nil, err
		}
		return encodeTLV(0x04, flat), rest, nil
	}
	return append(encodeLength(tag, len(content)), content...), rest, nil
}

// flattenOctets concatenates the contents of the DER OCTET STRINGs in b.
func flattenOctets(b []byte) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		if b[0] != 0x04 {
			return nil, errBER
		}
		n, b2, err := berLength(b[1:])
		if err != nil || n > len(b2) {
			return nil, errBER
		}
		out = append(out, b2[:n]...)
		b = b2[n:]
	}
	return out, nil
}

// berTag splits off the identifier octets.
func berTag(b []byte) (tag, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errBER
	}
	i := 1
	if b[0]&0x1f == 0x1f {
		for {
			if i >= len(b) || i > 5 {
				return nil, nil, errBER
			}
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	return b[:i], b[i:], nil
}

// berLength decodes a definite length.
func berLength(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errBER
	}
	if b[0] < 0x80 {
		return int(b[0]), b[1:], nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 4 || len(b) < 1+k {
		return 0, nil, errBER
	}
	n := 0
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	if n > MaxInputSize {
		return 0, nil, errBER
	}
	return n, b[1+k:], nil
}

// encodeLength returns tag followed by the minimal DER length n.
func encodeLength(tag []byte, n int) []byte {
	out := append([]byte(nil), tag...)
	if n < 0x80 {
		return append(out, byte(n))
	}
	var lb []byte
	for l := n; l > 0; l >>= 8 {
		lb = append([]byte{byte(l)}, lb...)
	}
	out = append(out, 0x80|byte(len(lb)))
	return append(out, lb...)
}
