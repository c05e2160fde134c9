package ber

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"testing"
)

// SEQUENCE(indefinite) { OID 1.2, [0](indefinite) { OCTET STRING(chunked,
// indefinite) { "ab", "c" } } } and its DER form.
var (
	berSample = []byte{0x30, 0x80, 0x06, 0x01, 0x2a, 0xa0, 0x80,
		0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x04, 0x01, 'c', 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00}
	derSample = []byte{0x30, 0x0a, 0x06, 0x01, 0x2a, 0xa0, 0x05, 0x04, 0x03, 'a', 'b', 'c'}
)

func TestToDER(t *testing.T) {
	got, err := ToDER(berSample)
	if err != nil || !bytes.Equal(got, derSample) {
		t.Fatalf("ToDER = % x, %v; want % x", got, err, derSample)
	}
	again, err := ToDER(derSample)
	if err != nil || !bytes.Equal(again, derSample) {
		t.Fatalf("ToDER(DER) = % x, %v; want it unchanged", again, err)
	}
	var v struct {
		OID asn1.ObjectIdentifier
		Raw asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(got, &v); err != nil {
		t.Fatalf("encoding/asn1 refuses the DER: %v", err)
	}
	if _, err := ToDER(append(append([]byte{}, berSample...), 0)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte: err = %v, want ErrMalformed", err)
	}
}

func TestLen(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		want int
	}{
		"indefinite": {append(append([]byte{}, berSample...), 0, 0, 0), len(berSample)},
		"definite":   {append(append([]byte{}, derSample...), 0, 0), len(derSample)},
		"long form":  {[]byte{0x30, 0x81, 0x03, 0x02, 0x01, 0x05, 0x00}, 6},
	} {
		if n, err := Len(tc.in); err != nil || n != tc.want {
			t.Errorf("%s: Len = %d, %v; want %d", name, n, err, tc.want)
		}
	}
	for name, in := range map[string][]byte{
		"truncated":             derSample[:len(derSample)-1],
		"no end-of-contents":    berSample[:len(berSample)-2],
		"indefinite primitive":  {0x04, 0x80, 0x00, 0x00},
		"five length octets":    {0x30, 0x85, 0, 0, 0, 0, 1, 0},
		"runaway nesting":       append(bytes.Repeat([]byte{0x30, 0x80}, 100), make([]byte, 200)...),
		"high tag number > 4 B": {0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00},
	} {
		if _, err := Len(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
		if _, err := ToDER(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ToDER err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestParseDepthBound(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x30, 0x80}, 10), make([]byte, 20)...)
	if _, _, err := Parse(deep, 8); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ten levels under a bound of 8: err = %v", err)
	}
	if _, rest, err := Parse(deep, 9); err != nil || len(rest) != 0 {
		t.Fatalf("ten levels under a bound of 9: rest %d, err %v", len(rest), err)
	}
}

func TestWriteHeaderHighTag(t *testing.T) {
	var b bytes.Buffer
	WriteHeader(&b, asn1.ClassContextSpecific, true, 200, 300)
	want := []byte{0xbf, 0x81, 0x48, 0x82, 0x01, 0x2c}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("header = % x, want % x", b.Bytes(), want)
	}
	e, _, err := Parse(append(b.Bytes(), make([]byte, 300)...), MaxDepth)
	if err != nil || e.Class != asn1.ClassContextSpecific || e.Tag != 200 || !e.Constructed {
		t.Fatalf("Parse back = %+v, %v", e, err)
	}
}

// FuzzBER: no panic; Len agrees with Parse on the extent of what Parse
// reads; ToDER
// output is DER that ToDER keeps as it is.
func FuzzBER(f *testing.F) {
	f.Add(berSample)
	f.Add(derSample)
	f.Add([]byte{0x30, 0x81, 0x03, 0x02, 0x01, 0x05})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, lerr := Len(b)
		if _, rest, perr := Parse(b, MaxDepth); perr == nil {
			// Len measures without reading definite-length contents, so
			// it may accept what Parse refuses, never the reverse.
			if lerr != nil || n != len(b)-len(rest) {
				t.Fatalf("Len %d (%v), Parse consumed %d", n, lerr, len(b)-len(rest))
			}
		}
		der, err := ToDER(b)
		if err != nil {
			return
		}
		again, err := ToDER(der)
		if err != nil || !bytes.Equal(again, der) {
			t.Fatalf("ToDER not idempotent: % x -> % x (%v)", der, again, err)
		}
	})
}
