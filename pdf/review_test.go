package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

// A new field must not take the name of an existing non-terminal field
// (two fields with one fully qualified name are one field to a reader).
func TestNewFieldNameAvoidsParentNames(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "form-hierarchy.pdf") // fields VanThu and CoQuan.PhoGiamDoc

	var buf bytes.Buffer
	err := Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), s, &Options{Field: "CoQuan"})
	require.ErrorIs(t, err, ErrFieldNotFound, "CoQuan is a parent field, not a signature field to fill or create")
	require.Zero(t, buf.Len())

	// An automatic name skips parent names too.
	require.Equal(t, "Signature2", uniqueFieldName(fieldNames([]field{{fullName: "Signature1.a"}, {fullName: "Other"}}), "Signature"))
}

// A state whose placeholder disagrees with its /ByteRange (edited or
// corrupted in storage, digest recomputed to match) is refused: Finish
// would otherwise write a signature over other bytes than the ones the
// document says are signed.
func TestTwoPhaseStateByteRangeMismatch(t *testing.T) {
	id := sharedPKI(t).MustIssue()
	in := corpus(t, "simple.pdf")
	p, err := Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, nil)
	require.NoError(t, err)
	state, err := p.MarshalBinary()
	require.NoError(t, err)

	tamper := func(edit func(st *preparedState)) []byte {
		var st preparedState
		require.NoError(t, json.Unmarshal(state, &st))
		edit(&st)
		h := sha256.New()
		h.Write(in)
		h.Write(st.Update[:st.ContentsAt])
		h.Write(st.Update[st.ContentsAt+st.ContentsLen:])
		st.DocDigest = h.Sum(nil)
		b, err := json.Marshal(st)
		require.NoError(t, err)
		return b
	}
	var q Prepared
	require.NoError(t, q.UnmarshalBinary(tamper(func(*preparedState) {})), "an untouched state (digest recomputed) is fine")

	// The /ByteRange numbers changed.
	bad := tamper(func(st *preparedState) {
		i := bytes.Index(st.Update, []byte("/ByteRange [0 "))
		require.Positive(t, i)
		j := i + len("/ByteRange [0 ")
		st.Update = bytes.Clone(st.Update)
		st.Update[j] = '1' + (st.Update[j]-'0')%8
	})
	require.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState)

	// The hole moved by one byte (still '<' … '>' at its ends).
	bad = tamper(func(st *preparedState) {
		st.Update = bytes.Clone(st.Update)
		at := st.ContentsAt
		copy(st.Update[at+1:], st.Update[at:at+st.ContentsLen])
		st.Update[at] = ' '
		st.ContentsAt++
	})
	require.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState)

	// The hole is not empty.
	bad = tamper(func(st *preparedState) {
		st.Update = bytes.Clone(st.Update)
		st.Update[st.ContentsAt+5] = 'A'
	})
	require.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState)
}

// panicSigner's key panics (as a buggy token driver or remote client may).
type panicSigner struct{ signer.Signer }

func (panicSigner) SignDigest(context.Context, []byte, crypto.SignerOpts) ([]byte, error) {
	panic("token driver crashed")
}

// A panic while the output is being written leaves no temporary file behind.
func TestSignFilePanicLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.pdf")
	require.NoError(t, os.WriteFile(src, corpus(t, "simple.pdf"), 0o644))
	dst := filepath.Join(dir, "out.pdf")
	require.Panics(t, func() {
		_ = SignFile(context.Background(), dst, src, panicSigner{testSigner(t)}, nil)
	})
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"in.pdf"}, names, "no output and no temporary file")
}
