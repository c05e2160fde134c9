package cms

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtraSignedAttributes(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Phan Văn Long")
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Now(), NextUpdate: time.Now().Add(time.Hour),
	}, pki.root, pki.rootKey)
	require.NoError(t, err)
	adbe, err := AdbeRevocationAttribute([][]byte{crlDER}, nil)
	require.NoError(t, err)
	policyHash := hashBytes(crypto.SHA256, []byte("chính sách ký số"))
	pol, err := SignaturePolicyAttribute(asn1.ObjectIdentifier{2, 16, 704, 1, 1}, crypto.SHA256, policyHash)
	require.NoError(t, err)

	digest := hashBytes(crypto.SHA256, []byte("x"))
	der, err := Sign(context.Background(), s, digest, Options{SignedAttributes: []Attribute{adbe, pol}})
	require.NoError(t, err)
	sd, err := Parse(der)
	require.NoError(t, err)
	require.NoError(t, sd.Verify(digest))
	si := sd.SignerInfos[0]

	var archival struct {
		CRLs []asn1.RawValue `asn1:"explicit,optional,tag:0"`
	}
	require.NoError(t, unmarshalExact(si.Attribute(OIDAttrAdbeRevocation), &archival))
	require.Len(t, archival.CRLs, 1)
	_, err = x509.ParseRevocationList(archival.CRLs[0].FullBytes)
	require.NoError(t, err)

	var p signaturePolicyID
	require.NoError(t, unmarshalExact(si.Attribute(OIDAttrSignaturePolicy), &p))
	assert.Equal(t, "2.16.704.1.1", p.SigPolicyID.String())
	assert.Equal(t, policyHash, p.SigPolicyHash.HashValue)

	_, err = AdbeRevocationAttribute([][]byte{{0x01}}, nil)
	assert.ErrorIs(t, err, ErrFormat)
	_, err = SignaturePolicyAttribute(asn1.ObjectIdentifier{1, 2}, crypto.SHA256, []byte{1})
	assert.Error(t, err)
}

func TestSignHonoursContext(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.issue(t, leafECDSA, "Hủy Bỏ")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	der, err := Sign(ctx, s, make([]byte, 32), Options{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, der)
}
