package pdf

import (
	"bytes"
	"crypto"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
)

// sigInfo is a signature read back from an output, for tests.
type sigInfo struct {
	field     string
	dict      dict
	byteRange [4]int64
	cms       *cms.SignedData
}

// readSignatures returns the signed fields of data, checking each CMS
// against its byte ranges (a minimal verifier; package verify does the real
// job).
func readSignatures(t testing.TB, data []byte, password string) []sigInfo {
	t.Helper()
	d, err := open(bytes.NewReader(data), int64(len(data)), []byte(password))
	require.NoError(t, err)
	fs, err := d.fields()
	require.NoError(t, err)
	var out []sigInfo
	for _, f := range fs {
		if f.ft != "Sig" {
			continue
		}
		sd := d.dictOf(f.dict["V"])
		if sd == nil {
			continue
		}
		br, _ := d.resolve(sd["ByteRange"]).(array)
		require.Len(t, br, 4)
		var r [4]int64
		for i := range r {
			r[i] = br[i].(int64)
		}
		require.Zero(t, r[0])
		contents, _ := sd["Contents"].(pdfString)
		require.NotEmpty(t, contents)
		// The hole is exactly the hex string.
		require.Equal(t, byte('<'), data[r[1]])
		require.Equal(t, byte('>'), data[r[2]-1])
		parsed, err := cms.Parse(trimDER(contents))
		require.NoError(t, err)
		require.Len(t, parsed.SignerInfos, 1)
		h := parsed.SignerInfos[0].Hash
		if h == 0 {
			h = crypto.SHA256
		}
		sum := h.New()
		sum.Write(data[r[0]:r[1]])
		sum.Write(data[r[2] : r[2]+r[3]])
		require.NoError(t, parsed.Verify(sum.Sum(nil)), "signature in field %s", f.fullName)
		out = append(out, sigInfo{field: f.fullName, dict: sd, byteRange: r, cms: parsed})
	}
	return out
}

// trimDER cuts the zero padding after a DER SEQUENCE.
func trimDER(b []byte) []byte {
	if len(b) < 2 || b[0] != 0x30 {
		return b
	}
	n := int(b[1])
	hdr := 2
	if n&0x80 != 0 {
		k := n & 0x7f
		n = 0
		for i := 0; i < k && 2+i < len(b); i++ {
			n = n<<8 | int(b[2+i])
		}
		hdr += k
	}
	if hdr+n <= len(b) {
		return b[:hdr+n]
	}
	return b
}
