package xml

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrSyntax: the input is not well-formed XML.
	ErrSyntax = errors.New("xml: syntax error")
	// ErrDOCTYPE: the input has a document type declaration, which is refused
	// (no DTD, no entities, no XXE).
	ErrDOCTYPE = errors.New("xml: DOCTYPE is not allowed")
	// ErrDuplicateAttr: an element carries the same attribute twice.
	ErrDuplicateAttr = errors.New("xml: duplicate attribute")
	// ErrUndeclaredPrefix: a name uses a namespace prefix that is not declared.
	ErrUndeclaredPrefix = errors.New("xml: undeclared namespace prefix")
	// ErrLimit: the input exceeds a configured limit (size, depth, nodes, …).
	ErrLimit = errors.New("xml: limit exceeded")
	// ErrEncoding: the input encoding is not supported, or the bytes are
	// not valid in the encoding the document declares.
	ErrEncoding = errors.New("xml: unsupported encoding")
	// ErrNotFound: a path or Id matched nothing.
	ErrNotFound = errors.New("xml: not found")
	// ErrAmbiguous: a path or Id matched more than one element.
	ErrAmbiguous = errors.New("xml: ambiguous")
)

// Limits bound the resources a parse may use. Zero fields take the defaults
// of [DefaultLimits].
type Limits struct {
	MaxBytes      int // document size
	MaxDepth      int // element nesting
	MaxNodes      int // elements, text runs, comments and PIs
	MaxAttrs      int // attributes per element
	MaxReferences int // References per SignedInfo
	MaxTransforms int // Transforms per Reference
	MaxSignatures int // Signature elements per document
	// MaxNamespaces bounds the namespace declarations in scope at any
	// element (prefix resolution walks them).
	MaxNamespaces int
	// MaxCertificates bounds the X509Certificate elements in one KeyInfo.
	MaxCertificates int
}

// DefaultLimits returns the limits a zero Limits field takes: generous
// enough for a 100 MB invoice and strict enough to stop nesting and
// reference bombs.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:        1 << 30,
		MaxDepth:        256,
		MaxNodes:        50_000_000,
		MaxAttrs:        256,
		MaxReferences:   30,
		MaxTransforms:   5,
		MaxSignatures:   64,
		MaxNamespaces:   256,
		MaxCertificates: 16,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ set, dflt *int }{
		{&l.MaxBytes, &d.MaxBytes},
		{&l.MaxDepth, &d.MaxDepth},
		{&l.MaxNodes, &d.MaxNodes},
		{&l.MaxAttrs, &d.MaxAttrs},
		{&l.MaxReferences, &d.MaxReferences},
		{&l.MaxTransforms, &d.MaxTransforms},
		{&l.MaxSignatures, &d.MaxSignatures},
		{&l.MaxNamespaces, &d.MaxNamespaces},
		{&l.MaxCertificates, &d.MaxCertificates},
	} {
		if *f.set > 0 {
			*f.dflt = *f.set
		}
	}
	return d
}

// SyntaxError locates a well-formedness or policy error in the input.
type SyntaxError struct {
	Offset int // byte offset
	Line   int // 1-based line
	Msg    string
	Err    error // ErrSyntax, ErrDOCTYPE, ErrDuplicateAttr, …
}

// Error describes the problem with its line and byte offset.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%v at line %d (byte %d): %s", e.Err, e.Line, e.Offset, e.Msg)
}

// Unwrap returns the sentinel (ErrSyntax, ErrDOCTYPE, …) for errors.Is.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Parse parses an XML document with [DefaultLimits]. It reads UTF-8, UTF-16
// (with a byte order mark or an encoding declaration), ISO-8859-1 and
// US-ASCII, and refuses other encodings (ErrEncoding, naming the encoding),
// DOCTYPE, duplicate attributes and undeclared prefixes.
// Attribute values are normalized (literal tab, CR and LF become spaces) and
// line ends become LF, as XML 1.0 requires and libxml2 and .NET do.
func Parse(data []byte) (*Document, error) {
	return ParseWithLimits(data, Limits{})
}

// ParseWithLimits is Parse with explicit limits.
func ParseWithLimits(data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: document is %d bytes, limit %d", ErrLimit, len(data), lim.MaxBytes)
	}
	text, enc, err := decodeInput(data)
	if err != nil {
		return nil, err
	}
	if len(text) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: document is %d bytes as UTF-8, limit %d", ErrLimit, len(text), lim.MaxBytes)
	}
	p := &parser{s: text, lim: lim, enc: enc}
	d, err := p.document()
	if err != nil {
		return nil, err
	}
	d.encoding = enc
	return d, nil
}

