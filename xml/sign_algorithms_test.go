package xml

import (
	"context"
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
)

// A hash kyso does not sign with is refused with the error the other
// formats use for it, signer.ErrUnsupportedAlgorithm (and this package's
// ErrUnsupportedAlgorithm), named without Go's type names.
func TestSignUnsupportedAlgorithm(t *testing.T) {
	p := newPKI(t)
	for _, id := range []*pkitest.Identity{p.MustIssue(), p.MustIssue(pkitest.RSAKey(2048))} {
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.MD5, crypto.SHA3_256} {
			o := Seller()
			o.Hash = h
			out, err := Sign(context.Background(), gen.Invoice(1, false), id.Signer(), o)
			assert.Nil(t, out)
			assert.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm, "%v", h)
			assert.ErrorIs(t, err, ErrUnsupportedAlgorithm, "%v", h)
			if err != nil {
				assert.NotContains(t, err.Error(), "PublicKey")
				assert.NotContains(t, err.Error(), "pss=")
			}
		}
	}
}

// The two-phase and one-call errors are the ones pdf and cades return: a
// nil signer is signer.ErrNoKey (not a panic), a signature value that is
// not one (garbage instead of an ECDSA signature) is
// signer.ErrBadSignature, a zero Prepared is ErrBadState.
func TestSignErrorsAsOtherFormats(t *testing.T) {
	p := newPKI(t)
	ctx := context.Background()
	_, err := Sign(ctx, gen.Invoice(1, false), nil, Seller())
	assert.ErrorIs(t, err, signer.ErrNoKey)

	for _, id := range []*pkitest.Identity{p.MustIssue(), p.MustIssue(pkitest.RSAKey(2048))} {
		prep, err := Prepare(ctx, gen.Invoice(1, false), id.Cert, id.Chain, Seller())
		if assert.NoError(t, err) {
			out, err := prep.Finish(ctx, []byte("not a signature"))
			assert.Nil(t, out)
			assert.ErrorIs(t, err, signer.ErrBadSignature)
		}
	}
	var zero Prepared
	_, err = zero.Finish(ctx, []byte("x"))
	assert.ErrorIs(t, err, ErrBadState)
}
