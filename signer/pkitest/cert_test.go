package pkitest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ocsp"
)

func TestDefaultIdentityProfile(t *testing.T) {
	p := New(t)
	id, err := p.Issue()
	require.NoError(t, err)
	c := id.Cert

	// Subject: C as PrintableString, the rest UTF-8 with diacritics, UID CCCD.
	attrs := rawAttrs(t, c.RawSubject)
	var uids []string
	for _, a := range attrs {
		if a.Type.Equal(oidCountry) {
			assert.Equal(t, asn1.TagPrintableString, a.Value.Tag)
			continue
		}
		assert.Equal(t, asn1.TagUTF8String, a.Value.Tag, "attribute %v", a.Type)
		if a.Type.Equal(OIDUserID) {
			uids = append(uids, string(a.Value.Bytes))
		}
	}
	assert.Equal(t, []string{"CCCD:" + DefaultCCCD}, uids)
	assert.Equal(t, "Nguyễn Văn An", c.Subject.CommonName)
	assert.Equal(t, []string{DefaultOrganization}, c.Subject.Organization)
	assert.Equal(t, []string{"Đồng Nai"}, c.Subject.Province)
	assert.Equal(t, []string{"VN"}, c.Subject.Country)
	assert.Equal(t, DefaultCCCD, signer.ParseIdentity(c.Subject).Get("CCCD"), "signer.ParseIdentity reads the UID")

	// Key and usage.
	assert.IsType(t, &ecdsa.PublicKey{}, c.PublicKey)
	assert.Equal(t, elliptic.P256(), c.PublicKey.(*ecdsa.PublicKey).Curve)
	assert.Equal(t, x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment, c.KeyUsage)
	for _, e := range c.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 15}) {
			assert.True(t, e.Critical, "keyUsage is critical")
		}
	}
	assert.False(t, c.IsCA)
	assert.NotEmpty(t, c.SubjectKeyId)
	assert.Equal(t, p.CA.Cert.SubjectKeyId, c.AuthorityKeyId)
	assert.Equal(t, []string{p.CRLURL()}, c.CRLDistributionPoints)
	assert.Equal(t, []string{p.OCSPURL()}, c.OCSPServer)
	require.Len(t, c.IssuingCertificateURL, 1)
	assert.True(t, strings.HasPrefix(c.IssuingCertificateURL[0], "http://127.0.0.1:"))
	assert.WithinDuration(t, time.Now().AddDate(1, 0, 0), c.NotAfter, time.Minute)

	// Chain and CA profiles.
	assert.Equal(t, []*x509.Certificate{p.CA.Cert}, id.Chain)
	require.NoError(t, verifyAt(p, c, time.Now()))
	for _, ca := range []*CA{p.Root, p.CA} {
		assert.True(t, ca.Cert.IsCA)
		assert.True(t, ca.Cert.BasicConstraintsValid)
		assert.Equal(t, x509.KeyUsageCertSign|x509.KeyUsageCRLSign, ca.Cert.KeyUsage)
		assert.Contains(t, ca.Cert.Subject.Organization, "Trung tâm Chứng thực Thử nghiệm Kyso")
	}
	assert.Equal(t, []string{p.CRLURLFor(p.Root)}, p.CA.Cert.CRLDistributionPoints)
	assert.Empty(t, p.Root.Cert.CRLDistributionPoints)
	assert.Equal(t, []*x509.Certificate{p.Root.Cert}, p.CA.Chain)
}

