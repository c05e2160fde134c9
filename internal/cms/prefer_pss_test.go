package cms_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// TestSignFollowsPSSPreference: a Signer that prefers PSS (signer.WithPSS /
// signer.PSS) gets an RSASSA-PSS SignedData without the caller setting
// Options.PSS; other RSA signers keep PKCS#1 v1.5.
func TestSignFollowsPSSPreference(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue(pkitest.RSAKey(2048))
	digest := sha256.Sum256([]byte("Quyết định số 15/QĐ-UBND"))
	for _, tc := range []struct {
		name string
		s    signer.Signer
		pss  bool
	}{
		{"pkcs1", id.Signer(), false},
		{"prefers-pss", signer.PSS(id.Signer()), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := cms.Sign(context.Background(), tc.s, digest[:], cms.Options{})
			require.NoError(t, err)
			sd, err := cms.Parse(der)
			require.NoError(t, err)
			require.NoError(t, sd.Verify(digest[:]))
			opts, err := sd.SignerInfos[0].SignerOpts(id.Cert.PublicKey)
			require.NoError(t, err)
			_, isPSS := opts.(*rsa.PSSOptions)
			require.Equal(t, tc.pss, isPSS)
		})
	}
}
