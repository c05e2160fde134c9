package pdf

import (
	"bytes"
	"fmt"
)

// Writing back what was read.
//
// When signing has to rewrite an object of the document (a page to add its
// /Annots, the catalog, /AcroForm, an indirect /Annots or /Fields array, a
// field being signed), the new version is written by editing the object's
// source text, not by serialising the parsed value: every value that did
// not change is copied byte for byte as it was read — reals such as
// 595.27563, literal or hex strings with their escapes, names with #xx
// escapes, key order, white space and comments. Only the entries that
// changed are written anew. A verifier comparing the object before and
// after (kyso's, pyHanko's, Adobe's) then sees exactly the change signing
// made and nothing else, whichever producer wrote the document.

// node is a parsed value with its span in the source text.
type node struct {
	start, end int // src[start:end] is the value's text
	val        object
	entries    []nodeEntry // dictionaries: entries in source order
	elems      []*node     // arrays: elements
	kind       tokKind     // tokDictOpen, tokArrayOpen, or the leaf's token kind
}

type nodeEntry struct {
	key      name
	keyStart int // offset of the key's '/'
	val      *node
}

// parseNode parses one value like parseObject, keeping spans.
func (l *lexer) parseNode(depth int, decrypt func([]byte) []byte) (*node, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: objects nested deeper than %d", ErrMalformed, maxNesting)
	}
	t, err := l.next()
	if err != nil {
		return nil, err
	}
	n := &node{start: t.pos, end: t.end, kind: t.kind}
	switch t.kind {
	case tokEOF:
		return nil, l.short()
	case tokInt:
		r, end, ok, err := l.refAfter(t)
		if err != nil {
			return nil, err
		}
		if ok {
			n.val, n.end = r, end
			return n, nil
		}
		n.val = t.i
	case tokReal:
		n.val = t.f
	case tokName:
		n.val = name(t.s)
	case tokString:
		if decrypt != nil {
			n.val = pdfString(decrypt(t.s))
		} else {
			n.val = pdfString(t.s)
		}
	case tokArrayOpen:
		var a array
		for {
			t, err := l.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tokArrayClose {
				n.val, n.end = a, t.end
				return n, nil
			}
			if t.kind == tokEOF {
				return nil, l.short()
			}
			l.unread(t)
			e, err := l.parseNode(depth+1, decrypt)
			if err != nil {
				return nil, err
			}
			a = append(a, e.val)
			n.elems = append(n.elems, e)
		}
	case tokDictOpen:
		d := dict{}
		for {
			t, closed, err := l.dictKey()
			if err != nil {
				return nil, err
			}
			if closed {
				n.val, n.end = d, t.end
				return n, nil
			}
			v, err := l.parseNode(depth+1, decrypt)
			if err != nil {
				return nil, err
			}
			if v.val != nil {
				d[name(t.s)] = v.val
			}
			n.entries = append(n.entries, nodeEntry{key: name(t.s), keyStart: t.pos, val: v})
		}
	case tokKeyword:
		v, err := keywordValue(t)
		if err != nil {
			return nil, err
		}
		n.val = v
	default:
		return nil, fmt.Errorf("%w: unexpected token at %d", ErrMalformed, t.pos)
	}
	return n, nil
}

// source is the text of an indirect object as it is in the file.
type source struct {
	src  []byte
	root *node
	// plain is set when the text holds strings in clear although the
	// document encrypts strings: an object read from an object stream
	// (whose strings the stream's encryption covers). Copying such text
	// into a top-level object must encrypt its strings.
	plain bool
}

// source returns the source text of object num (not a stream), or nil when
// it cannot be had (a stream, a missing object, a parse failure): the
// caller then serialises the value afresh.
func (d *document) source(num int) *source {
	e, ok := d.xref[num]
	if !ok {
		return nil
	}
	switch e.typ {
	case 1:
		var out *source
		err := d.parseAt(e.offset, func(l *lexer) error {
			t1, t2, t3, err := l.next3()
			if err != nil {
				return err
			}
			if t1.kind != tokInt || t2.kind != tokInt || t3.kind != tokKeyword || string(t3.s) != "obj" || t1.i != int64(num) || t2.i != int64(e.gen) {
				return fmt.Errorf("%w: no object header for %d at %d", ErrMalformed, num, e.offset)
			}
			n, err := l.parseNode(0, d.stringDecrypter(ref{Num: num, Gen: e.gen}))
			if err != nil {
				return err
			}
			if t, err := l.next(); err != nil || (t.kind == tokKeyword && string(t.s) == "stream") {
				return fmt.Errorf("%w: object %d is a stream", ErrUnsupported, num)
			}
			src := append([]byte(nil), l.buf[n.start:n.end]...)
			shift(n, -n.start)
			out = &source{src: src, root: n}
			return nil
		})
		if err != nil {
			return nil
		}
		return out
	case 2:
		stmNum := int(e.offset)
		if _, err := d.fromObjStm(stmNum, e.gen, num); err != nil {
			return nil
		}
		os := d.objstms[stmNum] // cached by fromObjStm
		if os == nil {
			return nil
		}
		off, ok := os.offs[num]
		start := os.first + off
		if !ok || start < 0 || start > len(os.data) {
			return nil
		}
		l := &lexer{buf: os.data[start:], final: true}
		n, err := l.parseNode(0, nil)
		if err != nil {
			return nil
		}
		src := append([]byte(nil), l.buf[n.start:n.end]...)
		shift(n, -n.start)
		return &source{src: src, root: n, plain: d.sec != nil && d.sec.strM != cryptNone}
	}
	return nil
}