type parser struct {
	s     string
	enc   string // input encoding, "" for UTF-8
	pos   int
	lim   Limits
	nodes int
	// slabs amortize allocations.
	nodeSlab []Node
	slabSize int
	attrSlab []Attr
	attrSize int
	// ns is the stack of in-scope namespace declarations (prefix, uri).
	ns []Attr
	// scratch for duplicate-attribute detection.
	expanded []string
}

func (p *parser) errf(base error, off int, format string, args ...any) error {
	if off > len(p.s) {
		off = len(p.s)
	}
	line := 1 + strings.Count(p.s[:off], "\n")
	return &SyntaxError{Offset: off, Line: line, Msg: fmt.Sprintf(format, args...), Err: base}
}

func (p *parser) newNode(kind NodeKind) (*Node, error) {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return nil, p.errf(ErrLimit, p.pos, "more than %d nodes", p.lim.MaxNodes)
	}
	if len(p.nodeSlab) == 0 {
		// Slabs double up to 64Ki nodes: few allocations for big documents,
		// little waste for small ones.
		p.slabSize = min(max(2*p.slabSize, 64), 1<<16)
		p.nodeSlab = make([]Node, p.slabSize)
	}
	n := &p.nodeSlab[0]
	p.nodeSlab = p.nodeSlab[1:]
	n.kind = kind
	return n, nil
}

func (p *parser) allocAttrs(n int) []Attr {
	if n > len(p.attrSlab) {
		p.attrSize = min(max(2*p.attrSize, 32), 1<<14)
		p.attrSlab = make([]Attr, max(p.attrSize, n))
	}
	a := p.attrSlab[:n:n]
	p.attrSlab = p.attrSlab[n:]
	return a
}

// checkChars validates UTF-8 and refuses characters that XML 1.0 does not
// allow (C0 controls other than tab, LF and CR; U+FFFE and U+FFFF).
func (p *parser) checkChars() error {
	s := p.s
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return p.errf(ErrEncoding, i, "invalid UTF-8")
			}
			i += size
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return p.errf(ErrSyntax, i, "control character %#x", c)
		}
	}
	for _, bad := range []string{"\uFFFE", "\uFFFF"} {
		if i := strings.Index(s, bad); i >= 0 {
			return p.errf(ErrSyntax, i, "character %U is not allowed", []rune(bad)[0])
		}
	}
	return nil
}

func (p *parser) document() (*Document, error) {
	if strings.HasPrefix(p.s, "\xEF\xBB\xBF") {
		p.pos = 3
	}
	if err := p.checkChars(); err != nil {
		return nil, err
	}
	d := &Document{src: p.s}
	if strings.HasPrefix(p.s[p.pos:], "<?xml") && len(p.s) > p.pos+5 && isSpace(p.s[p.pos+5]) {
		if err := p.xmlDecl(); err != nil {
			return nil, err
		}
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			if d.root == nil {
				return nil, p.errf(ErrSyntax, p.pos, "no document element")
			}
			d.nodes = p.nodes
			return d, nil
		}
		if p.s[p.pos] != '<' {
			return nil, p.errf(ErrSyntax, p.pos, "text outside the document element")
		}
		rest := p.s[p.pos:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			n, err := p.comment()
			if err != nil {
				return nil, err
			}
			if d.root == nil {
				d.prolog = append(d.prolog, n)
			} else {
				d.epilog = append(d.epilog, n)
			}
		case strings.HasPrefix(rest, "<?"):
			n, err := p.procInst()
			if err != nil {
				return nil, err
			}
			if d.root == nil {
				d.prolog = append(d.prolog, n)
			} else {
				d.epilog = append(d.epilog, n)
			}
		case strings.HasPrefix(rest, "<!DOCTYPE"):
			return nil, p.errf(ErrDOCTYPE, p.pos, "document type declarations are refused")
		case strings.HasPrefix(rest, "<!"):
			return nil, p.errf(ErrSyntax, p.pos, "unexpected markup declaration")
		default:
			if d.root != nil {
				return nil, p.errf(ErrSyntax, p.pos, "second document element")
			}
			root, err := p.element(nil)
			if err != nil {
				return nil, err
			}
			d.root = root
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func (p *parser) xmlDecl() error {
	start := p.pos
	end := strings.Index(p.s[p.pos:], "?>")
	if end < 0 {
		return p.errf(ErrSyntax, start, "unterminated XML declaration")
	}
	decl := p.s[p.pos+5 : p.pos+end]
	p.pos += end + 2
	// Parse pseudo-attributes.
	rest := decl
	seenVersion := false
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return p.errf(ErrSyntax, start, "malformed XML declaration")
		}
		name := strings.TrimRight(rest[:eq], " \t\r\n")
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			return p.errf(ErrSyntax, start, "malformed XML declaration")
		}
		q := rest[0]
		close := strings.IndexByte(rest[1:], q)
		if close < 0 {
			return p.errf(ErrSyntax, start, "malformed XML declaration")
		}
		val := rest[1 : 1+close]
		rest = rest[close+2:]
		switch name {
		case "version":
			if val != "1.0" && val != "1.1" {
				return p.errf(ErrSyntax, start, "XML version %q", val)
			}
			seenVersion = true
		case "encoding":
			// decodeInput has read the declaration and decoded the
			// input accordingly; here the text is UTF-8.
			if p.enc == "" && !strings.EqualFold(val, "utf-8") && !strings.EqualFold(val, "utf8") {
				return p.errf(ErrEncoding, start, "encoding %q is not supported (UTF-8, UTF-16, ISO-8859-1 and US-ASCII are)", val)
			}
		case "standalone":
		default:
			return p.errf(ErrSyntax, start, "unknown pseudo-attribute %q in XML declaration", name)
		}
	}
	if !seenVersion {
		return p.errf(ErrSyntax, start, "XML declaration without version")
	}
	return nil
}

