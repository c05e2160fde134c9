package cms

import (
	"context"
	"crypto"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seedSignedData returns a few real SignedData encodings to start fuzzing
// from: RSA and ECDSA, detached and encapsulated, with a time-stamp.
func seedSignedData(t testing.TB) [][]byte {
	pki := newTestPKI(t)
	tsa := newTestTSA(t, pki, leafTSA)
	ctx := context.Background()
	digest := hashBytes(crypto.SHA256, []byte("seed"))
	var out [][]byte
	for _, kind := range []leafKind{leafRSA, leafECDSA} {
		s := pki.issue(t, kind, "Seed")
		der, err := Sign(ctx, s, digest, Options{SigningTime: time.Unix(1700000000, 0)})
		require.NoError(t, err)
		out = append(out, der)
		ber := append(append([]byte{0x30, 0x80}, der[4:]...), 0, 0)
		out = append(out, ber)
		ts, err := AddTimestamp(ctx, der, tsa.client())
		require.NoError(t, err)
		out = append(out, ts)
		enc, err := Sign(ctx, s, nil, Options{Content: []byte("encapsulated"), PSS: kind == leafRSA})
		require.NoError(t, err)
		out = append(out, enc)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range seedSignedData(f) {
		f.Add(s)
	}
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		sd, err := Parse(der)
		if err != nil {
			return
		}
		// Whatever parses must survive every accessor and verification
		// without panicking.
		for _, si := range sd.SignerInfos {
			_, _, _ = si.SigningTime()
			_, _ = si.MessageDigest()
			_ = si.SigningCertificateVersion()
			if c, err := sd.SignerCertificate(si); err == nil {
				_, _ = si.SignerOpts(c.PublicKey)
			}
		}
		_ = sd.Verify(nil)
		_ = sd.Verify(make([]byte, 32))
	})
}

func FuzzParseTimestampResponse(f *testing.F) {
	pki := newTestPKI(f)
	tsa := newTestTSA(f, pki, leafTSA)
	digest := hashBytes(crypto.SHA256, []byte("seed"))
	tok, err := tsa.client().Timestamp(context.Background(), digest, crypto.SHA256)
	require.NoError(f, err)
	granted, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: StatusGranted}, TimeStampToken: asn1.RawValue{FullBytes: tok.DER}})
	require.NoError(f, err)
	f.Add(granted)
	rejected, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{
		Status: StatusRejection, StatusString: []string{"no"}, FailInfo: asn1.BitString{Bytes: []byte{0x80, 0x00, 0x00, 0x40}, BitLength: 26},
	}})
	require.NoError(f, err)
	f.Add(rejected)
	req, err := TimestampRequest(digest, crypto.SHA256, big.NewInt(42), nil)
	require.NoError(f, err)
	f.Add(req)
	f.Fuzz(func(t *testing.T, der []byte) {
		tok, err := ParseTimestampResponse(der)
		if err != nil {
			return
		}
		_ = tok.VerifyDigest(digest)
		_ = tok.VerifyData(der)
	})
}
