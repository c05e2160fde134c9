package xml

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Document.Bytes returns the source as UTF-8 (a Latin-1 document
// transcoded, its declaration as written), and a copy: changing it does
// not change the document.
func TestDocumentBytes(t *testing.T) {
	src := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a>Caf\xe9</a>")
	d, err := Parse(src)
	require.NoError(t, err)
	b := d.Bytes()
	assert.Equal(t, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a>Café</a>", string(b))
	b[0] = 'X'
	assert.Equal(t, byte('<'), d.Bytes()[0])

	utf8 := []byte(`<a b="c">ký số</a>`)
	d, err = Parse(utf8)
	require.NoError(t, err)
	assert.Equal(t, utf8, d.Bytes())
}
