package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// cadesEnv is a PKI on the real clock (openssl signs with the wall clock).
func cadesEnv(t *testing.T) (*pkitest.PKI, *Validator) {
	t.Helper()
	p := pkitest.New(t)
	ts := NewTrustStore()
	ts.AddCertificate(p.Root.Cert, "pkitest root")
	v, err := New(Options{Trust: ts, Revocation: RevocationOnline, HTTPClient: p.HTTPClient()})
	require.NoError(t, err)
	return p, v
}

// Signatures made by openssl cms -sign (with the default signed
// attributes, with -cades, without any (-noattr), enveloping, PEM) verify
// TOTAL_PASSED; the same with a changed attachment TOTAL_FAILED.
func TestCMSFromOpenSSL(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p, v := cadesEnv(t)
	id := p.MustIssue(pkitest.Person("Hoàng Văn Em", "001190099999"), pkitest.RSAKey(2048))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	keyPEM, err := id.KeyPEM()
	require.NoError(t, err)
	keyPath, certPath := write("key.pem", keyPEM), write("cert.pem", id.CertPEM())
	chainPath := write("chain.pem", pkitest.PEM(id.Chain...))
	in := write("in.bin", content)
	changed := append([]byte(nil), content...)
	changed[3] ^= 0x20

	for _, tc := range []struct {
		name      string
		args      []string
		enveloped bool
		sub       SubIndication // for the changed content
	}{
		{"signed-attributes", []string{"-outform", "DER"}, false, HashFailure},
		{"cades", []string{"-outform", "DER", "-cades"}, false, HashFailure},
		{"noattr", []string{"-outform", "DER", "-noattr"}, false, SigCryptoFailure},
		{"enveloping", []string{"-outform", "DER", "-nodetach"}, true, ""},
		{"pem", []string{"-outform", "PEM"}, false, HashFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".p7s")
			args := append([]string{"cms", "-sign", "-binary", "-md", "sha256", "-in", in, "-signer", certPath, "-inkey", keyPath,
				"-certfile", chainPath, "-out", out}, tc.args...)
			msg, err := exec.Command(openssl, args...).CombinedOutput()
			require.NoError(t, err, "%s", msg)
			p7s, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.True(t, IsCMS(p7s[:min(len(p7s), sniffLen)]))

			var rep *Report
			if tc.enveloped {
				rep, err = VerifyBytes(context.Background(), NewMux(v), p7s)
			} else {
				rep, err = v.VerifyDetached(context.Background(), p7s, bytes.NewReader(content))
			}
			require.NoError(t, err)
			require.Len(t, rep.Signatures, 1)
			assert.Equal(t, TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(English))
			if tc.enveloped {
				return
			}
			rep, err = v.VerifyDetached(context.Background(), p7s, bytes.NewReader(changed))
			require.NoError(t, err)
			requireKnownCodes(t, rep)
			assert.Equal(t, TotalFailed, rep.Signatures[0].Indication)
			assert.Equal(t, tc.sub, rep.Signatures[0].SubIndication)
		})
	}
}

// The Mux recognises CMS; a detached .p7s alone has no signed data.
func TestMuxCMS(t *testing.T) {
	p, v := cadesEnv(t)
	id := p.MustIssue(pkitest.Person("Đỗ Thị Giang", "001190088888"))
	p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), id.Signer(), nil)
	require.NoError(t, err)
	rep, err := VerifyBytes(context.Background(), NewMux(v), p7s)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 1)
	assert.Equal(t, Indeterminate, rep.Signatures[0].Indication)
	assert.Equal(t, SignedDataNotFound, rep.Signatures[0].SubIndication)

	// Truncated or garbage CMS: TOTAL_FAILED/FORMAT_FAILURE, not an error.
	rep, err = VerifyBytes(context.Background(), NewMux(v), p7s[:len(p7s)-10])
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, FormatFailure, rep.Signatures[0].SubIndication)

	for _, h := range [][]byte{[]byte("%PDF-1.7"), []byte("<xml/>"), {0x30, 0x03, 0x02, 0x01, 0x01}, nil} {
		assert.False(t, IsCMS(h), "%q", h)
	}
	assert.True(t, IsCMS([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}), "BER")
	assert.True(t, IsCMS([]byte("-----BEGIN PKCS7-----\n")))
}

// Reports of countersigned CAdES in Vietnamese, English and JSON.
func TestCAdESReportTexts(t *testing.T) {
	p, v := cadesEnv(t)
	a := p.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345"))
	b := p.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346"))
	p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), a.Signer(), nil)
	require.NoError(t, err)
	p7s, err = cades.CounterSign(context.Background(), p7s, 0, b.Signer(), nil)
	require.NoError(t, err)
	rep, err := v.VerifyDetached(context.Background(), p7s, bytes.NewReader(content))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 2)
	assert.Equal(t, TotalPassed, rep.Indication())

	vi := rep.Text(Vietnamese)
	assert.Contains(t, vi, "nội dung tách rời")
	assert.Contains(t, vi, "chữ ký xác nhận — countersignature")
	assert.NotContains(t, vi, "(chi tiết kỹ thuật) detached content")
	en := rep.Text(English)
	assert.Contains(t, en, "detached content")
	assert.Contains(t, en, "the signature value of SignerInfo 1 (countersignature)")

	js, err := rep.JSON()
	require.NoError(t, err)
	var back struct {
		Format     string
		Signatures []struct {
			ID         string
			Indication string
		}
	}
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, "CMS", back.Format)
	require.Len(t, back.Signatures, 2)
	assert.Equal(t, "SignerInfo 1 countersignature 1", back.Signatures[1].ID)
	assert.Equal(t, "TOTAL_PASSED", back.Signatures[1].Indication)

	// A changed attachment breaks the first signature only: the
	// countersignature still signs its (unchanged) signature value, and
	// says that what it countersigned does not verify.
	rep, err = v.VerifyDetached(context.Background(), p7s, strings.NewReader("khác"))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, TotalFailed, rep.Indication())
	assert.Equal(t, HashFailure, rep.Signatures[0].SubIndication)
	assert.Contains(t, codes(rep.Signatures[1].Warnings), "cms.countersigned-invalid")
}

