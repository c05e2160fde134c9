package xml

import (
	"bytes"
	"context"
	"os"
	"testing"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/xml/internal/gen"
)

var fuzzSeeds = []string{
	"<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"doc.xsl\"\n type=\"text/xsl\"   ?>\n<doc>Hello, world!<!-- Comment 1 --></doc>\n<?pi-without-data     ?>\n<!-- Comment 2 -->",
	`<doc><e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm" xmlns:b="http://www.ietf.org" xmlns:a="http://www.w3.org" xmlns="http://example.org"/><e6 xmlns="" xmlns:a="http://www.w3.org"><e7 xmlns="http://www.ietf.org"><e8 xmlns="" xmlns:a="http://www.w3.org"><e9 xmlns="" xmlns:a="http://www.ietf.org"/></e8></e7></e6></doc>`,
	`<doc><text>First line&#x0d;&#10;Second line</text><compute><![CDATA[value>"0" && value<"10" ?"valid":"error"]]></compute><norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/></doc>`,
	`<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>`,
	`<a xml:base="http://x.example/a/" xml:lang="vi"><b xml:base="b/"><c xml:space="preserve">Tiếng Việt</c></b></a>`,
}

// FuzzParse checks that the parser never panics and that canonical output
// is a fixed point: canonicalizing the parse of C14N(x) gives C14N(x).
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add(gen.Invoice(2, true))
	// Other encodings: UTF-16 with and without a byte order mark,
	// ISO-8859-1, US-ASCII, and one that is refused.
	f.Add([]byte("\xFF\xFE<\x00?\x00x\x00m\x00l\x00 \x00v\x00e\x00r\x00s\x00i\x00o\x00n\x00=\x00\"\x001\x00.\x000\x00\"\x00?\x00>\x00<\x00a\x00/\x00>\x00"))
	f.Add([]byte("\x00<\x00?\x00x\x00m\x00l\x00 \x00e\x00n\x00c\x00o\x00d\x00i\x00n\x00g\x00=\x00'\x00U\x00T\x00F\x00-\x001\x006\x00'\x00?\x00>\x00<\x00a\x00/\x00>"))
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><doc a=\"\xe9\">caf\xe9</doc>"))
	f.Add([]byte("<?xml version='1.0' encoding='us-ascii'?><doc>x</doc>"))
	f.Add([]byte("<?xml version='1.0' encoding='windows-1258'?><doc>x</doc>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseWithLimits(data, Limits{MaxDepth: 64, MaxNodes: 10000})
		if err != nil {
			return
		}
		for _, m := range []string{C14N10, C14N11Comments, ExcC14N} {
			var a bytes.Buffer
			if err := (Canonicalizer{Method: m}).Document(&a, d); err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			d2, err := Parse(a.Bytes())
			if err != nil {
				t.Fatalf("%s output does not parse: %v\n%q", m, err, a.Bytes())
			}
			var b bytes.Buffer
			if err := (Canonicalizer{Method: m}).Document(&b, d2); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("%s is not a fixed point:\n%q\n%q", m, a.Bytes(), b.Bytes())
			}
		}
	})
}

// FuzzCanonicalize canonicalizes the subtree at a chosen element with a
// chosen method; the output must parse and be a fixed point.
func FuzzCanonicalize(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint16(i), uint8(i))
	}
	methods := []string{C14N10, C14N10Comments, C14N11, C14N11Comments, ExcC14N, ExcC14NComments}
	f.Fuzz(func(t *testing.T, data []byte, pick uint16, method uint8) {
		d, err := ParseWithLimits(data, Limits{MaxDepth: 64, MaxNodes: 10000})
		if err != nil {
			return
		}
		var els []*Node
		walkElements(d.Root(), func(n *Node) bool { els = append(els, n); return true })
		el := els[int(pick)%len(els)]
		c := Canonicalizer{Method: methods[int(method)%len(methods)]}
		if c.Method == ExcC14N && method%2 == 0 {
			c.InclusivePrefixes = []string{"#default", "a", "n0"}
		}
		var a bytes.Buffer
		if err := c.Element(&a, el); err != nil {
			t.Fatal(err)
		}
		d2, err := Parse(a.Bytes())
		if err != nil {
			t.Fatalf("output does not parse: %v\n%q", err, a.Bytes())
		}
		var b bytes.Buffer
		if err := c.Element(&b, d2.Root()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("not a fixed point:\n%q\n%q", a.Bytes(), b.Bytes())
		}
	})
}

// FuzzVerify mutates signed documents: verification must never panic, and
// a signature reported valid must cover what its references name.
func FuzzVerify(f *testing.F) {
	s := selfSigned(f)
	ctx := context.Background()
	inv, err := Sign(ctx, gen.Invoice(2, true), s, Seller())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(inv)
	o := Seller()
	o.Level = LevelBB
	o.ReferenceC14N = ExcC14N
	if x, err := Sign(ctx, gen.Invoice(1, false), s, o); err == nil {
		f.Add(x)
	}
	if rw, err := os.ReadFile("../../shared/realworld/ts24_tdiep202.xml"); err == nil {
		f.Add(rw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Verify(data, &VerifyOptions{Limits: Limits{MaxDepth: 64, MaxNodes: 20000}})
		if err != nil {
			return
		}
		for _, s := range res.Signatures {
			if !s.Valid() {
				continue
			}
			for _, r := range s.References {
				if r.Element != nil && (r.Excluded == nil || !r.Excluded.IsAncestorOf(r.Element)) && !s.Covers(r.Element) {
					t.Fatalf("valid signature does not cover its reference %q", r.URI)
				}
			}
		}
	})
}

// selfSigned returns a throwaway ECDSA signer with a self-signed certificate
// (cheap enough for every fuzz worker to build).
func selfSigned(tb testing.TB) signer.Signer {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := signer.New(k, c)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
