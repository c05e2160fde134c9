package xml

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// Canonicalization algorithm URIs.
const (
	C14N10          = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	C14N10Comments  = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	C14N11          = "http://www.w3.org/2006/12/xml-c14n11"
	C14N11Comments  = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
	ExcC14N         = "http://www.w3.org/2001/10/xml-exc-c14n#"
	ExcC14NComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
)

// ErrUnsupportedAlgorithm: an algorithm URI is not on the whitelist.
var ErrUnsupportedAlgorithm = errors.New("xml: unsupported algorithm")

type c14nKind uint8

const (
	kindC14N10 c14nKind = iota
	kindC14N11
	kindExc
)

func c14nMethod(uri string) (c14nKind, bool, error) {
	switch uri {
	case C14N10:
		return kindC14N10, false, nil
	case C14N10Comments:
		return kindC14N10, true, nil
	case C14N11:
		return kindC14N11, false, nil
	case C14N11Comments:
		return kindC14N11, true, nil
	case ExcC14N:
		return kindExc, false, nil
	case ExcC14NComments:
		return kindExc, true, nil
	}
	return 0, false, fmt.Errorf("%w: canonicalization %q", ErrUnsupportedAlgorithm, uri)
}

// Canonicalizer writes the canonical form of a document or of a subtree
// (an element and its descendants, the document subset a same-document
// reference "#id" selects).
type Canonicalizer struct {
	// Method is one of C14N10, C14N10Comments, C14N11, C14N11Comments,
	// ExcC14N or ExcC14NComments.
	Method string
	// InclusivePrefixes is the InclusiveNamespaces PrefixList of exclusive
	// canonicalization ("#default" names the default namespace).
	InclusivePrefixes []string
	// Exclude, when set, is an element whose whole subtree is left out, as
	// the enveloped-signature transform leaves out its Signature.
	Exclude *Node
	// limit, when positive, bounds the canonical output in bytes: past it
	// canonicalization stops with ErrLimit (checked while writing, so an
	// amplifying document never sits whole in memory).
	limit int
}

// Document writes the canonical form of the whole document.
func (c Canonicalizer) Document(w io.Writer, d *Document) error {
	st, err := c.start(w)
	if err != nil {
		return err
	}
	for _, n := range d.prolog {
		if st.misc(n) {
			st.out = append(st.out, '\n')
		}
	}
	if d.root != c.Exclude {
		st.element(d.root, true)
	}
	for _, n := range d.epilog {
		if n.kind == CommentNode && !st.comments {
			continue
		}
		st.out = append(st.out, '\n')
		st.misc(n)
	}
	return st.flush()
}

// Element writes the canonical form of the document subset made of element
// n and its descendants, with n's ancestors omitted: namespaces in scope
// from the ancestors are rendered on n, and xml:* attributes inherited as
// each method says.
func (c Canonicalizer) Element(w io.Writer, n *Node) error {
	if n == nil || n.kind != ElementNode {
		return fmt.Errorf("xml: canonicalizing: not an element")
	}
	st, err := c.start(w)
	if err != nil {
		return err
	}
	if c.Exclude == nil || !c.Exclude.IsAncestorOf(n) {
		// Ancestors' namespace declarations are in scope.
		var anc []*Node
		for a := n.parent; a != nil; a = a.parent {
			anc = append(anc, a)
		}
		for i := len(anc) - 1; i >= 0; i-- {
			for j := range anc[i].attrs {
				a := &anc[i].attrs[j]
				if a.isNSDecl() {
					st.scope = append(st.scope, nsBinding{a.nsPrefix(), a.Value})
				}
			}
		}
		st.element(n, true)
	}
	return st.flush()
}

func (c Canonicalizer) start(w io.Writer) (*canon, error) {
	kind, comments, err := c14nMethod(c.Method)
	if err != nil {
		return nil, err
	}
	st := &canon{w: w, kind: kind, comments: comments, exclude: c.Exclude, limit: c.limit}
	if kind == kindExc {
		for _, p := range c.InclusivePrefixes {
			if p == "#default" {
				p = ""
			}
			st.inclusive = append(st.inclusive, p)
		}
	}
	if bw, ok := w.(*byteSink); ok {
		st.out = bw.b
		st.direct = bw
		st.base = len(bw.b)
	} else {
		st.out = make([]byte, 0, 64<<10)
	}
	return st, nil
}