func TestSubjectOptions(t *testing.T) {
	p := New(t)
	org := p.MustIssue(Organization("Sở Thông tin và Truyền thông tỉnh Đồng Nai", "3600123456"),
		UID("MST:3600123456-001"), OrgUnit("Văn phòng Sở"), Locality("Phường Quyết Thắng", "Đồng Nai"))
	var uids []string
	for _, a := range rawAttrs(t, org.Cert.RawSubject) {
		if a.Type.Equal(OIDUserID) {
			uids = append(uids, string(a.Value.Bytes))
		}
	}
	assert.Equal(t, []string{"MST:3600123456", "MST:3600123456-001"}, uids)
	assert.Equal(t, "Sở Thông tin và Truyền thông tỉnh Đồng Nai", org.Cert.Subject.CommonName)
	assert.Equal(t, []string{"Văn phòng Sở"}, org.Cert.Subject.OrganizationalUnit)
	assert.Equal(t, []string{"Phường Quyết Thắng"}, org.Cert.Subject.Locality)

	person := p.MustIssue(Person("Trần Thị Bích Ngọc", "001190004567"), UID("MST:8123456789"))
	assert.Equal(t, "Trần Thị Bích Ngọc", person.Cert.Subject.CommonName)
	id := signer.ParseIdentity(person.Cert.Subject)
	assert.Equal(t, "001190004567", id.Get("CCCD"))
	assert.Equal(t, "8123456789", id.TaxCode())

	// NFD input is normalised to NFC.
	nfd := "Nguye\u0302\u0303n" // "Nguyễn" decomposed
	assert.Equal(t, "Nguyễn", p.MustIssue(Person(nfd, "1")).Cert.Subject.CommonName)

	custom := p.MustIssue(Subject(pkix.Name{CommonName: "Custom", Country: []string{"VN"}, SerialNumber: "42"}))
	assert.Equal(t, "Custom", custom.Cert.Subject.CommonName)
	assert.Equal(t, "42", custom.Cert.Subject.SerialNumber)
}

func TestKeyOptions(t *testing.T) {
	p := New(t)
	for _, bits := range []int{2048, 3072, 4096} {
		id := p.MustIssue(RSAKey(bits))
		require.IsType(t, &rsa.PublicKey{}, id.Cert.PublicKey)
		assert.Equal(t, bits, id.Cert.PublicKey.(*rsa.PublicKey).N.BitLen())
		assert.True(t, id.Cert.PublicKey.(*rsa.PublicKey).Equal(id.Key.Public()))
	}
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		id := p.MustIssue(ECDSAKey(curve))
		assert.Equal(t, curve, id.Cert.PublicKey.(*ecdsa.PublicKey).Curve)
		require.NoError(t, verifyAt(p, id.Cert, time.Now()))
	}
	// Two RSA identities of one PKI never share a key.
	a, b := p.MustIssue(RSAKey(2048)), p.MustIssue(RSAKey(2048))
	assert.False(t, a.Cert.PublicKey.(*rsa.PublicKey).Equal(b.Cert.PublicKey))

	_, err := p.Issue(ECDSAKey(elliptic.P224()))
	assert.ErrorContains(t, err, "unsupported curve")
}

func TestVariants(t *testing.T) {
	p := New(t)
	now := time.Now()

	expired := p.MustIssue(Expired())
	assert.True(t, expired.Cert.NotAfter.Before(now))
	var inv x509.CertificateInvalidError
	require.ErrorAs(t, verifyAt(p, expired.Cert, now), &inv)
	assert.Equal(t, x509.Expired, inv.Reason)
	require.NoError(t, verifyAt(p, expired.Cert, now.AddDate(-1, 0, 0)), "valid a year ago")

	nyv := p.MustIssue(NotYetValid())
	assert.True(t, nyv.Cert.NotBefore.After(now))
	require.ErrorAs(t, verifyAt(p, nyv.Cert, now), &inv)

	nb, na := now.Add(-48*time.Hour), now.Add(48*time.Hour)
	v := p.MustIssue(Validity(nb, na))
	assert.Equal(t, nb.UTC().Truncate(time.Second), v.Cert.NotBefore)
	assert.Equal(t, na.UTC().Truncate(time.Second), v.Cert.NotAfter)

	wrong := p.MustIssue(WrongKeyUsage())
	assert.Equal(t, x509.KeyUsageKeyEncipherment, wrong.Cert.KeyUsage)

	weak := p.MustIssue(Weak())
	assert.Equal(t, 1024, weak.Cert.PublicKey.(*rsa.PublicKey).N.BitLen())
	assert.Equal(t, x509.ECDSAWithSHA1, weak.Cert.SignatureAlgorithm)
	assert.Error(t, verifyAt(p, weak.Cert, now), "Go refuses SHA-1 chains")

	doc := p.MustIssue(DocumentSigning(), ExtKeyUsage(x509.ExtKeyUsageEmailProtection))
	assert.Equal(t, []asn1.ObjectIdentifier{OIDDocumentSigning}, doc.Cert.UnknownExtKeyUsage)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, doc.Cert.ExtKeyUsage)

	pol := p.MustIssue(Policies())
	require.Len(t, pol.Cert.PolicyIdentifiers, 1)
	assert.True(t, pol.Cert.PolicyIdentifiers[0].Equal(OIDTestPolicy))

	_, err := p.Issue(SignatureAlgorithm(x509.SHA256WithRSAPSS))
	assert.Error(t, err, "an ECDSA CA cannot sign RSA-PSS")
}

