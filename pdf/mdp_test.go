package pdf

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCertification(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "objstm.pdf")
	for _, p := range []int{1, 2, 3} {
		out := signBytes(t, in, s, &Options{Certify: p})
		checkTools(t, out, 1, "")
		d := openBytes(t, out)
		st, err := d.signatureState()
		require.NoError(t, err)
		require.Equal(t, p, st.docMDP)
		sigs := readSignatures(t, out, "")
		refs := sigs[0].dict["Reference"].(array)
		require.Len(t, refs, 1)
		require.Equal(t, name("DocMDP"), refs[0].(dict)["TransformMethod"])

		var buf bytes.Buffer
		err = Sign(context.Background(), &buf, bytes.NewReader(out), int64(len(out)), s, nil)
		if p == 1 {
			require.ErrorIs(t, err, ErrNotPermitted, "P=1 forbids any change")
			continue
		}
		require.NoError(t, err, "P=%d allows approval signatures", p)
		checkTools(t, buf.Bytes(), 2, "")
		// Certification only as the first signature.
		err = Sign(context.Background(), &bytes.Buffer{}, bytes.NewReader(buf.Bytes()), int64(buf.Len()), s, &Options{Certify: 2})
		require.ErrorIs(t, err, ErrNotPermitted)
	}
	err := Sign(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), s, &Options{Certify: 4})
	require.ErrorIs(t, err, ErrBadOptions)
	signed := corpus(t, "mutool-signed.pdf")
	err = Sign(context.Background(), &bytes.Buffer{}, bytes.NewReader(signed), int64(len(signed)), s, &Options{Certify: 2})
	require.ErrorIs(t, err, ErrNotPermitted)
}

func TestFieldLock(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "form-empty-field.pdf")
	out := signBytes(t, in, s, &Options{Field: "LanhDao", Lock: &FieldLock{Action: LockInclude, Fields: []string{"SoVanBan"}}})
	checkTools(t, out, 1, "")
	sigs := readSignatures(t, out, "")
	refs := sigs[0].dict["Reference"].(array)
	require.Len(t, refs, 1)
	ref0 := refs[0].(dict)
	require.Equal(t, name("FieldMDP"), ref0["TransformMethod"])
	tp := ref0["TransformParams"].(dict)
	require.Equal(t, name("Include"), tp["Action"])
	require.Equal(t, array{pdfString("SoVanBan")}, tp["Fields"])
	d := openBytes(t, out)
	fs, err := d.fields()
	require.NoError(t, err)
	for _, f := range fs {
		if f.fullName == "LanhDao" {
			lock := d.dictOf(f.dict["Lock"])
			require.NotNil(t, lock)
			require.Equal(t, name("SigFieldLock"), lock["Type"])
		}
	}
	// A new field that locks everything, on top.
	out2 := signBytes(t, out, s, &Options{Lock: &FieldLock{Action: LockAll}, Certify: 0})
	checkTools(t, out2, 2, "")
	sigs = readSignatures(t, out2, "")
	require.Equal(t, name("All"), sigs[1].dict["Reference"].(array)[0].(dict)["TransformParams"].(dict)["Action"])
}

// A certification level written as a real number (/P 1.0) is read alike
// by signing and by Document.DocMDP (which the verifier uses), as the
// stricter integer part: Document.DocMDP read it as the default level 2.
func TestCertificationLevelReal(t *testing.T) {
	out := signBytes(t, corpus(t, "objstm.pdf"), testSigner(t), &Options{Certify: 1})
	i := bytes.Index(out, []byte("/P 1/V /1.2"))
	require.GreaterOrEqual(t, i, 0, "the certification's TransformParams as kyso writes them")
	real := append([]byte(nil), out...)
	copy(real[i:], "/P 1./V/1.2") // the same length: offsets stay valid
	st, err := openBytes(t, real).signatureState()
	require.NoError(t, err)
	require.Equal(t, 1, st.docMDP)
	doc, err := Open(bytes.NewReader(real), int64(len(real)), nil)
	require.NoError(t, err)
	require.Equal(t, 1, doc.DocMDP())
}
