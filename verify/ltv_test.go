package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	kxml "github.com/kyso-vn/kyso/xml"
)

func ltvValidator(t *testing.T, p *pkitest.PKI, at time.Time, mode verify.RevocationMode) *verify.Validator {
	t.Helper()
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Time: at, Revocation: mode, HTTPClient: p.HTTPClient()})
	require.NoError(t, err)
	return v
}

// Every document of the pdf package's corpus — xref tables and streams,
// hybrid, linearized, RC4 40/128, AES-128, AES-256 R5 and R6 (one with a
// user password) — signed by
// pdf.Sign verifies TOTAL_PASSED; at B-LTA it does so offline, from the
// embedded evidence, three years later.
func TestPDFCorpusSignedVerifies(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	t0 := p.Now()
	files, err := filepath.Glob(filepath.Join("..", "pdf", "testdata", "*.pdf"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		password := ""
		if name == "aes256-userpw.pdf" {
			password = "nguoidung"
		}
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, level := range []pdf.Level{pdf.LevelBT, pdf.LevelBLTA} {
				var out bytes.Buffer
				require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), id.Signer(),
					&pdf.Options{Level: level, TimestampURL: p.TSAURL(), Password: password, LTV: &pdf.LTVOptions{HTTPClient: p.HTTPClient()}}))
				v := ltvValidator(t, p, time.Time{}, verify.RevocationOnline)
				at := time.Time{}
				if level == pdf.LevelBLTA {
					at = t0.AddDate(3, 0, 0)
					v = ltvValidator(t, p, at, verify.RevocationOffline)
				}
				pv := verify.NewPDFVerifier(v)
				pv.Password = password
				rep, err := pv.Verify(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()))
				require.NoError(t, err)
				require.NotEmpty(t, rep.Signatures)
				last := rep.Signatures[len(rep.Signatures)-1]
				if level == pdf.LevelBLTA {
					last = rep.Signatures[len(rep.Signatures)-2]
				}
				require.Equal(t, verify.TotalPassed, last.Indication, "%v: %+v", level, last.Findings)
				require.Equal(t, id.Cert.Subject.CommonName, last.Signer.Name)
			}
		})
	}
}

// A garbage signature time-stamp attribute (outside what the signature
// covers) costs the time-stamp, not the signature.
func TestGarbageTimestampAttribute(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	doc := []byte("Quyết định số 12/QĐ-UBND")
	digest := sha256.Sum256(doc)
	junk, err := cms.NewAttribute(cms.OIDAttrTimestampToken, asn1.RawValue{Tag: asn1.TagOctetString, Bytes: []byte("not a token")})
	require.NoError(t, err)
	sig, err := cms.Sign(context.Background(), id.Signer(), digest[:], cms.Options{SigningTime: time.Now(), UnsignedAttributes: []cms.Attribute{junk}})
	require.NoError(t, err)
	v := ltvValidator(t, p, time.Time{}, verify.RevocationOnline)
	rep, err := v.VerifyDetached(context.Background(), sig, bytes.NewReader(doc))
	require.NoError(t, err)
	s := rep.Signatures[0]
	require.Equal(t, verify.TotalPassed, s.Indication, "%+v", s.Findings)
	require.Len(t, s.Timestamps, 1)
	require.False(t, s.Timestamps[0].Valid)
	require.NotEmpty(t, s.Timestamps[0].Problems)
	require.Equal(t, verify.TimeFromValidation, s.TimeSource)
}

