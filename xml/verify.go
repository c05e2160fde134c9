package xml

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// Verification errors. A Signature's Err wraps one of them.
var (
	// ErrNoSignatures: the document (or the chosen path) holds no Signature.
	ErrNoSignatures = errors.New("xml: no signature found")
	// ErrMalformed: a Signature does not have the XML-DSig shape.
	ErrMalformed = errors.New("xml: malformed signature")
	// ErrReference: a Reference cannot be dereferenced (unknown, ambiguous or
	// external URI) or uses a transform outside the whitelist.
	ErrReference = errors.New("xml: bad reference")
	// ErrDigestMismatch: the data a Reference covers was changed.
	ErrDigestMismatch = errors.New("xml: digest mismatch")
	// ErrSignatureInvalid: SignatureValue does not verify over SignedInfo.
	ErrSignatureInvalid = errors.New("xml: signature value does not verify")
	// ErrKeyInfo: no usable certificate, or KeyValue disagrees with it.
	ErrKeyInfo = errors.New("xml: key information")
)

// DefaultIDAttrs returns the attribute names that carry element Ids when
// IDAttrs is empty: Id, ID and id (xml:id always counts). Each call
// returns a new slice.
func DefaultIDAttrs() []string { return []string{"Id", "ID", "id"} }

// defaultIDAttrs is what DefaultIDAttrs returns, for the package's own
// read-only use.
var defaultIDAttrs = DefaultIDAttrs()

// VerifyOptions tune verification. The zero value is the strict default.
type VerifyOptions struct {
	// IDAttrs are the attribute names that carry Ids (default Id, ID, id;
	// xml:id always counts). An Id value carried by two elements, under any
	// of these names, is ambiguous and fails the reference.
	IDAttrs []string
	// AllowSHA1 accepts rsa-sha1/ecdsa-sha1 and sha1 digests, for
	// invoices signed in 2021 and earlier.
	AllowSHA1 bool
	// Path selects one signature: the path of its Signature element or of
	// the slot that holds it, e.g. "//HDon/DSCKS/NBan".
	Path string
	// Certificates are used when a Signature carries no X509Certificate.
	Certificates []*x509.Certificate
	// Limits bound parsing and signature processing.
	Limits Limits
}

// Signature is the cryptographic result for one ds:Signature. Trust in the
// certificate is not decided here (see package verify).
type Signature struct {
	// Element is the ds:Signature element; Path its location.
	Element *Node
	Path    string
	// ID is the Signature's Id attribute.
	ID string
	// CanonicalizationMethod and SignatureMethod are the SignedInfo URIs.
	CanonicalizationMethod string
	SignatureMethod        string
	// SignedInfo is the canonical SignedInfo whose signature was checked.
	SignedInfo []byte
	// Certificate is the signer's certificate (from KeyInfo, or from
	// VerifyOptions.Certificates); Certificates all certificates in KeyInfo.
	Certificate  *x509.Certificate
	Certificates []*x509.Certificate
	// SubjectName is X509SubjectName as written (informative only).
	SubjectName string
	// SigningTime is the time the signer claims, read from a SigningTime
	// element covered by the signature (a self-declared time, not a trusted
	// one); SigningTimeText is its text. Times without a zone are read in
	// Vietnam time (UTC+7).
	SigningTime     time.Time
	SigningTimeText string
	// References lists every Reference with its own result.
	References []Reference
	// Intact is true when SignatureValue verified over SignedInfo and every
	// Reference's digest matched: the signed bytes are unchanged, whatever
	// Err says about the rest (KeyValue, XAdES properties) and whatever
	// trust package verify later finds.
	Intact bool
	// Layout is the known layout the signature's place gives it (nil when
	// none; see ResolveLayout). LayoutErr, wrapping ErrNotDocumentData, says
	// the signature does not sign the data a reader of that layout sees.
	Layout    *Layout
	LayoutErr error
	// XAdES holds XAdES qualifying properties, when present.
	XAdES *XAdESInfo
	// Err is nil when SignatureValue and every Reference verify.
	Err error
}

// Reference is the result for one ds:Reference.
type Reference struct {
	URI        string
	Type       string
	Transforms []string
	// DigestMethod is the digest algorithm URI.
	DigestMethod string
	// Element is the element the reference covers (the document element for
	// URI=""). Excluded is the subtree the enveloped transform left out.
	Element  *Node
	Excluded *Node
	// Canonical is the exact byte string that was digested.
	Canonical []byte
	// Note explains a tolerated producer quirk, "" normally.
	Note string
	Err  error
}

// Valid reports whether the signature verified and, in a known layout,
// signs the document's own data.
func (s *Signature) Valid() bool { return s != nil && s.Err == nil && s.LayoutErr == nil }

// Covers reports whether element n lies in the data a verified Reference of
// this signature covers. It is false for an invalid signature.
func (s *Signature) Covers(n *Node) bool {
	if !s.Valid() || n == nil {
		return false
	}
	for i := range s.References {
		r := &s.References[i]
		if r.Err != nil || r.Element == nil {
			continue
		}
		if r.Element.IsAncestorOf(n) && (r.Excluded == nil || !r.Excluded.IsAncestorOf(n)) {
			return true
		}
	}
	return false
}