// CAdES certificate-values and revocation-values unsigned attributes (the
// form other producers use for long-term data) are read as evidence: with
// them an offline verification passes, without them it cannot.
func TestCAdESValuesAttributes(t *testing.T) {
	p, _ := cadesEnv(t)
	id := p.MustIssue(pkitest.Person("Vũ Thị Hà", "001190077777"))
	p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), id.Signer(),
		&cades.Options{Level: cades.LevelBT, TimestampURL: p.TSAURL(), HTTPClient: p.HTTPClient()})
	require.NoError(t, err)
	offline, err := New(Options{Trust: func() *TrustStore { ts := NewTrustStore(); ts.AddCertificate(p.Root.Cert, "root"); return ts }()})
	require.NoError(t, err)
	rep, err := offline.VerifyDetached(context.Background(), p7s, bytes.NewReader(content))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.NotEqual(t, TotalPassed, rep.Signatures[0].Indication, "no revocation data yet")

	var certs []asn1.RawValue
	for _, c := range append(append([]*x509.Certificate{p.CA.Cert, p.Root.Cert}, p.TSA.Chain...), p.TSA.Cert) {
		certs = append(certs, asn1.RawValue{FullBytes: c.Raw})
	}
	certVals, err := asn1.Marshal(certs)
	require.NoError(t, err)
	var basics []asn1.RawValue
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert, p.TSA.Cert} {
		der, err := p.OCSP(c)
		require.NoError(t, err)
		var resp struct {
			Status   asn1.Enumerated
			Response struct {
				Type  asn1.ObjectIdentifier
				Basic []byte
			} `asn1:"explicit,tag:0"`
		}
		_, err = asn1.Unmarshal(der, &resp)
		require.NoError(t, err)
		basics = append(basics, asn1.RawValue{FullBytes: resp.Response.Basic})
	}
	ocspList, err := asn1.Marshal(basics)
	require.NoError(t, err)
	revVals, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true,
		Bytes: append([]byte(nil), encodeExplicit(1, ocspList)...)})
	require.NoError(t, err)
	withVals, err := cms.AddUnsignedAttributes(p7s, 0,
		cms.Attribute{Type: cms.OIDAttrCertValues, Values: []asn1.RawValue{{FullBytes: certVals}}},
		cms.Attribute{Type: cms.OIDAttrRevocationValues, Values: []asn1.RawValue{{FullBytes: revVals}}})
	require.NoError(t, err)
	rep, err = offline.VerifyDetached(context.Background(), withVals, bytes.NewReader(content))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(English))

	// Garbage in the attributes is a warning, not a pass or a crash.
	junk, err := cms.AddUnsignedAttributes(p7s, 0, cms.Attribute{Type: cms.OIDAttrRevocationValues, Values: []asn1.RawValue{{FullBytes: []byte{0x04, 0x00}}}})
	require.NoError(t, err)
	rep, err = offline.VerifyDetached(context.Background(), junk, bytes.NewReader(content))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Contains(t, codes(rep.Signatures[0].Warnings), "cms.revocation-values-unreadable")
}

func encodeExplicit(tag int, inner []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: inner})
	return b
}

// Tampering that a CMS verifier must catch: a parallel signer over other
// content slipped into a .p7s, and a changed encapsulated content.
func TestCAdESTampering(t *testing.T) {
	p, v := cadesEnv(t)
	a := p.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345"))
	b := p.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346"))
	ctx := context.Background()
	first, err := cades.Sign(ctx, bytes.NewReader(content), a.Signer(), nil)
	require.NoError(t, err)
	other, err := cades.Sign(ctx, strings.NewReader("một tệp khác"), b.Signer(), nil)
	require.NoError(t, err)
	mixed, err := cms.Merge(first, other) // no content check at this level
	require.NoError(t, err)
	rep, err := v.VerifyDetached(ctx, mixed, bytes.NewReader(content))
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	require.Len(t, rep.Signatures, 2)
	assert.Equal(t, TotalFailed, rep.Indication())
	byName := map[string]*SignatureReport{}
	for _, s := range rep.Signatures {
		byName[s.Signer.Name] = s
	}
	assert.Equal(t, TotalPassed, byName["Nguyễn Văn An"].Indication)
	assert.Equal(t, HashFailure, byName["Trần Thị Bình"].SubIndication)

	env, err := cades.Sign(ctx, bytes.NewReader(content), a.Signer(), &cades.Options{Enveloping: true})
	require.NoError(t, err)
	i := bytes.Index(env, content[:20])
	require.Positive(t, i)
	changed := append([]byte(nil), env...)
	changed[i] ^= 0x01
	rep, err = VerifyBytes(ctx, NewMux(v), changed)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, TotalFailed, rep.Signatures[0].Indication)
	assert.Equal(t, HashFailure, rep.Signatures[0].SubIndication)
	// The untouched one passes.
	rep, err = VerifyBytes(ctx, NewMux(v), env)
	require.NoError(t, err)
	requireKnownCodes(t, rep)
	assert.Equal(t, TotalPassed, rep.Indication(), "%s", rep.Text(English))
}
