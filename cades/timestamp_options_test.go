package cades_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/internal/cms"
)

// The time-stamp authority is Options.TimestampURL, as in pdf and xml. A
// TSA that cannot be reached fails with ErrTimestamp.
func TestTimestampURL(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	content, err := os.ReadFile(f.in)
	require.NoError(t, err)

	p7s, err := cades.Sign(ctx, bytes.NewReader(content), f.id.Signer(), f.opts(cades.LevelBT))
	require.NoError(t, err)
	sd, err := cms.Parse(p7s)
	require.NoError(t, err)
	require.Len(t, sd.SignerInfos, 1)
	assert.Len(t, sd.SignerInfos[0].Timestamps, 1)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String() + "/tsa"
	require.NoError(t, l.Close())
	_, err = cades.Sign(ctx, bytes.NewReader(content), f.id.Signer(), &cades.Options{TimestampURL: dead})
	assert.ErrorIs(t, err, cades.ErrTimestamp)
}

// Late settings are the Prepared fields HTTPClient and LTV, as in pdf and
// xml: UnmarshalBinary keeps those already set, and Finish uses them.
func TestPreparedFields(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	content, err := os.ReadFile(f.in)
	require.NoError(t, err)
	s := f.id.Signer()
	o := f.opts(cades.LevelBT)
	p, err := cades.Prepare(ctx, bytes.NewReader(content), s.Certificate(), s.Chain(), o)
	require.NoError(t, err)
	assert.Same(t, o.HTTPClient, p.HTTPClient, "Options.HTTPClient is the default")
	state, err := p.MarshalBinary()
	require.NoError(t, err)
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	require.NoError(t, err)

	client := f.pki.HTTPClient()
	q := cades.Prepared{HTTPClient: client, LTV: &cades.LTVOptions{Offline: true}}
	require.NoError(t, q.UnmarshalBinary(state))
	assert.Same(t, client, q.HTTPClient)
	require.NotNil(t, q.LTV)
	assert.True(t, q.LTV.Offline)
	p7s, err := q.Finish(ctx, sig)
	require.NoError(t, err)
	sd, err := cms.Parse(p7s)
	require.NoError(t, err)
	assert.Len(t, sd.SignerInfos[0].Timestamps, 1)
}

// The level names read as in pdf and xml: ETSI names, any case, the "B-"
// optional.
func TestParseLevel(t *testing.T) {
	for in, want := range map[string]cades.Level{"B-B": cades.LevelBB, "b-t": cades.LevelBT, "LT": cades.LevelBLT} {
		got, err := cades.ParseLevel(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := cades.ParseLevel("B-LTA")
	assert.ErrorIs(t, err, cades.ErrBadOptions)
}
