package pkitest

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"os"
	osexec "os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// verifyAt builds a chain for cert to p's root at time at, with any EKU.
func verifyAt(p *PKI, cert *x509.Certificate, at time.Time, extra ...*x509.Certificate) error {
	inter := p.Intermediates()
	for _, c := range extra {
		inter.AddCert(c)
	}
	_, err := cert.Verify(x509.VerifyOptions{
		Roots: p.Roots(), Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

type atvSET []atv

// rawAttrs lists the subject attributes with their ASN.1 string tags.
func rawAttrs(t *testing.T, rawSubject []byte) []atv {
	t.Helper()
	var seq []atvSET
	rest, err := asn1.Unmarshal(rawSubject, &seq)
	require.NoError(t, err)
	require.Empty(t, rest)
	var out []atv
	for _, set := range seq {
		out = append(out, set...)
	}
	return out
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

const cryptoSHA256 = crypto.SHA256

// runCmd runs a command and returns its combined output and error.
func runCmd(name string, args ...string) (string, error) {
	out, err := osexec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func parseCRL(der []byte, p *PKI) (*x509.RevocationList, error) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, err
	}
	return crl, crl.CheckSignatureFrom(p.CA.Cert)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func bigOne() *big.Int { return big.NewInt(1) }
