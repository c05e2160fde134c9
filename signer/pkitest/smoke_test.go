package pkitest

import (
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	p := New(t)
	id := p.MustIssue()
	_, err := id.Cert.Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: p.Intermediates(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	require.NoError(t, err)
	t.Logf("%s", id.Cert.Subject)
}
