package xml

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// ErrSlotOccupied: the location chosen for a new signature already holds one.
var ErrSlotOccupied = errors.New("xml: signature slot already holds a signature")

// ErrBreaksSignature: adding the signature where asked (or the Id or MCCQT
// it needs) would change data an existing signature covers.
var ErrBreaksSignature = errors.New("xml: signing here would invalidate an existing signature")

// ErrBadOptions: the signing options are inconsistent (an unknown XAdES
// level, B-T without a time-stamp authority, a time-stamp authority for plain
// XML-DSig, nothing to sign).
var ErrBadOptions = errors.New("xml: invalid options")

// ErrTimestamp: the TSA could not be reached, refused, or returned a token
// that does not check out.
var ErrTimestamp = errors.New("xml: time-stamp failed")

// Ref names data a new signature covers.
type Ref struct {
	// Path of the element to reference by its Id, e.g. "//HDon/DLHDon".
	// An empty Path references the whole document (URI="", with the
	// enveloped-signature transform).
	Path string
	// Type is the Reference Type attribute (optional).
	Type string
	// Optional references are skipped when Path matches nothing.
	Optional bool
}

// SignOptions describe a signature to add. Profiles (Seller, Buyer,
// TaxAuthority, Registrant, TaxNoticeOfficer, TaxNoticeAgency) return them
// filled in for the Vietnamese layouts; callers may adjust any field.
type SignOptions struct {
	// Location is the path of the element that receives the Signature as
	// its last child, e.g. "//HDon/DSCKS/NBan". Missing trailing elements
	// are created. Empty means the document element.
	Location string
	// References lists the data to sign, in order.
	References []Ref
	// Enveloped adds the enveloped-signature transform to Id references (as
	// Vietnamese sellers do; a no-op when the Signature lies outside the
	// referenced element). References to an ancestor of the signature
	// always get it.
	Enveloped bool
	// SignatureID is the Signature's Id (default "Signature-<random>").
	SignatureID string
	// SigningTime is the claimed signing time (default: now).
	SigningTime time.Time
	// SigningTimeObject adds Object/SignatureProperties/SignatureProperty/
	// SigningTime, referenced from SignedInfo, as invoices carry it.
	SigningTimeObject bool
	// ObjectID is the Id of that Object (default "SigningTime-<random>").
	ObjectID string
	// Hash is the digest and signature hash: SHA-256 (default), SHA-384 or
	// SHA-512. SHA-1 is refused for signing.
	Hash crypto.Hash
	// PSS selects RSA-PSS (RFC 6931 sha*-rsa-MGF1) for RSA keys.
	PSS bool
	// IncludeChain adds the chain certificates to X509Data.
	IncludeChain bool
	// IncludeSubjectName adds X509SubjectName in readable form
	// ("…, CN=…, UID=MST:0100686209").
	IncludeSubjectName bool
	// IDAttrs are the attribute names that carry Ids (default Id, ID, id).
	IDAttrs []string
	// AddMissingIDs gives an Id attribute to a referenced element that has
	// none; otherwise that is an error.
	AddMissingIDs bool
	// CanonicalizationMethod for SignedInfo (default inclusive C14N 1.0).
	CanonicalizationMethod string
	// ReferenceC14N, when set, adds this canonicalization transform to each
	// reference (default: none, i.e. implicit C14N 1.0).
	ReferenceC14N string
	// Level selects XAdES B-B, B-T or B-LT qualifying properties; the zero
	// value, LevelNone, is plain XML-DSig.
	Level Level
	// TimestampURL is the RFC 3161 time-stamping authority that
	// time-stamps the signature for LevelBT and LevelBLT, and makes
	// LevelBB B-T (the same field as in pdf.Options and cades.Options);
	// with LevelNone it is ErrBadOptions. HTTPClient is
	// used for it and, unless LTV names its own, for the B-LT requests
	// (http.DefaultClient's settings when nil).
	TimestampURL string
	HTTPClient   *http.Client
	// LTV controls how LevelBLT collects its validation data
	// (supplied evidence, offline mode, HTTP client). Nil: fetched online
	// with HTTPClient.
	LTV *LTVOptions
	// TaxAuthorityCode, for the tax-authority profile, is the MCCQT code
	// inserted (with an Id) after DLHDon when the invoice has none yet.
	TaxAuthorityCode string
	// Limits bound parsing.
	Limits Limits
}