func (p *parser) comment() (*Node, error) {
	start := p.pos
	end := strings.Index(p.s[p.pos+4:], "--")
	if end < 0 {
		return nil, p.errf(ErrSyntax, start, "unterminated comment")
	}
	end += p.pos + 4
	if end+2 >= len(p.s) || p.s[end+2] != '>' {
		return nil, p.errf(ErrSyntax, end, "'--' inside comment")
	}
	n, err := p.newNode(CommentNode)
	if err != nil {
		return nil, err
	}
	n.data = normalizeNewlines(p.s[p.pos+4 : end])
	n.start, n.end = int32(start), int32(end+3)
	p.pos = end + 3
	return n, nil
}

func (p *parser) procInst() (*Node, error) {
	start := p.pos
	p.pos += 2
	nameEnd := p.scanName()
	target := p.s[p.pos:nameEnd]
	if target == "" {
		return nil, p.errf(ErrSyntax, start, "processing instruction without target")
	}
	if strings.EqualFold(target, "xml") {
		return nil, p.errf(ErrSyntax, start, "XML declaration not at the start of the document")
	}
	p.pos = nameEnd
	end := strings.Index(p.s[p.pos:], "?>")
	if end < 0 {
		return nil, p.errf(ErrSyntax, start, "unterminated processing instruction")
	}
	data := p.s[p.pos : p.pos+end]
	if data != "" && !isSpace(data[0]) {
		return nil, p.errf(ErrSyntax, start, "malformed processing instruction target")
	}
	n, err := p.newNode(ProcInstNode)
	if err != nil {
		return nil, err
	}
	n.name = target
	n.data = normalizeNewlines(strings.TrimLeft(data, " \t\r\n"))
	p.pos += end + 2
	n.start, n.end = int32(start), int32(p.pos)
	return n, nil
}

// scanName returns the end offset of the XML name starting at p.pos.
func (p *parser) scanName() int {
	i := p.pos
	s := p.s
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == ':' || c == '_' || c == '-' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
				i++
				continue
			}
			break
		}
		// Non-ASCII name characters: accept letters, digits and marks.
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0xB7 || isNameRune(r) {
			i += size
			continue
		}
		break
	}
	return i
}

func isNameRune(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0x2FF && r != 0xD7 && r != 0xF7:
		return true
	case r >= 0x300 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r == 0x200C, r == 0x200D,
		r >= 0x203F && r <= 0x2040, r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF,
		r >= 0x3001 && r <= 0xD7FF, r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD,
		r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

func (p *parser) checkQName(q string, off int) error {
	if q == "" {
		return p.errf(ErrSyntax, off, "expected a name")
	}
	c := q[0]
	if c == '-' || c == '.' || (c >= '0' && c <= '9') || c == ':' {
		return p.errf(ErrSyntax, off, "invalid name %q", q)
	}
	if i := strings.IndexByte(q, ':'); i >= 0 {
		if i == len(q)-1 || strings.IndexByte(q[i+1:], ':') >= 0 {
			return p.errf(ErrSyntax, off, "invalid qualified name %q", q)
		}
		c = q[i+1]
		if c == '-' || c == '.' || (c >= '0' && c <= '9') {
			return p.errf(ErrSyntax, off, "invalid qualified name %q", q)
		}
	}
	return nil
}

// resolve looks a prefix up in the parser's namespace stack.
func (p *parser) resolve(prefix string) (string, bool) {
	if prefix == "xml" {
		return NamespaceXML, true
	}
	if prefix == "xmlns" {
		return NamespaceXMLNS, true
	}
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i].Name == prefix {
			return p.ns[i].Value, true
		}
	}
	return "", prefix == ""
}

