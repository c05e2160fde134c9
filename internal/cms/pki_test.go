package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

// testPKI is a small in-test PKI: a root, and leaves issued by it. It stands
// in until signer/pkitest is available, and lets tests build certificates
// with exactly the defects they need (e.g. a TSA without its EKU).
type testPKI struct {
	root    *x509.Certificate
	rootKey crypto.Signer
	serial  int64
	mu      sync.Mutex
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

func cachedRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Kyso Test Root CA", Organization: []string{"Bộ Thử nghiệm"}, Country: []string{"VN"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testPKI{root: cert, rootKey: key, serial: 100}
}

type leafKind int

const (
	leafECDSA leafKind = iota
	leafRSA
	leafTSA
	leafTSANoEKU
	leafTSANonCritical
)

// issue returns a signer for a new leaf of the given kind.
func (p *testPKI) issue(t testing.TB, kind leafKind, cn string) signer.Signer {
	t.Helper()
	s, _ := p.issueWithKey(t, kind, cn)
	return s
}

// issueWithKey is issue, also returning the private key.
func (p *testPKI) issueWithKey(t testing.TB, kind leafKind, cn string) (signer.Signer, crypto.Signer) {
	t.Helper()
	var key crypto.Signer
	if kind == leafRSA {
		key = cachedRSAKey(t)
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		key = k
	}
	p.mu.Lock()
	p.serial++
	serial := p.serial
	p.mu.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Country: []string{"VN"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	switch kind {
	case leafTSA:
		// crypto/x509 writes EKU non-critical; RFC 3161 wants it critical.
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: mustEKU(t)}}
	case leafTSANonCritical:
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: false, Value: mustEKU(t)}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root, key.Public(), p.rootKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	s, err := signer.New(randKey{key}, cert, p.root)
	require.NoError(t, err)
	return s, key
}

func mustEKU(t testing.TB) []byte {
	der, err := asn1.Marshal([]asn1.ObjectIdentifier{OIDExtKeyUsageTimeStamping})
	require.NoError(t, err)
	return der
}

// writePEM writes certs to dir/name as PEM and returns the path.
func writePEM(t testing.TB, dir, name string, certs ...*x509.Certificate) string {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

// randKey supplies crypto/rand to Sign. signer.New's SignDigest passes a nil
// reader, which crypto/rsa's PSS signing dereferences (reported to the lead);
// wrapping keeps these tests independent of that fix.
type randKey struct{ crypto.Signer }

func (k randKey) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.Signer.Sign(rand.Reader, digest, opts)
}
