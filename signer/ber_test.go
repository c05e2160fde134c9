package signer

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/ber"
	"github.com/kyso-vn/kyso/internal/testutil"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// authSafeOctets returns the MAC data and the authenticated-safe octets of a
// DER PKCS#12 file.
func authSafeOctets(t testing.TB, der []byte) (pfxMacData, []byte) {
	t.Helper()
	var pfx pfxPDU
	_, err := asn1.Unmarshal(der, &pfx)
	require.NoError(t, err)
	var octets []byte
	_, err = asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &octets)
	require.NoError(t, err)
	return pfx.MacData, octets
}

// TestPKCS12MACMatchesProducers checks the RFC 7292 key derivation and the
// PBMAC1 check against MACs written by OpenSSL (SHA-1 legacy, SHA-256) and
// the RFC 9579 vectors.
func TestPKCS12MACMatchesProducers(t *testing.T) {
	for _, tc := range []struct{ file, password string }{
		{"rsa-legacy.p12", "kyso-test"},
		{"rsa-modern.p12", "kyso-test"},
		{"ec-modern-utf8pass.p12", "Mật khẩu-123"},
		{"rfc9579-a1.p12", "1234"},
		{"rfc9579-a2.p12", "1234"},
		{"rfc9579-a3.p12", "1234"},
	} {
		mac, octets := authSafeOctets(t, readTestdata(t, tc.file))
		assert.NoError(t, verifyPFXMac(&mac, octets, tc.password), tc.file)
		assert.ErrorIs(t, verifyPFXMac(&mac, octets, "wrong"), ErrWrongPassword, tc.file)
	}
}

// toBER re-encodes a DER PKCS#12 file the way BouncyCastle and EJBCA write
// them: every constructed value with indefinite length, the authenticated
// safe and encrypted contents as chunked OCTET STRINGs, and a new
// HMAC-SHA-256 MAC (2048 iterations) over the BER octets.
func toBER(t testing.TB, der []byte, password string) []byte {
	t.Helper()
	_, octets := authSafeOctets(t, der)
	inner, rest, err := parseBER(octets)
	require.NoError(t, err)
	require.Empty(t, rest)
	var innerBER bytes.Buffer
	writeBER(t, &innerBER, inner)

	salt := make([]byte, 16)
	_, err = rand.Read(salt)
	require.NoError(t, err)
	bmp, err := bmpPassword(password)
	require.NoError(t, err)
	var m pfxMacData
	m.Mac.Algorithm = pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}
	m.MacSalt, m.Iterations = salt, 2048
	h := hmac.New(sha256.New, pkcs12KDF(sha256.New, salt, bmp, 2048, 3, 32))
	h.Write(innerBER.Bytes())
	m.Mac.Digest = h.Sum(nil)
	macDER, err := asn1.Marshal(m)
	require.NoError(t, err)

	var out bytes.Buffer
	out.Write([]byte{0x30, 0x80, 0x02, 0x01, 0x03}) // PFX, version 3
	out.Write([]byte{0x30, 0x80, 0x06, 0x09})       // ContentInfo, id-data
	out.Write(oidDataContentDER)
	out.Write([]byte{0xa0, 0x80})
	writeChunked(&out, asn1.ClassUniversal, asn1.TagOctetString, innerBER.Bytes())
	out.Write([]byte{0, 0, 0, 0}) // end [0], end ContentInfo
	out.Write(macDER)
	out.Write([]byte{0, 0})
	return out.Bytes()
}