// shift moves every span of n by delta.
func shift(n *node, delta int) {
	n.start += delta
	n.end += delta
	for i := range n.entries {
		n.entries[i].keyStart += delta
		shift(n.entries[i].val, delta)
	}
	for _, e := range n.elems {
		shift(e, delta)
	}
}

// writeEdited writes o, the new version of the object whose source is src,
// reusing src's text for every value that did not change.
func (s *serializer) writeEdited(o object, src *source) {
	s.edit(o, src.root, src)
}

func (s *serializer) edit(o object, n *node, src *source) {
	if n == nil {
		s.fresh(o)
		return
	}
	if sameObject(o, n.val) {
		s.copySource(src, n.start, n.end)
		return
	}
	switch v := o.(type) {
	case dict:
		if n.kind != tokDictOpen {
			s.fresh(o)
			return
		}
		pos := n.start + 2 // after "<<"
		s.buf.WriteString("<<")
		done := map[name]bool{}
		last := map[name]int{} // readers take the last of duplicate keys
		for i, e := range n.entries {
			last[e.key] = i
		}
		for i, e := range n.entries {
			nv, keep := v[e.key]
			if !keep && e.val.val != nil {
				// A removed entry: leave it out with the space before it.
				pos = e.val.end
				continue
			}
			if last[e.key] != i {
				continue // an earlier duplicate stays as it is
			}
			// The space before the key, the key and the space after it.
			s.copySource(src, pos, e.val.start)
			if keep {
				s.edit(nv, e.val, src)
			} else {
				s.copySource(src, e.val.start, e.val.end) // null stays null
			}
			pos = e.val.end
			done[e.key] = true
		}
		s.copySource(src, pos, n.end-2)
		for _, k := range sortedKeys(v) {
			if done[k] {
				continue
			}
			s.buf.WriteByte(' ')
			writeName(s.buf, k)
			s.buf.WriteByte(' ')
			s.write(v[k])
		}
		s.buf.WriteString(">>")
	case array:
		if n.kind != tokArrayOpen {
			s.fresh(o)
			return
		}
		s.buf.WriteByte('[')
		pos := n.start + 1
		for i, e := range v {
			if i < len(n.elems) {
				s.copySource(src, pos, n.elems[i].start)
				s.edit(e, n.elems[i], src)
				pos = n.elems[i].end
				continue
			}
			s.buf.WriteByte(' ')
			s.write(e)
		}
		if len(v) >= len(n.elems) {
			s.copySource(src, pos, n.end-1)
		}
		s.buf.WriteByte(']')
	default:
		s.fresh(o)
	}
}

// fresh serialises o after source text, with a space first where the
// text before ends in a regular character and o starts with one (a name
// value replaced by a number: "/K/V" must not become "/K5").
func (s *serializer) fresh(o object) {
	p := s.buf.Len()
	s.write(o)
	b := s.buf.Bytes()
	if p > 0 && p < len(b) && joins(b[p-1], b[p]) {
		tail := append([]byte(nil), b[p:]...)
		s.buf.Truncate(p)
		s.buf.WriteByte(' ')
		s.buf.Write(tail)
	}
}

// joins reports whether the characters a and b, written next to each
// other, would run into one token (a bare "/" is the empty name).
func joins(a, b byte) bool {
	return (a == '/' || !isSpace(a) && !isDelim(a)) && !isSpace(b) && !isDelim(b)
}

// copySource copies src.src[from:to]. Plain text from an object stream in
// an encrypted document has its strings encrypted for the object being
// written (as hex strings); everything else is copied as it is.
func (s *serializer) copySource(src *source, from, to int) {
	if from >= to {
		return
	}
	text := src.src[from:to]
	if b := s.buf.Bytes(); len(b) > 0 && joins(b[len(b)-1], text[0]) {
		s.buf.WriteByte(' ') // after a value written afresh: "[(x)5]" must not become "[75]"
	}
	if !src.plain || s.encrypt == nil {
		s.buf.Write(text)
		return
	}
	l := &lexer{buf: text, final: true}
	pos := 0
	for {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			break
		}
		if t.kind != tokString {
			continue
		}
		s.buf.Write(text[pos:t.pos])
		s.write(pdfString(t.s))
		pos = t.end
	}
	s.buf.Write(text[pos:])
}

// sameObject reports whether a and b are the same PDF value (an empty
// array or string equals a missing one of the same type).
func sameObject(a, b object) bool {
	switch x := a.(type) {
	case dict:
		y, ok := b.(dict)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameObject(v, w) {
				return false
			}
		}
		return true
	case array:
		y, ok := b.(array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameObject(x[i], y[i]) {
				return false
			}
		}
		return true
	case pdfString:
		y, ok := b.(pdfString)
		return ok && bytes.Equal(x, y)
	case *stream, contentsHole, byteRangeHole, rawToken:
		return false
	}
	return a == b
}