// byteSink collects canonical output without an intermediate buffer.
type byteSink struct{ b []byte }

func (b *byteSink) Write(p []byte) (int, error) { b.b = append(b.b, p...); return len(p), nil }

type nsBinding struct{ prefix, uri string }

type canon struct {
	w         io.Writer
	direct    *byteSink
	out       []byte
	err       error
	kind      c14nKind
	comments  bool
	exclude   *Node
	inclusive []string
	limit     int         // output bound in bytes (0: none)
	base      int         // len(out) when a direct sink started
	written   int         // bytes already passed to w
	scope     []nsBinding // in-scope declarations, innermost last
	rendered  []nsBinding // exclusive c14n: rendered declarations
	nsOut     []nsBinding // scratch
	attrOut   []sortAttr  // scratch
}

type sortAttr struct {
	uri, local, name, value string
}

const flushAt = 256 << 10

func (c *canon) maybeFlush() {
	if c.err != nil {
		return
	}
	if c.limit > 0 && c.written+len(c.out)-c.base > c.limit {
		c.err = fmt.Errorf("%w: canonical output exceeds %d bytes", ErrLimit, c.limit)
		return
	}
	if c.direct == nil && len(c.out) >= flushAt {
		_, c.err = c.w.Write(c.out)
		c.written += len(c.out)
		c.out = c.out[:0]
	}
}

func (c *canon) flush() error {
	c.maybeFlush()
	if c.direct != nil {
		c.direct.b = c.out
		return c.err
	}
	if c.err == nil && len(c.out) > 0 {
		_, c.err = c.w.Write(c.out)
		c.out = c.out[:0]
	}
	return c.err
}

// misc writes a comment or PI outside the document element; it reports
// whether something was written.
func (c *canon) misc(n *Node) bool {
	switch n.kind {
	case CommentNode:
		if !c.comments {
			return false
		}
		c.out = append(c.out, "<!--"...)
		c.out = append(c.out, n.data...)
		c.out = append(c.out, "-->"...)
		return true
	case ProcInstNode:
		c.out = append(c.out, "<?"...)
		c.out = append(c.out, n.name...)
		if n.data != "" {
			c.out = append(c.out, ' ')
			c.out = append(c.out, n.data...)
		}
		c.out = append(c.out, "?>"...)
		return true
	}
	return false
}

func (c *canon) lookup(list []nsBinding, prefix string) (string, bool) {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].prefix == prefix {
			return list[i].uri, true
		}
	}
	return "", false
}

