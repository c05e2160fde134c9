package xml

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// NodeKind says what a Node is.
type NodeKind uint8

// Node kinds.
const (
	ElementNode NodeKind = iota + 1
	TextNode
	CommentNode
	ProcInstNode
)

// Namespace URIs used throughout the package.
const (
	NamespaceXML   = "http://www.w3.org/XML/1998/namespace"
	NamespaceXMLNS = "http://www.w3.org/2000/xmlns/"
	NamespaceDSig  = "http://www.w3.org/2000/09/xmldsig#"
	NamespaceXAdES = "http://uri.etsi.org/01903/v1.3.2#"
	// NamespaceDSig11 is the XML Signature 1.1 namespace (ECKeyValue).
	NamespaceDSig11 = "http://www.w3.org/2009/xmldsig11#"
	// NamespaceDSigMore is the RFC 4051/4050 namespace (ECDSAKeyValue).
	NamespaceDSigMore = "http://www.w3.org/2001/04/xmldsig-more#"
)

// Node is one node of a parsed document: an element, a text run (character
// data and CDATA sections, entities already decoded), a comment or a
// processing instruction. Nodes are read-only for callers.
type Node struct {
	kind   NodeKind
	parent *Node
	first  *Node
	next   *Node
	// name is the qualified name of an element or the target of a PI.
	name string
	// data is the decoded text of a text node, comment or PI, and the
	// namespace URI of an element.
	data string
	// attrs holds the attributes of an element in document order,
	// namespace declarations included.
	attrs []Attr
	// Source offsets (bytes) of an element: start of '<', the '>' or '/' that
	// ends the start tag, start of the end tag (== tagEnd when the element is
	// an empty-element tag) and the offset just after the element.
	start, tagEnd, closeStart, end int32
	// sib indexes the positions of a large element's children, built
	// lazily by Path (a Document is safe for concurrent readers).
	sib atomic.Pointer[siblingIndex]
}

// siblingIndex numbers the element children of one parent by local name.
type siblingIndex struct {
	pos   map[*Node]int32 // 1-based position among same-named siblings
	count map[string]int32
}

// smallParent is the number of children below which Path scans siblings
// instead of building an index.
const smallParent = 32

// siblingPosition returns e's 1-based position among its parent's element
// children with the same local name, and how many there are.
func siblingPosition(e *Node) (idx, count int) {
	p := e.parent
	name := e.LocalName()
	if ix := p.sib.Load(); ix != nil {
		return int(ix.pos[e]), int(ix.count[name])
	}
	n := 0
	for c := p.first; c != nil && n <= smallParent; c = c.next {
		n++
	}
	if n <= smallParent {
		for c := p.first; c != nil; c = c.next {
			if c.kind == ElementNode && c.LocalName() == name {
				count++
				if c == e {
					idx = count
				}
			}
		}
		return idx, count
	}
	ix := &siblingIndex{pos: make(map[*Node]int32), count: make(map[string]int32)}
	for c := p.first; c != nil; c = c.next {
		if c.kind == ElementNode {
			l := c.LocalName()
			ix.count[l]++
			ix.pos[c] = ix.count[l]
		}
	}
	if !p.sib.CompareAndSwap(nil, ix) {
		ix = p.sib.Load()
	}
	return int(ix.pos[e]), int(ix.count[name])
}

// Attr is an attribute as written in the document: qualified name and
// normalized value. Namespace declarations (xmlns, xmlns:p) are attributes too.
type Attr struct {
	// Name is the qualified name as written (prefix:local or local).
	Name string
	// Value is the attribute value after XML attribute-value normalization.
	Value string
}

func (a *Attr) isNSDecl() bool {
	return a.Name == "xmlns" || strings.HasPrefix(a.Name, "xmlns:")
}

// nsPrefix returns the prefix declared by a namespace declaration.
func (a *Attr) nsPrefix() string {
	if a.Name == "xmlns" {
		return ""
	}
	return a.Name[6:]
}

