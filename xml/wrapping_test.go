package xml

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An attacker forges DLHDon and signs it with a key of their own in a
// second NBan slot. "//DSCKS/NBan" then names two signatures, and Covered
// answered true on the strength of the attacker's one. A signature path
// that names more than one signature is ambiguous.
func TestAttackCoveredWithAmbiguousSignaturePath(t *testing.T) {
	doc := string(signedInvoice(t))
	forged := strings.Replace(doc, "Hàng hoá 1<", "Hàng giả<", 1)
	forged = strings.Replace(forged, "</DSCKS>", "<NBan/></DSCKS>", 1)
	o := Seller()
	o.Location = "//HDon/DSCKS/NBan[2]"
	o.SignatureID = "NBan-attacker"
	out, err := Sign(context.Background(), []byte(forged), selfSigned(t), o)
	require.NoError(t, err)

	res, err := Verify(out, nil)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 2)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrDigestMismatch, "the seller's signature breaks")
	assert.NoError(t, res.Signatures[1].Err, "the attacker's own signature verifies")
	_, err = res.Covered("//HDon/DLHDon", "//DSCKS/NBan")
	assert.ErrorIs(t, err, ErrAmbiguous)
	// Naming the slot exactly still works.
	ok, err := res.Covered("//HDon/DLHDon", "//DSCKS/NBan[1]")
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = res.Covered("//HDon/DLHDon", "//DSCKS/NBan[2]")
	require.NoError(t, err)
	assert.True(t, ok)
}

// Wrapping variants that must not make the element the application reads
// look covered.
func TestAttackWrappingVariants(t *testing.T) {
	doc := string(signedInvoice(t))
	start := strings.Index(doc, "<DLHDon ")
	end := strings.Index(doc, "</DLHDon>") + len("</DLHDon>")
	orig := doc[start:end]
	forgedNoID := strings.Replace(strings.Replace(orig, "Hàng hoá 1<", "Hàng giả<", 1), `Id="`+dlID+`"`, "", 1)

	// The signed DLHDon moved into the seller's own Signature Object (as
	// the .NET reading of an enveloped reference inside the Signature would
	// accept), a forged one in its place.
	moved := doc[:start] + forgedNoID + doc[end:]
	moved = strings.Replace(moved, "</SignatureProperties></Object>", "</SignatureProperties>"+orig+"</Object>", 1)
	res, err := Verify([]byte(moved), nil)
	require.NoError(t, err)
	ok, err := res.Covered("//HDon/DLHDon", "//DSCKS/NBan")
	require.NoError(t, err)
	assert.False(t, ok)

	// A forged DLHDon in another namespace beside the signed one: the path
	// (local names) is ambiguous.
	sibling := doc[:end] + `<x:DLHDon xmlns:x="urn:evil">forged</x:DLHDon>` + doc[end:]
	res, err = Verify([]byte(sibling), nil)
	require.NoError(t, err)
	require.NoError(t, res.Signatures[0].Err, "the mathematics holds")
	assert.ErrorIs(t, res.Signatures[0].LayoutErr, ErrNotDocumentData, "but HDon holds two DLHDon")
	assert.False(t, res.Valid())
	_, err = res.Covered("//HDon/DLHDon", "//DSCKS/NBan")
	assert.ErrorIs(t, err, ErrAmbiguous)

	// The Id on a namespaced attribute is not an Id: a forged element with
	// x:Id does not take part, the reference still resolves to the signed one.
	nsID := doc[:end] + `<Other xmlns:x="urn:x" x:Id="` + dlID + `"/>` + doc[end:]
	res, err = Verify([]byte(nsID), nil)
	require.NoError(t, err)
	require.True(t, res.Valid())
	assert.Equal(t, "DLHDon", res.Signatures[0].References[0].Element.LocalName())

	// A second copy of the signature's SigningTime Object (an Id inside the
	// Signature) is ambiguous.
	os := strings.Index(doc, "<Object ")
	oe := strings.Index(doc, "</Object>") + len("</Object>")
	twice := strings.Replace(doc, "<NMua/>", "<NMua>"+doc[os:oe]+"</NMua>", 1)
	assert.ErrorIs(t, firstErr(t, []byte(twice)), ErrReference)
}
