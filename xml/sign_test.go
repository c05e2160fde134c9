package xml

import (
	"context"
	"crypto"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkWithXMLSec verifies sig's signature with xmlsec1 and compares every
// pre-digest buffer with our canonical bytes.
func checkWithXMLSec(t *testing.T, doc []byte, s *Signature, idElems ...string) {
	t.Helper()
	bufs := xmlsecVerify(t, doc, s.Certificate, s.ID, idElems...)
	// xmlsec1 prints no buffer for an empty node-set.
	var refs []Reference
	for _, r := range s.References {
		if len(r.Canonical) > 0 {
			refs = append(refs, r)
		}
	}
	require.Equal(t, len(refs), len(bufs), "pre-digest buffers")
	for i, r := range refs {
		assert.True(t, string(bufs[i]) == string(r.Canonical), "reference %d (%s): canonical bytes differ from xmlsec1's", i, r.URI)
	}
}

func TestSignSellerAllAlgorithms(t *testing.T) {
	p := newPKI(t)
	type algCase struct {
		name string
		key  []pkitest.CertOption
		hash crypto.Hash
		pss  bool
		want string
	}
	cases := []algCase{
		{"RSA-SHA256", []pkitest.CertOption{pkitest.RSAKey(2048)}, crypto.SHA256, false, SigRSASHA256},
		{"RSA-SHA384", []pkitest.CertOption{pkitest.RSAKey(2048)}, crypto.SHA384, false, SigRSASHA384},
		{"RSA-SHA512", []pkitest.CertOption{pkitest.RSAKey(3072)}, crypto.SHA512, false, SigRSASHA512},
		{"ECDSA-P256-SHA256", []pkitest.CertOption{pkitest.ECDSAKey(elliptic256())}, crypto.SHA256, false, SigECDSASHA256},
		{"ECDSA-P384-SHA384", []pkitest.CertOption{pkitest.ECDSAKey(elliptic384())}, crypto.SHA384, false, SigECDSASHA384},
		{"RSA-PSS-SHA256", []pkitest.CertOption{pkitest.RSAKey(2048)}, crypto.SHA256, true, SigRSAPSSSHA256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := p.MustIssue(append(c.key, pkitest.Organization("Công ty TNHH Kiểm thử Ký số", "0106324653"))...)
			opts := Seller()
			opts.Hash, opts.PSS = c.hash, c.pss
			opts.IncludeSubjectName, opts.IncludeChain = true, true
			out, err := Sign(context.Background(), gen.Invoice(3, true), id.Signer(), opts)
			require.NoError(t, err)
			s := mustVerifyOne(t, out, "NBan", nil)
			assert.Equal(t, c.want, s.SignatureMethod)
			assert.Len(t, s.References, 2)
			assert.Equal(t, id.Cert.Raw, s.Certificate.Raw)
			assert.Contains(t, s.SubjectName, "UID=MST:0106324653")
			assert.WithinDuration(t, time.Now(), s.SigningTime, 5*time.Second)
			if !c.pss {
				checkWithXMLSec(t, out, s, "DLHDon")
			} else {
				// xmlsec1 1.2 has no RSA-PSS: check SignatureValue over our
				// canonical SignedInfo with openssl instead.
				opensslVerifyPSS(t, s, out)
			}
		})
	}
}

