package verify

import (
	"crypto/x509"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

func readRealCert(t *testing.T, name string) (*x509.Certificate, []byte) {
	t.Helper()
	data, err := os.ReadFile(testutil.Realworld(t, name))
	require.NoError(t, err)
	certs, err := ParseCertificates(data)
	require.NoError(t, err)
	require.Len(t, certs, 1)
	return certs[0], data
}

// The fingerprints and key identifiers kyso pins are those of the real
// certificates in ../shared/realworld.
func TestKnownAnchorsFromRealCertificates(t *testing.T) {
	root, rootData := readRealCert(t, "ca_Vietnam_National_Root_CA_vnrca256.pem")
	winca, _ := readRealCert(t, "ca_WINCA_by_vnrca256.pem")
	viettel, _ := readRealCert(t, "ca_Viettel-CA_2015_by_MIC_National_Root_CA.cer")

	k := LookupKnownAnchor("Vietnam National Root CA")
	require.NotNil(t, k)
	assert.Equal(t, k.SHA256, Fingerprint(root))
	assert.True(t, k.Verified)
	assert.Equal(t, RegimePublic, k.Regime)
	assert.Equal(t, k.SubjectKeyID, hex.EncodeToString(root.SubjectKeyId))
	assert.Equal(t, k.SubjectKeyID, hex.EncodeToString(winca.AuthorityKeyId))
	mic := LookupKnownAnchor("MIC National Root CA")
	require.NotNil(t, mic)
	assert.Equal(t, mic.SubjectKeyID, hex.EncodeToString(viettel.AuthorityKeyId))
	assert.Equal(t, "MIC National Root CA", viettel.Issuer.CommonName)

	// AddKnown accepts the real root by name and nothing else.
	ts := NewTrustStore()
	a, err := ts.AddKnown("Vietnam National Root CA", rootData)
	require.NoError(t, err)
	require.NotNil(t, a.Known)
	assert.Equal(t, RegimePublic, a.Regime)
	_, err = ts.AddKnown("Vietnam National Root CA", pkitest.PEM(winca))
	assert.ErrorIs(t, err, ErrFingerprintMismatch)
	_, err = ts.AddKnown("VGCA Root CA G2", rootData)
	assert.ErrorIs(t, err, ErrAnchorUnverified)

	// WINCA chains to it (signature over the real TBS, path building).
	require.NoError(t, winca.CheckSignatureFrom(root))
	chains, err := winca.Verify(x509.VerifyOptions{Roots: ts.pool(), CurrentTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err)
	got := anchorInfo(ts.lookup(chains[0][len(chains[0])-1]))
	require.NotNil(t, got)
	assert.Equal(t, RegimePublic, got.Regime)
	assert.Equal(t, "Vietnam National Root CA", got.Name)

	// The two regimes stay apart.
	_, err = NewTrustStore().AddFor(RegimePublicDuty, rootData, "wrong set")
	assert.ErrorIs(t, err, ErrRegimeMismatch)
	for _, k := range KnownAnchorsFor(RegimePublicDuty) {
		assert.Equal(t, "VGCA", k.Family)
	}
	for _, k := range KnownAnchorsFor(RegimePublic) {
		assert.Equal(t, "NEAC", k.Family)
	}
	assert.Len(t, KnownAnchors(), len(KnownAnchorsFor(RegimePublic))+len(KnownAnchorsFor(RegimePublicDuty)))
}

// The report names the regime the chain reached.
func TestReportRegime(t *testing.T) {
	e := newEnv(t)
	ts := NewTrustStore()
	_, err := ts.AddFor(RegimePublicDuty, pkitest.PEM(e.pki.Root.Cert), "government test root")
	require.NoError(t, err)
	id := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	o := e.online()
	o.Trust = ts
	r := verifyOne(t, o, sig, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	require.NotNil(t, r.Anchor)
	assert.Equal(t, RegimePublicDuty, r.Anchor.Regime)
	assert.Contains(t, r.Text(Vietnamese), "Loại chữ ký số: chữ ký số chuyên dùng công vụ")
	assert.Contains(t, r.Text(English), "Signature regime: public-duty")
}