// Result is the outcome of verifying a document.
type Result struct {
	// Document is the parsed document: consume the data from here (or from
	// the References' Canonical bytes), never from a second parse.
	Document   *Document
	Signatures []*Signature
}

// Valid reports whether there is at least one signature and all verified.
func (r *Result) Valid() bool {
	if r == nil || len(r.Signatures) == 0 {
		return false
	}
	for _, s := range r.Signatures {
		if !s.Valid() {
			return false
		}
	}
	return true
}

// Covered reports whether the element at path is covered by a valid
// signature whose Signature element or slot matches sigPath (any signature
// when sigPath is ""). The path must match exactly one element, and a
// non-empty sigPath exactly one signature (ErrAmbiguous otherwise: a second
// signature in a look-alike slot, for instance an attacker's own over
// forged data, must not answer for the one the caller means).
func (r *Result) Covered(path, sigPath string) (bool, error) {
	el, err := r.Document.FindOne(path)
	if err != nil {
		return false, err
	}
	if sigPath == "" {
		for _, s := range r.Signatures {
			if s.Covers(el) {
				return true, nil
			}
		}
		return false, nil
	}
	slots, err := r.Document.Find(sigPath)
	if err != nil {
		return false, err
	}
	var chosen *Signature
	for _, s := range r.Signatures {
		for _, sl := range slots {
			if sl == s.Element || sl == s.Element.parent {
				if chosen != nil && chosen != s {
					return false, fmt.Errorf("xml: %w: %s names more than one signature", ErrAmbiguous, sigPath)
				}
				chosen = s
			}
		}
	}
	return chosen != nil && chosen.Covers(el), nil
}

// Verify parses doc and verifies every signature in it (or the one chosen
// by opts.Path). The error is non-nil only when the document cannot be
// parsed or holds no signature; each Signature carries its own Err.
func Verify(doc []byte, opts *VerifyOptions) (*Result, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	lim := opts.Limits.withDefaults()
	d, err := ParseWithLimits(doc, lim)
	if err != nil {
		return nil, err
	}
	return VerifyDocument(d, opts)
}

// VerifyDocument is Verify over an already parsed document.
func VerifyDocument(d *Document, opts *VerifyOptions) (*Result, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	lim := opts.Limits.withDefaults()
	sigs, err := findSignatures(d, opts.Path)
	if err != nil {
		return nil, err
	}
	if len(sigs) > lim.MaxSignatures {
		return nil, fmt.Errorf("%w: %d signatures, limit %d", ErrLimit, len(sigs), lim.MaxSignatures)
	}
	v := &verifier{doc: d, opts: opts, lim: lim, ids: newIDIndex(d, opts.IDAttrs), budget: canonBudgetFactor*len(d.src) + 1<<20}
	res := &Result{Document: d}
	for _, el := range sigs {
		res.Signatures = append(res.Signatures, v.verify(el))
	}
	return res, nil
}

func findSignatures(d *Document, path string) ([]*Node, error) {
	var out []*Node
	if path == "" {
		walkElements(d.root, func(n *Node) bool {
			if strings.HasSuffix(n.name, "Signature") && n.Is(NamespaceDSig, "Signature") {
				out = append(out, n)
			}
			return true
		})
		if len(out) == 0 {
			return nil, ErrNoSignatures
		}
		return out, nil
	}
	els, err := d.Find(path)
	if err != nil {
		return nil, err
	}
	for _, e := range els {
		if e.Is(NamespaceDSig, "Signature") {
			out = append(out, e)
			continue
		}
		for c := e.first; c != nil; c = c.next {
			if c.Is(NamespaceDSig, "Signature") {
				out = append(out, c)
			}
		}
	}
	switch len(out) {
	case 0:
		return nil, fmt.Errorf("%w at %s", ErrNoSignatures, path)
	case 1:
		return out, nil
	}
	return nil, fmt.Errorf("xml: %w: %s holds %d signatures", ErrAmbiguous, path, len(out))
}

// idIndex resolves same-document Ids over all Id attribute names.
type idIndex struct {
	m map[string][]*Node
}

func newIDIndex(d *Document, names []string) *idIndex {
	if len(names) == 0 {
		names = defaultIDAttrs
	}
	ix := &idIndex{m: make(map[string][]*Node)}
	walkElements(d.root, func(n *Node) bool {
		for i := range n.attrs {
			a := &n.attrs[i]
			isID := a.Name == "xml:id"
			if !isID {
				for _, nm := range names {
					if a.Name == nm {
						isID = true
						break
					}
				}
			}
			if !isID {
				continue
			}
			list := ix.m[a.Value]
			if len(list) > 0 && list[len(list)-1] == n {
				continue
			}
			ix.m[a.Value] = append(list, n)
		}
		return true
	})
	return ix
}

func (ix *idIndex) lookup(id string) (*Node, error) {
	list := ix.m[id]
	switch len(list) {
	case 0:
		return nil, fmt.Errorf("%w: no element with Id %q", ErrReference, id)
	case 1:
		return list[0], nil
	}
	return nil, fmt.Errorf("%w: Id %q is carried by %d elements (%s, %s)", ErrReference, id, len(list), list[0].Path(), list[1].Path())
}

