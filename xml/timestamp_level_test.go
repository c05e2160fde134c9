package xml

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
)

// A TimestampURL is never ignored: with LevelBB it makes B-T, as
// pdf.Options and cades.Options do with their B-B; plain XML-DSig
// (LevelNone) cannot carry a time-stamp, so a TimestampURL there is
// ErrBadOptions. (Both signed without a time-stamp and without a word.)
func TestTimestampURLNotIgnored(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	ctx := context.Background()

	opts := Seller()
	opts.Level, opts.TimestampURL, opts.HTTPClient = LevelBB, p.TSAURL(), p.HTTPClient()
	out, err := Sign(ctx, gen.Invoice(1, false), id.Signer(), opts)
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	require.NotNil(t, s.XAdES)
	require.Len(t, s.XAdES.Timestamps, 1, "B-B with a TimestampURL is B-T")
	assert.NoError(t, s.XAdES.Timestamps[0].Err)
	assert.Equal(t, LevelBB, opts.Level, "the caller's options are not changed")

	opts = Seller()
	opts.Level, opts.TimestampURL = LevelNone, p.TSAURL()
	out, err = Sign(ctx, gen.Invoice(1, false), id.Signer(), opts)
	assert.ErrorIs(t, err, ErrBadOptions)
	assert.Nil(t, out)
	_, err = Prepare(ctx, gen.Invoice(1, false), id.Cert, nil, &SignOptions{TimestampURL: p.TSAURL()})
	assert.ErrorIs(t, err, ErrBadOptions)
}
