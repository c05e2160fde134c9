package xml

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/xml/internal/gen"
	"github.com/stretchr/testify/require"
)

// The 18 MB invoice: 100k line items, as the performance target names.
var (
	bigOnce sync.Once
	bigDoc  []byte
)

func bigInvoice() []byte {
	bigOnce.Do(func() { bigDoc = gen.Invoice(100_000, false) })
	return bigDoc
}

type benchFixture struct {
	id        *pkitest.Identity
	s         signer.Signer
	signed    []byte
	dir       string
	keyPEM    string
	certPEM   string
	template  string
	signedXML string
}

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	p := pkitest.New(b)
	id := p.MustIssue(pkitest.RSAKey(2048))
	f := &benchFixture{id: id, s: id.Signer(), dir: b.TempDir()}
	signed, err := Sign(context.Background(), bigInvoice(), f.s, Seller())
	require.NoError(b, err)
	f.signed = signed
	return f
}

// xmlsecFiles writes what xmlsec1 needs: key, certificate, a template (the
// invoice with an empty Signature in NBan) and the signed invoice.
func (f *benchFixture) xmlsecFiles(b *testing.B) {
	keyDER, err := x509MarshalPKCS8(f.id.Key)
	require.NoError(b, err)
	f.keyPEM = writePEM(&testing.T{}, f.dir, "key.pem", "PRIVATE KEY", keyDER)
	f.certPEM = writePEM(&testing.T{}, f.dir, "cert.pem", "CERTIFICATE", f.id.Cert.Raw)
	tmpl := string(bigInvoice())
	sig := `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="NBan"><SignedInfo><CanonicalizationMethod Algorithm="` + C14N10 +
		`"/><SignatureMethod Algorithm="` + SigRSASHA256 + `"/><Reference URI="#K24TAA-0000123"><Transforms><Transform Algorithm="` + TransformEnveloped +
		`"/></Transforms><DigestMethod Algorithm="` + DigestSHA256 + `"/><DigestValue></DigestValue></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>`
	tmpl = replaceFirst(tmpl, "<NBan/>", "<NBan>"+sig+"</NBan>")
	f.template = filepath.Join(f.dir, "template.xml")
	require.NoError(b, os.WriteFile(f.template, []byte(tmpl), 0o600))
	f.signedXML = filepath.Join(f.dir, "signed.xml")
	require.NoError(b, os.WriteFile(f.signedXML, f.signed, 0o600))
}

func BenchmarkSign18MB(b *testing.B) {
	f := newBenchFixture(b)
	doc := bigInvoice()
	ctx := context.Background()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Sign(ctx, doc, f.s, Seller()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify18MB(b *testing.B) {
	f := newBenchFixture(b)
	b.SetBytes(int64(len(f.signed)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Verify(f.signed, nil)
		if err != nil || !res.Valid() {
			b.Fatal(err, res.Signatures[0].Err)
		}
	}
}

func BenchmarkParse18MB(b *testing.B) {
	doc := bigInvoice()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkXmlsec1Sign18MB(b *testing.B) {
	bin := testutil.Tool(b, "xmlsec1", "xmlsec1")
	f := newBenchFixture(b)
	f.xmlsecFiles(b)
	out := filepath.Join(f.dir, "out.xml")
	b.SetBytes(int64(len(bigInvoice())))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "--sign", "--privkey-pem", f.keyPEM+","+f.certPEM, "--id-attr:Id", "DLHDon", "--output", out, f.template)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, o)
		}
	}
}

func BenchmarkXmlsec1Verify18MB(b *testing.B) {
	bin := testutil.Tool(b, "xmlsec1", "xmlsec1")
	f := newBenchFixture(b)
	f.xmlsecFiles(b)
	b.SetBytes(int64(len(f.signed)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "--verify", "--pubkey-cert-pem", f.certPEM, "--id-attr:Id", "DLHDon",
			f.signedXML)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, o)
		}
	}
}

// BenchmarkVerifyScaling shows verification time and allocations growing
// linearly (time) and logarithmically (allocation count) with size.
func BenchmarkVerifyScaling(b *testing.B) {
	s := selfSigned(b)
	for _, items := range []int{1_000, 10_000, 100_000} {
		doc, err := Sign(context.Background(), gen.Invoice(items, false), s, Seller())
		require.NoError(b, err)
		b.Run(fmt.Sprintf("items=%d", items), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if res, err := Verify(doc, nil); err != nil || !res.Valid() {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAllocationsDoNotGrowWithSize: parsing and verifying a document ten
// times larger costs only a handful more allocations (nodes come from
// doubling slabs, names and text are substrings of the input).
func TestAllocationsDoNotGrowWithSize(t *testing.T) {
	s := selfSigned(t)
	small, err := Sign(context.Background(), gen.Invoice(1_000, false), s, Seller())
	require.NoError(t, err)
	large, err := Sign(context.Background(), gen.Invoice(10_000, false), s, Seller())
	require.NoError(t, err)
	count := func(doc []byte) float64 {
		return testing.AllocsPerRun(2, func() {
			if _, err := Verify(doc, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	a, b := count(small), count(large)
	t.Logf("allocations: %d items %v, %d items %v", 1_000, a, 10_000, b)
	require.Less(t, b, a+40, "allocations grow with document size")
}

// smallInvoice signs a generated invoice of about 7 KB (the size of a
// typical e-invoice with its signature) with an RSA-2048 key.
func smallInvoice(b *testing.B) (*benchFixture, []byte) {
	b.Helper()
	p := pkitest.New(b)
	id := p.MustIssue(pkitest.RSAKey(2048))
	f := &benchFixture{id: id, s: id.Signer(), dir: b.TempDir()}
	for items := 1; ; items++ {
		signed, err := Sign(context.Background(), gen.Invoice(items, false), f.s, Seller())
		require.NoError(b, err)
		if len(signed) >= 7<<10 {
			f.signed = signed
			return f, signed
		}
	}
}

// BenchmarkVerify7KB is the cryptographic verification of a 7 KB invoice
// (parse, canonicalize, two digests, one RSA-2048 verification, layout
// check), beside BenchmarkXmlsec1Verify7KB and the raw-RSA reference
// BenchmarkRSA2048VerifySHA256.
func BenchmarkVerify7KB(b *testing.B) {
	_, signed := smallInvoice(b)
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Verify(signed, nil)
		if err != nil || !res.Valid() {
			b.Fatal(err)
		}
	}
}

func BenchmarkXmlsec1Verify7KB(b *testing.B) {
	bin := testutil.Tool(b, "xmlsec1", "xmlsec1")
	f, signed := smallInvoice(b)
	certPEM := writePEM(&testing.T{}, f.dir, "cert.pem", "CERTIFICATE", f.id.Cert.Raw)
	in := filepath.Join(f.dir, "signed.xml")
	require.NoError(b, os.WriteFile(in, signed, 0o600))
	b.SetBytes(int64(len(signed)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "--verify", "--pubkey-cert-pem", certPEM, "--id-attr:Id", "DLHDon", in)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, o)
		}
	}
}

// BenchmarkRSA2048VerifySHA256 is the floor for a small invoice: hashing
// its bytes once and one RSA-2048 PKCS#1 v1.5 verification.
func BenchmarkRSA2048VerifySHA256(b *testing.B) {
	f, signed := smallInvoice(b)
	digest := sha256.Sum256(signed)
	sig, err := f.s.SignDigest(context.Background(), digest[:], crypto.SHA256)
	require.NoError(b, err)
	pub := f.id.Cert.PublicKey.(*rsa.PublicKey)
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := sha256.Sum256(signed)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
