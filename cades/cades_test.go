package cades_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

var content = []byte("Tờ khai thủ tục hành chính — bản scan đính kèm\n" + strings.Repeat("dữ liệu ", 5000))

type fixture struct {
	pki  *pkitest.PKI
	id   *pkitest.Identity
	dir  string
	root string // PEM file of the root
	in   string // content file
}

func newFixture(t *testing.T, opts ...pkitest.CertOption) *fixture {
	t.Helper()
	pki := pkitest.New(t)
	if len(opts) == 0 {
		opts = []pkitest.CertOption{pkitest.Person("Nguyễn Văn An", "001190012345")}
	}
	f := &fixture{pki: pki, id: pki.MustIssue(opts...), dir: t.TempDir()}
	f.root = filepath.Join(f.dir, "root.pem")
	require.NoError(t, os.WriteFile(f.root, pkitest.PEM(pki.Root.Cert), 0o600))
	f.in = filepath.Join(f.dir, "attachment.bin")
	require.NoError(t, os.WriteFile(f.in, content, 0o600))
	return f
}

func (f *fixture) opts(l cades.Level) *cades.Options {
	o := &cades.Options{Level: l, HTTPClient: f.pki.HTTPClient()}
	if l >= cades.LevelBT {
		o.TimestampURL = f.pki.TSAURL()
	}
	return o
}

// validator trusts the fixture's root, online revocation through the PKI.
func (f *fixture) validator(t *testing.T, offline bool) *verify.Validator {
	t.Helper()
	ts := verify.NewTrustStore()
	ts.AddCertificate(f.pki.Root.Cert, "test root")
	o := verify.Options{Trust: ts, Revocation: verify.RevocationOnline, HTTPClient: f.pki.HTTPClient()}
	if offline {
		o.Revocation = verify.RevocationOffline
	}
	v, err := verify.New(o)
	require.NoError(t, err)
	return v
}

func (f *fixture) verify(t *testing.T, p7s, data []byte, offline bool) *verify.Report {
	t.Helper()
	var r io.Reader // nil for an enveloping .p7m
	if data != nil {
		r = bytes.NewReader(data)
	}
	rep, err := f.validator(t, offline).VerifyDetached(context.Background(), p7s, r)
	require.NoError(t, err)
	return rep
}

// opensslVerify runs openssl cms -verify -binary -content on p7s.
func (f *fixture) opensslVerify(t *testing.T, p7s []byte, contentPath string) ([]byte, error) {
	t.Helper()
	openssl := testutil.Tool(t, "openssl", "openssl")
	path := filepath.Join(f.dir, "sig.p7s")
	require.NoError(t, os.WriteFile(path, p7s, 0o600))
	args := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", path, "-CAfile", f.root, "-out", os.DevNull}
	if contentPath != "" {
		args = append(args, "-content", contentPath)
	}
	return exec.Command(openssl, args...).CombinedOutput()
}

func TestSignLevelsOpenSSLAndKyso(t *testing.T) {
	f := newFixture(t)
	for _, l := range []cades.Level{cades.LevelBB, cades.LevelBT, cades.LevelBLT} {
		t.Run(l.String(), func(t *testing.T) {
			p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), f.opts(l))
			require.NoError(t, err)
			out, err := f.opensslVerify(t, p7s, f.in)
			require.NoError(t, err, "openssl: %s", out)

			sd, err := cms.Parse(p7s)
			require.NoError(t, err)
			require.Len(t, sd.SignerInfos, 1)
			si := sd.SignerInfos[0]
			assert.Nil(t, sd.Content, "detached")
			assert.Equal(t, 2, si.SigningCertificateVersion())
			_, hasTime, err := si.SigningTime()
			require.NoError(t, err)
			assert.True(t, hasTime)
			ct, err := si.ContentTypeAttr()
			require.NoError(t, err)
			assert.True(t, ct.Equal(cms.OIDData))
			assert.Equal(t, l >= cades.LevelBT, len(si.Timestamps) == 1)
			if l == cades.LevelBLT {
				assert.NotEmpty(t, sd.RawCRLs, "revocation values in SignedData.crls")
				// Root, CA, signer, TSA at least.
				assert.GreaterOrEqual(t, len(sd.Certificates), 4)
			}

			// kyso: online for B-B/B-T, offline (embedded data only) for B-LT.
			rep := f.verify(t, p7s, content, l == cades.LevelBLT)
			require.Len(t, rep.Signatures, 1)
			assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(verify.English))
			if l >= cades.LevelBT {
				assert.NotNil(t, rep.Signatures[0].TimestampTime)
			}

			// A changed attachment: TOTAL_FAILED/HASH_FAILURE, and openssl agrees.
			changed := append([]byte(nil), content...)
			changed[100] ^= 1
			rep = f.verify(t, p7s, changed, true)
			assert.Equal(t, verify.TotalFailed, rep.Signatures[0].Indication)
			assert.Equal(t, verify.HashFailure, rep.Signatures[0].SubIndication)
			cp := filepath.Join(f.dir, "changed.bin")
			require.NoError(t, os.WriteFile(cp, changed, 0o600))
			out, err = f.opensslVerify(t, p7s, cp)
			assert.Error(t, err, "openssl accepted a changed attachment: %s", out)
		})
	}
}