// xadesLTValues renders XAdES CertificateValues and RevocationValues for
// set with the prefix the document uses for XAdES.
func xadesLTValues(prefix string, set *revinfo.Set) string {
	var b strings.Builder
	b.WriteString("<" + prefix + "CertificateValues>")
	for _, c := range set.Certs {
		b.WriteString("<" + prefix + "EncapsulatedX509Certificate>" + base64.StdEncoding.EncodeToString(c) + "</" + prefix + "EncapsulatedX509Certificate>")
	}
	b.WriteString("</" + prefix + "CertificateValues><" + prefix + "RevocationValues>")
	if len(set.CRLs) > 0 {
		b.WriteString("<" + prefix + "CRLValues>")
		for _, c := range set.CRLs {
			b.WriteString("<" + prefix + "EncapsulatedCRLValue>" + base64.StdEncoding.EncodeToString(c) + "</" + prefix + "EncapsulatedCRLValue>")
		}
		b.WriteString("</" + prefix + "CRLValues>")
	}
	if len(set.OCSPs) > 0 {
		b.WriteString("<" + prefix + "OCSPValues>")
		for _, o := range set.OCSPs {
			b.WriteString("<" + prefix + "EncapsulatedOCSPValue>\n" + base64.StdEncoding.EncodeToString(o) + "\n</" + prefix + "EncapsulatedOCSPValue>")
		}
		b.WriteString("</" + prefix + "OCSPValues>")
	}
	b.WriteString("</" + prefix + "RevocationValues>")
	return b.String()
}

