package cades_test

import (
	"bytes"
	"context"
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/signer"
)

// A hash kyso does not sign with is a bad option that also matches the
// error the other formats use for it, signer.ErrUnsupportedAlgorithm.
func TestUnsupportedHash(t *testing.T) {
	f := newFixture(t)
	s := f.id.Signer()
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.MD5, crypto.SHA512_224} {
		p7s, err := cades.Sign(context.Background(), bytes.NewReader([]byte("nội dung")), s, &cades.Options{Hash: h})
		assert.Nil(t, p7s)
		assert.ErrorIs(t, err, cades.ErrBadOptions, "%v", h)
		assert.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm, "%v", h)
	}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA3_256} {
		_, err := cades.Sign(context.Background(), bytes.NewReader([]byte("nội dung")), s, &cades.Options{Hash: h})
		require.NoError(t, err, "%v", h)
	}
}

// A zero Prepared (never prepared nor unmarshalled) fails with ErrBadState,
// as in pdf and xml, instead of panicking.
func TestZeroPreparedFinish(t *testing.T) {
	var p cades.Prepared
	out, err := p.Finish(context.Background(), []byte("x"))
	assert.Nil(t, out)
	assert.ErrorIs(t, err, cades.ErrBadState)
}