// The signature time-stamp token extracted from a B-T .p7s passes openssl
// ts -verify against the hash of the signature value.
func TestTimestampTokenOpenSSL(t *testing.T) {
	f := newFixture(t)
	openssl := testutil.Tool(t, "openssl", "openssl")
	p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), f.opts(cades.LevelBT))
	require.NoError(t, err)
	sd, err := cms.Parse(p7s)
	require.NoError(t, err)
	si := sd.SignerInfos[0]
	toks := si.UnsignedAttribute(cms.OIDAttrTimestampToken)
	require.Len(t, toks, 1)
	tokPath := filepath.Join(f.dir, "token.der")
	require.NoError(t, os.WriteFile(tokPath, toks[0], 0o600))
	sigPath := filepath.Join(f.dir, "sigvalue.bin")
	require.NoError(t, os.WriteFile(sigPath, si.Signature, 0o600))
	untrusted := filepath.Join(f.dir, "tsa.pem")
	require.NoError(t, os.WriteFile(untrusted, pkitest.PEM(append([]*x509.Certificate{f.pki.TSA.Cert}, f.pki.TSA.Chain...)...), 0o600))
	out, err := exec.Command(openssl, "ts", "-verify", "-data", sigPath, "-in", tokPath, "-token_in",
		"-CAfile", f.root, "-untrusted", untrusted).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Verification: OK")
	// The token does not verify over other data.
	require.NoError(t, os.WriteFile(sigPath, append([]byte{0}, si.Signature...), 0o600))
	out, err = exec.Command(openssl, "ts", "-verify", "-data", sigPath, "-in", tokPath, "-token_in",
		"-CAfile", f.root, "-untrusted", untrusted).CombinedOutput()
	assert.Error(t, err, "%s", out)
}

// Augmenting B-B → B-T → B-LT keeps the signed part byte for byte and each
// step verifies with openssl and kyso.
func TestAugmentSteps(t *testing.T) {
	f := newFixture(t)
	bb, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), f.opts(cades.LevelBB))
	require.NoError(t, err)
	bt, err := cades.Augment(context.Background(), bb, f.opts(cades.LevelBT))
	require.NoError(t, err)
	blt, err := cades.Augment(context.Background(), bt, f.opts(cades.LevelBLT))
	require.NoError(t, err)
	sigOf := func(der []byte) *cms.SignerInfo {
		sd, err := cms.Parse(der)
		require.NoError(t, err)
		return sd.SignerInfos[0]
	}
	assert.Equal(t, sigOf(bb).RawSignedAttrs, sigOf(blt).RawSignedAttrs)
	assert.Equal(t, sigOf(bb).Signature, sigOf(blt).Signature)
	assert.Len(t, sigOf(bt).Timestamps, 1)
	assert.Equal(t, sigOf(bt).UnsignedAttributes, sigOf(blt).UnsignedAttributes, "B-LT adds no second time-stamp")
	for name, der := range map[string][]byte{"B-T": bt, "B-LT": blt} {
		out, err := f.opensslVerify(t, der, f.in)
		require.NoError(t, err, "%s: %s", name, out)
	}
	rep := f.verify(t, blt, content, true)
	assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(verify.English))

	// B-B without a TSA: nothing to do. B-T without a TSA: bad options.
	same, err := cades.Augment(context.Background(), bb, &cades.Options{})
	require.NoError(t, err)
	assert.Equal(t, bb, same)
	_, err = cades.Augment(context.Background(), bb, &cades.Options{Level: cades.LevelBT})
	assert.ErrorIs(t, err, cades.ErrBadOptions)
	_, err = cades.Augment(context.Background(), []byte("not a p7s"), f.opts(cades.LevelBT))
	assert.ErrorIs(t, err, cades.ErrMalformed)
}