// Prepared is a signature prepared for signing elsewhere: Digest is what
// the key must sign (with SignerOpts), Finish completes the document. It is
// serialisable with MarshalBinary; the state pins the whole prepared
// document, so finishing in another process gives the same result.
type Prepared struct {
	// HTTPClient, when set, is used by Finish for the TSA and the B-LT
	// requests (SignOptions.HTTPClient by default). LTV, when set, controls
	// how Finish collects XAdES B-LT validation data (SignOptions.LTV by
	// default). Neither is part of the serialised state: set them after
	// UnmarshalBinary when the defaults will not do.
	HTTPClient *http.Client
	LTV        *LTVOptions

	out         string // document with an empty SignatureValue
	valueOff    int    // where the base64 SignatureValue goes
	unsignedOff int    // where XAdES UnsignedProperties go (-1: none)
	digest      []byte
	method      string
	cert        *x509.Certificate
	level       Level
	hash        crypto.Hash
	// canonical SignatureValue element around its text, for B-T.
	svPrefix, svSuffix string
	tsaURL             string // serialised
	// For B-LT (not serialised): candidate issuers.
	chain []*x509.Certificate
}

// Digest returns the digest of the canonical SignedInfo, to be signed.
func (p *Prepared) Digest() []byte { return append([]byte(nil), p.digest...) }

// SignerOpts returns the options to sign Digest with (a crypto.Hash, or
// *rsa.PSSOptions for RSA-PSS).
func (p *Prepared) SignerOpts() crypto.SignerOpts { return sigAlgs[p.method].signerOpts() }

// SignatureMethod returns the SignatureMethod URI.
func (p *Prepared) SignatureMethod() string { return p.method }

// Finish completes the document with sig, the raw signature over Digest:
// RSA bytes, or ECDSA as ASN.1 DER (what signer.Signer returns) or r||s.
// The signature is checked against the certificate first; a signature that
// does not verify is refused and no document is returned.
func (p *Prepared) Finish(ctx context.Context, sig []byte) ([]byte, error) {
	if p == nil || p.cert == nil {
		return nil, fmt.Errorf("%w: not prepared", ErrBadState)
	}
	value := sig
	if k, ok := p.cert.PublicKey.(*ecdsa.PublicKey); ok {
		raw, err := ecdsaRaw(k, sig)
		if err != nil {
			return nil, fmt.Errorf("xml: finishing: %w: %v", signer.ErrBadSignature, err)
		}
		value = raw
	}
	if err := verifySignatureValue(p.cert.PublicKey, sigAlgs[p.method], p.digest, value); err != nil {
		return nil, fmt.Errorf("xml: finishing: %w: %v", signer.ErrBadSignature, err)
	}
	b64 := base64.StdEncoding.EncodeToString(value)
	var unsigned string
	if p.level >= LevelBT {
		if p.tsaURL == "" {
			return nil, fmt.Errorf("%w: XAdES B-T needs a TSA (SignOptions.TimestampURL)", ErrBadOptions)
		}
		h := p.hash.New()
		h.Write([]byte(p.svPrefix + b64 + p.svSuffix))
		tok, err := timestamp(ctx, p.tsaURL, p.HTTPClient, h.Sum(nil), p.hash)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("xml: signature time-stamp: %w", ctx.Err())
			}
			return nil, fmt.Errorf("xml: signature time-stamp: %w: %w", ErrTimestamp, err)
		}
		unsigned = `<xades:UnsignedProperties><xades:UnsignedSignatureProperties><xades:SignatureTimeStamp Id="` +
			"TS-" + randomID() + `"><CanonicalizationMethod Algorithm="` + C14N10 + `"/><xades:EncapsulatedTimeStamp>` +
			base64.StdEncoding.EncodeToString(tok) + `</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>`
		if p.level >= LevelBLT {
			values, err := p.ltValues(ctx, tok)
			if err != nil {
				return nil, err
			}
			unsigned += values
		}
		unsigned += `</xades:UnsignedSignatureProperties></xades:UnsignedProperties>`
	}
	var b strings.Builder
	b.Grow(len(p.out) + len(b64) + len(unsigned))
	b.WriteString(p.out[:p.valueOff])
	b.WriteString(b64)
	if p.unsignedOff >= 0 {
		b.WriteString(p.out[p.valueOff:p.unsignedOff])
		b.WriteString(unsigned)
		b.WriteString(p.out[p.unsignedOff:])
	} else {
		b.WriteString(p.out[p.valueOff:])
	}
	return []byte(b.String()), nil
}

