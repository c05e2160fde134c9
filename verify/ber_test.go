package verify

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// /Contents as NSS writes it (BER, indefinite lengths) and as DER: the
// element's end is found, zero padding after it is accepted, anything else
// after it is hidden data, and a truncated element is malformed.
func TestDERPrefixBER(t *testing.T) {
	// SEQUENCE(indef) { OID 1.2, [0](indef) { SEQUENCE(def) { INTEGER 1 } } }
	ber := []byte{0x30, 0x80, 0x06, 0x01, 0x2a, 0xa0, 0x80, 0x30, 0x03, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00}
	der := []byte{0x30, 0x0a, 0x06, 0x01, 0x2a, 0xa0, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01}
	for name, el := range map[string][]byte{"BER": ber, "DER": der} {
		got, err := derPrefix(append(append([]byte{}, el...), 0, 0, 0, 0, 0, 0))
		require.NoError(t, err, name)
		assert.Equal(t, el, got, name)

		_, err = derPrefix(append(append([]byte{}, el...), 0, 0, 'x', 0))
		assert.ErrorContains(t, err, "hidden data", name)

		_, err = derPrefix(el[:len(el)-3])
		assert.Error(t, err, name)
	}
	// Long-form lengths, a primitive element with an indefinite length,
	// and runaway nesting.
	long := append([]byte{0x30, 0x81, 0x03, 0x02, 0x01, 0x05}, 0, 0)
	got, err := derPrefix(long)
	require.NoError(t, err)
	assert.Len(t, got, 6)
	_, err = derPrefix([]byte{0x30, 0x80, 0x04, 0x80, 0x00, 0x00, 0x00, 0x00})
	assert.Error(t, err)
	deep := []byte{}
	for range 100 {
		deep = append(deep, 0x30, 0x80)
	}
	_, err = derPrefix(append(deep, make([]byte, 200)...))
	assert.Error(t, err)
}