func TestRSAHierarchyPSSAndWeak(t *testing.T) {
	p := New(t, CAOptions(RSAKey(3072)))
	assert.Equal(t, 3072, p.Root.Cert.PublicKey.(*rsa.PublicKey).N.BitLen())
	assert.Equal(t, x509.SHA256WithRSA, p.CA.Cert.SignatureAlgorithm)

	pss := p.MustIssue(RSAKey(2048), SignatureAlgorithm(x509.SHA256WithRSAPSS))
	assert.Equal(t, x509.SHA256WithRSAPSS, pss.Cert.SignatureAlgorithm)
	require.NoError(t, verifyAt(p, pss.Cert, time.Now()))

	weak := p.MustIssue(Weak())
	assert.Equal(t, x509.SHA1WithRSA, weak.Cert.SignatureAlgorithm)
	var insecure x509.InsecureAlgorithmError
	assert.True(t, errors.As(weak.Cert.CheckSignatureFrom(p.CA.Cert), &insecure), "SHA-1 signature is reported as insecure")
}

func TestCAVariants(t *testing.T) {
	p := New(t)
	now := time.Now()

	expiredCA := p.MustNewCA(Expired())
	leaf := p.MustIssue(IssuedBy(expiredCA))
	assert.Equal(t, expiredCA.Cert.SubjectKeyId, leaf.Cert.AuthorityKeyId)
	assert.Equal(t, []*x509.Certificate{expiredCA.Cert}, leaf.Chain)
	assert.Error(t, verifyAt(p, leaf.Cert, now))
	assert.Equal(t, []string{p.CRLURLFor(expiredCA)}, leaf.Cert.CRLDistributionPoints)

	// A second-level CA, and a leaf issued directly by the root.
	sub := p.MustNewCA(IssuedBy(p.CA))
	assert.Equal(t, []*x509.Certificate{p.CA.Cert, p.Root.Cert}, sub.Chain)
	deep := p.MustIssue(IssuedBy(sub))
	assert.Equal(t, []*x509.Certificate{sub.Cert, p.CA.Cert}, deep.Chain)
	require.NoError(t, verifyAt(p, deep.Cert, now))
	direct := p.MustIssue(IssuedBy(p.Root))
	assert.Empty(t, direct.Chain)
	require.NoError(t, verifyAt(p, direct.Cert, now))

	// Revoking a CA: reflected in the root's CRL.
	revokedCA := p.MustNewCA()
	require.NoError(t, p.Revoke(revokedCA.Cert, now.Add(-time.Minute), 2 /* cACompromise */))
	der, err := p.CRL(p.Root)
	require.NoError(t, err)
	crl, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	require.Len(t, crl.RevokedCertificateEntries, 1)
	assert.Equal(t, revokedCA.Cert.SerialNumber, crl.RevokedCertificateEntries[0].SerialNumber)
	assert.Equal(t, 2, crl.RevokedCertificateEntries[0].ReasonCode)
	r := queryOCSP(t, p, revokedCA.Cert, p.Root.Cert)
	assert.Equal(t, ocsp.Revoked, r.Status, "the root's OCSP responder reports the CA revoked")
	assert.Equal(t, ocsp.CACompromise, r.RevocationReason)
	assert.NotEqual(t, revokedCA.name, expiredCA.name)

	// Intermediates holds every non-root CA.
	pool := p.Intermediates()
	for _, c := range []*x509.Certificate{p.CA.Cert, expiredCA.Cert, sub.Cert, revokedCA.Cert} {
		_, err := deep.Cert.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: pool})
		_ = err
		assert.True(t, poolHas(pool, c))
	}
	assert.False(t, poolHas(pool, p.Root.Cert))
}

func poolHas(pool *x509.CertPool, c *x509.Certificate) bool {
	//lint:ignore SA1019 the pool has no system roots, so Subjects lists all of it
	for _, s := range pool.Subjects() {
		if bytes.Equal(s, c.RawSubject) {
			return true
		}
	}
	return false
}

