package simpki_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
)

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// handCMS builds a detached SignedData the way a hostile or broken MSSP
// might: the SignerInfo names sid (issuer and serial), the certificates
// field holds certs, and when mds is not empty the signed attributes hold
// one messageDigest attribute per entry. key signs: the SHA-256 of the
// signed attributes, or digest when there are none.
func handCMS(t *testing.T, key signer.Signer, sid *x509.Certificate, certs []*x509.Certificate, digest []byte, mds ...[]byte) []byte {
	t.Helper()
	var attrs []byte
	if len(mds) > 0 {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidContentType)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
			})
			for _, md := range mds {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidMessageDigest)
					b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md) })
				})
			}
		})
		var err error
		attrs, err = b.Bytes()
		require.NoError(t, err)
	}
	toSign := digest
	if attrs != nil {
		h := sha256.Sum256(attrs)
		toSign = h[:]
	}
	sig, err := key.SignDigest(context.Background(), toSign, crypto.SHA256)
	require.NoError(t, err)
	_, isEC := key.Certificate().PublicKey.(*ecdsa.PublicKey)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				if len(certs) > 0 {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						for _, c := range certs {
							b.AddBytes(c.Raw)
						}
					})
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(sid.RawIssuer)
							b.AddASN1BigInt(sid.SerialNumber)
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
						if attrs != nil {
							implicit := append([]byte(nil), attrs...)
							implicit[0] = 0xa0 // [0] IMPLICIT SET OF
							b.AddBytes(implicit)
						}
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							if isEC {
								b.AddASN1ObjectIdentifier(oidECDSASHA256)
							} else {
								b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1})
								b.AddASN1NULL()
							}
						})
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	der, err := b.Bytes()
	require.NoError(t, err)
	return der
}

// serveCMS is an MSSP that answers every request with der.
func serveCMS(t *testing.T, der []byte) *simpki.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, sigResp(500, `<mss:MSS_Signature><mss:Base64Signature>`+base64.StdEncoding.EncodeToString(der)+`</mss:Base64Signature></mss:MSS_Signature>`))
	}))
	t.Cleanup(srv.Close)
	c, err := simpki.NewClient(simpki.Config{URL: srv.URL, APID: "kyso-ap", Format: simpki.FormatCMS})
	require.NoError(t, err)
	return c
}

// TestCMSMustNameTheExpectedSigner: a CMS whose SignerInfo names another
// certificate than the expected one, which it does not carry, is not a CMS
// "with the expected certificate" even when the signature happens to
// verify under the expected key: a verifier of that CMS would look for the
// named certificate. Client.Sign must refuse it, not report it Verified
// under the expected certificate.
func TestCMSMustNameTheExpectedSigner(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	stranger := p.MustIssue()
	digest := digestOf("x")

	// Control: the same hand-built CMS naming the right certificate is
	// accepted, without and with that certificate inside.
	for _, certs := range [][]*x509.Certificate{nil, {id.Cert}} {
		c := serveCMS(t, handCMS(t, id.Signer(), id.Cert, certs, digest))
		resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256, Certificate: id.Cert})
		require.NoError(t, err)
		require.True(t, resp.Verified)
	}

	c := serveCMS(t, handCMS(t, id.Signer(), stranger.Cert, nil, digest))
	resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256, Certificate: id.Cert})
	require.Nil(t, resp)
	require.ErrorIs(t, err, simpki.ErrProtocol)
	require.ErrorIs(t, err, signer.ErrKeyMismatch)
}

// TestCMSDuplicateMessageDigest: RFC 5652 §11.2 allows exactly one
// messageDigest attribute. A CMS with two — one for another document, one
// for the requested digest — must not pass as "over the requested digest":
// a verifier that reads the first one sees another document.
func TestCMSDuplicateMessageDigest(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	digest := digestOf("x")

	// Control: one messageDigest, the requested one.
	c := serveCMS(t, handCMS(t, id.Signer(), id.Cert, []*x509.Certificate{id.Cert}, nil, digest))
	resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256, Certificate: id.Cert})
	require.NoError(t, err)
	require.True(t, resp.Verified)

	for _, mds := range [][][]byte{{digestOf("other"), digest}, {digest, digestOf("other")}, {digest, digest}} {
		c := serveCMS(t, handCMS(t, id.Signer(), id.Cert, []*x509.Certificate{id.Cert}, nil, mds...))
		resp, err := c.Sign(context.Background(), &simpki.Request{MSISDN: "0912345678", Digest: digest, Hash: crypto.SHA256, Certificate: id.Cert})
		require.Nil(t, resp)
		require.ErrorIs(t, err, simpki.ErrProtocol)
	}
}
