package xml

import (
	"context"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A prepared state travels through token plugins and remote signing
// services. The signature is always checked against the state's digest, so
// a tampered state cannot yield a valid signature over other data; but
// Finish spliced the SignatureValue wherever the state said, into whatever
// document it carried, and returned a document whose signature could never
// verify. UnmarshalBinary now checks that the state is self-consistent: the
// SignatureValue slot is an empty SignatureValue, the SignedInfo beside it
// hashes to the digest with the state's method, and KeyInfo names the
// state's certificate.
func TestTwoPhaseTamperedStateRefused(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	other := p.MustIssue()
	prep, err := Prepare(context.Background(), gen.Invoice(2, false), id.Cert, id.Chain, Seller())
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(context.Background(), prep.Digest(), prep.SignerOpts())
	require.NoError(t, err)

	restore := func(q *Prepared) error {
		t.Helper()
		st, err := q.MarshalBinary()
		require.NoError(t, err)
		return new(Prepared).UnmarshalBinary(st)
	}
	require.NoError(t, restore(prep), "the untouched state round-trips")

	tamper := func(f func(q *Prepared)) error {
		q := *prep
		f(&q)
		return restore(&q)
	}
	// SignedInfo changed (a DigestValue): the signed digest no longer
	// belongs to the document.
	assert.ErrorIs(t, tamper(func(q *Prepared) {
		i := strings.Index(q.out, "<DigestValue>") + len("<DigestValue>")
		c := "A"
		if q.out[i] == 'A' {
			c = "B"
		}
		q.out = q.out[:i] + c + q.out[i+1:]
	}), ErrBadState)
	// Data outside SignedInfo changed and the slot moved into it.
	assert.ErrorIs(t, tamper(func(q *Prepared) {
		q.valueOff = strings.Index(q.out, "Hàng hoá 1")
	}), ErrBadState)
	// Another certificate in KeyInfo than the one Finish checks against.
	assert.ErrorIs(t, tamper(func(q *Prepared) { q.cert = other.Cert }), ErrBadState)
	// Another signature method than the SignedInfo's.
	assert.ErrorIs(t, tamper(func(q *Prepared) { q.method, q.hash = SigECDSASHA384, 0 }), ErrBadState)

	// The untouched state still finishes into a verifying document.
	var later Prepared
	st, err := prep.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, later.UnmarshalBinary(st))
	out, err := later.Finish(context.Background(), sig)
	require.NoError(t, err)
	mustVerifyOne(t, out, "NBan", nil)

	// The same holds for XAdES B-T states (unsigned-properties slot).
	o := Seller()
	o.Level, o.TimestampURL = LevelBT, p.TSAURL()
	rsa := p.MustIssue(pkitest.RSAKey(2048))
	bt, err := Prepare(context.Background(), gen.Invoice(1, false), rsa.Cert, rsa.Chain, o)
	require.NoError(t, err)
	require.NoError(t, restore(bt))
	q := *bt
	q.unsignedOff = strings.LastIndex(q.out, "</X509Data>")
	assert.ErrorIs(t, restore(&q), ErrBadState)
}
