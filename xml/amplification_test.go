package xml

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Exclusive C14N renders a visibly used prefix again on every element whose
// output parent did not render it, so a long namespace URI declared once
// is repeated thousands of times: a 50 KB document canonicalizes to 30 MB.
// The canonical-data budget must stop that while canonicalizing, not after
// the whole output sits in memory.
func TestAttackExclusiveNamespaceAmplification(t *testing.T) {
	long := "urn:" + strings.Repeat("x", 10000)
	var b strings.Builder
	b.WriteString(`<r xmlns:p="` + long + `"><t Id="target">`)
	for i := 0; i < 3000; i++ {
		b.WriteString("<x><p:y/></x>")
	}
	b.WriteString("</t><sig/></r>")
	s := selfSigned(t)
	signed, err := Sign(context.Background(), []byte(b.String()), s, &SignOptions{
		Location: "/r/sig", References: []Ref{{Path: "/r/t"}}, SignatureID: "S", ReferenceC14N: ExcC14N,
	})
	require.NoError(t, err)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := Verify(signed, nil)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 1)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrLimit)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(16<<20), "verification allocated %d MB for a %d KB document", allocated>>20, len(signed)>>10)
}

// nsHeavyDoc nests depth elements; the outermost declares width prefixes,
// every inner one width other prefixes, and leaves elements at the bottom
// use the outermost prefixes in their attributes.
func nsHeavyDoc(depth, width, leaves int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		b.WriteString("<a")
		for j := 0; j < width; j++ {
			if i == 0 {
				fmt.Fprintf(&b, ` xmlns:n%d="u%d"`, j, j)
			} else {
				fmt.Fprintf(&b, ` xmlns:m%d="v%d"`, j, j)
			}
		}
		b.WriteString(">")
	}
	for k := 0; k < leaves; k++ {
		b.WriteString("<n0:e")
		for j := 0; j < width; j++ {
			fmt.Fprintf(&b, ` n%d:a="1"`, j)
		}
		b.WriteString("/>")
	}
	b.WriteString(strings.Repeat("</a>", depth))
	return b.String()
}

// Prefix resolution walks the in-scope declarations, so a document with
// tens of thousands of declarations in scope made parsing quadratic (16 s
// for 1.6 MB). The number of in-scope declarations is limited.
func TestAttackNamespaceDeclarationsLimited(t *testing.T) {
	doc := nsHeavyDoc(250, 250, 200)
	start := time.Now()
	_, err := Parse([]byte(doc))
	assert.ErrorIs(t, err, ErrLimit)
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))

	// Within the limit everything parses; the limit is configurable.
	_, err = Parse([]byte(nsHeavyDoc(4, 50, 10)))
	assert.NoError(t, err)
	_, err = ParseWithLimits([]byte(nsHeavyDoc(4, 50, 10)), Limits{MaxNamespaces: 100})
	assert.ErrorIs(t, err, ErrLimit)
}

// cyclicCAs makes n CA certificates with one name, each signed by the key
// of the one before it (the first by the last), so that every certificate
// issued another one and the issuer search meets a failing check per pair.
func cyclicCAs(t *testing.T, n int) [][]byte {
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		keys[i] = k
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "same"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	out := make([][]byte, n)
	for i := range out {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &keys[i].PublicKey, keys[(i+n-1)%n])
		require.NoError(t, err)
		out[i] = der
	}
	return out
}

// Picking the leaf among KeyInfo certificates tried every pair, with a
// signature check per pair that shares a name: hundreds of certificates in
// an unsigned document cost minutes, before any signature was checked.
// The number of certificates per KeyInfo is limited.
func TestAttackKeyInfoCertificateCount(t *testing.T) {
	doc := signedInvoice(t)
	var many strings.Builder
	for _, der := range cyclicCAs(t, 300) {
		many.WriteString("<X509Certificate>" + base64.StdEncoding.EncodeToString(der) + "</X509Certificate>")
	}
	forged := replaceOnce(t, doc, "<X509Data>", "<X509Data>"+many.String())
	start := time.Now()
	err := firstErr(t, forged)
	assert.ErrorIs(t, err, ErrLimit)
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))
}