type verifier struct {
	doc    *Document
	opts   *VerifyOptions
	lim    Limits
	ids    *idIndex
	cache  map[canonKey]*canonEntry
	budget int // bytes of canonical output left
	// idBearing caches, per layout container, its Id-bearing data elements.
	idBearing map[*Node][]*Node
}

// canonBudgetFactor caps the canonical data one verification produces, in
// multiples of the document size (distinct forms only: repeated references
// to the same data are served from a cache).
const canonBudgetFactor = 16

// errCanonBudget is the error once a verification has used up its
// canonical-data budget.
var errCanonBudget = fmt.Errorf("%w: canonicalized data exceeds %d times the document size", ErrLimit, canonBudgetFactor)

// dsChildren returns the element children of n, failing on anything that is
// not whitespace text or an element (comments are tolerated).
func dsChildren(n *Node) ([]*Node, error) {
	var out []*Node
	for c := n.first; c != nil; c = c.next {
		switch c.kind {
		case ElementNode:
			out = append(out, c)
		case TextNode:
			if strings.TrimSpace(c.data) != "" {
				return nil, fmt.Errorf("%w: text inside <%s>", ErrMalformed, n.name)
			}
		}
	}
	return out, nil
}

func (v *verifier) verify(sigEl *Node) *Signature {
	s := &Signature{Element: sigEl, Path: sigEl.Path()}
	s.ID, _ = sigEl.Attr("Id")
	var layoutErr error
	s.Err = v.verifyInto(s, &layoutErr)
	s.LayoutErr = layoutErr
	return s
}

func (v *verifier) verifyInto(s *Signature, layoutErr *error) error {
	kids, err := dsChildren(s.Element)
	if err != nil {
		return err
	}
	if len(kids) < 2 || !kids[0].Is(NamespaceDSig, "SignedInfo") || !kids[1].Is(NamespaceDSig, "SignatureValue") {
		return fmt.Errorf("%w: Signature must start with SignedInfo and SignatureValue", ErrMalformed)
	}
	signedInfo, sigValue := kids[0], kids[1]
	var keyInfo *Node
	for i, k := range kids[2:] {
		switch {
		case k.Is(NamespaceDSig, "KeyInfo") && i == 0:
			keyInfo = k
		case k.Is(NamespaceDSig, "Object"):
		default:
			return fmt.Errorf("%w: unexpected <%s> in Signature", ErrMalformed, k.name)
		}
	}

	// SignedInfo shape.
	siKids, err := dsChildren(signedInfo)
	if err != nil {
		return err
	}
	if len(siKids) < 3 || !siKids[0].Is(NamespaceDSig, "CanonicalizationMethod") || !siKids[1].Is(NamespaceDSig, "SignatureMethod") {
		return fmt.Errorf("%w: SignedInfo must hold CanonicalizationMethod, SignatureMethod and References", ErrMalformed)
	}
	refs := siKids[2:]
	if len(refs) > v.lim.MaxReferences {
		return fmt.Errorf("%w: %d references, limit %d", ErrLimit, len(refs), v.lim.MaxReferences)
	}
	for _, r := range refs {
		if !r.Is(NamespaceDSig, "Reference") {
			return fmt.Errorf("%w: unexpected <%s> in SignedInfo", ErrMalformed, r.name)
		}
	}
	s.CanonicalizationMethod, _ = siKids[0].Attr("Algorithm")
	s.SignatureMethod, _ = siKids[1].Attr("Algorithm")
	prefixes, err := inclusivePrefixes(siKids[0], v.lim.MaxNamespaces)
	if err != nil {
		return err
	}
	if _, _, err := c14nMethod(s.CanonicalizationMethod); err != nil {
		return err
	}
	alg, ok := sigAlgs[s.SignatureMethod]
	if !ok {
		return fmt.Errorf("%w: signature method %q", ErrUnsupportedAlgorithm, s.SignatureMethod)
	}
	if alg.hash == crypto.SHA1 && !v.opts.AllowSHA1 {
		return ErrSHA1
	}
	if siKids[1].first != nil {
		if k, _ := dsChildren(siKids[1]); len(k) > 0 {
			return fmt.Errorf("%w: SignatureMethod parameters are not supported", ErrUnsupportedAlgorithm)
		}
	}

	// Every Reference is checked for shape, URI and algorithm whitelist
	// before anything is digested or verified.
	plans := make([]*refPlan, 0, len(refs))
	for _, r := range refs {
		p, err := v.plan(s, r)
		if err != nil {
			return err
		}
		plans = append(plans, p)
	}
	// The layout check needs only where the references point; it is made
	// whatever the cryptography finds, so a wrapped invoice is reported as
	// such even when a moved element no longer digests.
	if l := ResolveLayout(s.Element); l != nil {
		s.Layout = l
		refs := make([]Reference, len(plans))
		for i, p := range plans {
			refs[i] = p.ref
		}
		if v.idBearing == nil {
			v.idBearing = make(map[*Node][]*Node)
		}
		*layoutErr = l.checkCached(s.Element, refs, v.opts.IDAttrs, v.idBearing)
	}

	// Canonical SignedInfo, within the canonical-data budget (it may hold
	// arbitrary content under DigestMethod, and nothing is verified yet).
	if v.budget <= 0 {
		return errCanonBudget
	}
	var si byteSink
	si.b = make([]byte, 0, 2048)
	if err := (Canonicalizer{Method: s.CanonicalizationMethod, InclusivePrefixes: prefixes, limit: v.budget}).Element(&si, signedInfo); err != nil {
		return fmt.Errorf("canonicalizing SignedInfo: %w", err)
	}
	v.budget -= len(si.b)
	s.SignedInfo = si.b

	// Key.
	var keyValues []*Node
	if keyInfo != nil {
		if keyValues, err = v.readKeyInfo(s, keyInfo); err != nil {
			return err
		}
	}
	if s.Certificate == nil {
		if len(v.opts.Certificates) == 0 {
			// Without a key the signature value cannot be checked, but
			// the digests can: changed data is reported as such.
			for _, p := range plans {
				ref := v.digest(p)
				s.References = append(s.References, ref)
				if ref.Err != nil {
					return ref.Err
				}
			}
			return fmt.Errorf("%w: no X509Certificate in KeyInfo and none supplied", ErrKeyInfo)
		}
	}

	// SignatureValue.
	if err := textOnly(sigValue); err != nil {
		return err
	}
	value, err := decodeBase64(sigValue.Text())
	if err != nil {
		return fmt.Errorf("%w: SignatureValue: %v", ErrMalformed, err)
	}
	h := alg.hash.New()
	h.Write(s.SignedInfo)
	digest := h.Sum(nil)
	if s.Certificate != nil {
		if err := verifySignatureValue(s.Certificate.PublicKey, alg, digest, value); err != nil {
			return fmt.Errorf("%w: %v", ErrSignatureInvalid, err)
		}
	} else {
		var lastErr error
		for _, c := range v.opts.Certificates {
			if lastErr = verifySignatureValue(c.PublicKey, alg, digest, value); lastErr == nil {
				s.Certificate = c
				break
			}
		}
		if s.Certificate == nil {
			return fmt.Errorf("%w: %v", ErrSignatureInvalid, lastErr)
		}
	}
	// References.
	var firstErr error
	for _, p := range plans {
		ref := v.digest(p)
		if ref.Err != nil && firstErr == nil {
			firstErr = ref.Err
		}
		s.References = append(s.References, ref)
	}
	if firstErr != nil {
		return firstErr
	}
	s.Intact = true
	if s.Layout != nil && *layoutErr == nil {
		*layoutErr = s.Layout.checkSigningTime(s)
	}
	// KeyInfo is not signed: every KeyValue in it must name the key that
	// verified, or it is a second, contradicting key statement.
	for _, kv := range keyValues {
		if err := checkKeyValue(kv, s.Certificate.PublicKey); err != nil {
			return err
		}
	}
	v.signingTime(s)
	if err := checkCounterSignature(s); err != nil {
		return err
	}
	if err := v.xades(s); err != nil {
		return err
	}
	return nil
}