// element parses an element and its content (iteratively, to bound stack use).
func (p *parser) element(parent *Node) (*Node, error) {
	type frame struct {
		n    *Node
		last *Node
	}
	var stack []frame
	var root *Node
	appendChild := func(n *Node) {
		f := &stack[len(stack)-1]
		n.parent = f.n
		if f.last == nil {
			f.n.first = n
		} else {
			f.last.next = n
		}
		f.last = n
	}
	for {
		// At p.pos: '<' of a start tag.
		n, selfClosing, err := p.startTag()
		if err != nil {
			return nil, err
		}
		if len(stack) == 0 {
			root = n
			n.parent = parent
		} else {
			appendChild(n)
		}
		if selfClosing {
			n.closeStart = n.tagEnd
			n.end = int32(p.pos)
			p.popNS(n)
			if len(stack) == 0 {
				return root, nil
			}
		} else {
			if len(stack)+1 > p.lim.MaxDepth {
				return nil, p.errf(ErrLimit, int(n.start), "nesting deeper than %d", p.lim.MaxDepth)
			}
			stack = append(stack, frame{n: n})
		}
		// Content until the next start tag (or end of the root).
	content:
		for {
			if p.pos >= len(p.s) {
				return nil, p.errf(ErrSyntax, p.pos, "unexpected end of document inside <%s>", stack[len(stack)-1].n.name)
			}
			if p.s[p.pos] != '<' {
				t, err := p.text()
				if err != nil {
					return nil, err
				}
				if t != nil {
					appendChild(t)
				}
				continue
			}
			rest := p.s[p.pos:]
			if len(rest) < 2 {
				return nil, p.errf(ErrSyntax, p.pos, "unexpected end of document")
			}
			switch rest[1] {
			case '/':
				f := stack[len(stack)-1]
				start := p.pos
				p.pos += 2
				nameEnd := p.scanName()
				name := p.s[p.pos:nameEnd]
				if name != f.n.name {
					return nil, p.errf(ErrSyntax, start, "end tag </%s> does not match <%s>", name, f.n.name)
				}
				p.pos = nameEnd
				p.skipSpace()
				if p.pos >= len(p.s) || p.s[p.pos] != '>' {
					return nil, p.errf(ErrSyntax, start, "malformed end tag")
				}
				p.pos++
				f.n.closeStart = int32(start)
				f.n.end = int32(p.pos)
				p.popNS(f.n)
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return root, nil
				}
				continue
			case '!':
				if strings.HasPrefix(rest, "<!--") {
					c, err := p.comment()
					if err != nil {
						return nil, err
					}
					appendChild(c)
					continue
				}
				if strings.HasPrefix(rest, "<![CDATA[") {
					t, err := p.cdata()
					if err != nil {
						return nil, err
					}
					if t != nil {
						appendChild(t)
					}
					continue
				}
				if strings.HasPrefix(rest, "<!DOCTYPE") {
					return nil, p.errf(ErrDOCTYPE, p.pos, "document type declarations are refused")
				}
				return nil, p.errf(ErrSyntax, p.pos, "unexpected markup declaration")
			case '?':
				pi, err := p.procInst()
				if err != nil {
					return nil, err
				}
				appendChild(pi)
				continue
			}
			break content // a start tag
		}
	}
}

// popNS drops the namespace declarations pushed for n.
func (p *parser) popNS(n *Node) {
	for i := range n.attrs {
		if n.attrs[i].isNSDecl() {
			p.ns = p.ns[:len(p.ns)-1]
		}
	}
}

