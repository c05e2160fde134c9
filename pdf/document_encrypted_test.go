package pdf

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Document.Encrypted tells an encrypted document (opened with the empty
// user password) from a plain one.
func TestDocumentEncrypted(t *testing.T) {
	for name, want := range map[string]bool{"aes128-objstm.pdf": true, "simple.pdf": false, "objstm.pdf": false} {
		in := corpus(t, name)
		d, err := Open(bytes.NewReader(in), int64(len(in)), nil)
		require.NoError(t, err, name)
		assert.Equal(t, want, d.Encrypted(), name)
	}
}