// inclusivePrefixes reads the InclusiveNamespaces PrefixList of a
// canonicalization method or transform. The list is consulted for every
// element canonicalized, so it may name at most max prefixes.
func inclusivePrefixes(method *Node, max int) ([]string, error) {
	var out []string
	for c := method.first; c != nil; c = c.next {
		if c.kind != ElementNode {
			continue
		}
		if c.Is(ExcC14N, "InclusiveNamespaces") {
			pl, _ := c.Attr("PrefixList")
			out = append(out, strings.Fields(pl)...)
			if len(out) > max {
				return nil, fmt.Errorf("%w: InclusiveNamespaces PrefixList names more than %d prefixes", ErrLimit, max)
			}
			continue
		}
		return nil, fmt.Errorf("%w: unexpected <%s> in %s", ErrMalformed, c.name, method.name)
	}
	return out, nil
}

// textOnly refuses elements inside a base64 value (SignatureValue,
// DigestValue): their text would be read around them, and the markup,
// unsigned in SignatureValue, canonicalized later.
func textOnly(n *Node) error {
	for c := n.first; c != nil; c = c.next {
		if c.kind == ElementNode {
			return fmt.Errorf("%w: <%s> inside <%s>", ErrMalformed, c.name, n.name)
		}
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(clean)
}

// refPlan is a Reference checked for shape and whitelist, dereferenced but
// not yet digested.
type refPlan struct {
	ref  Reference
	c    Canonicalizer
	hash crypto.Hash
	want []byte
	// textFirst: the first octets are the node-set's text (self::text()
	// and its string value), for a Base64 transform, instead of a
	// canonicalization.
	textFirst bool
	// post are the transforms applied to the octets of the first
	// canonicalization (or Base64 decoding), in order.
	post []postStep
}

// postStep is a transform over octets: a canonicalization of the re-parsed
// octets, or a Base64 decoding.
type postStep struct {
	base64 bool
	c      Canonicalizer
}

// canonEntry is a cached canonical form and its digests by algorithm
// (hashing it once per algorithm, however many References name it).
type canonEntry struct {
	out  []byte
	sums map[crypto.Hash][]byte
}

// canonKey identifies a canonical form, so that data referenced by several
// signatures (DLHDon in a countersigned invoice) is canonicalized once.
type canonKey struct {
	el       *Node
	whole    bool
	method   string
	prefixes string
	exclude  *Node
}

func (v *verifier) digest(p *refPlan) Reference {
	ref := p.ref
	c := p.c
	if c.Exclude != nil && ref.URI != "" && !ref.Element.IsAncestorOf(c.Exclude) && !c.Exclude.IsAncestorOf(ref.Element) {
		c.Exclude = nil // the enveloped transform is a no-op here
	}
	if p.textFirst || len(p.post) > 0 {
		return v.digestPipeline(p, c, ref)
	}
	entry, err := v.canonical(c, ref)
	if err != nil {
		ref.Err = fmt.Errorf("reference %q: %w", ref.URI, err)
		return ref
	}
	if !bytes.Equal(entry.sum(p.hash), p.want) {
		// .NET-based producers reference the SignatureProperties object of
		// their own Signature with the enveloped transform and digest the
		// element itself, where the spec leaves an empty node-set. That
		// reading is accepted for those objects only (never for data an
		// attacker could move into the Signature) and reported in Note.
		if c.Exclude != nil && ref.URI != "" && c.Exclude.IsAncestorOf(ref.Element) && signatureProperties(c.Exclude, ref.Element) {
			whole := c
			whole.Exclude = nil
			if e, err := v.canonical(whole, ref); err == nil && bytes.Equal(e.sum(p.hash), p.want) {
				ref.Canonical = e.out
				ref.Excluded = nil
				ref.Note = NoteDotNetEnveloped
				return ref
			}
		}
		ref.Err = fmt.Errorf("reference %q: %w", ref.URI, ErrDigestMismatch)
		return ref
	}
	ref.Canonical = entry.out
	return ref
}

// NoteDotNetEnveloped is the Reference.Note of a SignatureProperties object
// inside its own Signature that was referenced with the enveloped transform
// and digested whole, as .NET's SignedXml and the JDK do (the spec's
// reading leaves nothing to digest; xmlsec1 follows the spec).
const NoteDotNetEnveloped = "enveloped-signature transform on the signature's own SignatureProperties digested as the whole element (.NET behaviour)"

// signatureProperties reports whether el, inside the Signature sig, is a
// signing-time object of that Signature: a ds:Object child of sig holding
// only ds:SignatureProperties, or such a SignatureProperties or one of its
// SignatureProperty children.
func signatureProperties(sig, el *Node) bool {
	onlyChildren := func(n *Node, local string) bool {
		found := false
		for c := n.first; c != nil; c = c.next {
			switch c.kind {
			case ElementNode:
				if !c.Is(NamespaceDSig, local) {
					return false
				}
				found = true
			case TextNode:
				if strings.TrimSpace(c.data) != "" {
					return false
				}
			}
		}
		return found
	}
	var obj *Node
	switch {
	case el.Is(NamespaceDSig, "Object"):
		obj = el
	case el.Is(NamespaceDSig, "SignatureProperties"):
		obj = el.parent
	case el.Is(NamespaceDSig, "SignatureProperty") && el.parent != nil && el.parent.Is(NamespaceDSig, "SignatureProperties"):
		obj = el.parent.parent
	default:
		return false
	}
	if obj == nil || !obj.Is(NamespaceDSig, "Object") || obj.parent != sig || !onlyChildren(obj, "SignatureProperties") {
		return false
	}
	for sp := obj.first; sp != nil; sp = sp.next {
		if sp.kind == ElementNode && !onlyChildren(sp, "SignatureProperty") {
			return false
		}
	}
	return true
}

// digestPipeline runs a Reference whose transforms go on after the first
// canonicalization, or that use Base64: octets are re-parsed for each later
// canonicalization, decoded by Base64, and digested at the end.
func (v *verifier) digestPipeline(p *refPlan, c Canonicalizer, ref Reference) Reference {
	fail := func(err error) Reference {
		ref.Err = fmt.Errorf("reference %q: %w", ref.URI, err)
		return ref
	}
	var octets []byte
	if p.textFirst {
		var b strings.Builder
		if ref.Element != c.Exclude {
			writeText(&b, ref.Element, c.Exclude)
		}
		if b.Len() > v.budget {
			return fail(errCanonBudget)
		}
		octets = []byte(b.String())
		v.budget -= len(octets)
	} else {
		entry, err := v.canonical(c, ref)
		if err != nil {
			return fail(err)
		}
		octets = entry.out
	}
	for _, st := range p.post {
		if st.base64 {
			dec, err := decodeBase64(string(octets))
			if err != nil {
				return fail(fmt.Errorf("%w: base64 transform: %v", ErrReference, err))
			}
			octets = dec
			continue
		}
		d, err := ParseWithLimits(octets, v.lim)
		if err != nil {
			return fail(fmt.Errorf("%w: re-parsing the octets of a canonicalization: %w", ErrReference, err))
		}
		if v.budget <= 0 {
			return fail(errCanonBudget)
		}
		cc := st.c
		cc.limit = v.budget
		var sink byteSink
		sink.b = make([]byte, 0, len(octets)+len(octets)/16+64)
		if err := cc.Document(&sink, d); err != nil {
			return fail(err)
		}
		v.budget -= len(sink.b)
		octets = sink.b
	}
	h := p.hash.New()
	h.Write(octets)
	if !bytes.Equal(h.Sum(nil), p.want) {
		return fail(ErrDigestMismatch)
	}
	ref.Canonical = octets
	return ref
}

// sum returns the digest of the canonical form with h, computed once.
func (e *canonEntry) sum(h crypto.Hash) []byte {
	if s, ok := e.sums[h]; ok {
		return s
	}
	hh := h.New()
	hh.Write(e.out)
	s := hh.Sum(nil)
	e.sums[h] = s
	return s
}

// canonical returns the canonical form c gives the data ref names, from
// the cache or canonicalized within the remaining budget.
func (v *verifier) canonical(c Canonicalizer, ref Reference) (*canonEntry, error) {
	key := canonKey{el: ref.Element, whole: ref.URI == "", method: c.Method, prefixes: strings.Join(c.InclusivePrefixes, " "), exclude: c.Exclude}
	if entry, ok := v.cache[key]; ok {
		return entry, nil
	}
	if v.budget <= 0 {
		return nil, errCanonBudget
	}
	// The budget bounds the output while it is written.
	c.limit = v.budget
	var sink byteSink
	sink.b = make([]byte, 0, min(estimateSize(ref.Element), v.budget))
	var err error
	if ref.URI == "" {
		err = c.Document(&sink, v.doc)
	} else {
		err = c.Element(&sink, ref.Element)
	}
	if err != nil {
		return nil, err
	}
	v.budget -= len(sink.b)
	if v.budget < 0 {
		return nil, errCanonBudget
	}
	if v.cache == nil {
		v.cache = make(map[canonKey]*canonEntry)
	}
	entry := &canonEntry{out: sink.b, sums: make(map[crypto.Hash][]byte, 1)}
	v.cache[key] = entry
	return entry, nil
}

func (v *verifier) plan(s *Signature, r *Node) (*refPlan, error) {
	ref := Reference{}
	ref.URI, _ = r.Attr("URI")
	ref.Type, _ = r.Attr("Type")
	fail := func(err error) (*refPlan, error) {
		return nil, fmt.Errorf("reference %q: %w", ref.URI, err)
	}
	kids, err := dsChildren(r)
	if err != nil {
		return fail(err)
	}
	var transforms, digestMethod, digestValue *Node
	for _, k := range kids {
		switch {
		case k.Is(NamespaceDSig, "Transforms") && transforms == nil && digestMethod == nil:
			transforms = k
		case k.Is(NamespaceDSig, "DigestMethod") && digestMethod == nil:
			digestMethod = k
		case k.Is(NamespaceDSig, "DigestValue") && digestMethod != nil && digestValue == nil:
			digestValue = k
		default:
			return fail(fmt.Errorf("%w: unexpected <%s> in Reference", ErrMalformed, k.name))
		}
	}
	if digestMethod == nil || digestValue == nil {
		return fail(fmt.Errorf("%w: Reference without DigestMethod/DigestValue", ErrMalformed))
	}
	if _, hasURI := r.Attr("URI"); !hasURI {
		return fail(fmt.Errorf("%w: Reference without URI (detached data is not supported)", ErrReference))
	}
	// Dereference.
	switch {
	case ref.URI == "":
		ref.Element = v.doc.root
	case strings.HasPrefix(ref.URI, "#") && len(ref.URI) > 1 && !strings.HasPrefix(ref.URI, "#xpointer("):
		el, err := v.ids.lookup(ref.URI[1:])
		if err != nil {
			return fail(err)
		}
		ref.Element = el
	default:
		return fail(fmt.Errorf("%w: only same-document references (\"\" or \"#Id\") are allowed", ErrReference))
	}
	// Transforms. The first ones work on the node-set the URI names
	// (enveloped-signature, then a canonicalization or Base64); once one of
	// those has produced octets, each later canonicalization re-parses the
	// octets and canonicalizes the result, and a later Base64 decodes them
	// (XML-DSig 1.0 §4.3.3.2 and §6.6.2).
	c := Canonicalizer{Method: C14N10}
	var post []postStep
	textFirst := false
	if transforms != nil {
		tks, err := dsChildren(transforms)
		if err != nil {
			return fail(err)
		}
		if len(tks) > v.lim.MaxTransforms {
			return fail(fmt.Errorf("%w: %d transforms, limit %d", ErrLimit, len(tks), v.lim.MaxTransforms))
		}
		octets := false // a transform has turned the node-set into octets
		for i, t := range tks {
			if !t.Is(NamespaceDSig, "Transform") {
				return fail(fmt.Errorf("%w: unexpected <%s> in Transforms", ErrMalformed, t.name))
			}
			alg, _ := t.Attr("Algorithm")
			ref.Transforms = append(ref.Transforms, alg)
			switch alg {
			case TransformEnveloped:
				if i != 0 {
					return fail(fmt.Errorf("%w: enveloped-signature must be the first transform", ErrReference))
				}
				if k, _ := dsChildren(t); len(k) > 0 {
					return fail(fmt.Errorf("%w: enveloped-signature takes no parameters", ErrReference))
				}
				c.Exclude = s.Element
			case C14N10, C14N10Comments, C14N11, C14N11Comments, ExcC14N, ExcC14NComments:
				p, err := inclusivePrefixes(t, v.lim.MaxNamespaces)
				if err != nil {
					return fail(err)
				}
				if octets {
					// Re-parsed octets form a whole document: comments
					// stay only for the #WithComments methods.
					post = append(post, postStep{c: Canonicalizer{Method: alg, InclusivePrefixes: p}})
					continue
				}
				// Same-document "" and "#Id" node-sets carry no comments.
				c.Method = strings.TrimSuffix(alg, "#WithComments")
				if alg == ExcC14NComments {
					c.Method = ExcC14N
				}
				c.InclusivePrefixes = p
				octets = true
			case TransformBase64:
				if k, _ := dsChildren(t); len(k) > 0 {
					return fail(fmt.Errorf("%w: base64 takes no parameters", ErrReference))
				}
				if !octets {
					textFirst = true
					octets = true
				}
				post = append(post, postStep{base64: true})
			default:
				return fail(fmt.Errorf("%w: transform %q is not allowed", ErrReference, alg))
			}
		}
	}
	if c.Exclude != nil {
		ref.Excluded = c.Exclude
	}
	ref.DigestMethod, _ = digestMethod.Attr("Algorithm")
	hash, ok := digestAlgs[ref.DigestMethod]
	if !ok {
		return fail(fmt.Errorf("%w: digest %q", ErrUnsupportedAlgorithm, ref.DigestMethod))
	}
	if hash == crypto.SHA1 && !v.opts.AllowSHA1 {
		return fail(ErrSHA1)
	}
	if err := textOnly(digestValue); err != nil {
		return fail(err)
	}
	want, err := decodeBase64(digestValue.Text())
	if err != nil {
		return fail(fmt.Errorf("%w: DigestValue: %v", ErrMalformed, err))
	}
	return &refPlan{ref: ref, c: c, hash: hash, want: want, post: post, textFirst: textFirst}, nil
}

func estimateSize(n *Node) int {
	if n == nil || n.end <= n.start {
		return 1024
	}
	return int(n.end-n.start) + int(n.end-n.start)/16 + 512
}

// readKeyInfo extracts the certificates and checks that a KeyValue, when
// present, names the certificate's key.
func (v *verifier) readKeyInfo(s *Signature, keyInfo *Node) ([]*Node, error) {
	var keyValues []*Node
	count := 0
	walkElements(keyInfo, func(n *Node) bool {
		if n.Is(NamespaceDSig, "X509Certificate") {
			count++
		}
		return true
	})
	if count > v.lim.MaxCertificates {
		// Picking the leaf compares every pair of certificates.
		return nil, fmt.Errorf("%w: %w: %d certificates in KeyInfo, limit %d", ErrKeyInfo, ErrLimit, count, v.lim.MaxCertificates)
	}
	walkElements(keyInfo, func(n *Node) bool {
		switch {
		case n.Is(NamespaceDSig, "X509Certificate"):
			der, err := decodeBase64(n.Text())
			if err != nil {
				return true
			}
			if c, err := certparse.Parse(der); err == nil {
				s.Certificates = append(s.Certificates, c)
			}
		case n.Is(NamespaceDSig, "X509SubjectName") && s.SubjectName == "":
			s.SubjectName = strings.TrimSpace(n.Text())
		case n.Is(NamespaceDSig, "KeyValue"):
			keyValues = append(keyValues, n)
		}
		return true
	})
	if len(s.Certificates) > 0 {
		s.Certificate = leafCertificate(s.Certificates)
	}
	return keyValues, nil
}

// leafCertificate picks the certificate that issued none of the others.
func leafCertificate(certs []*x509.Certificate) *x509.Certificate {
	for _, c := range certs {
		issuer := false
		for _, o := range certs {
			if o != c && bytes.Equal(o.RawIssuer, c.RawSubject) && o.CheckSignatureFrom(c) == nil {
				issuer = true
				break
			}
		}
		if !issuer {
			return c
		}
	}
	return certs[0]
}

// checkKeyValue checks that a KeyValue names pub: RSAKeyValue, the XML-DSig
// 1.1 ECKeyValue (named curve and uncompressed point) or the RFC 4050
// ECDSAKeyValue that .NET writes. Anything else (DSAKeyValue, unknown
// content, several key values) cannot be matched and is refused.
func checkKeyValue(kv *Node, pub crypto.PublicKey) error {
	kids, err := dsChildren(kv)
	if err != nil || len(kids) != 1 {
		return fmt.Errorf("%w: KeyValue must hold exactly one key value", ErrKeyInfo)
	}
	k := kids[0]
	switch {
	case k.Is(NamespaceDSig, "RSAKeyValue"):
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: RSAKeyValue beside a non-RSA certificate", ErrKeyInfo)
		}
		mod, err1 := decodeBase64(textOf(k.Child("Modulus")))
		exp, err2 := decodeBase64(textOf(k.Child("Exponent")))
		if err1 != nil || err2 != nil || len(exp) > 8 {
			return fmt.Errorf("%w: malformed RSAKeyValue", ErrKeyInfo)
		}
		if new(big.Int).SetBytes(mod).Cmp(rk.N) != 0 || new(big.Int).SetBytes(exp).Cmp(big.NewInt(int64(rk.E))) != 0 {
			return fmt.Errorf("%w: RSAKeyValue does not match the certificate", ErrKeyInfo)
		}
		return nil
	case k.Is(NamespaceDSig11, "ECKeyValue"):
		ek, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: ECKeyValue beside a non-EC certificate", ErrKeyInfo)
		}
		if nc := k.Child("NamedCurve"); nc != nil {
			uri, _ := nc.Attr("URI")
			if want, ok := curveURN(ek); !ok || uri != want {
				return fmt.Errorf("%w: ECKeyValue names curve %q, the certificate's key is on %s", ErrKeyInfo, uri, ek.Curve.Params().Name)
			}
		}
		pt, err := decodeBase64(textOf(k.Child("PublicKey")))
		if err != nil {
			return fmt.Errorf("%w: malformed ECKeyValue", ErrKeyInfo)
		}
		ed, err := ek.ECDH()
		if err != nil || !bytes.Equal(pt, ed.Bytes()) {
			return fmt.Errorf("%w: ECKeyValue does not match the certificate", ErrKeyInfo)
		}
		return nil
	case k.LocalName() == "ECDSAKeyValue" && k.NamespaceURI() == NamespaceDSigMore:
		ek, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: ECDSAKeyValue beside a non-EC certificate", ErrKeyInfo)
		}
		if dp := k.Child("DomainParameters"); dp != nil {
			urn := ""
			if nc := dp.Child("NamedCurve"); nc != nil {
				urn, _ = nc.Attr("URN")
			}
			if want, ok := curveURN(ek); !ok || urn != want {
				return fmt.Errorf("%w: ECDSAKeyValue names curve %q, the certificate's key is on %s", ErrKeyInfo, urn, ek.Curve.Params().Name)
			}
		}
		coord := func(name string) (*big.Int, bool) {
			pk := k.Child("PublicKey")
			if pk == nil || pk.Child(name) == nil {
				return nil, false
			}
			v, _ := pk.Child(name).Attr("Value")
			return new(big.Int).SetString(v, 10)
		}
		x, okx := coord("X")
		y, oky := coord("Y")
		if !okx || !oky || !sameECPoint(ek, x, y) {
			return fmt.Errorf("%w: ECDSAKeyValue does not match the certificate", ErrKeyInfo)
		}
		return nil
	}
	return fmt.Errorf("%w: <%s> in KeyValue cannot be matched against the certificate", ErrKeyInfo, k.name)
}