func TestSignProfiles(t *testing.T) {
	p := newPKI(t)
	for _, kc := range keyCases {
		t.Run(kc.name, func(t *testing.T) {
			seller := p.MustIssue(append(kc.opts, pkitest.Organization("Công ty Bán", "0106324653"))...)
			buyer := p.MustIssue(append(kc.opts, pkitest.Organization("Công ty Mua", "0106322455"))...)
			cqt := p.MustIssue(append(kc.opts, pkitest.Organization("Tổng cục Thuế", "0100231226"))...)
			ctx := context.Background()

			inv, err := Sign(ctx, gen.Invoice(5, true), seller.Signer(), Seller())
			require.NoError(t, err)
			inv2, err := Sign(ctx, inv, buyer.Signer(), Buyer())
			require.NoError(t, err)
			inv3, err := Sign(ctx, inv2, cqt.Signer(), TaxAuthority("00474597D7E6A041A1A4AC3C9A8A72AA71"))
			require.NoError(t, err)

			// The seller's signature is byte for byte unchanged.
			sellerSig := mustVerifyOne(t, inv, "NBan", nil)
			raw := string(inv[sellerSig.Element.start:sellerSig.Element.end])
			assert.Contains(t, string(inv3), raw)

			res, err := Verify(inv3, nil)
			require.NoError(t, err)
			require.Len(t, res.Signatures, 3)
			assert.True(t, res.Valid())
			for _, s := range res.Signatures {
				checkWithXMLSec(t, inv3, s, "DLHDon", "MCCQT")
			}
			for _, c := range []struct{ el, sig string }{
				{"//HDon/DLHDon", "//DSCKS/NBan"}, {"//HDon/DLHDon", "//DSCKS/NMua"},
				{"//HDon/DLHDon", "//DSCKS/CQT"}, {"//HDon/MCCQT", "//DSCKS/CQT"},
			} {
				ok, err := res.Covered(c.el, c.sig)
				require.NoError(t, err)
				assert.True(t, ok, "%s by %s", c.el, c.sig)
			}
			ok, err := res.Covered("/TDiep/TTChung", "")
			require.NoError(t, err)
			assert.False(t, ok, "the TDiep wrapper stays unsigned")

			// Registration form and tax notice.
			tk, err := Sign(ctx, gen.Registration(), seller.Signer(), Registrant())
			require.NoError(t, err)
			res, err = Verify(tk, nil)
			require.NoError(t, err)
			require.True(t, res.Valid())
			checkWithXMLSec(t, tk, res.Signatures[0], "DLTKhai")

			tb, err := Sign(ctx, gen.Notice(), cqt.Signer(), TaxNoticeOfficer())
			require.NoError(t, err)
			tb, err = Sign(ctx, tb, cqt.Signer(), TaxNoticeAgency())
			require.NoError(t, err)
			res, err = Verify(tb, nil)
			require.NoError(t, err)
			require.Len(t, res.Signatures, 2)
			require.True(t, res.Valid())
			assert.Len(t, res.Signatures[0].References, 2)
			assert.Len(t, res.Signatures[1].References, 3)
			for _, s := range res.Signatures {
				checkWithXMLSec(t, tb, s, "DLTBao", "STBao")
			}
		})
	}
}

func TestSignLocationsAndReferences(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	ctx := context.Background()
	doc := []byte(`<HDon><DLHDon><A>1</A></DLHDon></HDon>`)

	// Missing Id and missing DSCKS/NBan: created.
	out, err := Sign(ctx, doc, id.Signer(), Seller())
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	assert.Equal(t, "/HDon/DSCKS/NBan/Signature", s.Path)
	checkWithXMLSec(t, out, s, "DLHDon")

	// Without AddMissingIDs a missing Id is an error.
	o := Seller()
	o.AddMissingIDs = false
	_, err = Sign(ctx, doc, id.Signer(), o)
	assert.Error(t, err)

	// The slot is taken.
	_, err = Sign(ctx, out, id.Signer(), Seller())
	assert.ErrorIs(t, err, ErrSlotOccupied)

	// Enveloped whole-document signature, several references, custom Id
	// attribute name, placement not as the last child of the signed data.
	doc2 := []byte("<?xml version=\"1.0\"?>\n<!-- head -->\n<r xmlns=\"urn:r\"><a ID=\"A1\">x</a><b ID=\"B1\">y</b><sig/><c>z</c></r>\n<?pi tail?>")
	o = &SignOptions{Location: "/r/sig", References: []Ref{{Path: ""}, {Path: "/r/a"}, {Path: "/r/b"}}, SignatureID: "S1",
		CanonicalizationMethod: ExcC14N, ReferenceC14N: ExcC14N}
	out, err = Sign(ctx, doc2, id.Signer(), o)
	require.NoError(t, err)
	s = mustVerifyOne(t, out, "S1", nil)
	assert.Len(t, s.References, 3)
	assert.Equal(t, "/r/sig/Signature", s.Path)
	checkWithXMLSec(t, out, s, "ID=urn:r:a", "ID=urn:r:b")

	// An ambiguous Id is refused when signing.
	dup := []byte(`<HDon><DLHDon Id="X"/><Other id="X"/><DSCKS><NBan/></DSCKS></HDon>`)
	_, err = Sign(ctx, dup, id.Signer(), Seller())
	assert.ErrorIs(t, err, ErrReference)
}

