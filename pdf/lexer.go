package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// errShort is returned by the parser when the buffer ends before the object
// does; the caller may retry with a larger window of the file.
var errShort = errors.New("pdf: object extends past the read window")

const maxNesting = 64

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokInt
	tokReal
	tokName
	tokString
	tokArrayOpen
	tokArrayClose
	tokDictOpen
	tokDictClose
	tokKeyword
)

type token struct {
	kind tokKind
	i    int64
	f    float64
	s    []byte // name, string, keyword
	pos  int    // offset of the token in the buffer
	end  int    // offset just past the token: buf[pos:end] is its source text
}

// lexer tokenises a byte slice. final reports whether the slice ends where
// the file ends; when it does not, reaching the end mid-token yields errShort.
type lexer struct {
	buf   []byte
	pos   int
	final bool
	peek  []token
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.buf) {
		c := l.buf[l.pos]
		if isSpace(c) {
			l.pos++
		} else if c == '%' {
			for l.pos < len(l.buf) && l.buf[l.pos] != '\n' && l.buf[l.pos] != '\r' {
				l.pos++
			}
		} else {
			return
		}
	}
}

func (l *lexer) short() error {
	if l.final {
		return fmt.Errorf("%w: unexpected end of data", ErrMalformed)
	}
	return errShort
}

func (l *lexer) next() (token, error) {
	if n := len(l.peek); n > 0 {
		t := l.peek[n-1]
		l.peek = l.peek[:n-1]
		return t, nil
	}
	t, err := l.scan()
	t.end = l.pos
	return t, err
}

func (l *lexer) unread(t token) { l.peek = append(l.peek, t) }

func (l *lexer) scan() (token, error) {
	l.skipSpace()
	if l.pos >= len(l.buf) {
		if !l.final {
			return token{}, errShort
		}
		return token{kind: tokEOF, pos: l.pos}, nil
	}
	start := l.pos
	c := l.buf[l.pos]
	switch {
	case c == '[':
		l.pos++
		return token{kind: tokArrayOpen, pos: start}, nil
	case c == ']':
		l.pos++
		return token{kind: tokArrayClose, pos: start}, nil
	case c == '<':
		if l.pos+1 >= len(l.buf) {
			return token{}, l.short()
		}
		if l.buf[l.pos+1] == '<' {
			l.pos += 2
			return token{kind: tokDictOpen, pos: start}, nil
		}
		s, err := l.hexString()
		return token{kind: tokString, s: s, pos: start}, err
	case c == '>':
		if l.pos+1 >= len(l.buf) {
			return token{}, l.short()
		}
		if l.buf[l.pos+1] == '>' {
			l.pos += 2
			return token{kind: tokDictClose, pos: start}, nil
		}
		return token{}, fmt.Errorf("%w: stray '>' at %d", ErrMalformed, start)
	case c == '(':
		s, err := l.literalString()
		return token{kind: tokString, s: s, pos: start}, err
	case c == '/':
		l.pos++
		var out []byte
		for l.pos < len(l.buf) && !isSpace(l.buf[l.pos]) && !isDelim(l.buf[l.pos]) {
			ch := l.buf[l.pos]
			if ch == '#' && l.pos+2 < len(l.buf) {
				if v, err := strconv.ParseUint(string(l.buf[l.pos+1:l.pos+3]), 16, 8); err == nil {
					out = append(out, byte(v))
					l.pos += 3
					continue
				}
			}
			out = append(out, ch)
			l.pos++
		}
		if l.pos >= len(l.buf) && !l.final {
			return token{}, errShort
		}
		return token{kind: tokName, s: out, pos: start}, nil
	case c == ')' || c == '{' || c == '}':
		return token{}, fmt.Errorf("%w: unexpected %q at %d", ErrMalformed, c, start)
	}
	for l.pos < len(l.buf) && !isSpace(l.buf[l.pos]) && !isDelim(l.buf[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.buf) && !l.final {
		return token{}, errShort
	}
	word := l.buf[start:l.pos]
	if isNumber(word) {
		if bytes.IndexByte(word, '.') < 0 {
			if v, err := strconv.ParseInt(string(word), 10, 64); err == nil {
				return token{kind: tokInt, i: v, pos: start}, nil
			}
		}
		f, err := strconv.ParseFloat(string(word), 64)
		if err != nil {
			// Out-of-range numbers: treat as 0, like most readers.
			f = 0
		}
		return token{kind: tokReal, f: f, pos: start}, nil
	}
	return token{kind: tokKeyword, s: word, pos: start}, nil
}

func isNumber(w []byte) bool {
	if len(w) == 0 {
		return false
	}
	digits := 0
	for i, c := range w {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case (c == '+' || c == '-') && i == 0:
		case c == '.':
		default:
			return false
		}
	}
	return digits > 0
}