// Sign adds a signature made by s to doc as opts describe and returns the
// signed document. Existing signatures are left byte for byte as they were.
func Sign(ctx context.Context, doc []byte, s signer.Signer, opts *SignOptions) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("xml: sign: %w", signer.ErrNoKey)
	}
	if opts != nil && !opts.PSS && signer.PrefersPSS(s) { // signer.WithPSS
		o := *opts
		o.PSS = true
		opts = &o
	}
	p, err := Prepare(ctx, doc, s.Certificate(), s.Chain(), opts)
	if err != nil {
		return nil, err
	}
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	if err != nil {
		return nil, fmt.Errorf("xml: signing: %w", err)
	}
	return p.Finish(ctx, sig)
}

func randomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

type edit struct {
	off, end int // replace src[off:end] (end == off: insert)
	text     string
}

type plannedRef struct {
	uri       string
	typ       string
	el        *Node // nil for URI=""
	enveloped bool
}

// Prepare builds the signature described by opts for a signer whose
// certificate is cert, issued by chain, and returns the state to finish it.
// It does no network I/O; ctx stops it between references.
func Prepare(ctx context.Context, doc []byte, cert *x509.Certificate, chain []*x509.Certificate, opts *SignOptions) (*Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &SignOptions{}
	}
	if cert == nil {
		return nil, fmt.Errorf("xml: %w", signer.ErrNoCertificate)
	}
	o := *opts
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	if o.Hash == crypto.SHA1 {
		return nil, fmt.Errorf("%w: SHA-1 is not used for new signatures: %w", ErrUnsupportedAlgorithm, signer.ErrUnsupportedAlgorithm)
	}
	if o.CanonicalizationMethod == "" {
		o.CanonicalizationMethod = C14N10
	}
	if _, _, err := c14nMethod(o.CanonicalizationMethod); err != nil {
		return nil, err
	}
	if o.ReferenceC14N != "" {
		if _, _, err := c14nMethod(o.ReferenceC14N); err != nil {
			return nil, err
		}
	}
	if o.Level < LevelNone || o.Level > LevelBLT {
		return nil, fmt.Errorf("%w: unknown XAdES level %d", ErrBadOptions, o.Level)
	}
	switch {
	case o.Level >= LevelBT && o.TimestampURL == "":
		return nil, fmt.Errorf("%w: XAdES B-T needs SignOptions.TimestampURL", ErrBadOptions)
	case o.Level == LevelBB && o.TimestampURL != "":
		// B-B with a time-stamp authority is B-T, as in pdf and cades.
		o.Level = LevelBT
	case o.Level == LevelNone && o.TimestampURL != "":
		return nil, fmt.Errorf("%w: SignOptions.TimestampURL needs XAdES (Level LevelBB, LevelBT or LevelBLT): plain XML-DSig carries no time-stamp", ErrBadOptions)
	}
	method, err := signatureMethodFor(cert.PublicKey, o.Hash, o.PSS)
	if err != nil {
		return nil, err
	}
	dURI, err := digestURI(o.Hash)
	if err != nil {
		return nil, err
	}
	lim := o.Limits.withDefaults()
	d, err := ParseWithLimits(doc, lim)
	if err != nil {
		return nil, err
	}
	if d.encoding != "" {
		// Signing keeps the document's bytes; it writes UTF-8 only.
		return nil, fmt.Errorf("%w: signing a %s document (convert it to UTF-8 first)", ErrEncoding, d.encoding)
	}
	idNames := o.IDAttrs
	if len(idNames) == 0 {
		idNames = defaultIDAttrs
	}
	ids := newIDIndex(d, idNames)
	if o.SigningTime.IsZero() {
		o.SigningTime = time.Now()
	}
	if o.SignatureID == "" {
		o.SignatureID = "Signature-" + randomID()
	}
	if o.ObjectID == "" {
		o.ObjectID = "SigningTime-" + randomID()
	}
	spID := o.SignatureID + "-SignedProperties"
	// Where the signature goes.
	host, missing, err := resolveLocation(d, o.Location)
	if err != nil {
		return nil, err
	}
	if len(missing) == 0 {
		for c := host.first; c != nil; c = c.next {
			if c.Is(NamespaceDSig, "Signature") {
				return nil, fmt.Errorf("%w: %s", ErrSlotOccupied, host.Path())
			}
		}
	}
	for _, id := range []string{o.SignatureID, o.ObjectID, spID} {
		if len(ids.m[id]) > 0 {
			return nil, fmt.Errorf("xml: Id %q is already used in the document", id)
		}
	}

	var edits []edit
	// Elements whose content or start tag this signing changes.
	modified := []*Node{host}
	// MCCQT for the tax-authority profile.
	if o.TaxAuthorityCode != "" {
		parent, err := insertTaxCode(d, o.TaxAuthorityCode, ids, lim, &edits)
		if err != nil {
			return nil, err
		}
		if parent != nil {
			modified = append(modified, parent)
		}
	}

	// References.
	var refs []plannedRef
	for _, r := range o.References {
		if r.Path == "" {
			refs = append(refs, plannedRef{uri: "", typ: r.Type, enveloped: true})
			continue
		}
		el, err := d.FindOne(r.Path)
		if errors.Is(err, ErrNotFound) && r.Optional {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("xml: reference: %w", err)
		}
		id := ""
		for _, nm := range idNames {
			if v, ok := el.Attr(nm); ok {
				if v == "" {
					return nil, fmt.Errorf("xml: reference %s: element has an empty %s attribute", r.Path, nm)
				}
				id = v
				break
			}
		}
		if id == "" {
			if !o.AddMissingIDs {
				return nil, fmt.Errorf("xml: reference %s: element has no Id attribute (set AddMissingIDs)", r.Path)
			}
			id = el.LocalName() + "-" + randomID()
			modified = append(modified, el)
			addAttr(el, "Id", id)
			edits = append(edits, edit{off: int(el.tagEnd), end: int(el.tagEnd), text: ` Id="` + id + `"`})
			ids.m[id] = []*Node{el}
		} else if found, err := ids.lookup(id); err != nil {
			return nil, fmt.Errorf("xml: reference %s: %w", r.Path, err)
		} else if found != el {
			return nil, fmt.Errorf("xml: reference %s: Id %q resolves to another element", r.Path, id)
		}
		refs = append(refs, plannedRef{uri: "#" + id, typ: r.Type, el: el, enveloped: o.Enveloped || el.IsAncestorOf(host)})
	}
	if len(refs) == 0 && !o.SigningTimeObject && o.Level == LevelNone {
		return nil, fmt.Errorf("%w: nothing to sign: no references", ErrBadOptions)
	}
	if err := checkExistingSignatures(d, ids, modified); err != nil {
		return nil, err
	}

	certs := []*x509.Certificate{cert}
	if o.IncludeChain {
		certs = append(certs, chain...)
	}
	f := &fragment{
		o: &o, method: method, digestURI: dURI, refs: refs, certs: certs, missing: missing, spID: spID,
	}
	if o.IncludeSubjectName {
		f.subject = signer.DisplayName(cert.Subject)
	}

	// Pass 1: fragment with empty digests, linked into the tree, to digest
	// the references (the Object and SignedProperties live in it).
	text1, err := f.render(nil, false)
	if err != nil {
		return nil, err
	}
	frag1, err := parseFragment(text1, host, lim)
	if err != nil {
		return nil, fmt.Errorf("xml: internal: signature template: %w", err)
	}
	appendChildNode(host, frag1)
	sigEl := findDS(frag1, "Signature")
	var digests [][]byte
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := Canonicalizer{Method: C14N10}
		if o.ReferenceC14N != "" {
			c.Method = o.ReferenceC14N
		}
		if r.enveloped {
			c.Exclude = sigEl
		}
		h := o.Hash.New()
		if r.el == nil {
			err = c.Document(h, d)
		} else {
			err = c.Element(h, r.el)
		}
		if err != nil {
			return nil, err
		}
		digests = append(digests, h.Sum(nil))
	}
	for _, id := range f.internalIDs() {
		el := findByID(sigEl, id)
		if el == nil {
			return nil, fmt.Errorf("xml: internal: %s not in template", id)
		}
		c := Canonicalizer{Method: C14N10}
		if o.ReferenceC14N != "" {
			c.Method = o.ReferenceC14N
		}
		h := o.Hash.New()
		if err := c.Element(h, el); err != nil {
			return nil, err
		}
		digests = append(digests, h.Sum(nil))
	}
	unlinkLastChild(host, frag1)

	// Pass 2: the final fragment, to canonicalize SignedInfo.
	text2, err := f.render(digests, true)
	if err != nil {
		return nil, err
	}
	frag2, err := parseFragment(strings.Replace(strings.Replace(text2, markValue, "", 1), markUnsigned, "", 1), host, lim)
	if err != nil {
		return nil, fmt.Errorf("xml: internal: signature template: %w", err)
	}
	sig2 := findDS(frag2, "Signature")
	si := findDS(sig2, "SignedInfo")
	h := o.Hash.New()
	if err := (Canonicalizer{Method: o.CanonicalizationMethod}).Element(h, si); err != nil {
		return nil, err
	}
	p := &Prepared{digest: h.Sum(nil), method: method, cert: cert, level: o.Level, hash: o.Hash, unsignedOff: -1,
		chain: append([]*x509.Certificate(nil), chain...), LTV: o.LTV, HTTPClient: o.HTTPClient}
	if o.Level >= LevelBT {
		p.tsaURL = o.TimestampURL
		sv := findDS(sig2, "SignatureValue")
		var buf byteSink
		if err := (Canonicalizer{Method: C14N10}).Element(&buf, sv); err != nil {
			return nil, err
		}
		s := string(buf.b)
		i := strings.Index(s, "></SignatureValue>")
		if i < 0 {
			return nil, fmt.Errorf("xml: internal: canonical SignatureValue")
		}
		p.svPrefix, p.svSuffix = s[:i+1], s[i+1:]
	}

	// Output: apply the edits plus the signature insertion.
	var sigEdit edit
	if host.closeStart == host.tagEnd { // <slot/>
		sigEdit = edit{off: int(host.tagEnd), end: int(host.end), text: ">" + text2 + "</" + host.name + ">"}
	} else {
		sigEdit = edit{off: int(host.closeStart), end: int(host.closeStart), text: text2}
	}
	edits = append(edits, sigEdit)
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].off < edits[j].off })
	var b strings.Builder
	b.Grow(len(d.src) + len(text2) + 256)
	last := 0
	for _, e := range edits {
		b.WriteString(d.src[last:e.off])
		b.WriteString(e.text)
		last = e.end
	}
	b.WriteString(d.src[last:])
	out := b.String()
	p.valueOff = strings.Index(out, markValue)
	out = strings.Replace(out, markValue, "", 1)
	if o.Level >= LevelBT {
		p.unsignedOff = strings.Index(out, markUnsigned)
	}
	out = strings.Replace(out, markUnsigned, "", 1)
	p.out = out
	return p, nil
}

