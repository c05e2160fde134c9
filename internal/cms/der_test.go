package cms

import (
	"bytes"
	"context"
	"crypto"
	"encoding/asn1"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// assertSortedSet fails unless the DER elements in content are in the
// ascending order of their encodings, as X.690 §11.6 requires of a SET OF.
func assertSortedSet(t *testing.T, what string, content []byte) {
	t.Helper()
	items, err := splitDER(content)
	require.NoError(t, err, what)
	for i := 1; i < len(items); i++ {
		assert.LessOrEqual(t, bytes.Compare(items[i-1].FullBytes, items[i].FullBytes), 0,
			"%s: element %d sorts before element %d", what, i, i-1)
	}
}

// assertDERSets checks every SET OF of a SignedData we emit.
func assertDERSets(t *testing.T, der []byte) {
	t.Helper()
	var ci contentInfo
	var raw signedDataASN
	require.NoError(t, unmarshalExact(der, &ci))
	require.NoError(t, unmarshalExact(ci.Content.Bytes, &raw))
	// Re-read the SET OF fields as raw elements.
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		EncapContentInfo asn1.RawValue
		Certificates     asn1.RawValue `asn1:"optional,tag:0"`
		CRLs             asn1.RawValue `asn1:"optional,tag:1"`
		SignerInfos      asn1.RawValue
	}
	require.NoError(t, unmarshalExact(ci.Content.Bytes, &sd))
	assertSortedSet(t, "digestAlgorithms", sd.DigestAlgorithms.Bytes)
	assertSortedSet(t, "certificates", sd.Certificates.Bytes)
	assertSortedSet(t, "crls", sd.CRLs.Bytes)
	assertSortedSet(t, "signerInfos", sd.SignerInfos.Bytes)
	for _, si := range raw.SignerInfos {
		for name, set := range map[string]asn1.RawValue{"signedAttrs": si.SignedAttrs, "unsignedAttrs": si.UnsignedAttrs} {
			assertSortedSet(t, name, set.Bytes)
			attrs, err := parseAttributes(set.Bytes)
			require.NoError(t, err)
			for _, a := range attrs {
				var vals [][]byte
				for _, v := range a.Values {
					vals = append(vals, v.FullBytes)
				}
				assertSortedSet(t, name+" "+a.Type.String()+" values", bytes.Join(vals, nil))
			}
		}
	}
}

// TestSignedDataIsDER checks that the SET OF fields of what Sign and
// AddTimestamp write are in DER order. ISO 32000 wants the PDF signature
// value to be a DER-encoded PKCS#7 object, and a SET OF is DER only when
// sorted; crypto/x509 certificates of different sizes make the leaf-first
// order of the certificate set a non-DER order.
func TestSignedDataIsDER(t *testing.T) {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	ctx := context.Background()
	digest := hashBytes(crypto.SHA256, []byte("DER"))
	for _, kind := range []leafKind{leafRSA, leafECDSA} {
		s := pki.issue(t, kind, "Lê Thị Hồng")
		// An RSA leaf encodes larger than the ECDSA root, so leaf-first
		// is not the DER order; the chain is given twice to check that
		// duplicates are dropped as well.
		p, err := Prepare(s.Certificate(), append(s.Chain(), s.Chain()...), digest, Options{SigningTime: time.Now()})
		require.NoError(t, err)
		sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
		require.NoError(t, err)
		der, err := p.Finish(sig)
		require.NoError(t, err)
		assertDERSets(t, der)
		sd, err := Parse(der)
		require.NoError(t, err)
		require.NoError(t, sd.Verify(digest))
		assert.Len(t, sd.Certificates, 2)

		ts, err := AddTimestamp(ctx, der, tsa.client())
		require.NoError(t, err)
		assertDERSets(t, ts)
	}
}

// reverseSet returns the SET OF (tag 0x31) der with its elements in
// reverse order: the same value, not DER-encoded.
func reverseSet(t *testing.T, der []byte) []byte {
	t.Helper()
	var set asn1.RawValue
	require.NoError(t, unmarshalExact(der, &set))
	items, err := splitDER(set.Bytes)
	require.NoError(t, err)
	var out []byte
	for i := len(items) - 1; i >= 0; i-- {
		out = append(out, items[i].FullBytes...)
	}
	return encodeTLV(0x31, out)
}

// TestSignedAttributesVerifiedAsWritten: the signature is checked over the
// signed attributes exactly as the SignerInfo carries them (with the SET OF
// tag), as openssl does (it keeps the received order when re-encoding). A
// producer that wrote its attributes out of DER order and signed what it
// wrote verifies; one that signed another order than it wrote does not, in
// both implementations.
func TestSignedAttributesVerifiedAsWritten(t *testing.T) {
	pki := newTestPKI(t)
	ctx := context.Background()
	content := []byte("thứ tự thuộc tính")
	digest := hashBytes(crypto.SHA256, content)
	for _, kind := range []leafKind{leafRSA, leafECDSA} {
		s := pki.issue(t, kind, "Hồ Xuân Hương")
		p, err := Prepare(s.Certificate(), s.Chain(), digest, Options{SigningTime: time.Now()})
		require.NoError(t, err)
		unsorted := reverseSet(t, p.signedAttrs)
		require.NotEqual(t, p.signedAttrs, unsorted)
		sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
		require.NoError(t, err)
		der, err := p.Finish(sig)
		require.NoError(t, err)

		// Signed over the unsorted bytes it carries.
		asWritten, err := s.SignDigest(ctx, hashBytes(crypto.SHA256, unsorted), p.SignerOpts())
		require.NoError(t, err)
		own := mutate(t, der, func(sd *signedDataASN) {
			sd.SignerInfos[0].SignedAttrs = asn1.RawValue{FullBytes: retag(unsorted, 0xA0)}
			sd.SignerInfos[0].Signature = asWritten
		})
		sd, err := Parse(own)
		require.NoError(t, err)
		require.NoError(t, sd.Verify(digest))
		assert.ErrorIs(t, sd.Verify(hashBytes(crypto.SHA256, []byte("khác"))), ErrHashMismatch)

		// Signed over the DER order, carrying another order.
		moved := mutate(t, der, func(sd *signedDataASN) {
			sd.SignerInfos[0].SignedAttrs = asn1.RawValue{FullBytes: retag(unsorted, 0xA0)}
		})
		sd, err = Parse(moved)
		require.NoError(t, err)
		assert.ErrorIs(t, sd.Verify(digest), ErrSignatureInvalid)

		t.Run("openssl-agrees", func(t *testing.T) {
			openssl := testutil.Tool(t, "openssl", "openssl")
			dir := t.TempDir()
			contentPath := filepath.Join(dir, "c.bin")
			require.NoError(t, os.WriteFile(contentPath, content, 0o600))
			for name, tc := range map[string]struct {
				der []byte
				ok  bool
			}{"own": {own, true}, "moved": {moved, false}} {
				sigPath := filepath.Join(dir, name+".p7s")
				require.NoError(t, os.WriteFile(sigPath, tc.der, 0o600))
				out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sigPath,
					"-content", contentPath, "-noverify", "-out", os.DevNull).CombinedOutput()
				if tc.ok {
					assert.NoError(t, err, "%s: %s", name, out)
				} else {
					assert.Error(t, err, "%s: %s", name, out)
				}
			}
		})
	}
}
