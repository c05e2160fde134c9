package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// maxDecoded bounds the decoded size of the streams this package decodes
// (xref streams and object streams), so a compression bomb cannot exhaust
// memory.
var maxDecoded int64 = 256 << 20

// decodeStream applies the stream's filters to data. Only the filters that
// real producers use for xref and object streams are supported: FlateDecode
// (with PNG/TIFF predictors) and ASCIIHexDecode.
func decodeStream(hdr dict, data []byte, resolve func(object) object) ([]byte, error) {
	filters := resolve(hdr["Filter"])
	params := resolve(hdr["DecodeParms"])
	var fl []object
	var pl []object
	switch f := filters.(type) {
	case nil:
		return data, nil
	case name:
		fl = []object{f}
		pl = []object{params}
	case array:
		fl = f
		if p, ok := params.(array); ok {
			pl = p
		}
	default:
		return nil, fmt.Errorf("%w: bad /Filter", ErrMalformed)
	}
	for i, f := range fl {
		var p dict
		if i < len(pl) {
			p, _ = resolve(pl[i]).(dict)
		}
		var err error
		switch resolve(f) {
		case name("FlateDecode"), name("Fl"):
			data, err = flateDecode(data)
			if err == nil {
				data, err = unpredict(data, p, resolve)
			}
		case name("ASCIIHexDecode"), name("AHx"):
			l := &lexer{buf: append(append([]byte{'<'}, data...), '>'), final: true}
			if j := bytes.IndexByte(data, '>'); j >= 0 {
				l.buf = append(append([]byte{'<'}, data[:j]...), '>')
			}
			data, err = l.hexString()
		default:
			return nil, fmt.Errorf("%w: stream filter %v", ErrUnsupported, f)
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

func flateDecode(data []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: flate stream: %v", ErrMalformed, err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
	if int64(len(out)) > maxDecoded {
		return nil, fmt.Errorf("%w: decoded stream larger than %d bytes", ErrUnsupported, maxDecoded)
	}
	if err != nil && len(out) == 0 {
		return nil, fmt.Errorf("%w: flate stream: %v", ErrMalformed, err)
	}
	// A truncated or unterminated deflate stream is common in the wild;
	// keep what was decoded.
	return out, nil
}

func unpredict(data []byte, p dict, resolve func(object) object) ([]byte, error) {
	if p == nil {
		return data, nil
	}
	pred, _ := resolve(p["Predictor"]).(int64)
	if pred <= 1 {
		return data, nil
	}
	colors, bpc, cols := int64(1), int64(8), int64(1)
	if v, ok := resolve(p["Colors"]).(int64); ok {
		colors = v
	}
	if v, ok := resolve(p["BitsPerComponent"]).(int64); ok {
		bpc = v
	}
	if v, ok := resolve(p["Columns"]).(int64); ok {
		cols = v
	}
	if colors < 1 || colors > 32 || bpc < 1 || bpc > 16 || cols < 1 || cols > 1<<20 {
		return nil, fmt.Errorf("%w: bad predictor parameters", ErrMalformed)
	}
	bpp := int((colors*bpc + 7) / 8)
	rowLen := int((colors*bpc*cols + 7) / 8)
	if pred == 2 {
		if bpc != 8 {
			return nil, fmt.Errorf("%w: TIFF predictor with %d bits", ErrUnsupported, bpc)
		}
		out := append([]byte(nil), data...)
		for r := 0; r+rowLen <= len(out); r += rowLen {
			for i := bpp; i < rowLen; i++ {
				out[r+i] += out[r+i-bpp]
			}
		}
		return out, nil
	}
	if pred < 10 {
		return nil, fmt.Errorf("%w: predictor %d", ErrUnsupported, pred)
	}
	out := make([]byte, 0, len(data)/(rowLen+1)*rowLen)
	prev := make([]byte, rowLen)
	for r := 0; r+1+rowLen <= len(data); r += rowLen + 1 {
		ft := data[r]
		row := append([]byte(nil), data[r+1:r+1+rowLen]...)
		for i := range row {
			var a, b, c byte
			if i >= bpp {
				a = row[i-bpp]
				c = prev[i-bpp]
			}
			b = prev[i]
			switch ft {
			case 0:
			case 1:
				row[i] += a
			case 2:
				row[i] += b
			case 3:
				row[i] += byte((int(a) + int(b)) / 2)
			case 4:
				row[i] += paeth(a, b, c)
			default:
				return nil, fmt.Errorf("%w: bad PNG filter type %d", ErrMalformed, ft)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