// Resolving an element's namespace walked every attribute of every
// ancestor, so 100,000 Signature-named elements under 250 levels of 250
// attributes (1.7 MB, no real signature) took 11 s before verification
// found nothing to check. The parser now resolves each element's namespace
// once.
func TestAttackNamespaceLookupUnderHeavyAncestors(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 250; i++ {
		b.WriteString("<a")
		for j := 0; j < 250; j++ {
			fmt.Fprintf(&b, ` a%d="1"`, j)
		}
		b.WriteString(">")
	}
	for k := 0; k < 100000; k++ {
		b.WriteString("<Signature/>")
	}
	b.WriteString(strings.Repeat("</a>", 250))
	start := time.Now()
	_, err := Verify([]byte(b.String()), nil)
	assert.ErrorIs(t, err, ErrNoSignatures)
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))
}

// Identical References are served from the canonical-form cache, but each
// was hashed again: 64 copies of a signature with 30 references to a 2 MB
// element made the verifier hash 3.8 GB. Digests are cached with the
// canonical form, so each distinct form is hashed once per algorithm.
func TestAttackRepeatedReferencesHashedOnce(t *testing.T) {
	big := "<big Id=\"b\">" + strings.Repeat("<i>dữ liệu</i>", 2<<20/len("<i>dữ liệu</i>")) + "</big>"
	slots := strings.Repeat("<slot/>", 63)
	doc := "<r>" + big + "<sig/>" + slots + "</r>"
	refs := make([]Ref, 30)
	for i := range refs {
		refs[i] = Ref{Path: "/r/big"}
	}
	signed, err := Sign(context.Background(), []byte(doc), selfSigned(t), &SignOptions{Location: "/r/sig", References: refs, SignatureID: "S"})
	require.NoError(t, err)
	s := string(signed)
	sig := s[strings.Index(s, "<Signature ") : strings.Index(s, "</Signature>")+len("</Signature>")]
	s = strings.ReplaceAll(s, "<slot/>", "<slot>"+sig+"</slot>")

	start := time.Now()
	res, err := Verify([]byte(s), nil)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 64)
	assert.True(t, res.Valid())
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))
}

// SignedInfo is canonicalized before anything is verified, and DigestMethod
// may hold arbitrary content: with exclusive C14N a long namespace URI on
// an ancestor is repeated on every element there. An unsigned 50 KB
// document made the verifier write 30 MB of canonical SignedInfo. The
// canonical-data budget now applies to SignedInfo too.
func TestAttackSignedInfoAmplification(t *testing.T) {
	long := "urn:" + strings.Repeat("x", 10000)
	var junk strings.Builder
	for i := 0; i < 3000; i++ {
		junk.WriteString("<x><p:y/></x>")
	}
	doc := `<r xmlns:p="` + long + `"><d Id="d">data</d><Signature xmlns="` + NamespaceDSig + `"><SignedInfo><CanonicalizationMethod Algorithm="` + ExcC14N +
		`"/><SignatureMethod Algorithm="` + SigECDSASHA256 + `"/><Reference URI="#d"><DigestMethod Algorithm="` + DigestSHA256 + `">` + junk.String() +
		`</DigestMethod><DigestValue>AAAA</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue></Signature></r>`
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := Verify([]byte(doc), &VerifyOptions{Certificates: []*x509.Certificate{selfSigned(t).Certificate()}})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrLimit)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(16<<20), "verification allocated %d MB for a %d KB document", allocated>>20, len(doc)>>10)
}

// SignatureValue and DigestValue are base64 text. Elements inside them were
// skipped when reading the text, so a valid signature could carry arbitrary
// (unsigned) markup in SignatureValue, which XAdES time-stamp checking then
// canonicalized. They are refused.
func TestAttackMarkupInsideValues(t *testing.T) {
	doc := string(signedInvoice(t))
	i := strings.Index(doc, "<SignatureValue>") + len("<SignatureValue>")
	withMarkup := doc[:i+4] + "<x><y/></x>" + doc[i+4:]
	assert.ErrorIs(t, firstErr(t, []byte(withMarkup)), ErrMalformed)
	j := strings.Index(doc, "<DigestValue>") + len("<DigestValue>")
	withMarkup = doc[:j+4] + "<x/>" + doc[j+4:]
	assert.ErrorIs(t, firstErr(t, []byte(withMarkup)), ErrMalformed)
	// Comments stay tolerated (the canonical SignedInfo drops them).
	withComment := doc[:i+4] + "<!-- c -->" + doc[i+4:]
	assert.NoError(t, firstErr(t, []byte(withComment)))
}