// element writes n and its subtree. apex is true for the top of the subset
// (its parent is not in the node-set).
func (c *canon) element(n *Node, apex bool) {
	if c.err != nil {
		return
	}
	parentScope := len(c.scope)
	renderedMark := len(c.rendered)
	for i := range n.attrs {
		a := &n.attrs[i]
		if a.isNSDecl() {
			c.scope = append(c.scope, nsBinding{a.nsPrefix(), a.Value})
		}
	}
	ns := c.nsOut[:0]
	switch c.kind {
	case kindC14N10, kindC14N11:
		if apex {
			// Every namespace in scope, nearest declaration first.
			for i := len(c.scope) - 1; i >= 0; i-- {
				b := c.scope[i]
				if b.prefix == "xml" || containsPrefix(ns, b.prefix) {
					continue
				}
				ns = append(ns, b)
			}
			// Drop an empty default (xmlns="" has nothing to undo at the apex).
			k := 0
			for _, b := range ns {
				if b.prefix == "" && b.uri == "" {
					continue
				}
				ns[k] = b
				k++
			}
			ns = ns[:k]
		} else {
			for _, b := range c.scope[parentScope:] {
				if b.prefix == "xml" {
					continue
				}
				prev, _ := c.lookup(c.scope[:parentScope], b.prefix)
				if prev != b.uri {
					ns = append(ns, b)
				}
			}
		}
	case kindExc:
		ns = c.excNamespaces(n, ns, apex)
		c.rendered = append(c.rendered, ns...)
	}
	sortNS(ns)
	c.nsOut = ns[:0]

	attrs := c.attrOut[:0]
	for i := range n.attrs {
		a := &n.attrs[i]
		if a.isNSDecl() {
			continue
		}
		pfx, loc := splitName(a.Name)
		uri := ""
		if pfx != "" {
			uri, _ = c.lookup(c.scope, pfx)
			if pfx == "xml" {
				uri = NamespaceXML
			}
		}
		attrs = append(attrs, sortAttr{uri: uri, local: loc, name: a.Name, value: a.Value})
	}
	if apex && c.kind != kindExc && n.parent != nil {
		attrs = c.inheritXMLAttrs(n, attrs)
	}
	if len(attrs) > 1 {
		sort.Slice(attrs, func(i, j int) bool {
			if attrs[i].uri != attrs[j].uri {
				return attrs[i].uri < attrs[j].uri
			}
			return attrs[i].local < attrs[j].local
		})
	}

	out := c.out
	out = append(out, '<')
	out = append(out, n.name...)
	for _, b := range ns {
		if b.prefix == "" {
			out = append(out, " xmlns=\""...)
		} else {
			out = append(out, " xmlns:"...)
			out = append(out, b.prefix...)
			out = append(out, "=\""...)
		}
		out = appendAttrEscaped(out, b.uri)
		out = append(out, '"')
	}
	for _, a := range attrs {
		out = append(out, ' ')
		out = append(out, a.name...)
		out = append(out, "=\""...)
		out = appendAttrEscaped(out, a.value)
		out = append(out, '"')
	}
	out = append(out, '>')
	c.out = out
	c.attrOut = attrs[:0]

	for ch := n.first; ch != nil; ch = ch.next {
		switch ch.kind {
		case ElementNode:
			if ch != c.exclude {
				c.element(ch, false)
			}
		case TextNode:
			c.out = appendTextEscaped(c.out, ch.data)
		case CommentNode:
			if c.comments {
				c.out = append(c.out, "<!--"...)
				c.out = append(c.out, ch.data...)
				c.out = append(c.out, "-->"...)
			}
		case ProcInstNode:
			c.misc(ch)
		}
		c.maybeFlush()
		if c.err != nil {
			break
		}
	}
	c.out = append(c.out, "</"...)
	c.out = append(c.out, n.name...)
	c.out = append(c.out, '>')
	c.scope = c.scope[:parentScope]
	c.rendered = c.rendered[:renderedMark]
}

func containsPrefix(list []nsBinding, p string) bool {
	for _, b := range list {
		if b.prefix == p {
			return true
		}
	}
	return false
}

func sortNS(ns []nsBinding) {
	if len(ns) > 1 {
		sort.Slice(ns, func(i, j int) bool { return ns[i].prefix < ns[j].prefix })
	}
}

// excNamespaces selects the namespace declarations exclusive c14n renders
// on n: those visibly utilized by n or its attributes, plus the
// InclusiveNamespaces prefixes, unless an output ancestor already rendered
// the same binding.
func (c *canon) excNamespaces(n *Node, ns []nsBinding, apex bool) []nsBinding {
	consider := func(p string) {
		if p == "xml" || containsPrefix(ns, p) {
			return
		}
		uri, inScope := c.lookup(c.scope, p)
		r, rendered := c.lookup(c.rendered, p)
		if p == "" {
			if uri == "" {
				if rendered && r != "" {
					ns = append(ns, nsBinding{"", ""})
				}
				return
			}
		} else if !inScope {
			return
		}
		if !rendered || r != uri {
			ns = append(ns, nsBinding{p, uri})
		}
	}
	pfx, _ := splitName(n.name)
	consider(pfx)
	for i := range n.attrs {
		a := &n.attrs[i]
		if a.isNSDecl() {
			continue
		}
		if ap, _ := splitName(a.Name); ap != "" {
			consider(ap)
		}
	}
	inclusive := func(p string) {
		if p != "" {
			consider(p)
			return
		}
		// The default namespace under the inclusive rule.
		uri, _ := c.lookup(c.scope, "")
		r, rendered := c.lookup(c.rendered, "")
		if containsPrefix(ns, "") {
			return
		}
		if uri == "" {
			if rendered && r != "" {
				ns = append(ns, nsBinding{"", ""})
			}
		} else if !rendered || r != uri {
			ns = append(ns, nsBinding{"", uri})
		}
	}
	if apex {
		for _, p := range c.inclusive {
			inclusive(p)
		}
		return ns
	}
	// Below the apex, every listed prefix in scope has been rendered by an
	// output ancestor as it was bound there; only a declaration on n itself
	// can change that. Looking at n's declarations alone keeps the cost per
	// element independent of the length of the PrefixList.
	if len(c.inclusive) > 0 {
		for i := range n.attrs {
			a := &n.attrs[i]
			if !a.isNSDecl() {
				continue
			}
			p := a.nsPrefix()
			for _, q := range c.inclusive {
				if q == p {
					inclusive(p)
					break
				}
			}
		}
	}
	return ns
}

