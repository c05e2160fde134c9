package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// BenchmarkXMLVerify7KBOffline is the whole verification of a 7 KB
// seller-signed invoice offline: package xml's cryptography and layout
// check, then path building to the test root, revocation from supplied
// CRLs and the algorithm policy (xml's BenchmarkVerify7KB and
// BenchmarkRSA2048VerifySHA256 are the references).
func BenchmarkXMLVerify7KBOffline(b *testing.B) {
	p, err := pkitest.Start()
	require.NoError(b, err)
	b.Cleanup(p.Close)
	id := p.MustIssue(pkitest.RSAKey(2048))
	inv := layoutInvoice()
	var signed []byte
	for pad := 0; len(signed) < 7<<10; pad += 256 {
		doc := []byte(string(inv[:len(inv)-len("</DLHDon><DSCKS><NBan/><NMua/><CCKSKhac/></DSCKS></HDon>")]) +
			"<TTKhac>" + strings.Repeat("<TTin><TTruong>Ghi chú</TTruong><DLieu>x</DLieu></TTin>", pad/64) + "</TTKhac></DLHDon><DSCKS><NBan/><NMua/><CCKSKhac/></DSCKS></HDon>")
		o := kxml.Seller()
		o.IncludeChain = true
		signed, err = kxml.Sign(context.Background(), doc, id.Signer(), o)
		require.NoError(b, err)
	}
	trust := NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "root")
	opts := Options{Trust: trust, Time: p.Now()}
	for _, ca := range []*pkitest.CA{p.CA, p.Root} {
		crl, err := p.CRL(ca)
		require.NoError(b, err)
		opts.CRLs = append(opts.CRLs, crl)
	}
	v, err := New(opts)
	require.NoError(b, err)
	x := NewXMLVerifier(v)
	rep, err := x.VerifyBytes(context.Background(), signed)
	require.NoError(b, err)
	require.Equal(b, TotalPassed, rep.Signatures[0].Indication, "%s", rep.Text(English))
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := x.VerifyBytes(context.Background(), signed); err != nil {
			b.Fatal(err)
		}
	}
}