func writeBER(t testing.TB, out *bytes.Buffer, e *ber.Element) {
	if !e.Constructed {
		switch {
		case e.Is(asn1.ClassContextSpecific, 0) && len(e.Content) > 64: // encryptedContent
			writeChunked(out, asn1.ClassContextSpecific, 0, e.Content)
		default:
			ber.WriteHeader(out, e.Class, false, e.Tag, len(e.Content))
			out.Write(e.Content)
		}
		return
	}
	out.WriteByte(byte(e.Class<<6|0x20) | byte(e.Tag))
	out.WriteByte(0x80)
	for i, c := range e.Children {
		if i == 1 && isDataContentInfo(e) {
			// SafeContents: BER inside, then chunked.
			octets := c.Children[0].Content
			inner, rest, err := parseBER(octets)
			require.NoError(t, err)
			require.Empty(t, rest)
			var b bytes.Buffer
			writeBER(t, &b, inner)
			out.Write([]byte{0xa0, 0x80})
			writeChunked(out, asn1.ClassUniversal, asn1.TagOctetString, b.Bytes())
			out.Write([]byte{0, 0})
			continue
		}
		writeBER(t, out, c)
	}
	out.Write([]byte{0, 0})
}

// writeChunked writes value as a constructed, indefinite-length string of
// 100-byte OCTET STRING chunks, with the given outer class and tag.
func writeChunked(out *bytes.Buffer, class, tag int, value []byte) {
	out.WriteByte(byte(class<<6|0x20) | byte(tag))
	out.WriteByte(0x80)
	for len(value) > 0 {
		n := min(100, len(value))
		ber.WriteHeader(out, asn1.ClassUniversal, false, asn1.TagOctetString, n)
		out.Write(value[:n])
		value = value[n:]
	}
	out.Write([]byte{0, 0})
}

func TestLoadPKCS12BER(t *testing.T) {
	for _, tc := range []struct {
		file, password string
		legacy         bool
	}{
		{"rsa-legacy.p12", "kyso-test", true},
		{"rsa-modern.p12", "kyso-test", false},
		{"ec-modern-utf8pass.p12", "Mật khẩu-123", false},
		{"rfc9579-a1.p12", "1234", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			der := readTestdata(t, tc.file)
			ber := toBER(t, der, tc.password)
			require.Equal(t, []byte{0x30, 0x80}, ber[:2])

			want, err := LoadPKCS12(der, tc.password)
			require.NoError(t, err)
			got, err := LoadPKCS12(ber, tc.password)
			require.NoError(t, err)
			assert.True(t, want.Certificate().Equal(got.Certificate()))
			assert.Len(t, got.Chain(), len(want.Chain()))

			_, err = LoadPKCS12(ber, "wrong")
			assert.ErrorIs(t, err, ErrWrongPassword)

			// The BER file is one OpenSSL accepts, MAC included.
			t.Run("openssl", func(t *testing.T) {
				openssl := testutil.Tool(t, "openssl", "openssl")
				f := filepath.Join(t.TempDir(), "ber.p12")
				require.NoError(t, os.WriteFile(f, ber, 0o600))
				args := []string{"pkcs12", "-in", f, "-passin", "pass:" + tc.password, "-noout"}
				if tc.legacy {
					args = append(args, "-legacy")
				}
				out, err := exec.Command(openssl, args...).CombinedOutput()
				require.NoError(t, err, "%s", out)
				out, err = exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", f).CombinedOutput()
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "l=inf", "indefinite lengths")
			})
		})
	}

	t.Run("damaged", func(t *testing.T) {
		ber := toBER(t, readTestdata(t, "rsa-modern.p12"), "kyso-test")
		for _, cut := range []int{10, len(ber) / 2, len(ber) - 3} {
			_, err := LoadPKCS12(ber[:cut], "kyso-test")
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrWrongPassword)
		}
	})
}

func TestBERToDERKeepsDER(t *testing.T) {
	for _, f := range []string{"rsa-legacy.p12", "rsa-modern.p12", "rfc9579-a1.p12"} {
		der := readTestdata(t, f)
		out, err := berToDER(der, true)
		require.NoError(t, err)
		assert.Equal(t, der, out, f)
	}
}

func FuzzBERToDER(f *testing.F) {
	f.Add(readTestdata(f, "rsa-legacy.p12"))
	f.Add(toBER(f, readTestdata(f, "rsa-modern.p12"), "kyso-test"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := berToDER(data, true)
		if err != nil {
			return
		}
		// DER output is a fixed point and parses as one element.
		again, err := berToDER(out, true)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("re-encoding is not stable: %v", err)
		}
	})
}