// B-LT needs revocation data: offline without supplied evidence it fails
// with ErrValidationData and returns nothing.
func TestBLTOfflineNeedsEvidence(t *testing.T) {
	f := newFixture(t)
	o := f.opts(cades.LevelBLT)
	o.LTV = &cades.LTVOptions{Offline: true}
	p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), o)
	assert.ErrorIs(t, err, cades.ErrValidationData)
	assert.Nil(t, p7s)
}

func TestTwoPhase(t *testing.T) {
	f := newFixture(t)
	s := f.id.Signer()
	at := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	stamp := at.Format(time.RFC3339)
	o := f.opts(cades.LevelBT)
	o.SigningTime = at
	p, err := cades.Prepare(context.Background(), bytes.NewReader(content), s.Certificate(), s.Chain(), o)
	require.NoError(t, err)
	sum := sha256.Sum256(content)
	assert.Equal(t, sum[:], p.ContentDigest())
	state, err := p.MarshalBinary()
	require.NoError(t, err)

	// Elsewhere: the key signs the digest.
	sig, err := s.SignDigest(context.Background(), p.Digest(), p.SignerOpts())
	require.NoError(t, err)

	// Another process finishes.
	var q cades.Prepared
	require.NoError(t, q.UnmarshalBinary(state))
	q.HTTPClient = f.pki.HTTPClient()
	assert.Equal(t, at, q.SigningTime())
	assert.Equal(t, cades.LevelBT, q.Level())

	// A signature over something else is refused and nothing is returned.
	other, err := s.SignDigest(context.Background(), sum[:], p.SignerOpts())
	require.NoError(t, err)
	bad, err := q.Finish(context.Background(), other)
	assert.ErrorIs(t, err, signer.ErrBadSignature)
	assert.Nil(t, bad)

	p7s, err := q.Finish(context.Background(), sig)
	require.NoError(t, err)
	out, err := f.opensslVerify(t, p7s, f.in)
	require.NoError(t, err, "%s", out)
	rep := f.verify(t, p7s, content, false)
	assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(verify.English))
	require.NotNil(t, rep.Signatures[0].ClaimedSigningTime)
	assert.True(t, rep.Signatures[0].ClaimedSigningTime.Equal(at))

	// Tampered states are refused.
	for name, mutate := range map[string]func(string) string{
		"time":    func(s string) string { return strings.Replace(s, stamp, at.Add(time.Minute).Format(time.RFC3339), 1) },
		"level":   func(s string) string { return strings.Replace(s, `"level":"B-T"`, `"level":"B-X"`, 1) },
		"version": func(s string) string { return strings.Replace(s, `{"v":1`, `{"v":9`, 1) },
		"junk":    func(string) string { return "{" },
	} {
		var r cades.Prepared
		err := r.UnmarshalBinary([]byte(mutate(string(state))))
		assert.ErrorIs(t, err, cades.ErrBadState, name)
	}
}