// startTag parses "<name attrs>" or "<name attrs/>" at p.pos.
func (p *parser) startTag() (*Node, bool, error) {
	start := p.pos
	p.pos++
	nameEnd := p.scanName()
	name := p.s[p.pos:nameEnd]
	if err := p.checkQName(name, p.pos); err != nil {
		return nil, false, err
	}
	p.pos = nameEnd
	n, err := p.newNode(ElementNode)
	if err != nil {
		return nil, false, err
	}
	n.name = name
	n.start = int32(start)

	// First pass: count attributes to allocate exactly; scan them into a
	// small local array.
	var local [8]Attr
	attrs := local[:0]
	for {
		sp := p.pos
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, false, p.errf(ErrSyntax, start, "unterminated start tag <%s>", name)
		}
		c := p.s[p.pos]
		if c == '>' || c == '/' {
			break
		}
		if sp == p.pos {
			return nil, false, p.errf(ErrSyntax, p.pos, "missing space before attribute in <%s>", name)
		}
		aEnd := p.scanName()
		aname := p.s[p.pos:aEnd]
		if err := p.checkQName(aname, p.pos); err != nil {
			return nil, false, err
		}
		p.pos = aEnd
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '=' {
			return nil, false, p.errf(ErrSyntax, p.pos, "attribute %s without value", aname)
		}
		p.pos++
		p.skipSpace()
		val, err := p.attrValue()
		if err != nil {
			return nil, false, err
		}
		if len(attrs) >= p.lim.MaxAttrs {
			return nil, false, p.errf(ErrLimit, start, "more than %d attributes on <%s>", p.lim.MaxAttrs, name)
		}
		for i := range attrs {
			if attrs[i].Name == aname {
				return nil, false, p.errf(ErrDuplicateAttr, start, "attribute %s repeated on <%s>", aname, name)
			}
		}
		attrs = append(attrs, Attr{Name: aname, Value: val})
	}
	selfClosing := false
	n.tagEnd = int32(p.pos)
	if p.s[p.pos] == '/' {
		if p.pos+1 >= len(p.s) || p.s[p.pos+1] != '>' {
			return nil, false, p.errf(ErrSyntax, p.pos, "malformed empty-element tag <%s>", name)
		}
		selfClosing = true
		p.pos += 2
	} else {
		p.pos++
	}
	if len(attrs) > 0 {
		n.attrs = p.allocAttrs(len(attrs))
		copy(n.attrs, attrs)
	}
	// Push namespace declarations, then check prefixes.
	for i := range n.attrs {
		a := &n.attrs[i]
		if !a.isNSDecl() {
			continue
		}
		pfx := a.nsPrefix()
		switch {
		case pfx == "xmlns":
			return nil, false, p.errf(ErrSyntax, start, "the xmlns prefix cannot be declared")
		case pfx == "xml" && a.Value != NamespaceXML, pfx != "xml" && a.Value == NamespaceXML:
			return nil, false, p.errf(ErrSyntax, start, "the xml prefix and namespace are reserved")
		case a.Value == NamespaceXMLNS:
			return nil, false, p.errf(ErrSyntax, start, "the xmlns namespace cannot be declared")
		case pfx != "" && a.Value == "":
			return nil, false, p.errf(ErrSyntax, start, "prefix %s undeclared with an empty URI (XML Namespaces 1.1 only)", pfx)
		}
		p.ns = append(p.ns, Attr{Name: pfx, Value: a.Value})
		if len(p.ns) > p.lim.MaxNamespaces {
			return nil, false, p.errf(ErrLimit, start, "more than %d namespace declarations in scope", p.lim.MaxNamespaces)
		}
	}
	pfx, _ := splitName(name)
	if pfx == "xmlns" {
		return nil, false, p.errf(ErrSyntax, start, "element name %s uses the xmlns prefix", name)
	}
	// An element's data holds its namespace URI, resolved once here so
	// that NamespaceURI does not walk the ancestors.
	uri, ok := p.resolve(pfx)
	if !ok {
		p.popNS(n)
		return nil, false, p.errf(ErrUndeclaredPrefix, start, "prefix %q of <%s>", pfx, name)
	}
	n.data = uri
	// Expanded-name duplicate check (a:x and b:x bound to the same URI).
	prefixed := 0
	for i := range n.attrs {
		a := &n.attrs[i]
		if a.isNSDecl() {
			continue
		}
		if pfx, _ := splitName(a.Name); pfx != "" {
			if _, ok := p.resolve(pfx); !ok {
				p.popNS(n)
				return nil, false, p.errf(ErrUndeclaredPrefix, start, "prefix %q of attribute %s", pfx, a.Name)
			}
			prefixed++
		}
	}
	if prefixed > 1 {
		p.expanded = p.expanded[:0]
		for i := range n.attrs {
			a := &n.attrs[i]
			if a.isNSDecl() {
				continue
			}
			pfx, loc := splitName(a.Name)
			if pfx == "" {
				continue
			}
			uri, _ := p.resolve(pfx)
			key := uri + " " + loc
			for _, k := range p.expanded {
				if k == key {
					p.popNS(n)
					return nil, false, p.errf(ErrDuplicateAttr, start, "attribute {%s}%s repeated on <%s>", uri, loc, name)
				}
			}
			p.expanded = append(p.expanded, key)
		}
	}
	return n, selfClosing, nil
}