// Markers in the rendered fragment; they contain characters no XML text
// can hold, so they cannot collide with the document.
const (
	markValue    = "\x00V\x00"
	markUnsigned = "\x00U\x00"
)

// fragment renders the Signature element (inside any missing wrappers).
type fragment struct {
	o         *SignOptions
	method    string
	digestURI string
	refs      []plannedRef
	certs     []*x509.Certificate
	subject   string
	missing   []string
	spID      string
}

func (f *fragment) internalIDs() []string {
	var ids []string
	if f.o.SigningTimeObject {
		ids = append(ids, f.o.ObjectID)
	}
	if f.o.Level != LevelNone {
		ids = append(ids, f.spID)
	}
	return ids
}

func attrEsc(s string) string { return string(appendAttrEscaped(nil, s)) }
func textEsc(s string) string { return string(appendTextEscaped(nil, s)) }

// render returns the fragment text; with marks, it holds markValue where the
// SignatureValue text goes and markUnsigned where XAdES unsigned
// properties go.
func (f *fragment) render(digests [][]byte, marks bool) (string, error) {
	o := f.o
	var b strings.Builder
	for _, m := range f.missing {
		b.WriteString("<" + m + ">")
	}
	b.WriteString(`<Signature xmlns="` + NamespaceDSig + `" Id="` + attrEsc(o.SignatureID) + `"><SignedInfo><CanonicalizationMethod Algorithm="` +
		o.CanonicalizationMethod + `"/><SignatureMethod Algorithm="` + f.method + `"/>`)
	i := 0
	writeRef := func(uri, typ string, enveloped bool) {
		b.WriteString(`<Reference`)
		if typ != "" {
			b.WriteString(` Type="` + attrEsc(typ) + `"`)
		}
		b.WriteString(` URI="` + attrEsc(uri) + `">`)
		if enveloped || o.ReferenceC14N != "" {
			b.WriteString(`<Transforms>`)
			if enveloped {
				b.WriteString(`<Transform Algorithm="` + TransformEnveloped + `"/>`)
			}
			if o.ReferenceC14N != "" {
				b.WriteString(`<Transform Algorithm="` + o.ReferenceC14N + `"/>`)
			}
			b.WriteString(`</Transforms>`)
		}
		b.WriteString(`<DigestMethod Algorithm="` + f.digestURI + `"/><DigestValue>`)
		if digests != nil {
			b.WriteString(base64.StdEncoding.EncodeToString(digests[i]))
		}
		b.WriteString(`</DigestValue></Reference>`)
		i++
	}
	for _, r := range f.refs {
		writeRef(r.uri, r.typ, r.enveloped)
	}
	if o.SigningTimeObject {
		writeRef("#"+o.ObjectID, TypeSignatureProperties, false)
	}
	if o.Level != LevelNone {
		writeRef("#"+f.spID, TypeSignedProperties, false)
	}
	b.WriteString(`</SignedInfo><SignatureValue>`)
	if marks {
		b.WriteString(markValue)
	}
	b.WriteString(`</SignatureValue><KeyInfo><X509Data>`)
	if f.subject != "" {
		b.WriteString(`<X509SubjectName>` + textEsc(f.subject) + `</X509SubjectName>`)
	}
	for _, c := range f.certs {
		b.WriteString(`<X509Certificate>` + base64.StdEncoding.EncodeToString(c.Raw) + `</X509Certificate>`)
	}
	b.WriteString(`</X509Data></KeyInfo>`)
	if o.SigningTimeObject {
		b.WriteString(`<Object Id="` + attrEsc(o.ObjectID) + `"><SignatureProperties><SignatureProperty Target="#` + attrEsc(o.SignatureID) +
			`"><SigningTime>` + o.SigningTime.In(vietnam).Format("2006-01-02T15:04:05") + `</SigningTime></SignatureProperty></SignatureProperties></Object>`)
	}
	if o.Level != LevelNone {
		b.WriteString(`<Object><xades:QualifyingProperties xmlns:xades="` + NamespaceXAdES + `" Target="#` + attrEsc(o.SignatureID) + `">`)
		if err := xadesSignedProperties(&b, f.spID, o.SigningTime, f.certs[0], o.Hash); err != nil {
			return "", err
		}
		if marks {
			b.WriteString(markUnsigned)
		}
		b.WriteString(`</xades:QualifyingProperties></Object>`)
	}
	b.WriteString(`</Signature>`)
	for j := len(f.missing) - 1; j >= 0; j-- {
		b.WriteString("</" + f.missing[j] + ">")
	}
	return b.String(), nil
}

