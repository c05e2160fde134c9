package pkcs11

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every name ParseKeyType lists reads, the SEC names included ("secp256r1"
// lost its "ec" to the family-prefix stripping and was refused).
func TestParseKeyTypeNames(t *testing.T) {
	for in, want := range map[string]KeyType{
		"secp256r1": ECP256, "SECP384R1": ECP384, "prime256v1": ECP256, "EC_P384": ECP384,
		"ecdsa-secp256r1": ECP256, "rsa-3072": RSA3072,
	} {
		got, err := ParseKeyType(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"ec", "p521", "secp521r1", "rsa1024"} {
		_, err := ParseKeyType(in)
		assert.ErrorIs(t, err, ErrBadKeyType, in)
	}
}