func TestTwoPhase(t *testing.T) {
	p := newPKI(t)
	for _, kc := range keyCases {
		t.Run(kc.name, func(t *testing.T) {
			id := p.MustIssue(kc.opts...)
			prep, err := Prepare(context.Background(), gen.Invoice(2, false), id.Cert, id.Chain, Seller())
			require.NoError(t, err)
			state, err := prep.MarshalBinary()
			require.NoError(t, err)

			// Elsewhere: sign the digest with the key.
			sig, err := id.Signer().SignDigest(context.Background(), prep.Digest(), prep.SignerOpts())
			require.NoError(t, err)

			var later Prepared
			require.NoError(t, later.UnmarshalBinary(state))
			// A wrong signature is refused.
			bad := append([]byte(nil), sig...)
			bad[len(bad)/2] ^= 1
			_, err = later.Finish(context.Background(), bad)
			assert.Error(t, err)
			out, err := later.Finish(context.Background(), sig)
			require.NoError(t, err)
			s := mustVerifyOne(t, out, "NBan", nil)
			checkWithXMLSec(t, out, s, "DLHDon")

			// Corrupt state is refused.
			assert.ErrorIs(t, new(Prepared).UnmarshalBinary(state[:len(state)-3]), ErrBadState)
			assert.ErrorIs(t, new(Prepared).UnmarshalBinary([]byte("junk")), ErrBadState)
		})
	}
}

func TestXAdES(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	ctx := context.Background()

	o := Seller()
	o.Level = LevelBB
	out, err := Sign(ctx, gen.Invoice(2, false), id.Signer(), o)
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	require.NotNil(t, s.XAdES)
	assert.True(t, s.XAdES.SigningCertificateMatched)
	assert.Equal(t, "NBan-SignedProperties", s.XAdES.SignedPropertiesID)
	assert.Len(t, s.References, 3)
	checkWithXMLSec(t, out, s, "DLHDon")

	o = Seller()
	o.Level = LevelBT
	o.TimestampURL = p.TSAURL()
	out, err = Sign(ctx, gen.Invoice(2, false), id.Signer(), o)
	require.NoError(t, err)
	s = mustVerifyOne(t, out, "NBan", nil)
	require.Len(t, s.XAdES.Timestamps, 1)
	require.NoError(t, s.XAdES.Timestamps[0].Err)
	assert.WithinDuration(t, time.Now(), s.XAdES.Timestamps[0].Time, time.Minute)
	checkWithXMLSec(t, out, s, "DLHDon")

	// A changed SignatureValue breaks the time-stamp imprint too.
	o.Level = LevelBB
	o.TimestampURL = ""
	_, err = Prepare(ctx, gen.Invoice(1, false), id.Cert, nil, &SignOptions{Level: LevelBT})
	assert.Error(t, err, "B-T without a TSA")

	// A time-stamp over another signature does not verify here.
	out2, err := Sign(ctx, gen.Invoice(2, false), id.Signer(), func() *SignOptions {
		o := Seller()
		o.Level, o.TimestampURL = LevelBT, p.TSAURL()
		return o
	}())
	require.NoError(t, err)
	tok := func(doc []byte) string {
		s := string(doc)
		i := strings.Index(s, "<xades:EncapsulatedTimeStamp>")
		j := strings.Index(s, "</xades:EncapsulatedTimeStamp>")
		return s[i:j]
	}
	swapped := strings.Replace(string(out), tok(out), tok(out2), 1)
	s = mustVerifyOne(t, []byte(swapped), "NBan", nil)
	require.Len(t, s.XAdES.Timestamps, 1)
	assert.Error(t, s.XAdES.Timestamps[0].Err)

	// Signing certificate mismatch: swap the certificate in KeyInfo.
	other := p.MustIssue(pkitest.RSAKey(2048))
	forged := replaceOnce(t, out, b64(id.Cert.Raw), b64(other.Cert.Raw))
	res, err := Verify(forged, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrSignatureInvalid)
}