// inheritXMLAttrs adds the xml:* attributes an apex element inherits from
// its omitted ancestors: all of them for C14N 1.0; xml:lang and xml:space
// for C14N 1.1, with xml:base joined ("fixed up").
func (c *canon) inheritXMLAttrs(n *Node, attrs []sortAttr) []sortAttr {
	has := func(local string) int {
		for i, a := range attrs {
			if a.uri == NamespaceXML && a.local == local {
				return i
			}
		}
		return -1
	}
	var bases []string
	for a := n.parent; a != nil; a = a.parent {
		for i := range a.attrs {
			at := &a.attrs[i]
			if !strings.HasPrefix(at.Name, "xml:") {
				continue
			}
			local := at.Name[4:]
			if c.kind == kindC14N11 {
				if local == "base" {
					bases = append(bases, at.Value)
					continue
				}
				if local != "lang" && local != "space" {
					continue
				}
			}
			if has(local) >= 0 {
				continue
			}
			attrs = append(attrs, sortAttr{uri: NamespaceXML, local: local, name: at.Name, value: at.Value})
		}
	}
	if c.kind == kindC14N11 && len(bases) > 0 {
		// bases holds ancestors' values nearest first; resolve from the
		// farthest down, then the element's own value.
		base := ""
		for i := len(bases) - 1; i >= 0; i-- {
			base = joinBase(base, bases[i])
		}
		if i := has("base"); i >= 0 {
			attrs[i].value = joinBase(base, attrs[i].value)
		} else if base != "" {
			attrs = append(attrs, sortAttr{uri: NamespaceXML, local: "base", name: "xml:base", value: base})
		}
	}
	return attrs
}

// joinBase resolves ref against base as C14N 1.1 xml:base fix-up does
// (RFC 3986 resolution).
func joinBase(base, ref string) string {
	if base == "" {
		return ref
	}
	if ref == "" {
		return base
	}
	b, err1 := url.Parse(base)
	r, err2 := url.Parse(ref)
	if err1 != nil || err2 != nil {
		return ref
	}
	if b.Scheme == "" && b.Host == "" {
		// Relative base: resolve against a dummy root and strip it.
		root, _ := url.Parse("http://x.invalid/")
		abs := root.ResolveReference(b).ResolveReference(r).String()
		rel := strings.TrimPrefix(abs, "http://x.invalid/")
		if strings.HasPrefix(base, "/") {
			return "/" + rel
		}
		return rel
	}
	return b.ResolveReference(r).String()
}

// The replacements canonical XML makes in text nodes and in attribute
// values (Canonical XML 1.0, section 2.3), indexed by byte; "" keeps the
// byte.
var (
	textEscapes = escapeTable(map[byte]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"})
	attrEscapes = escapeTable(map[byte]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"})
)

func escapeTable(m map[byte]string) *[256]string {
	var t [256]string
	for c, rep := range m {
		t[c] = rep
	}
	return &t
}

func appendTextEscaped(out []byte, s string) []byte { return appendEscaped(out, s, textEscapes) }

func appendAttrEscaped(out []byte, s string) []byte { return appendEscaped(out, s, attrEscapes) }

// appendEscaped appends s to out with the replacements of table.
func appendEscaped(out []byte, s string, table *[256]string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		rep := table[s[i]]
		if rep == "" {
			continue
		}
		out = append(out, s[last:i]...)
		out = append(out, rep...)
		last = i + 1
	}
	return append(out, s[last:]...)
}