// splitName splits a qualified name into prefix and local part.
func splitName(q string) (prefix, local string) {
	if i := strings.IndexByte(q, ':'); i >= 0 {
		return q[:i], q[i+1:]
	}
	return "", q
}

// Kind returns the kind of the node.
func (n *Node) Kind() NodeKind { return n.kind }

// Parent returns the parent element, or nil for the document element and for
// nodes outside it.
func (n *Node) Parent() *Node { return n.parent }

// FirstChild returns the first child node, or nil.
func (n *Node) FirstChild() *Node { return n.first }

// NextSibling returns the next sibling node, or nil.
func (n *Node) NextSibling() *Node { return n.next }

// Name returns the qualified name of an element (prefix:local) or the target
// of a processing instruction.
func (n *Node) Name() string { return n.name }

// LocalName returns the local part of an element's name.
func (n *Node) LocalName() string { _, l := splitName(n.name); return l }

// Data returns the decoded text of a text node, comment or processing
// instruction ("" for an element).
func (n *Node) Data() string {
	if n.kind == ElementNode {
		return ""
	}
	return n.data
}

// Attrs returns the element's attributes in document order, namespace
// declarations included. The slice must not be modified.
func (n *Node) Attrs() []Attr { return n.attrs }

// Attr returns the value of the attribute with qualified name name.
func (n *Node) Attr(name string) (string, bool) {
	for i := range n.attrs {
		if n.attrs[i].Name == name {
			return n.attrs[i].Value, true
		}
	}
	return "", false
}

// NamespaceURI returns the namespace URI of an element ("" when none). The
// parser resolves it once (an element's data field holds it), so this does
// not walk the ancestors.
func (n *Node) NamespaceURI() string {
	if n.kind != ElementNode {
		return ""
	}
	return n.data
}

// Is reports whether n is an element with namespace ns and local name local.
func (n *Node) Is(ns, local string) bool {
	return n.kind == ElementNode && n.LocalName() == local && n.NamespaceURI() == ns
}

// Text returns the concatenated character data of the node and its
// descendants (comments and processing instructions excluded).
func (n *Node) Text() string {
	if n.kind == TextNode {
		return n.data
	}
	if n.kind != ElementNode {
		return ""
	}
	if n.first != nil && n.first.next == nil && n.first.kind == TextNode {
		return n.first.data
	}
	var b strings.Builder
	writeText(&b, n, nil)
	return b.String()
}

// writeText appends the character data of e's descendants to b, in
// document order, leaving out the subtree skip (nil for none).
func writeText(b *strings.Builder, e, skip *Node) {
	for c := e.first; c != nil; c = c.next {
		switch {
		case c == skip:
		case c.kind == TextNode:
			b.WriteString(c.data)
		case c.kind == ElementNode:
			writeText(b, c, skip)
		}
	}
}