// Node.Path scanned every sibling to number same-named ones, so a path to
// an element among a million siblings cost 17 ms, and callers that report
// the path of every Reference (package verify does) spent seconds to
// minutes on a 4 MB document. Sibling positions are now indexed once per
// parent, lazily.
func TestAttackPathAmongManySiblings(t *testing.T) {
	doc := "<r>" + strings.Repeat("<a/>", 1000000) + `<b Id="x"/><a/></r>`
	d, err := Parse([]byte(doc))
	require.NoError(t, err)
	b, err := d.FindOne("/r/b")
	require.NoError(t, err)
	last := b.NextSibling()
	start := time.Now()
	for i := 0; i < 2000; i++ {
		require.Equal(t, "/r/b", b.Path())
	}
	assert.Equal(t, "/r/a[1000001]", last.Path())
	assert.Equal(t, "/r/a[1]", d.Root().FirstChild().Path())
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))
}

// A parsed Document is read concurrently; the lazy sibling index must be
// safe for that (run with -race).
func TestPathConcurrentReaders(t *testing.T) {
	d, err := Parse([]byte("<r>" + strings.Repeat("<a/><b/>", 100) + "</r>"))
	require.NoError(t, err)
	els := d.Root().Elements()
	done := make(chan []string)
	for g := 0; g < 8; g++ {
		go func() {
			var out []string
			for _, e := range els {
				out = append(out, e.Path())
			}
			done <- out
		}()
	}
	first := <-done
	assert.Equal(t, "/r/a[1]", first[0])
	assert.Equal(t, "/r/b[100]", first[199])
	for g := 1; g < 8; g++ {
		assert.Equal(t, first, <-done)
	}
}

// The InclusiveNamespaces PrefixList was unbounded and consulted for every
// element canonicalized: a 100,000-prefix list on the SignedInfo's
// CanonicalizationMethod and 20,000 elements under DigestMethod kept an
// unsigned document busy for 10 s (quadratic: more of both, hours) before
// any signature check. A PrefixList may name at most Limits.MaxNamespaces
// prefixes, and below the apex only prefixes an element itself declares
// are looked up in it.
func TestAttackLongPrefixList(t *testing.T) {
	var pl strings.Builder
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&pl, "p%d ", i)
	}
	doc := `<r><d Id="d">data</d><Signature xmlns="` + NamespaceDSig + `"><SignedInfo><CanonicalizationMethod Algorithm="` + ExcC14N +
		`"><InclusiveNamespaces xmlns="` + ExcC14N + `" PrefixList="` + pl.String() + `"/></CanonicalizationMethod><SignatureMethod Algorithm="` +
		SigECDSASHA256 + `"/><Reference URI="#d"><DigestMethod Algorithm="` + DigestSHA256 + `">` + strings.Repeat("<x/>", 20000) +
		`</DigestMethod><DigestValue>AAAA</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue></Signature></r>`
	start := time.Now()
	res, err := Verify([]byte(doc), &VerifyOptions{Certificates: []*x509.Certificate{selfSigned(t).Certificate()}})
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrLimit)
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))

	// Within the limit, the list is consulted at the apex and where an
	// element declares a listed prefix, not on every element.
	pl.Reset()
	for i := 0; i < 256; i++ {
		fmt.Fprintf(&pl, "p%d ", i)
	}
	doc = `<r><d Id="d">data</d><Signature xmlns="` + NamespaceDSig + `"><SignedInfo><CanonicalizationMethod Algorithm="` + ExcC14N +
		`"><InclusiveNamespaces xmlns="` + ExcC14N + `" PrefixList="` + pl.String() + `"/></CanonicalizationMethod><SignatureMethod Algorithm="` +
		SigECDSASHA256 + `"/><Reference URI="#d"><DigestMethod Algorithm="` + DigestSHA256 + `">` + strings.Repeat("<x/>", 500000) +
		`</DigestMethod><DigestValue>AAAA</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue></Signature></r>`
	start = time.Now()
	res, err = Verify([]byte(doc), &VerifyOptions{Certificates: []*x509.Certificate{selfSigned(t).Certificate()}})
	require.NoError(t, err)
	assert.ErrorIs(t, res.Signatures[0].Err, ErrSignatureInvalid)
	t.Logf("took %v (a performance regression shows in the benchmarks, not here)", time.Since(start))
}
