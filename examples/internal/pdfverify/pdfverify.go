// Package pdfverify is a stop-gap PAdES verifier for the example programs,
// used until package verify ships its own PDF verifier.
//
// It finds each signature's /ByteRange in the file, checks the range shape
// (starts at 0, the gap holds exactly the hex /Contents string), hashes the
// covered bytes and hands the CMS SignedData to package verify, which
// decides trust, time and revocation. It does not walk the AcroForm tree nor
// analyse changes made after signing (the real verifier does); coverage is
// reported from the byte ranges alone.
package pdfverify

import (
	"bytes"
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/verify"
)

// Verifier verifies the PAdES signatures of a PDF. It implements
// verify.Verifier.
type Verifier struct {
	Validator *verify.Validator
}

// New returns a Verifier using v.
func New(v *verify.Validator) *Verifier { return &Verifier{Validator: v} }

// maxPDF bounds the documents read into memory.
const maxPDF = 512 << 20

// Verify implements verify.Verifier.
func (pv *Verifier) Verify(ctx context.Context, doc io.ReaderAt, size int64) (*verify.Report, error) {
	if size > maxPDF {
		return nil, fmt.Errorf("pdfverify: document of %d bytes exceeds %d", size, maxPDF)
	}
	data := make([]byte, size)
	if _, err := doc.ReadAt(data, 0); err != nil && !(errors.Is(err, io.EOF) && int64(len(data)) == size) {
		return nil, fmt.Errorf("pdfverify: reading document: %w", err)
	}
	if !verify.IsPDF(data) {
		return nil, fmt.Errorf("pdfverify: %w: not a PDF", verify.ErrUnknownFormat)
	}
	rep := pv.Validator.NewReport("PDF")
	ranges := findByteRanges(data)
	for i, br := range ranges {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pdfverify: %w", err)
		}
		id := fmt.Sprintf("signature %d", i+1)
		sigDER, content, err := split(data, br)
		if err != nil {
			rep.Signatures = append(rep.Signatures, pv.Validator.Validate(ctx, &verify.Evidence{Format: "PAdES", ID: id, FormatErr: err}))
			continue
		}
		sd, err := cms.Parse(sigDER)
		if err != nil {
			rep.Signatures = append(rep.Signatures, pv.Validator.Validate(ctx, &verify.Evidence{Format: "PAdES", ID: id, FormatErr: err}))
			continue
		}
		digests := map[crypto.Hash][]byte{}
		for _, si := range sd.SignerInfos {
			if si.Hash == 0 || !si.Hash.Available() {
				continue
			}
			if _, ok := digests[si.Hash]; !ok {
				h := si.Hash.New()
				for _, part := range content {
					h.Write(part)
				}
				digests[si.Hash] = h.Sum(nil)
			}
		}
		end := br[2] + br[3]
		cov := verify.Coverage{
			Description:   fmt.Sprintf("bytes 0–%d and %d–%d (revision %d of %d)", br[1]-1, br[2], end-1, i+1, len(ranges)),
			WholeDocument: end == int64(len(data)),
			References:    []string{fmt.Sprintf("[%d %d %d %d]", br[0], br[1], br[2], br[3])},
		}
		if !cov.WholeDocument {
			cov.AllowedChanges = []string{"later incremental updates (not analysed by this interim verifier)"}
		}
		for _, ev := range verify.CMSEvidence(sd, digests, "PAdES") {
			ev.ID = id
			ev.Coverage = cov
			rep.Signatures = append(rep.Signatures, pv.Validator.Validate(ctx, ev))
		}
	}
	return rep, nil
}

// findByteRanges returns every /ByteRange [a b c d] array in data, in file
// order (which is signing order for incremental updates).
func findByteRanges(data []byte) [][4]int64 {
	var out [][4]int64
	key := []byte("/ByteRange")
	for off := 0; ; {
		i := bytes.Index(data[off:], key)
		if i < 0 {
			return out
		}
		off += i + len(key)
		p := off
		for p < len(data) && isSpace(data[p]) {
			p++
		}
		if p >= len(data) || data[p] != '[' {
			continue
		}
		p++
		var br [4]int64
		ok := true
		for k := 0; k < 4 && ok; k++ {
			for p < len(data) && isSpace(data[p]) {
				p++
			}
			q := p
			for q < len(data) && data[q] >= '0' && data[q] <= '9' {
				q++
			}
			n, err := strconv.ParseInt(string(data[p:q]), 10, 64)
			ok = err == nil
			br[k], p = n, q
		}
		if ok {
			out = append(out, br)
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// split checks the byte range and returns the DER CMS and the covered parts.
func split(data []byte, br [4]int64) ([]byte, [][]byte, error) {
	n := int64(len(data))
	a, b, c, d := br[0], br[1], br[2], br[3]
	if a != 0 || b <= 0 || c <= b || d < 0 || c+d > n {
		return nil, nil, fmt.Errorf("ByteRange [%d %d %d %d] does not fit a %d-byte file", a, b, c, d, n)
	}
	gap := data[b:c]
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' {
		return nil, nil, fmt.Errorf("ByteRange gap %d–%d is not the hex /Contents string", b, c)
	}
	raw, err := hex.DecodeString(string(gap[1 : len(gap)-1]))
	if err != nil {
		return nil, nil, fmt.Errorf("/Contents is not hex: %w", err)
	}
	der, err := trimDER(raw)
	if err != nil {
		return nil, nil, err
	}
	return der, [][]byte{data[:b], data[c : c+d]}, nil
}

// trimDER cuts the zero padding after the DER SEQUENCE in /Contents.
func trimDER(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x30 {
		return nil, errors.New("/Contents does not hold a DER SEQUENCE")
	}
	l := int(b[1])
	hdr := 2
	if l == 0x80 {
		return b, nil // BER indefinite length: let the CMS parser handle it
	}
	if l > 0x80 {
		n := l & 0x7f
		if n > 4 || len(b) < 2+n {
			return nil, errors.New("/Contents has a bad DER length")
		}
		l = 0
		for _, x := range b[2 : 2+n] {
			l = l<<8 | int(x)
		}
		hdr += n
	}
	if hdr+l > len(b) {
		return nil, errors.New("/Contents DER runs past the string")
	}
	for _, x := range b[hdr+l:] {
		if x != 0 {
			return nil, errors.New("/Contents has non-zero bytes after the signature")
		}
	}
	return b[:hdr+l], nil
}