// A second signer (parallel SignerInfo) and an RFC 5652 countersignature:
// openssl accepts both files, kyso reports every signer.
func TestSecondSigner(t *testing.T) {
	f := newFixture(t)
	second := f.pki.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346"))
	first, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), f.opts(cades.LevelBT))
	require.NoError(t, err)

	t.Run("parallel", func(t *testing.T) {
		both, err := cades.AddSigner(context.Background(), first, bytes.NewReader(content), second.Signer(), f.opts(cades.LevelBT))
		require.NoError(t, err)
		sd, err := cms.Parse(both)
		require.NoError(t, err)
		require.Len(t, sd.SignerInfos, 2)
		// The first signer's SignerInfo is kept byte for byte.
		fsd, _ := cms.Parse(first)
		found := false
		for _, si := range sd.SignerInfos {
			assert.Len(t, si.Timestamps, 1)
			if bytes.Equal(si.Signature, fsd.SignerInfos[0].Signature) {
				found = true
				assert.Equal(t, fsd.SignerInfos[0].UnsignedAttributes, si.UnsignedAttributes)
			}
		}
		assert.True(t, found)
		out, err := f.opensslVerify(t, both, f.in)
		require.NoError(t, err, "%s", out)
		rep := f.verify(t, both, content, false)
		require.Len(t, rep.Signatures, 2)
		names := map[string]bool{}
		for _, s := range rep.Signatures {
			assert.Equal(t, verify.TotalPassed, s.Indication, "%s", rep.Text(verify.English))
			names[s.Signer.Name] = true
		}
		assert.True(t, names["Nguyễn Văn An"] && names["Trần Thị Bình"], "%v", names)

		// Adding a signer with the wrong content is refused.
		_, err = cades.AddSigner(context.Background(), first, strings.NewReader("khác"), second.Signer(), f.opts(cades.LevelBB))
		assert.ErrorIs(t, err, cades.ErrContentMismatch)
	})

	t.Run("countersignature", func(t *testing.T) {
		cs, err := cades.CounterSign(context.Background(), first, 0, second.Signer(), f.opts(cades.LevelBLT))
		require.NoError(t, err)
		sd, err := cms.Parse(cs)
		require.NoError(t, err)
		require.Len(t, sd.SignerInfos, 1)
		counters, err := sd.SignerInfos[0].Countersignatures()
		require.NoError(t, err)
		require.Len(t, counters, 1)
		require.NoError(t, sd.VerifyCountersignature(sd.SignerInfos[0], counters[0]))
		out, err := f.opensslVerify(t, cs, f.in)
		require.NoError(t, err, "%s", out)

		rep := f.verify(t, cs, content, true)
		require.Len(t, rep.Signatures, 2, "%s", rep.Text(verify.English))
		for _, s := range rep.Signatures {
			assert.Equal(t, verify.TotalPassed, s.Indication, "%s", rep.Text(verify.English))
		}
		assert.Equal(t, "Trần Thị Bình", rep.Signatures[1].Signer.Name)
		assert.Contains(t, rep.Signatures[1].ID, "countersignature")

		// A countersignature moved onto another signature fails.
		other, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), f.opts(cades.LevelBB))
		require.NoError(t, err)
		attr := sd.SignerInfos[0].UnsignedAttribute(cms.OIDAttrCounterSignature)[0]
		moved, err := cms.AddUnsignedAttributes(other, 0, cms.Attribute{Type: cms.OIDAttrCounterSignature, Values: []asn1.RawValue{{FullBytes: attr}}})
		require.NoError(t, err)
		moved, err = cms.AddValidationData(moved, [][]byte{second.Cert.Raw}, nil, nil)
		require.NoError(t, err)
		rep = f.verify(t, moved, content, false)
		require.Len(t, rep.Signatures, 2)
		assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication)
		assert.Equal(t, verify.TotalFailed, rep.Signatures[1].Indication)
		assert.Equal(t, verify.HashFailure, rep.Signatures[1].SubIndication)
	})
}

func TestEnveloping(t *testing.T) {
	f := newFixture(t)
	small := []byte("Giấy đề nghị — nội dung nhỏ")
	o := f.opts(cades.LevelBT)
	o.Enveloping = true
	p7m, err := cades.Sign(context.Background(), bytes.NewReader(small), f.id.Signer(), o)
	require.NoError(t, err)
	sd, err := cms.Parse(p7m)
	require.NoError(t, err)
	assert.Equal(t, small, sd.Content)
	out, err := f.opensslVerify(t, p7m, "")
	require.NoError(t, err, "%s", out)

	rep := f.verify(t, p7m, nil, false)
	assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(verify.English))
	// Through the Mux, as a file of its own.
	rep, err = verify.VerifyBytes(context.Background(), verify.NewMux(f.validator(t, false)), p7m)
	require.NoError(t, err)
	assert.Equal(t, verify.TotalPassed, rep.Indication(), "%s", rep.Text(verify.English))

	// A second signer of an enveloping signature needs no content.
	second := f.pki.MustIssue(pkitest.Person("Lê Văn Cường", "001190012347"))
	both, err := cades.AddSigner(context.Background(), p7m, nil, second.Signer(), f.opts(cades.LevelBB))
	require.NoError(t, err)
	rep = f.verify(t, both, nil, false)
	require.Len(t, rep.Signatures, 2)
	assert.Equal(t, verify.TotalPassed, rep.Indication(), "%s", rep.Text(verify.English))

	// Too large to envelop.
	_, err = cades.Sign(context.Background(), bytes.NewReader(make([]byte, cades.MaxEnvelopedSize+1)), f.id.Signer(), &cades.Options{Enveloping: true})
	assert.ErrorIs(t, err, cades.ErrTooLarge)
}

// Signing honours PSS, SHA-384 and ECDSA keys.
func TestAlgorithms(t *testing.T) {
	for name, tc := range map[string]struct {
		key  pkitest.CertOption
		hash crypto.Hash
		pss  bool
	}{
		"rsa-pss-sha256": {pkitest.RSAKey(2048), crypto.SHA256, true},
		"ecdsa-sha384":   {nil, crypto.SHA384, false},
	} {
		t.Run(name, func(t *testing.T) {
			opts := []pkitest.CertOption{pkitest.Person("Phạm Thu", "001190012348")}
			if tc.key != nil {
				opts = append(opts, tc.key)
			}
			f := newFixture(t, opts...)
			o := f.opts(cades.LevelBB)
			o.Hash, o.PSS = tc.hash, tc.pss
			p7s, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), o)
			require.NoError(t, err)
			out, err := f.opensslVerify(t, p7s, f.in)
			require.NoError(t, err, "%s", out)
			rep := f.verify(t, p7s, content, false)
			assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(verify.English))
		})
	}
}

