package simpki

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidMSISDN: the phone number is not a Vietnamese mobile number.
var ErrInvalidMSISDN = errors.New("simpki: not a valid Vietnamese mobile number")

// NormalizeMSISDN returns a Vietnamese mobile number in the international
// form MSSPs expect, 84 followed by the nine-digit subscriber number:
// "0912 345 678", "+84 912-345-678", "(+84)912.345.678" and "84912345678"
// all give "84912345678".
//
// Since the 2018 renumbering, Vietnamese mobile subscriber numbers are nine
// digits starting with 3, 5, 7, 8 or 9; anything else (landlines, the old
// eleven-digit 01xx numbers, foreign numbers, letters) fails with
// ErrInvalidMSISDN.
func NormalizeMSISDN(s string) (string, error) {
	in := s
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && (i == 0 || strings.TrimLeft(s[:i], "( ") == ""):
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("%w: %q has the character %q", ErrInvalidMSISDN, in, r)
		}
	}
	d := b.String()
	var sub string
	switch {
	case strings.HasPrefix(d, "+84"):
		sub = d[3:]
	case strings.HasPrefix(d, "+"):
		return "", fmt.Errorf("%w: %q is not a +84 number", ErrInvalidMSISDN, in)
	case strings.HasPrefix(d, "0084"):
		sub = d[4:]
	case strings.HasPrefix(d, "84") && len(d) == 11:
		sub = d[2:]
	case strings.HasPrefix(d, "0") && len(d) == 10:
		sub = d[1:]
	default:
		return "", fmt.Errorf("%w: %q", ErrInvalidMSISDN, in)
	}
	if len(sub) != 9 {
		return "", fmt.Errorf("%w: %q does not have a nine-digit subscriber number", ErrInvalidMSISDN, in)
	}
	switch sub[0] {
	case '3', '5', '7', '8', '9':
	default:
		return "", fmt.Errorf("%w: %q is not a mobile number (prefix 0%c)", ErrInvalidMSISDN, in, sub[0])
	}
	return "84" + sub, nil
}
