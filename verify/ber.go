package verify

import "errors"

var errBERLength = errors.New("/Contents holds a malformed BER/DER element")

// berLen returns the length of the BER element at the start of b: its
// header and contents, following indefinite lengths (as NSS, and so
// poppler's pdfsig, writes them) down to their end-of-contents octets.
// Nesting is bounded.
func berLen(b []byte, depth int) (int, error) {
	if depth > 64 || len(b) < 2 {
		return 0, errBERLength
	}
	i := 1
	if b[0]&0x1f == 0x1f { // high tag number
		for ; i < len(b) && b[i]&0x80 != 0; i++ {
			if i > 4 {
				return 0, errBERLength
			}
		}
		i++
	}
	if i >= len(b) {
		return 0, errBERLength
	}
	l := int(b[i])
	i++
	switch {
	case l < 0x80:
	case l == 0x80: // indefinite: constructed only, ends with 00 00
		if b[0]&0x20 == 0 {
			return 0, errBERLength
		}
		for {
			if i+2 > len(b) {
				return 0, errBERLength
			}
			if b[i] == 0 && b[i+1] == 0 {
				return i + 2, nil
			}
			n, err := berLen(b[i:], depth+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
	default:
		n := l & 0x7f
		if n > 4 || i+n > len(b) {
			return 0, errBERLength
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l < 0 || l > len(b)-i {
		return 0, errBERLength
	}
	return i + l, nil
}