// resolveLocation finds the element that will hold the signature and the
// names of the elements to create under it.
func resolveLocation(d *Document, loc string) (*Node, []string, error) {
	if loc == "" {
		return d.root, nil, nil
	}
	prefix := "/"
	if strings.HasPrefix(loc, "//") {
		prefix = "//"
	}
	steps := strings.Split(strings.TrimLeft(loc, "/"), "/")
	for k := len(steps); k >= 1; k-- {
		els, err := d.Find(prefix + strings.Join(steps[:k], "/"))
		if err != nil {
			return nil, nil, err
		}
		if len(els) > 1 {
			return nil, nil, fmt.Errorf("xml: location %s: %w (%d elements)", loc, ErrAmbiguous, len(els))
		}
		if len(els) == 1 {
			missing := steps[k:]
			for _, m := range missing {
				if !isNCName(m) {
					return nil, nil, fmt.Errorf("xml: location %s: cannot create %q (not an XML name without prefix)", loc, m)
				}
			}
			return els[0], missing, nil
		}
	}
	return nil, nil, fmt.Errorf("xml: location %s: %w", loc, ErrNotFound)
}

// isNCName reports whether s is an XML name without a colon, as the parser
// reads names.
func isNCName(s string) bool {
	if s == "" || strings.IndexByte(s, ':') >= 0 {
		return false
	}
	p := &parser{s: s}
	return p.scanName() == len(s) && p.checkQName(s, 0) == nil
}