// Elements returns the child elements of n.
func (n *Node) Elements() []*Node {
	var out []*Node
	for c := n.first; c != nil; c = c.next {
		if c.kind == ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// Child returns the first child element with the given local name.
func (n *Node) Child(local string) *Node {
	for c := n.first; c != nil; c = c.next {
		if c.kind == ElementNode && c.LocalName() == local {
			return c
		}
	}
	return nil
}

// Path returns an absolute path to the element made of local names, with a
// 1-based position where siblings share a name, e.g.
// "/TDiep/DLieu/HDon/DSCKS/NBan/Signature".
func (n *Node) Path() string {
	if n == nil || n.kind != ElementNode {
		return ""
	}
	var steps []string
	for e := n; e != nil; e = e.parent {
		step := e.LocalName()
		if e.parent != nil {
			idx, count := siblingPosition(e)
			if count > 1 {
				step = fmt.Sprintf("%s[%d]", step, idx)
			}
		}
		steps = append(steps, step)
	}
	var b strings.Builder
	for i := len(steps) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(steps[i])
	}
	return b.String()
}

// IsAncestorOf reports whether n is m or an ancestor of m.
func (n *Node) IsAncestorOf(m *Node) bool {
	for e := m; e != nil; e = e.parent {
		if e == n {
			return true
		}
	}
	return false
}

// Document is a parsed XML document. It is immutable once parsed.
type Document struct {
	src string
	// prolog holds comments and PIs before the document element,
	// epilog those after it.
	prolog, epilog []*Node
	root           *Node
	nodes          int
	// encoding is the input encoding when it was not UTF-8.
	encoding string
}

// Encoding names the encoding the document was read from: "UTF-8",
// "UTF-16", "ISO-8859-1" or "US-ASCII". The Document itself holds UTF-8.
func (d *Document) Encoding() string {
	if d.encoding == "" {
		return "UTF-8"
	}
	return d.encoding
}

// Root returns the document element.
func (d *Document) Root() *Node { return d.root }

// Bytes returns the document's source bytes (a copy), as UTF-8: a
// document read from another encoding (see Encoding) is returned
// transcoded, with its XML declaration as written.
func (d *Document) Bytes() []byte { return []byte(d.src) }

// Find returns the elements matching a simple path made of local names:
// "/A/B/C" is anchored at the document element (which must be A), "//B/C"
// matches B anywhere. A step may carry a 1-based position: "DSCKS[1]".
func (d *Document) Find(path string) ([]*Node, error) {
	if d.root == nil {
		return nil, nil
	}
	anywhere := strings.HasPrefix(path, "//")
	p := strings.TrimLeft(path, "/")
	if p == "" || !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("xml: path %q must start with / or //", path)
	}
	steps := strings.Split(p, "/")
	type step struct {
		name string
		pos  int
	}
	parsed := make([]step, len(steps))
	for i, s := range steps {
		if s == "" {
			return nil, fmt.Errorf("xml: empty step in path %q", path)
		}
		st := step{name: s}
		if j := strings.IndexByte(s, '['); j > 0 && strings.HasSuffix(s, "]") {
			var pos int
			if _, err := fmt.Sscanf(s[j+1:len(s)-1], "%d", &pos); err != nil || pos < 1 {
				return nil, fmt.Errorf("xml: bad position in path step %q", s)
			}
			st = step{name: s[:j], pos: pos}
		}
		parsed[i] = st
	}
	matchStep := func(cands []*Node, st step) []*Node {
		var out []*Node
		for _, parent := range cands {
			count := 0
			for c := parent.first; c != nil; c = c.next {
				if c.kind == ElementNode && c.LocalName() == st.name {
					count++
					if st.pos == 0 || st.pos == count {
						out = append(out, c)
					}
				}
			}
		}
		return out
	}
	var cur []*Node
	first := parsed[0]
	if anywhere {
		var walk func(*Node)
		walk = func(e *Node) {
			if e.LocalName() == first.name {
				cur = append(cur, e)
			}
			for c := e.first; c != nil; c = c.next {
				if c.kind == ElementNode {
					walk(c)
				}
			}
		}
		walk(d.root)
		if first.pos > 0 {
			if first.pos > len(cur) {
				cur = nil
			} else {
				cur = []*Node{cur[first.pos-1]}
			}
		}
	} else if d.root.LocalName() == first.name && first.pos <= 1 {
		cur = []*Node{d.root}
	}
	for _, st := range parsed[1:] {
		cur = matchStep(cur, st)
	}
	return cur, nil
}

// FindOne is Find for a path that must match exactly one element.
func (d *Document) FindOne(path string) (*Node, error) {
	els, err := d.Find(path)
	if err != nil {
		return nil, err
	}
	switch len(els) {
	case 0:
		return nil, fmt.Errorf("xml: %w: %s", ErrNotFound, path)
	case 1:
		return els[0], nil
	default:
		return nil, fmt.Errorf("xml: %w: %s matches %d elements", ErrAmbiguous, path, len(els))
	}
}

// walkElements calls f for every element under and including n, in
// document order, stopping when f returns false.
func walkElements(n *Node, f func(*Node) bool) bool {
	if !f(n) {
		return false
	}
	for c := n.first; c != nil; c = c.next {
		if c.kind == ElementNode {
			if !walkElements(c, f) {
				return false
			}
		}
	}
	return true
}