func TestPublicKeyOption(t *testing.T) {
	p := New(t)
	other := p.MustIssue(RSAKey(2048))
	id := p.MustIssue(PublicKey(other.Key.Public()))
	assert.Nil(t, id.Key)
	assert.True(t, other.Cert.PublicKey.(*rsa.PublicKey).Equal(id.Cert.PublicKey))
	_, err := id.Signer().SignDigest(t.Context(), make([]byte, 32), cryptoSHA256)
	assert.ErrorIs(t, err, signer.ErrNoKey)
	_, err = id.PKCS12("x")
	assert.ErrorIs(t, err, signer.ErrNoKey)
	_, err = id.KeyPEM()
	assert.ErrorIs(t, err, signer.ErrNoKey)
}

func TestRevokeErrors(t *testing.T) {
	p, q := New(t), New(t)
	foreign := q.MustIssue()
	assert.ErrorIs(t, p.Revoke(foreign.Cert, time.Now(), 1), ErrNotIssued)
	assert.ErrorIs(t, p.Revoke(nil, time.Now(), 1), ErrNotIssued)
	assert.ErrorIs(t, p.Revoke(p.Root.Cert, time.Now(), 1), ErrNotIssued, "the root is not issued by anyone")
	assert.ErrorContains(t, p.Revoke(p.MustIssue().Cert, time.Now(), 7), "invalid CRL reason")
	_, err := p.OCSP(foreign.Cert)
	assert.ErrorIs(t, err, ErrNotIssued)
	_, err = p.Issue(IssuedBy(q.CA))
	assert.ErrorContains(t, err, "does not belong to this PKI")
	_, err = p.NewCA(IssuedBy(q.Root))
	assert.ErrorContains(t, err, "does not belong to this PKI")
	// Two PKIs never validate each other's certificates, even with shared RSA keys.
	r1, r2 := New(t, CAOptions(RSAKey(2048))), New(t, CAOptions(RSAKey(2048)))
	assert.Error(t, verifyAt(r1, r2.MustIssue().Cert, time.Now()))
	assert.NotEqual(t, r1.Root.Cert.RawSubject, r2.Root.Cert.RawSubject)
}

// TestOpenSSLReadsCertificates: openssl verifies the chain and shows the
// Vietnamese profile (UTF-8 names, critical key usage, CDP, AIA).
func TestOpenSSLReadsCertificates(t *testing.T) {
	openssl := testutil.Tool(t, "openssl", "openssl")
	p := New(t)
	id := p.MustIssue(DocumentSigning())
	dir := t.TempDir()
	leaf := writeFile(t, dir, "leaf.pem", id.CertPEM())
	root := writeFile(t, dir, "root.pem", PEM(p.Root.Cert))
	ca := writeFile(t, dir, "ca.pem", PEM(p.CA.Cert))
	out := runOpenSSL(t, openssl, "verify", "-x509_strict", "-CAfile", root, "-untrusted", ca, leaf)
	assert.Contains(t, out, "leaf.pem: OK")
	text := runOpenSSL(t, openssl, "x509", "-in", leaf, "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space,sname")
	assert.Contains(t, text, "CN=Nguyễn Văn An")
	assert.Contains(t, text, "O=Sở Thông tin và Truyền thông tỉnh Đồng Nai")
	assert.Contains(t, text, "UID=CCCD:"+DefaultCCCD)
	assert.Contains(t, text, "X509v3 Key Usage: critical")
	assert.Contains(t, text, "Digital Signature, Non Repudiation")
	assert.Contains(t, text, "OCSP - URI:"+p.OCSPURL())
	assert.Contains(t, text, "URI:"+p.CRLURL())
	assert.Contains(t, text, "1.3.6.1.5.5.7.3.36")
	// The TSA certificate: critical EKU, time stamping only.
	tsa := writeFile(t, dir, "tsa.pem", PEM(p.TSA.Cert))
	text = runOpenSSL(t, openssl, "x509", "-in", tsa, "-noout", "-text")
	assert.Contains(t, text, "X509v3 Extended Key Usage: critical\n                Time Stamping\n")
	out = runOpenSSL(t, openssl, "verify", "-purpose", "timestampsign", "-CAfile", root, "-untrusted", ca, tsa)
	assert.Contains(t, out, "tsa.pem: OK")
}
