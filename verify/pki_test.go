package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// base is the PKI's creation time in these tests; signatures are made at
// signAt and validated at checkAt.
var (
	base    = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	signAt  = base.Add(10 * 24 * time.Hour)
	checkAt = base.Add(30 * 24 * time.Hour)
)

var content = []byte("Quyết định số 123/QĐ-UBND về việc phê duyệt kế hoạch chuyển đổi số năm 2026")

type env struct {
	pki   *pkitest.PKI
	trust *TrustStore
}

func newEnv(t *testing.T, opts ...pkitest.Option) *env {
	t.Helper()
	p := pkitest.New(t, append([]pkitest.Option{pkitest.WithClock(func() time.Time { return base })}, opts...)...)
	ts := NewTrustStore()
	ts.AddCertificate(p.Root.Cert, "pkitest root")
	return &env{pki: p, trust: ts}
}

type signSpec struct {
	claimed bool // add a signing-time attribute (the PKI's current time)
	tsa     bool // add a signature time-stamp
}

// sign makes a detached CMS signature over content at the PKI's current time.
func (e *env) sign(t *testing.T, id *pkitest.Identity, s signSpec) []byte {
	t.Helper()
	ctx := context.Background()
	d := sha256.Sum256(content)
	o := cms.Options{}
	if s.claimed {
		o.SigningTime = e.pki.Now()
	}
	der, err := cms.Sign(ctx, id.Signer(), d[:], o)
	require.NoError(t, err)
	if s.tsa {
		der, err = cms.AddTimestamp(ctx, der, &cms.TSAClient{URL: e.pki.TSAURL(), HTTPClient: e.pki.HTTPClient()})
		require.NoError(t, err)
	}
	return der
}

func (e *env) online() Options {
	return Options{Trust: e.trust, Time: e.pki.Now(), Revocation: RevocationOnline, HTTPClient: e.pki.HTTPClient()}
}

func (e *env) offline() Options {
	return Options{Trust: e.trust, Time: e.pki.Now()}
}

func verifyOne(t *testing.T, o Options, sig, data []byte) *SignatureReport {
	t.Helper()
	v, err := New(o)
	require.NoError(t, err)
	rep, err := v.VerifyDetached(context.Background(), sig, bytes.NewReader(data))
	require.NoError(t, err)
	require.Len(t, rep.Signatures, 1)
	requireKnownCodes(t, rep)
	return rep.Signatures[0]
}