// XAdES-LT values (CertificateValues, RevocationValues in the unsigned
// signature properties, after the B-T time-stamp) carry an invoice
// signature past its certificates' expiry and a later revocation of its
// CA, offline.
func TestXAdESLTValuesAfterExpiry(t *testing.T) {
	p := pkitest.New(t)
	t0 := p.Now()
	ca := p.MustNewCA(pkitest.Validity(t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0)))
	id := p.MustIssue(pkitest.IssuedBy(ca), pkitest.Organization("Công ty TNHH Kyso", "0312345678"),
		pkitest.Validity(t0.Add(-time.Hour), t0.AddDate(0, 6, 0)))
	opts := kxml.Seller()
	opts.IncludeChain = true
	opts.Level = kxml.LevelBT
	opts.TimestampURL, opts.HTTPClient = p.TSAURL(), p.HTTPClient()
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon Id="data"><TTChung><THDon>Hóa đơn giá trị gia tăng</THDon><SHDon>1</SHDon></TTChung></DLHDon><DSCKS><NBan/></DSCKS></HDon>`)
	signed, err := kxml.Sign(context.Background(), doc, id.Signer(), opts)
	require.NoError(t, err)

	set, err := (&revinfo.Fetcher{HTTPClient: p.HTTPClient()}).Collect(context.Background(),
		[]*x509.Certificate{id.Cert, p.TSA.Cert}, append(id.Chain, p.CA.Cert), nil)
	require.NoError(t, err)
	m := regexp.MustCompile(`</([A-Za-z0-9_]+:)?UnsignedSignatureProperties>`).FindSubmatchIndex(signed)
	require.NotNil(t, m, "a B-T signature has UnsignedSignatureProperties")
	prefix := ""
	if m[2] >= 0 {
		prefix = string(signed[m[2]:m[3]])
	}
	lt := append(append(append([]byte(nil), signed[:m[0]]...), xadesLTValues(prefix, set)...), signed[m[0]:]...)

	p.MustRevoke(id.Chain[0], t0.Add(24*time.Hour), ocsp.KeyCompromise)
	later := t0.AddDate(3, 0, 0)
	v := ltvValidator(t, p, later, verify.RevocationOffline)
	rep, err := verify.NewXMLVerifier(v).VerifyBytes(context.Background(), lt)
	require.NoError(t, err)
	require.Len(t, rep.Signatures, 1)
	require.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)

	rep, err = verify.NewXMLVerifier(v).VerifyBytes(context.Background(), signed)
	require.NoError(t, err)
	require.Equal(t, verify.Indeterminate, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
}

// The xml package's own XAdES B-LT: signed at T0, validated offline three
// years later, after the signer's and its CA's certificates expired and
// the CA was revoked (after the time-stamp).
func TestXAdESBaselineLTAfterExpiry(t *testing.T) {
	p := pkitest.New(t)
	t0 := p.Now()
	ca := p.MustNewCA(pkitest.Validity(t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0)))
	id := p.MustIssue(pkitest.IssuedBy(ca), pkitest.Organization("Công ty TNHH Kyso", "0312345678"),
		pkitest.Validity(t0.Add(-time.Hour), t0.AddDate(0, 6, 0)))
	doc := []byte(`<HDon><DLHDon Id="data"><TTChung><SHDon>7</SHDon></TTChung></DLHDon><DSCKS><NBan/></DSCKS></HDon>`)
	sign := func(level kxml.Level) []byte {
		opts := kxml.Seller()
		opts.Level = level
		opts.TimestampURL, opts.HTTPClient = p.TSAURL(), p.HTTPClient()
		opts.LTV = &kxml.LTVOptions{HTTPClient: p.HTTPClient()}
		out, err := kxml.Sign(context.Background(), doc, id.Signer(), opts)
		require.NoError(t, err)
		return out
	}
	lt, bt := sign(kxml.LevelBLT), sign(kxml.LevelBT)
	p.MustRevoke(id.Chain[0], t0.Add(24*time.Hour), ocsp.KeyCompromise)
	p.MustRevoke(id.Cert, t0.Add(48*time.Hour), ocsp.KeyCompromise)
	v := ltvValidator(t, p, t0.AddDate(3, 0, 0), verify.RevocationOffline)
	rep, err := verify.NewXMLVerifier(v).VerifyBytes(context.Background(), lt)
	require.NoError(t, err)
	require.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
	require.Equal(t, verify.TimeFromTimestamp, rep.Signatures[0].TimeSource)
	rep, err = verify.NewXMLVerifier(v).VerifyBytes(context.Background(), bt)
	require.NoError(t, err)
	require.Equal(t, verify.Indeterminate, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
}

// Revocation data referenced only from a DSS VRI entry is used too.
func TestDSSVRIOnly(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	t0 := p.Now()
	in, err := os.ReadFile(filepath.Join("..", "pdf", "testdata", "simple.pdf"))
	require.NoError(t, err)
	for _, vri := range []bool{true, false} {
		var out bytes.Buffer
		require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), id.Signer(),
			&pdf.Options{Level: pdf.LevelBLT, TimestampURL: p.TSAURL(), LTV: &pdf.LTVOptions{VRI: vri}}))
		// Hide the DSS-wide /OCSPs array (same length: offsets stay right).
		doc := bytes.Replace(out.Bytes(), []byte("/OCSPs "), []byte("/Xcsps "), 1)
		require.NotEqual(t, out.Bytes(), doc)
		v := ltvValidator(t, p, t0.AddDate(0, 0, 1), verify.RevocationOffline)
		rep, err := verify.NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)))
		require.NoError(t, err)
		want := verify.TotalPassed
		if !vri {
			want = verify.Indeterminate
		}
		require.Equal(t, want, rep.Signatures[0].Indication, "VRI %v: %+v", vri, rep.Signatures[0].Findings)
	}
}

// A document with a user password cannot be read without it.
func TestPDFUserPassword(t *testing.T) {
	p := pkitest.New(t)
	in, err := os.ReadFile(filepath.Join("..", "pdf", "testdata", "aes256-userpw.pdf"))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), p.MustIssue().Signer(),
		&pdf.Options{Password: "nguoidung"}))
	pv := verify.NewPDFVerifier(ltvValidator(t, p, time.Time{}, verify.RevocationOnline))
	for _, pw := range []string{"", "sai-mat-khau"} {
		pv.Password = pw
		_, err = pv.Verify(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()))
		require.ErrorIs(t, err, verify.ErrPDF, "password %q", pw)
		require.ErrorIs(t, err, pdf.ErrWrongPassword, "the pdf package's typed error survives, password %q", pw)
	}
	pv.Password = "owner" // the owner password opens it too
	rep, err := pv.Verify(context.Background(), bytes.NewReader(out.Bytes()), int64(out.Len()))
	require.NoError(t, err)
	require.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
}