func opensslVerifyPSS(t *testing.T, s *Signature, doc []byte) {
	t.Helper()
	bin := testutil.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	pubDER, err := x509.MarshalPKIXPublicKey(s.Certificate.PublicKey)
	require.NoError(t, err)
	pub := writePEM(t, dir, "pub.pem", "PUBLIC KEY", pubDER)
	si := filepath.Join(dir, "si.bin")
	require.NoError(t, os.WriteFile(si, s.SignedInfo, 0o600))
	d := mustParse(t, doc)
	sv, err := d.FindOne("//Signature/SignatureValue")
	require.NoError(t, err)
	raw, err := decodeBase64(sv.Text())
	require.NoError(t, err)
	sig := filepath.Join(dir, "sig.bin")
	require.NoError(t, os.WriteFile(sig, raw, 0o600))
	out, err := exec.Command(bin, "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
		"-verify", pub, "-signature", sig, si).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Verified OK")
}

func TestVerifyWithSuppliedCertificate(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	out, err := Sign(context.Background(), gen.Invoice(1, false), id.Signer(), Seller())
	require.NoError(t, err)
	s := string(out)
	noKI := s[:strings.Index(s, "<KeyInfo>")] + s[strings.Index(s, "</KeyInfo>")+len("</KeyInfo>"):]
	res, err := Verify([]byte(noKI), nil)
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrKeyInfo)
	other := p.MustIssue()
	res, err = Verify([]byte(noKI), &VerifyOptions{Certificates: []*x509.Certificate{other.Cert, id.Cert}})
	require.NoError(t, err)
	require.NoError(t, res.Signatures[0].Err)
	assert.Equal(t, id.Cert.Raw, res.Signatures[0].Certificate.Raw)
}

func TestCustomIDAttributeNames(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue()
	doc := []byte(`<HoSo><DuLieu ma="dl-1"><A>1</A></DuLieu><Khac Id="dl-1"/><ChuKy/></HoSo>`)
	o := &SignOptions{Location: "/HoSo/ChuKy", References: []Ref{{Path: "/HoSo/DuLieu"}}, IDAttrs: []string{"ma"}, SignatureID: "CK"}
	out, err := Sign(context.Background(), doc, id.Signer(), o)
	require.NoError(t, err)
	// With the same Id names the reference resolves; with the defaults the
	// "dl-1" Id names another element and the digest fails.
	s := mustVerifyOne(t, out, "CK", &VerifyOptions{IDAttrs: []string{"ma"}})
	assert.Equal(t, "DuLieu", s.References[0].Element.LocalName())
	res, err := Verify(out, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrDigestMismatch)
	// Both names at once: "dl-1" is ambiguous.
	res, err = Verify(out, &VerifyOptions{IDAttrs: []string{"ma", "Id"}})
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrReference)
	checkWithXMLSec(t, out, s, "ma=DuLieu")
}

func TestTwoPhaseXAdESBT(t *testing.T) {
	p := newPKI(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	o := Seller()
	o.Level, o.TimestampURL = LevelBT, p.TSAURL()
	prep, err := Prepare(context.Background(), gen.Invoice(2, false), id.Cert, id.Chain, o)
	require.NoError(t, err)
	state, err := prep.MarshalBinary()
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(context.Background(), prep.Digest(), prep.SignerOpts())
	require.NoError(t, err)

	// The state carries the TSA's URL: nothing to set again.
	var later Prepared
	require.NoError(t, later.UnmarshalBinary(state))
	out, err := later.Finish(context.Background(), sig)
	require.NoError(t, err)
	s := mustVerifyOne(t, out, "NBan", nil)
	require.Len(t, s.XAdES.Timestamps, 1)
	require.NoError(t, s.XAdES.Timestamps[0].Err)
	checkWithXMLSec(t, out, s, "DLHDon")
}