// insertTaxCode inserts <MCCQT Id="…">code</MCCQT> after HDon/DLHDon when
// the invoice has no MCCQT yet, and returns HDon when it did.
func insertTaxCode(d *Document, code string, ids *idIndex, lim Limits, edits *[]edit) (*Node, error) {
	dl, err := d.FindOne("//HDon/DLHDon")
	if err != nil {
		return nil, fmt.Errorf("xml: tax-authority code: %w", err)
	}
	hdon := dl.parent
	if m := hdon.Child("MCCQT"); m != nil {
		if strings.TrimSpace(m.Text()) != code {
			return nil, fmt.Errorf("xml: invoice already has MCCQT %q", m.Text())
		}
		return nil, nil
	}
	id := "Id-" + randomID()
	text := `<MCCQT Id="` + id + `">` + textEsc(code) + `</MCCQT>`
	n, err := parseFragment(text, hdon, lim)
	if err != nil {
		return nil, err
	}
	n.next = dl.next
	dl.next = n
	ids.m[id] = []*Node{n}
	*edits = append(*edits, edit{off: int(dl.end), end: int(dl.end), text: text})
	return hdon, nil
}

// checkExistingSignatures refuses to change data an existing signature
// covers: an element in modified (whose content or start tag signing
// changes) that lies under a Reference target of another Signature and not
// in the part that Signature's enveloped transform leaves out.
func checkExistingSignatures(d *Document, ids *idIndex, modified []*Node) error {
	var err error
	walkElements(d.root, func(sig *Node) bool {
		if !sig.Is(NamespaceDSig, "Signature") {
			return true
		}
		si := sig.Child("SignedInfo")
		if si == nil || !si.Is(NamespaceDSig, "SignedInfo") {
			return true
		}
		for r := si.first; r != nil && err == nil; r = r.next {
			if !r.Is(NamespaceDSig, "Reference") {
				continue
			}
			uri, ok := r.Attr("URI")
			if !ok {
				continue
			}
			var target *Node
			switch {
			case uri == "":
				target = d.root
			case strings.HasPrefix(uri, "#"):
				if list := ids.m[uri[1:]]; len(list) == 1 {
					target = list[0]
				}
			}
			if target == nil {
				continue
			}
			enveloped := false
			if tr := r.Child("Transforms"); tr != nil {
				for t := tr.first; t != nil; t = t.next {
					if alg, _ := t.Attr("Algorithm"); t.kind == ElementNode && alg == TransformEnveloped {
						enveloped = true
					}
				}
			}
			for _, m := range modified {
				if target.IsAncestorOf(m) && !(enveloped && sig.IsAncestorOf(m)) {
					id, _ := sig.Attr("Id")
					err = fmt.Errorf("%w: %s (Id %q) covers %s through Reference %q", ErrBreaksSignature, sig.Path(), id, m.Path(), uri)
					return false
				}
			}
		}
		return err == nil
	})
	return err
}

