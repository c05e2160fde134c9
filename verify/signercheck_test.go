package verify

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer/pkitest"
)

func TestCheckSigner(t *testing.T) {
	ctx := context.Background()
	p := pkitest.New(t, pkitest.WithClock(func() time.Time { return base }))
	online := SignerCheckOptions{Time: base, HTTPClient: p.HTTPClient()}

	good := p.MustIssue(pkitest.Person("Nguyễn Văn Tốt", "001099000010"))
	res, err := CheckSigner(ctx, good.Signer(), online)
	require.NoError(t, err)
	require.NotNil(t, res.Revocation)
	assert.Equal(t, StatusGood, res.Revocation.Status)
	assert.Equal(t, "OCSP", res.Revocation.Source, "OCSP is asked first")
	assert.Empty(t, res.Warnings)

	type refusal struct {
		name  string
		id    *pkitest.Identity
		setup func()
		want  error
		vi    string
	}
	refusals := []refusal{
		{"expired", p.MustIssue(pkitest.Expired()), nil, ErrCertExpired, "hết hạn"},
		{"not yet valid", p.MustIssue(pkitest.NotYetValid()), nil, ErrCertNotYetValid, "chưa có hiệu lực"},
		{"wrong key usage", p.MustIssue(pkitest.WrongKeyUsage()), nil, ErrCertNotForSigning, "không dùng để ký"},
	}
	revOCSP := p.MustIssue()
	p.MustRevoke(revOCSP.Cert, base.Add(-time.Hour), 1)
	refusals = append(refusals, refusal{"revoked (OCSP)", revOCSP, nil, ErrCertRevoked, "bị thu hồi"})
	revCRL := p.MustIssue()
	p.MustRevoke(revCRL.Cert, base.Add(-time.Hour), 1)
	refusals = append(refusals, refusal{"revoked (CRL)", revCRL, func() { p.SetOCSPMode(pkitest.OCSPUnavailable) }, ErrCertRevoked, "bị thu hồi"})
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup()
				defer p.SetOCSPMode(pkitest.OCSPNormal)
			}
			res, err := CheckSigner(ctx, c.id.Signer(), online)
			assert.Nil(t, res)
			require.ErrorIs(t, err, c.want)
			var ce *SignerCheckError
			require.True(t, errors.As(err, &ce))
			assert.Contains(t, err.Error(), c.vi)
			requireKnownMessage(t, c.name, ce.Message)
			if c.name == "revoked (CRL)" {
				assert.Contains(t, err.Error(), "source: CRL")
			}
			// The explicit skip signs anyway, with a warning.
			res, err = CheckSigner(ctx, c.id.Signer(), SignerCheckOptions{Skip: true})
			require.NoError(t, err)
			assert.True(t, res.Skipped)
			require.Len(t, res.Warnings, 1)
			assert.Contains(t, res.Warnings[0].Text(Vietnamese), "Chưa kiểm tra")
			requireKnownMessage(t, "warning", res.Warnings[0])
		})
	}

	// Unreachable OCSP responder and CRL server: sign, with a bilingual
	// warning.
	p.SetOCSPMode(pkitest.OCSPUnavailable)
	p.SetCRLMode(pkitest.CRLUnavailable)
	res, err = CheckSigner(ctx, good.Signer(), online)
	p.SetOCSPMode(pkitest.OCSPNormal)
	p.SetCRLMode(pkitest.CRLNormal)
	require.NoError(t, err)
	require.Len(t, res.Warnings, 1)
	assert.Equal(t, StatusUnknown, res.Revocation.Status)
	assert.Contains(t, res.Warnings[0].Text(Vietnamese), "không xác định được trạng thái")
	assert.Contains(t, res.Warnings[0].Text(English), "could not be reached")
	requireKnownMessage(t, "warning", res.Warnings[0])

	// A key below Circular 15's minimum: a warning (signing is the
	// caller's choice), status still checked.
	weak := p.MustIssue(pkitest.RSAKey(1024))
	res, err = CheckSigner(ctx, weak.Signer(), online)
	require.NoError(t, err)
	require.Len(t, res.Warnings, 1)
	assert.Contains(t, res.Warnings[0].Text(Vietnamese), "Thông tư 15/2025")
	requireKnownMessage(t, "warning", res.Warnings[0])
	assert.Equal(t, StatusGood, res.Revocation.Status)

	// Offline, without data: a warning too.
	res, err = CheckSigner(ctx, good.Signer(), SignerCheckOptions{Time: base, Offline: true})
	require.NoError(t, err)
	require.Len(t, res.Warnings, 1)

	// The issuer fetched through AIA when the signer carries no chain.
	bare := leafOnly{good.Signer()}
	res, err = CheckSigner(ctx, bare, online)
	require.NoError(t, err)
	assert.Equal(t, StatusGood, res.Revocation.Status, "%+v", res.Warnings)

	// With a trust store, the chain and anchor are reported.
	ts := NewTrustStore()
	ts.AddCertificate(p.Root.Cert, "root")
	o := online
	o.Trust = ts
	res, err = CheckSigner(ctx, good.Signer(), o)
	require.NoError(t, err)
	require.NotNil(t, res.Anchor)
	assert.Len(t, res.Chain, 3)
}

type leafOnly struct{ pkitestSigner }

type pkitestSigner = interface {
	Certificate() *x509.Certificate
	Chain() []*x509.Certificate
	SignDigest(context.Context, []byte, crypto.SignerOpts) ([]byte, error)
}

func (leafOnly) Chain() []*x509.Certificate { return nil }
