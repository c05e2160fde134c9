package xml

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
)

// The time-stamp authority is SignOptions.TimestampURL with HTTPClient,
// as in pdf and cades. A TSA that cannot be reached fails with
// ErrTimestamp and no document.
func TestTimestampURL(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	ctx := context.Background()

	opts := Seller()
	opts.Level, opts.TimestampURL, opts.HTTPClient = LevelBT, p.TSAURL(), p.HTTPClient()
	out, err := Sign(ctx, gen.Invoice(1, false), id.Signer(), opts)
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	require.Len(t, s.XAdES.Timestamps, 1)
	assert.NoError(t, s.XAdES.Timestamps[0].Err)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String() + "/tsa"
	require.NoError(t, l.Close())
	opts = Seller()
	opts.Level, opts.TimestampURL = LevelBT, dead
	out, err = Sign(ctx, gen.Invoice(1, false), id.Signer(), opts)
	assert.ErrorIs(t, err, ErrTimestamp)
	assert.Nil(t, out)
}

// Late settings are the Prepared fields HTTPClient and LTV, as in pdf and
// cades; UnmarshalBinary keeps those already set, and the B-LT requests use
// HTTPClient when LTV names no client of its own.
func TestPreparedFields(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	ctx := context.Background()
	opts := Seller()
	opts.Level, opts.TimestampURL = LevelBLT, p.TSAURL()
	prep, err := Prepare(ctx, gen.Invoice(1, false), id.Cert, id.Chain, opts)
	require.NoError(t, err)
	state, err := prep.MarshalBinary()
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(ctx, prep.Digest(), prep.SignerOpts())
	require.NoError(t, err)

	var requests atomic.Int32
	base := p.HTTPClient()
	client := &http.Client{Timeout: base.Timeout, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		return base.Transport.RoundTrip(r)
	})}
	later := Prepared{HTTPClient: client, LTV: &LTVOptions{}}
	require.NoError(t, later.UnmarshalBinary(state))
	assert.Same(t, client, later.HTTPClient)
	require.NotNil(t, later.LTV)
	out, err := later.Finish(ctx, sig)
	require.NoError(t, err)
	mustVerifyOne(t, out, "NBan", nil)
	_, ocsps, _ := ltvValues(t, out)
	assert.Len(t, ocsps, 3, "signer, TSA and issuing CA")
	assert.GreaterOrEqual(t, int(requests.Load()), 4, "the TSA and the OCSP requests went through HTTPClient")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The TSA URL a state carries is checked like the rest of it: only a B-T
// or B-LT state has one, and it is an http or https URL.
func TestStateTimestampURLChecked(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	ctx := context.Background()
	restore := func(q *Prepared) error {
		t.Helper()
		st, err := q.MarshalBinary()
		require.NoError(t, err)
		return new(Prepared).UnmarshalBinary(st)
	}
	opts := Seller()
	opts.Level, opts.TimestampURL = LevelBT, p.TSAURL()
	bt, err := Prepare(ctx, gen.Invoice(1, false), id.Cert, id.Chain, opts)
	require.NoError(t, err)
	require.NoError(t, restore(bt))
	for _, u := range []string{"file:///etc/passwd", "tsa.example", "http://"} {
		q := *bt
		q.tsaURL = u
		assert.ErrorIs(t, restore(&q), ErrBadState, u)
	}
	bb, err := Prepare(ctx, gen.Invoice(1, false), id.Cert, id.Chain, Seller())
	require.NoError(t, err)
	q := *bb
	q.tsaURL = p.TSAURL()
	assert.ErrorIs(t, restore(&q), ErrBadState, "a B-B state names no TSA")

	st, err := bt.MarshalBinary()
	require.NoError(t, err)
	assert.ErrorIs(t, new(Prepared).UnmarshalBinary(append(st, 1, 'x')), ErrBadState, "trailing data after the URL")
}

// The level names read as in pdf and cades: ETSI names, any case, the "B-"
// optional; "none" (or nothing) is plain XML-DSig.
func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"": LevelNone, "none": LevelNone, "B-B": LevelBB, "b-t": LevelBT, "LT": LevelBLT} {
		got, err := ParseLevel(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, l := range []Level{LevelNone, LevelBB, LevelBT, LevelBLT} {
		got, err := ParseLevel(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	_, err := ParseLevel("B-LTA")
	assert.ErrorIs(t, err, ErrBadOptions)
}
