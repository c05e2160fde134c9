package pdf

import (
	"bytes"
	"context"
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kyso-vn/kyso/signer"
)

// A hash kyso does not sign PDFs with fails with the error the other
// formats use for it, signer.ErrUnsupportedAlgorithm, and writes nothing.
func TestUnsupportedHash(t *testing.T) {
	in := corpus(t, "simple.pdf")
	s := testSigner(t)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.MD5, crypto.SHA3_256} {
		var out bytes.Buffer
		err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, &Options{Hash: h})
		assert.ErrorIs(t, err, signer.ErrUnsupportedAlgorithm, "%v", h)
		assert.Zero(t, out.Len())
	}
}

// Every e-office flow refuses a nil signer with signer.ErrNoKey, as Sign
// does, instead of panicking; Plan works without one.
func TestFlowsNilSigner(t *testing.T) {
	ctx := context.Background()
	in := corpus(t, "simple.pdf")
	var out bytes.Buffer
	for name, err := range map[string]error{
		"Initial": Initial(ctx, &out, bytes.NewReader(in), int64(len(in)), nil, &InitialsOptions{}),
		"Approve": Approve(ctx, &out, bytes.NewReader(in), int64(len(in)), nil, &ApprovalOptions{}),
		"Issue":   Issue(ctx, &out, bytes.NewReader(in), int64(len(in)), nil, &IssueOptions{Number: "1"}),
	} {
		assert.ErrorIs(t, err, signer.ErrNoKey, name)
	}
	assert.Zero(t, out.Len())
	_, err := (&InitialsOptions{}).Plan(bytes.NewReader(in), int64(len(in)), nil)
	assert.NoError(t, err)
}
