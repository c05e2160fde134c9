package verify

import (
	"bytes"
	"context"
	"encoding/asn1"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// A certificate with a negative serial number signs a PDF and an e-invoice,
// loaded from PEM through the signer package, and both verify without
// GODEBUG x509negativeserial=1; tampering still fails.
func TestNegativeSerialSignsAndVerifies(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Organization("Công ty TNHH Kyso", "0312345678"), pkitest.NegativeSerial())
	require.Negative(t, id.Cert.SerialNumber.Sign())
	keyPEM, err := id.KeyPEM()
	require.NoError(t, err)
	s, err := signer.LoadKeyPair(keyPEM, append(id.CertPEM(), id.ChainPEM()...), "")
	require.NoError(t, err)
	require.Negative(t, s.Certificate().SerialNumber.Sign())

	e.pki.SetTime(signAt)
	// PDF.
	var out bytes.Buffer
	doc := minimalPDF("negative serial")
	po := &pdf.Options{TimestampURL: e.pki.TSAURL(), HTTPClient: e.pki.HTTPClient()}
	require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), s, po))
	e.pki.SetTime(checkAt)
	rep := verifyPDF(t, e.online(), out.Bytes())
	require.Len(t, rep.Signatures, 1)
	assert.Equal(t, TotalPassed, rep.Signatures[0].Indication, "%+v", rep.Signatures[0].Findings)
	assert.True(t, strings.HasPrefix(rep.Signatures[0].Signer.Serial, "-"), rep.Signatures[0].Signer.Serial)

	// E-invoice.
	e.pki.SetTime(signAt)
	opts := kxml.Seller()
	opts.SigningTime = signAt
	opts.IncludeChain = true
	signed, err := kxml.Sign(context.Background(), invoice(), s, opts)
	require.NoError(t, err)
	e.pki.SetTime(checkAt)
	v, err := New(e.online())
	require.NoError(t, err)
	xr, err := NewXMLVerifier(v).VerifyBytes(context.Background(), signed)
	require.NoError(t, err)
	require.Len(t, xr.Signatures, 1)
	assert.True(t, xr.Signatures[0].Integrity.Intact, "%+v", xr.Signatures[0].Findings)
	assert.NotEqual(t, NoSigningCertificateFound, xr.Signatures[0].SubIndication)
	assert.Contains(t, []Indication{TotalPassed, Indeterminate}, xr.Signatures[0].Indication, "%+v", xr.Signatures[0].Findings)
	tampered := bytes.Replace(signed, []byte("1100000"), []byte("9100000"), 1)
	xr, err = NewXMLVerifier(v).VerifyBytes(context.Background(), tampered)
	require.NoError(t, err)
	assert.Equal(t, TotalFailed, xr.Signatures[0].Indication)

	// A trust file holding a negative-serial certificate loads.
	ts := NewTrustStore()
	n, err := ts.Add(append(id.CertPEM(), pkitest.PEM(e.pki.Root.Cert)...), "bundle")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

// A signer certificate whose Microsoft application-policies extension is
// critical chains (crypto/x509 alone calls it an unhandled critical
// extension), and a TSA whose application policies exclude time-stamping
// is refused.
func TestAppPoliciesCriticalChains(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue(pkitest.Person("Trần Thị B", "001199000002"),
		pkitest.AppPolicies(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}))
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	r := verifyOne(t, e.online(), sig, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	require.Len(t, r.Chain, 3)
}

// rw18, rw19 and rw25: CA2 RS signatures whose leaf marks the application
// policies critical were CHAIN_CONSTRAINTS_FAILURE; without the CA2 root in
// the trust store they are now what they are: no path to an anchor.
func TestRealworldCA2RSAppPolicies(t *testing.T) {
	for _, name := range []string{"rw18_ca2rs_tdiep_critical_ms_apppolicies.xml", "rw19_ca2rs_hdon_critical_ms_apppolicies.xml", "rw25_ca2_cksnnt_ca2rs.xml"} {
		data, err := os.ReadFile(testutil.Realworld(t, name))
		require.NoError(t, err)
		v, err := New(Options{Trust: NewTrustStore()})
		require.NoError(t, err)
		rep, err := NewXMLVerifier(v).VerifyBytes(context.Background(), data)
		require.NoError(t, err, name)
		require.NotEmpty(t, rep.Signatures, name)
		for _, s := range rep.Signatures {
			assert.True(t, s.Integrity.Intact, "%s %s", name, s.ID)
			assert.NotEqual(t, ChainConstraintsFailure, s.SubIndication, "%s %s: %+v", name, s.ID, s.Findings)
			assert.Equal(t, NoCertificateChainFound, s.SubIndication, "%s %s: %+v", name, s.ID, s.Findings)
		}
	}
}
