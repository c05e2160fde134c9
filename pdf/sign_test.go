package pdf

import (
	"bytes"
	"context"

	"github.com/stretchr/testify/require"
	"testing"
)

var corpusFiles = []struct {
	name     string
	password string
	prior    int // signatures already in the file
}{
	{"simple.pdf", "", 0},
	{"objstm.pdf", "", 0},
	{"linearized.pdf", "", 0},
	{"rotated.pdf", "", 0},
	{"hybrid.pdf", "", 0},
	{"form-empty-field.pdf", "", 0},
	{"mutool-signed.pdf", "", 1},
	{"rc4-40.pdf", "", 0},
	{"rc4-128.pdf", "", 0},
	{"aes128.pdf", "", 0},
	{"aes128-objstm.pdf", "", 0},
	{"aes256.pdf", "", 0},
	{"aes256-userpw.pdf", "nguoidung", 0},
}

func TestSignCorpus(t *testing.T) {
	s := testSigner(t)
	for _, c := range corpusFiles {
		t.Run(c.name, func(t *testing.T) {
			in := corpus(t, c.name)
			out := signBytes(t, in, s, &Options{Password: c.password, Reason: "Phê duyệt văn bản", Location: "Hà Nội"})
			checkTools(t, out, c.prior+1, c.password)
		})
	}
}

func TestSignExistingField(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "form-empty-field.pdf")
	out := signBytes(t, in, s, &Options{Field: "LanhDao"})
	checkTools(t, out, 1, "")
	d := openBytes(t, out)
	fs, err := d.fields()
	require.NoError(t, err)
	require.Len(t, fs, 2, "no field added or dropped")
	for _, f := range fs {
		if f.fullName == "LanhDao" {
			require.NotNil(t, d.resolve(f.dict["V"]))
		}
		if f.fullName == "SoVanBan" {
			require.Equal(t, pdfString("123/QD-UBND"), d.resolve(f.dict["V"]))
		}
	}
	_, cat, err := d.catalog()
	require.NoError(t, err)
	af := d.dictOf(cat["AcroForm"])
	require.Equal(t, int64(3), af["SigFlags"])
	require.NotNil(t, af["DR"], "/DR kept")
	require.Equal(t, pdfString("/Helv 0 Tf 0 g"), af["DA"], "/DA kept")

	// The field is now signed: signing it again is refused.
	var buf bytes.Buffer
	err = Sign(context.Background(), &buf, bytes.NewReader(out), int64(len(out)), s, &Options{Field: "LanhDao"})
	require.ErrorIs(t, err, ErrFieldSigned)
	require.Zero(t, buf.Len())
	err = Sign(context.Background(), &buf, bytes.NewReader(out), int64(len(out)), s, &Options{Field: "SoVanBan"})
	require.ErrorIs(t, err, ErrFieldNotFound)
}

func openBytes(t testing.TB, b []byte) *document {
	t.Helper()
	d, err := open(bytes.NewReader(b), int64(len(b)), nil)
	require.NoError(t, err)
	return d
}
