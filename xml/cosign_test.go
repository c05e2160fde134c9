package xml

import (
	"context"
	"testing"

	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Signing must leave existing signatures valid. In the sibling-slot layouts
// it does; but a document whose earlier signature covers the place the new
// one goes (a whole-document reference, or an Id reference to an ancestor
// of the slot without the enveloped transform) was silently broken. Prepare
// now refuses with ErrBreaksSignature.
func TestSignRefusesToBreakAnExistingSignature(t *testing.T) {
	p := newPKI(t)
	first := p.MustIssue()
	second := p.MustIssue()
	ctx := context.Background()

	// A registration form signed over the whole document.
	whole := &SignOptions{Location: "//TKhai/DSCKS/NNT", References: []Ref{{Path: ""}}, SignatureID: "NNT", SigningTimeObject: true}
	tk, err := Sign(ctx, gen.Registration(), first.Signer(), whole)
	require.NoError(t, err)
	mustVerifyOne(t, tk, "NNT", nil)
	o := &SignOptions{Location: "//TKhai/DSCKS/CQT", References: []Ref{{Path: "//TKhai/DLTKhai"}}, SignatureID: "CQT", AddMissingIDs: true}
	_, err = Sign(ctx, tk, second.Signer(), o)
	assert.ErrorIs(t, err, ErrBreaksSignature)

	// Into the SigningTime Object the first signature references: refused.
	o = &SignOptions{Location: "//TKhai/DSCKS/NNT/Signature/Object/Counter", References: []Ref{{Path: "//TKhai/DLTKhai"}}, SignatureID: "CS", AddMissingIDs: true}
	_, err = Sign(ctx, tk, second.Signer(), o)
	assert.ErrorIs(t, err, ErrBreaksSignature)
	// Into an unreferenced Object of the earlier signature (which its
	// enveloped transform leaves out): fine, and both verify.
	tk2 := replaceOnce(t, tk, "</KeyInfo>", "</KeyInfo><Object><Counter/></Object>")
	mustVerifyOne(t, tk2, "NNT", nil)
	o = &SignOptions{Location: "//TKhai/DSCKS/NNT/Signature/Object/Counter", References: []Ref{{Path: "//TKhai/DLTKhai"}}, SignatureID: "CS", AddMissingIDs: true}
	out, err := Sign(ctx, tk2, second.Signer(), o)
	require.NoError(t, err)
	res, err := Verify(out, nil)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 2)
	assert.True(t, res.Valid())
	for _, s := range res.Signatures {
		checkWithXMLSec(t, out, s, "DLTKhai")
	}

	// An Id reference to an ancestor of the new slot, without the
	// enveloped transform, is broken by inserting into it; adding an Id to
	// an element another signature covers breaks it too.
	inv := gen.Invoice(1, false)
	hd := &SignOptions{Location: "//HDon/DSCKS/NBan", References: []Ref{{Path: "//HDon/DLHDon"}}, SignatureID: "S1", AddMissingIDs: true}
	signed, err := Sign(ctx, inv, first.Signer(), hd)
	require.NoError(t, err)
	o = &SignOptions{Location: "//HDon/DLHDon/TTKhac", References: []Ref{{Path: "//HDon/DLHDon"}}, SignatureID: "S2"}
	_, err = Sign(ctx, signed, second.Signer(), o)
	assert.ErrorIs(t, err, ErrBreaksSignature)
	o = &SignOptions{Location: "//HDon/DSCKS/NMua", References: []Ref{{Path: "//HDon/DLHDon/TTChung"}}, SignatureID: "S3", AddMissingIDs: true}
	_, err = Sign(ctx, signed, second.Signer(), o)
	assert.ErrorIs(t, err, ErrBreaksSignature)
	// The normal sibling slot is fine.
	out, err = Sign(ctx, signed, second.Signer(), Buyer())
	require.NoError(t, err)
	res, err = Verify(out, nil)
	require.NoError(t, err)
	assert.True(t, res.Valid())
}

// An element with an empty Id attribute got a second Id attribute from
// AddMissingIDs, and Sign returned a document with a duplicate attribute
// that no parser accepts. It is refused instead.
func TestSignEmptyIDRefused(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	for _, doc := range []string{
		`<HDon><DLHDon Id=""><A>1</A></DLHDon></HDon>`,
		`<HDon><DLHDon id=""><A>1</A></DLHDon></HDon>`,
	} {
		out, err := Sign(context.Background(), []byte(doc), id.Signer(), Seller())
		if err == nil {
			_, perr := Parse(out)
			assert.NoError(t, perr, "Sign returned a document that does not parse")
			continue
		}
		assert.Contains(t, err.Error(), "empty", doc)
	}
}