// sameECPoint reports whether x and y are the coordinates of k's point.
func sameECPoint(k *ecdsa.PublicKey, x, y *big.Int) bool {
	pt, err := k.Bytes() // 0x04 || X || Y
	if err != nil || len(pt) < 3 {
		return false
	}
	size := (len(pt) - 1) / 2
	coordIs := func(v *big.Int, want []byte) bool {
		return v.Sign() >= 0 && v.BitLen() <= 8*size && bytes.Equal(v.FillBytes(make([]byte, size)), want)
	}
	return coordIs(x, pt[1:1+size]) && coordIs(y, pt[1+size:])
}

// curveURN returns the urn:oid: name of the key's curve.
func curveURN(k *ecdsa.PublicKey) (string, bool) {
	switch k.Curve.Params().Name {
	case "P-256":
		return "urn:oid:1.2.840.10045.3.1.7", true
	case "P-384":
		return "urn:oid:1.3.132.0.34", true
	case "P-521":
		return "urn:oid:1.3.132.0.35", true
	}
	return "", false
}

func textOf(n *Node) string {
	if n == nil {
		return ""
	}
	return n.Text()
}

// signingTime reads a SigningTime element from the data the signature
// covers inside itself (Object/SignatureProperties or XAdES). Only the
// covered part of each reference is searched (not what an enveloped
// transform leaves out), each referenced element once.
func (v *verifier) signingTime(s *Signature) {
	seen := make(map[*Node]bool, len(s.References))
	for i := range s.References {
		r := &s.References[i]
		if r.Err != nil || r.Element == nil || !s.Element.IsAncestorOf(r.Element) || seen[r.Element] {
			continue
		}
		seen[r.Element] = true
		if r.Excluded != nil && r.Excluded.IsAncestorOf(r.Element) {
			continue // nothing of it is covered
		}
		if found := findElement(r.Element, r.Excluded, "SigningTime"); found != nil {
			s.SigningTimeText = strings.TrimSpace(found.Text())
			s.SigningTime, _ = parseSigningTime(s.SigningTimeText)
			return
		}
	}
}

// findElement returns the first element with the given local name under
// and including n, in document order, leaving out the subtree skip.
func findElement(n, skip *Node, local string) *Node {
	if n == skip {
		return nil
	}
	if n.LocalName() == local {
		return n
	}
	for c := n.first; c != nil; c = c.next {
		if c.kind == ElementNode {
			if f := findElement(c, skip, local); f != nil {
				return f
			}
		}
	}
	return nil
}

var vietnam = time.FixedZone("ICT", 7*3600)

// parseSigningTime accepts the formats Vietnamese producers write.
func parseSigningTime(t string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00"} {
		if tm, err := time.Parse(layout, t); err == nil {
			return tm, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if tm, err := time.ParseInLocation(layout, t, vietnam); err == nil {
			return tm, nil
		}
	}
	return time.Time{}, fmt.Errorf("xml: unrecognized SigningTime %q", t)
}