// attrValue parses a quoted attribute value at p.pos and returns it decoded
// and normalized.
func (p *parser) attrValue() (string, error) {
	if p.pos >= len(p.s) || (p.s[p.pos] != '"' && p.s[p.pos] != '\'') {
		return "", p.errf(ErrSyntax, p.pos, "attribute value must be quoted")
	}
	q := p.s[p.pos]
	start := p.pos + 1
	end := strings.IndexByte(p.s[start:], q)
	if end < 0 {
		return "", p.errf(ErrSyntax, p.pos, "unterminated attribute value")
	}
	raw := p.s[start : start+end]
	p.pos = start + end + 1
	if strings.IndexByte(raw, '<') >= 0 {
		return "", p.errf(ErrSyntax, start, "'<' in attribute value")
	}
	if !strings.ContainsAny(raw, "&\t\n\r") {
		return raw, nil
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			b.WriteByte(' ')
		case '\n', '\t':
			b.WriteByte(' ')
		case '&':
			r, n, err := p.entity(raw[i:], start+i)
			if err != nil {
				return "", err
			}
			b.WriteString(r)
			i += n - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// entity decodes the entity or character reference at the start of s and
// returns its text and length.
func (p *parser) entity(s string, off int) (string, int, error) {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 12 {
		return "", 0, p.errf(ErrSyntax, off, "malformed entity reference")
	}
	ref := s[1:semi]
	switch ref {
	case "lt":
		return "<", semi + 1, nil
	case "gt":
		return ">", semi + 1, nil
	case "amp":
		return "&", semi + 1, nil
	case "quot":
		return "\"", semi + 1, nil
	case "apos":
		return "'", semi + 1, nil
	}
	if ref[0] != '#' {
		return "", 0, p.errf(ErrSyntax, off, "undefined entity &%s; (no DTD is processed)", ref)
	}
	var v uint64
	var err error
	if len(ref) > 1 && ref[1] == 'x' {
		v, err = strconv.ParseUint(ref[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(ref[1:], 10, 32)
	}
	r := rune(v)
	if err != nil || !isXMLChar(r) || strings.ContainsAny(ref[1:], "+-") {
		return "", 0, p.errf(ErrSyntax, off, "invalid character reference &%s;", ref)
	}
	return string(r), semi + 1, nil
}

func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// text parses character data up to the next '<'.
func (p *parser) text() (*Node, error) {
	start := p.pos
	end := strings.IndexByte(p.s[start:], '<')
	if end < 0 {
		end = len(p.s)
	} else {
		end += start
	}
	raw := p.s[start:end]
	p.pos = end
	if strings.Contains(raw, "]]>") {
		return nil, p.errf(ErrSyntax, start, "']]>' in character data")
	}
	n, err := p.newNode(TextNode)
	if err != nil {
		return nil, err
	}
	n.start, n.end = int32(start), int32(end)
	if strings.IndexByte(raw, '&') < 0 && strings.IndexByte(raw, '\r') < 0 {
		n.data = raw
		return n, nil
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case '&':
			r, k, err := p.entity(raw[i:], start+i)
			if err != nil {
				return nil, err
			}
			b.WriteString(r)
			i += k - 1
		default:
			b.WriteByte(c)
		}
	}
	n.data = b.String()
	return n, nil
}

// cdata parses a CDATA section into a text node.
func (p *parser) cdata() (*Node, error) {
	start := p.pos
	end := strings.Index(p.s[start+9:], "]]>")
	if end < 0 {
		return nil, p.errf(ErrSyntax, start, "unterminated CDATA section")
	}
	end += start + 9
	n, err := p.newNode(TextNode)
	if err != nil {
		return nil, err
	}
	n.data = normalizeNewlines(p.s[start+9 : end])
	p.pos = end + 3
	n.start, n.end = int32(start), int32(p.pos)
	return n, nil
}

func normalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}
