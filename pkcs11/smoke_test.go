package pkcs11

import (
	"context"
	"crypto"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

func staticPIN(pin string) PINFunc {
	return func(context.Context, PINRequest) (string, error) { return pin, nil }
}

func TestSmoke(t *testing.T) {
	f := setup(t)
	m, err := Open(f.module)
	require.NoError(t, err)
	defer m.Close()
	tok, err := m.OpenToken(TokenSpec{Label: "kyso-main"}, Options{PIN: staticPIN(testPIN)})
	require.NoError(t, err)
	defer tok.Close()
	certs, err := tok.Certificates(context.Background())
	require.NoError(t, err)
	for _, c := range certs {
		t.Logf("%x %s", c.ID, c)
	}
	for name, k := range f.keys {
		if name[:9] != "kyso-main" || k.name == "ambiguous" || k.name == "collide-ec" || k.name == "collide-ec-other" {
			continue
		}
		sg, err := tok.Signer(context.Background(), Certificate{Cert: k.cert, ID: k.id})
		require.NoError(t, err, name)
		d := sha256.Sum256([]byte(name))
		sig, err := sg.SignDigest(context.Background(), d[:], crypto.SHA256)
		require.NoError(t, err, name)
		require.NoError(t, signer.CheckSignature(k.cert.PublicKey, d[:], crypto.SHA256, sig))
	}
}
