package pdf

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
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
