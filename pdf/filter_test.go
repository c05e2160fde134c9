package pdf

import (
	"bytes"
	"compress/zlib"
	"testing"

	"github.com/stretchr/testify/require"
)

func zlibBytes(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestDecodeStream(t *testing.T) {
	id := func(o object) object { return o }
	// ASCIIHex then Flate, as an array of filters.
	raw := []byte("kyso xref data")
	hexed := []byte("")
	for _, c := range zlibBytes(raw) {
		hexed = append(hexed, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15], ' ')
	}
	hexed = append(hexed, '>')
	out, err := decodeStream(dict{"Filter": array{name("AHx"), name("Fl")}}, hexed, id)
	require.NoError(t, err)
	require.Equal(t, raw, out)

	// PNG Up predictor rows (xref streams) and the TIFF predictor.
	rows := []byte{2, 1, 2, 3, 2, 1, 1, 1}
	out, err = decodeStream(dict{"Filter": name("FlateDecode"), "DecodeParms": dict{"Predictor": int64(12), "Columns": int64(3)}}, zlibBytes(rows), id)
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3, 2, 3, 4}, out)
	out, err = decodeStream(dict{"Filter": name("FlateDecode"), "DecodeParms": dict{"Predictor": int64(2), "Columns": int64(3)}}, zlibBytes([]byte{1, 1, 1}), id)
	require.NoError(t, err)
	require.Equal(t, []byte{1, 2, 3}, out)

	// Unknown filters and bad parameters are typed errors.
	_, err = decodeStream(dict{"Filter": name("JBIG2Decode")}, raw, id)
	require.ErrorIs(t, err, ErrUnsupported)
	_, err = decodeStream(dict{"Filter": name("FlateDecode")}, []byte("not zlib"), id)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = decodeStream(dict{"Filter": name("FlateDecode"), "DecodeParms": dict{"Predictor": int64(12), "Columns": int64(-1)}}, zlibBytes(rows), id)
	require.ErrorIs(t, err, ErrMalformed)

	// A compression bomb stops at the limit.
	defer func(m int64) { maxDecoded = m }(maxDecoded)
	maxDecoded = 1 << 20
	bomb := zlibBytes(make([]byte, maxDecoded+1024))
	_, err = decodeStream(dict{"Filter": name("FlateDecode")}, bomb, id)
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestTextStrings(t *testing.T) {
	require.Equal(t, pdfString("Ha Noi"), encodeTextString("Ha Noi"))
	for _, s := range []string{"Hà Nội", "Nguyễn Văn Ĩ (ĩ = U+0129)", "Đ\\(", "签名"} {
		require.Equal(t, s, decodeTextString(encodeTextString(s)))
	}
	require.Equal(t, "€•", decodeTextString([]byte{0xa0, 0x80}), "PDFDocEncoding")
	// Literal strings with parentheses and backslashes round-trip.
	var b bytes.Buffer
	writeString(&b, []byte(`a(b)c\d`))
	l := &lexer{buf: b.Bytes(), final: true}
	o, err := l.parseObject(0, nil)
	require.NoError(t, err)
	require.Equal(t, pdfString(`a(b)c\d`), o)
}