// parseFragment parses an element written for insertion under parent.
func parseFragment(s string, parent *Node, lim Limits) (*Node, error) {
	p := &parser{s: s, lim: lim}
	var anc []*Node
	for a := parent; a != nil; a = a.parent {
		anc = append(anc, a)
	}
	for i := len(anc) - 1; i >= 0; i-- {
		for j := range anc[i].attrs {
			a := &anc[i].attrs[j]
			if a.isNSDecl() {
				p.ns = append(p.ns, Attr{Name: a.nsPrefix(), Value: a.Value})
			}
		}
	}
	if err := p.checkChars(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(s, "<") {
		return nil, fmt.Errorf("%w: fragment must start with an element", ErrSyntax)
	}
	n, err := p.element(parent)
	if err != nil {
		return nil, err
	}
	if p.pos != len(s) {
		return nil, fmt.Errorf("%w: trailing data after fragment", ErrSyntax)
	}
	return n, nil
}

func addAttr(el *Node, name, value string) {
	attrs := make([]Attr, len(el.attrs), len(el.attrs)+1)
	copy(attrs, el.attrs)
	el.attrs = append(attrs, Attr{Name: name, Value: value})
}

func appendChildNode(parent, n *Node) {
	n.parent = parent
	n.next = nil
	if parent.first == nil {
		parent.first = n
		return
	}
	c := parent.first
	for c.next != nil {
		c = c.next
	}
	c.next = n
}

func unlinkLastChild(parent, n *Node) {
	if parent.first == n {
		parent.first = nil
		return
	}
	for c := parent.first; c != nil; c = c.next {
		if c.next == n {
			c.next = nil
			return
		}
	}
}

// findDS returns the first element named local in the dsig namespace under
// and including n.
func findDS(n *Node, local string) *Node {
	var out *Node
	walkElements(n, func(e *Node) bool {
		if e.Is(NamespaceDSig, local) {
			out = e
			return false
		}
		return true
	})
	return out
}

func findByID(n *Node, id string) *Node {
	var out *Node
	walkElements(n, func(e *Node) bool {
		if v, ok := e.Attr("Id"); ok && v == id {
			out = e
			return false
		}
		return true
	})
	return out
}