// TestPKISituations is the table of notes/verify.md §4 rows that concern
// PKI and CMS: one row per situation, with the expected ETSI indication and
// sub-indication, every one built with signer/pkitest and internal/cms.
func TestPKISituations(t *testing.T) {
	type tc struct {
		name string
		// setup issues the signer (and may revoke, switch server modes)
		// and returns the signature and the options to validate with.
		setup   func(t *testing.T, e *env) ([]byte, Options)
		data    []byte // content to verify against; nil = content
		ind     Indication
		sub     SubIndication
		check   func(t *testing.T, r *SignatureReport)
		pkiOpts []pkitest.Option
	}
	signed := func(id func(e *env) *pkitest.Identity, s signSpec, before func(e *env, id *pkitest.Identity)) func(t *testing.T, e *env) ([]byte, Options) {
		return func(t *testing.T, e *env) ([]byte, Options) {
			i := id(e)
			if before != nil {
				before(e, i)
			}
			e.pki.SetTime(signAt)
			sig := e.sign(t, i, s)
			e.pki.SetTime(checkAt)
			return sig, e.online()
		}
	}
	person := func(e *env) *pkitest.Identity { return e.pki.MustIssue() }
	full := signSpec{claimed: true, tsa: true}

	cases := []tc{
		{
			name: "valid with timestamp, online", setup: signed(person, full, nil), ind: TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				assert.Equal(t, TimeFromTimestamp, r.TimeSource)
				assert.Equal(t, signAt, r.BestSignatureTime)
				require.NotNil(t, r.Signer)
				assert.Equal(t, pkitest.DefaultPersonName, r.Signer.Name)
				assert.Contains(t, r.Signer.Identifiers, IdentifierInfo{Type: "CCCD", Value: pkitest.DefaultCCCD})
				assert.Len(t, r.Chain, 3)
				require.NotNil(t, r.Anchor)
				assert.Len(t, r.Revocation, 2)
				for _, rv := range r.Revocation {
					assert.Equal(t, StatusGood, rv.Status, rv.Subject)
					assert.Equal(t, "fetched", rv.Origin)
				}
				require.Len(t, r.Timestamps, 1)
				assert.True(t, r.Timestamps[0].Valid, r.Timestamps[0].Problems)
			},
		},
		{
			name: "valid without timestamp: self-declared time, validated now", setup: signed(person, signSpec{claimed: true}, nil), ind: TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				assert.Equal(t, TimeFromValidation, r.TimeSource)
				assert.Equal(t, checkAt, r.BestSignatureTime)
				require.NotNil(t, r.ClaimedSigningTime)
				assert.Equal(t, signAt, *r.ClaimedSigningTime)
				assert.Contains(t, codes(r.Warnings), "time.self-declared")
			},
		},
		{
			name: "offline without revocation data is never a pass",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				sig, _ := signed(person, full, nil)(t, e)
				return sig, e.offline()
			},
			ind: Indeterminate, sub: TryLater,
		},
		{
			name: "CRL only (embedded, offline)",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				sig, _ := signed(person, full, nil)(t, e)
				o := e.offline()
				for _, ca := range []*pkitest.CA{e.pki.CA, e.pki.Root} {
					crl, err := e.pki.CRL(ca)
					require.NoError(t, err)
					o.CRLs = append(o.CRLs, crl)
				}
				return sig, o
			},
			ind: TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				for _, rv := range r.Revocation {
					assert.Equal(t, "CRL", rv.Source)
					assert.Equal(t, "options", rv.Origin)
				}
			},
		},
		{
			name: "OCSP only (embedded, offline)",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue()
				e.pki.SetTime(signAt)
				sig := e.sign(t, id, full)
				e.pki.SetTime(checkAt)
				o := e.offline()
				for _, c := range []*x509.Certificate{id.Cert, e.pki.CA.Cert, e.pki.TSA.Cert} {
					resp, err := e.pki.OCSP(c)
					require.NoError(t, err)
					o.OCSPResponses = append(o.OCSPResponses, resp)
				}
				return sig, o
			},
			ind: TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				for _, rv := range r.Revocation {
					assert.Equal(t, "OCSP", rv.Source)
				}
				assert.Equal(t, TimeFromTimestamp, r.TimeSource)
			},
		},
		{
			name:  "OCSP only (online, CRL server down)",
			setup: signed(person, full, func(e *env, _ *pkitest.Identity) { e.pki.SetCRLMode(pkitest.CRLUnavailable) }),
			ind:   TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				for _, rv := range r.Revocation {
					assert.Equal(t, "OCSP", rv.Source)
					assert.Equal(t, "matched", rv.Nonce)
				}
			},
		},
		{
			name:  "CRL only (online, OCSP responder down)",
			setup: signed(person, full, func(e *env, _ *pkitest.Identity) { e.pki.SetOCSPMode(pkitest.OCSPUnavailable) }),
			ind:   TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				for _, rv := range r.Revocation {
					assert.Equal(t, "CRL", rv.Source)
				}
			},
		},
		{
			name: "unreachable responders: TRY_LATER",
			setup: signed(person, full, func(e *env, _ *pkitest.Identity) {
				e.pki.SetOCSPMode(pkitest.OCSPUnavailable)
				e.pki.SetCRLMode(pkitest.CRLUnavailable)
			}),
			ind: Indeterminate, sub: TryLater,
			check: func(t *testing.T, r *SignatureReport) {
				assert.True(t, r.Revocation[0].FetchFailed)
				assert.Contains(t, r.Findings[0].Detail.String(), "could not be reached")
			},
		},
		{
			name: "OCSP with a bad signature and stale CRL, no timestamp: rejected, TRY_LATER",
			setup: signed(person, signSpec{claimed: true}, func(e *env, _ *pkitest.Identity) {
				e.pki.SetOCSPMode(pkitest.OCSPBadSignature)
				e.pki.SetCRLMode(pkitest.CRLStale)
			}),
			ind: Indeterminate, sub: TryLater,
			check: func(t *testing.T, r *SignatureReport) {
				joined := ""
				for _, p := range r.Revocation[0].Problems {
					joined += p.String() + "\n"
				}
				assert.Contains(t, joined, "OCSP response rejected")
				assert.Contains(t, joined, "too old")
			},
		},
		{
			name: "stale CRL issued after the timestamp still speaks for it",
			setup: signed(person, full, func(e *env, _ *pkitest.Identity) {
				e.pki.SetOCSPMode(pkitest.OCSPUnavailable)
				e.pki.SetCRLMode(pkitest.CRLStale)
			}),
			ind: TotalPassed,
		},
		{
			name: "OCSP with a wrong nonce is refused",
			setup: signed(person, full, func(e *env, _ *pkitest.Identity) {
				e.pki.SetOCSPMode(pkitest.OCSPBadNonce)
				e.pki.SetCRLMode(pkitest.CRLUnavailable)
			}),
			ind: Indeterminate, sub: TryLater,
		},
		{
			name: "revoked before the timestamp, signer claims a later time: REVOKED",
			setup: signed(person, full, func(e *env, id *pkitest.Identity) {
				e.pki.MustRevoke(id.Cert, base.Add(5*24*time.Hour), ocsp.KeyCompromise)
			}),
			ind: TotalFailed, sub: Revoked,
		},
		{
			name: "revoked before the timestamp, no claimed time: REVOKED_NO_POE",
			setup: signed(person, signSpec{tsa: true}, func(e *env, id *pkitest.Identity) {
				e.pki.MustRevoke(id.Cert, base.Add(5*24*time.Hour), ocsp.KeyCompromise)
			}),
			ind: Indeterminate, sub: RevokedNoPOE,
		},
		{
			name: "revoked after the timestamp: still valid",
			setup: signed(person, full, func(e *env, id *pkitest.Identity) {
				e.pki.MustRevoke(id.Cert, base.Add(20*24*time.Hour), ocsp.Superseded)
			}),
			ind: TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				assert.Equal(t, StatusRevoked, r.Revocation[0].Status)
				assert.Equal(t, "superseded", r.Revocation[0].Reason)
			},
		},
		{
			name: "revoked after signing but no timestamp: REVOKED_NO_POE",
			setup: signed(person, signSpec{claimed: true}, func(e *env, id *pkitest.Identity) {
				e.pki.MustRevoke(id.Cert, base.Add(20*24*time.Hour), ocsp.KeyCompromise)
			}),
			ind: Indeterminate, sub: RevokedNoPOE,
		},
		{
			name: "CA revoked before the signature",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				ca := e.pki.MustNewCA()
				id := e.pki.MustIssue(pkitest.IssuedBy(ca))
				e.pki.MustRevoke(ca.Cert, base.Add(5*24*time.Hour), ocsp.CACompromise)
				e.pki.SetTime(signAt)
				sig := e.sign(t, id, full)
				e.pki.SetTime(checkAt)
				return sig, e.online()
			},
			ind: Indeterminate, sub: RevokedCANoPOE,
		},
		{
			name: "expired before signing, signer admits signing later: EXPIRED",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue(pkitest.Validity(base.Add(-time.Hour), base.Add(5*24*time.Hour)))
				return signed(func(*env) *pkitest.Identity { return id }, full, nil)(t, e)
			},
			ind: TotalFailed, sub: Expired,
		},
		{
			name: "expired before the timestamp, no claimed time: OUT_OF_BOUNDS_NO_POE",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue(pkitest.Validity(base.Add(-time.Hour), base.Add(5*24*time.Hour)))
				return signed(func(*env) *pkitest.Identity { return id }, signSpec{tsa: true}, nil)(t, e)
			},
			ind: Indeterminate, sub: OutOfBoundsNoPOE,
		},
		{
			name: "expired after a timestamped signature: valid",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue(pkitest.Validity(base.Add(-time.Hour), base.Add(20*24*time.Hour)))
				return signed(func(*env) *pkitest.Identity { return id }, full, nil)(t, e)
			},
			ind: TotalPassed,
		},
		{
			name: "expired after signing, no timestamp: OUT_OF_BOUNDS_NO_POE",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue(pkitest.Validity(base.Add(-time.Hour), base.Add(20*24*time.Hour)))
				return signed(func(*env) *pkitest.Identity { return id }, signSpec{claimed: true}, nil)(t, e)
			},
			ind: Indeterminate, sub: OutOfBoundsNoPOE,
		},
		{
			name: "not yet valid at the timestamp",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue(pkitest.Validity(base.Add(15*24*time.Hour), base.AddDate(1, 0, 0)))
				return signed(func(*env) *pkitest.Identity { return id }, full, nil)(t, e)
			},
			ind: TotalFailed, sub: NotYetValid,
		},
		{
			name:  "wrong key usage",
			setup: signed(func(e *env) *pkitest.Identity { return e.pki.MustIssue(pkitest.WrongKeyUsage()) }, full, nil),
			ind:   Indeterminate, sub: ChainConstraintsFailure,
		},
		{
			name:  "weak: RSA-1024 key in a SHA-1 signed certificate",
			setup: signed(func(e *env) *pkitest.Identity { return e.pki.MustIssue(pkitest.Weak()) }, full, nil),
			ind:   Indeterminate, sub: CryptoConstraintsFailure,
			check: func(t *testing.T, r *SignatureReport) {
				assert.NotEmpty(t, r.Chain, "the SHA-1 chain crypto/x509 refuses is still found and reported")
				joined := ""
				for _, f := range r.Findings {
					joined += f.Detail.String() + "\n"
				}
				assert.Contains(t, joined, "SHA1")
				assert.Contains(t, joined, "RSA key of 1024 bits")
			},
		},
		{
			name:  "weak: RSA-1024 key in a SHA-256 certificate",
			setup: signed(func(e *env) *pkitest.Identity { return e.pki.MustIssue(pkitest.RSAKey(1024)) }, full, nil),
			ind:   Indeterminate, sub: CryptoConstraintsFailure,
		},
		{
			name: "untrusted root",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				sig, o := signed(person, full, nil)(t, e)
				other := pkitest.New(t)
				o.Trust = NewTrustStore()
				o.Trust.AddCertificate(other.Root.Cert, "other")
				return sig, o
			},
			ind: Indeterminate, sub: NoCertificateChainFound,
			check: func(t *testing.T, r *SignatureReport) { assert.Nil(t, r.Anchor) },
		},
		{
			name: "tampered content", setup: signed(person, full, nil), data: append([]byte("X"), content...),
			ind: TotalFailed, sub: HashFailure,
			check: func(t *testing.T, r *SignatureReport) { assert.False(t, r.Integrity.Intact) },
		},
		{
			name: "bad signature value",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				sig, o := signed(person, signSpec{claimed: true}, nil)(t, e)
				sd, err := cms.Parse(sig)
				require.NoError(t, err)
				v := sd.SignerInfos[0].Signature
				i := bytes.Index(sig, v)
				require.Positive(t, i)
				bad := bytes.Clone(sig)
				bad[i+len(v)-2] ^= 0x01 // inside the DER INTEGER s of the ECDSA signature
				return bad, o
			},
			ind: TotalFailed, sub: SigCryptoFailure,
		},
		{
			name: "malformed CMS",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				sig, o := signed(person, full, nil)(t, e)
				return sig[:len(sig)/2], o
			},
			ind: TotalFailed, sub: FormatFailure,
		},
		{
			name: "leaf pinned by the caller",
			setup: func(t *testing.T, e *env) ([]byte, Options) {
				id := e.pki.MustIssue()
				sig, o := signed(func(*env) *pkitest.Identity { return id }, full, nil)(t, e)
				o.Trust = NewTrustStore()
				o.Trust.AddCertificate(id.Cert, "pinned")
				return sig, o
			},
			ind: TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				assert.Len(t, r.Chain, 1)
				require.NotNil(t, r.Anchor)
				assert.Equal(t, pkitest.DefaultPersonName, r.Anchor.Name)
			},
		},
		{
			name:    "RSA-2048 PKI with a TSA, online",
			pkiOpts: []pkitest.Option{pkitest.CAOptions(pkitest.RSAKey(2048))},
			setup:   signed(func(e *env) *pkitest.Identity { return e.pki.MustIssue(pkitest.RSAKey(2048)) }, full, nil),
			ind:     TotalPassed,
			check: func(t *testing.T, r *SignatureReport) {
				assert.Equal(t, "RSA PKCS#1 v1.5", r.Integrity.SignatureAlgorithm)
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.pkiOpts...)
			sig, o := c.setup(t, e)
			data := c.data
			if data == nil {
				data = content
			}
			r := verifyOne(t, o, sig, data)
			assert.Equal(t, c.ind, r.Indication, "findings: %+v", r.Findings)
			assert.Equal(t, c.sub, r.SubIndication, "findings: %+v", r.Findings)
			if c.check != nil {
				c.check(t, r)
			}
			if t.Failed() {
				t.Log(r.Text(English))
			}
		})
	}
}