// Two-phase co-signing and countersigning: the state carries the .p7s
// being extended; a state whose parts do not fit together is refused.
func TestTwoPhaseSecondSigner(t *testing.T) {
	f := newFixture(t)
	second := f.pki.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346")).Signer()
	first, err := cades.Sign(context.Background(), bytes.NewReader(content), f.id.Signer(), nil)
	require.NoError(t, err)

	finish := func(p *cades.Prepared) []byte {
		t.Helper()
		state, err := p.MarshalBinary()
		require.NoError(t, err)
		var q cades.Prepared
		require.NoError(t, q.UnmarshalBinary(state))
		sig, err := second.SignDigest(context.Background(), q.Digest(), q.SignerOpts())
		require.NoError(t, err)
		out, err := q.Finish(context.Background(), sig)
		require.NoError(t, err)
		return out
	}
	p, err := cades.PrepareAddSigner(context.Background(), first, bytes.NewReader(content), second.Certificate(), second.Chain(), nil)
	require.NoError(t, err)
	both := finish(p)
	rep := f.verify(t, both, content, false)
	require.Len(t, rep.Signatures, 2)
	assert.Equal(t, verify.TotalPassed, rep.Indication(), "%s", rep.Text(verify.English))

	c, err := cades.PrepareCounterSign(context.Background(), first, 0, second.Certificate(), second.Chain(), nil)
	require.NoError(t, err)
	counter := finish(c)
	rep = f.verify(t, counter, content, false)
	require.Len(t, rep.Signatures, 2)
	assert.Equal(t, verify.TotalPassed, rep.Indication(), "%s", rep.Text(verify.English))
	out, err := f.opensslVerify(t, counter, f.in)
	require.NoError(t, err, "%s", out)

	// A countersignature state pointed at another .p7s is refused.
	state, err := c.MarshalBinary()
	require.NoError(t, err)
	other, err := cades.Sign(context.Background(), strings.NewReader("khác"), f.id.Signer(), nil)
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, json.Unmarshal(state, &st))
	st["base"] = other
	forged, err := json.Marshal(st)
	require.NoError(t, err)
	var q cades.Prepared
	assert.ErrorIs(t, q.UnmarshalBinary(forged), cades.ErrBadState)
	st["base"], st["index"] = first, 3
	forged, _ = json.Marshal(st)
	assert.ErrorIs(t, q.UnmarshalBinary(forged), cades.ErrBadState)
	st["index"], st["mode"] = 0, ""
	forged, _ = json.Marshal(st)
	assert.ErrorIs(t, q.UnmarshalBinary(forged), cades.ErrBadState)
}

// B-LT from supplied evidence only (LTVOptions.Offline), set on a state
// restored in another process: no OCSP or CRL request is made, and the
// .p7s verifies offline.
func TestBLTSuppliedEvidence(t *testing.T) {
	f := newFixture(t)
	s := f.id.Signer()
	p, err := cades.Prepare(context.Background(), bytes.NewReader(content), s.Certificate(), s.Chain(), f.opts(cades.LevelBLT))
	require.NoError(t, err)
	state, err := p.MarshalBinary()
	require.NoError(t, err)
	var q cades.Prepared
	require.NoError(t, q.UnmarshalBinary(state))
	q.HTTPClient = f.pki.HTTPClient() // for the TSA
	var ocsps [][]byte
	for _, c := range []*x509.Certificate{f.id.Cert, f.pki.CA.Cert, f.pki.TSA.Cert} {
		der, err := f.pki.OCSP(c)
		require.NoError(t, err)
		ocsps = append(ocsps, der)
	}
	f.pki.SetOCSPMode(pkitest.OCSPUnavailable)
	f.pki.SetCRLMode(pkitest.CRLUnavailable)
	q.LTV = &cades.LTVOptions{Offline: true, OCSPResponses: ocsps, Certificates: []*x509.Certificate{f.pki.Root.Cert}}
	sig, err := s.SignDigest(context.Background(), q.Digest(), q.SignerOpts())
	require.NoError(t, err)
	p7s, err := q.Finish(context.Background(), sig)
	require.NoError(t, err)
	rep := f.verify(t, p7s, content, true)
	assert.Equal(t, verify.TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(verify.English))
}