func (l *lexer) hexString() ([]byte, error) {
	l.pos++ // '<'
	var out []byte
	if j := bytes.IndexByte(l.buf[l.pos:], '>'); j > 0 {
		out = make([]byte, 0, j/2+1)
	}
	hi := -1
	for {
		if l.pos >= len(l.buf) {
			return nil, l.short()
		}
		c := l.buf[l.pos]
		l.pos++
		var v int
		switch {
		case c == '>':
			if hi >= 0 {
				out = append(out, byte(hi<<4))
			}
			return out, nil
		case isSpace(c):
			continue
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'f':
			v = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = int(c-'A') + 10
		default:
			return nil, fmt.Errorf("%w: bad hex digit %q at %d", ErrMalformed, c, l.pos-1)
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
}

func (l *lexer) literalString() ([]byte, error) {
	l.pos++ // '('
	var out []byte
	depth := 1
	for {
		if l.pos >= len(l.buf) {
			return nil, l.short()
		}
		c := l.buf[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out, nil
			}
		case '\r':
			// EOL in a string is read as \n.
			if l.pos < len(l.buf) && l.buf[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.buf) {
				return nil, l.short()
			}
			e := l.buf[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.buf) && l.buf[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.buf) && l.buf[l.pos] >= '0' && l.buf[l.pos] <= '7'; k++ {
						v = v*8 + int(l.buf[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
}

// next3 reads the next three tokens.
func (l *lexer) next3() (a, b, c token, err error) {
	if a, err = l.next(); err != nil {
		return
	}
	if b, err = l.next(); err != nil {
		return
	}
	c, err = l.next()
	return
}

// refAfter reads on from the integer t: when "gen R" follows, it returns
// the reference and the offset just past the R; otherwise it puts back
// what it read and reports false.
func (l *lexer) refAfter(t token) (r ref, end int, ok bool, err error) {
	t2, err := l.next()
	if err != nil {
		return ref{}, 0, false, err
	}
	if t2.kind == tokInt {
		t3, err := l.next()
		if err != nil {
			return ref{}, 0, false, err
		}
		if t3.kind == tokKeyword && string(t3.s) == "R" {
			if t.i < 0 || t.i > maxObjectNumber || t2.i < 0 || t2.i > 65535 {
				return ref{}, 0, false, fmt.Errorf("%w: bad reference %d %d R", ErrMalformed, t.i, t2.i)
			}
			return ref{Num: int(t.i), Gen: int(t2.i)}, t3.end, true, nil
		}
		l.unread(t3)
	}
	l.unread(t2)
	return ref{}, 0, false, nil
}

// parseObject reads one object. decrypt, when non-nil, is applied to strings.
func (l *lexer) parseObject(depth int, decrypt func([]byte) []byte) (object, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("%w: objects nested deeper than %d", ErrMalformed, maxNesting)
	}
	t, err := l.next()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tokEOF:
		return nil, l.short()
	case tokInt:
		r, _, ok, err := l.refAfter(t)
		if err != nil {
			return nil, err
		}
		if ok {
			return r, nil
		}
		return t.i, nil
	case tokReal:
		return t.f, nil
	case tokName:
		return nameObject(t.s), nil
	case tokString:
		if decrypt != nil {
			return pdfString(decrypt(t.s)), nil
		}
		return pdfString(t.s), nil
	case tokArrayOpen:
		var a array
		for {
			t, err := l.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tokArrayClose {
				return a, nil
			}
			if t.kind == tokEOF {
				return nil, l.short()
			}
			l.unread(t)
			o, err := l.parseObject(depth+1, decrypt)
			if err != nil {
				return nil, err
			}
			a = append(a, o)
		}
	case tokDictOpen:
		d := dict{}
		for {
			t, closed, err := l.dictKey()
			if err != nil {
				return nil, err
			}
			if closed {
				return d, nil
			}
			v, err := l.parseObject(depth+1, decrypt)
			if err != nil {
				return nil, err
			}
			if v != nil { // a null value is the same as an absent key
				d[internName(t.s)] = v
			}
		}
	case tokKeyword:
		return keywordValue(t)
	}
	return nil, fmt.Errorf("%w: unexpected token at %d", ErrMalformed, t.pos)
}

// dictKey reads the next key of a dictionary, or its closing >> (closed).
func (l *lexer) dictKey() (t token, closed bool, err error) {
	t, err = l.next()
	if err != nil {
		return token{}, false, err
	}
	switch t.kind {
	case tokDictClose:
		return t, true, nil
	case tokEOF:
		return token{}, false, l.short()
	case tokName:
		return t, false, nil
	}
	return token{}, false, fmt.Errorf("%w: dictionary key is not a name at %d", ErrMalformed, t.pos)
}

// keywordValue is the value of a keyword token: true, false or null.
func keywordValue(t token) (object, error) {
	switch string(t.s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return nil, fmt.Errorf("%w: unexpected keyword %q at %d", ErrMalformed, t.s, t.pos)
}

const maxObjectNumber = 1<<23 - 1 // the PDF implementation limit
