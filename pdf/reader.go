package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// document is a read-only view of a PDF through an io.ReaderAt. It reads the
// cross-reference chain once, then fetches only the objects it is asked for;
// stream data stays in the file unless it is an xref or object stream.
type document struct {
	r    io.ReaderAt
	size int64

	xref      map[int]xrefEntry
	trailer   dict  // newest trailer, older keys merged in
	startxref int64 // offset of the newest xref section
	xrefForm  xrefForm
	maxSize   int // largest /Size seen (first free object number)
	sections  int

	sec *securityHandler

	cache   map[int]object
	objstms map[int]*objStm
	// parsed counts the bytes re-read by growing parse windows (see
	// parseAt) and the bytes decoded from xref, object and DSS streams.
	parsed int64
	// objstmBytes is the decoded size of the cached object streams, kept
	// under objStmCacheBudget so hostile files cannot pile them up.
	objstmBytes int
	objstmErr   map[int]error // object streams that failed to load
	resolving   map[int]bool

	// sectionsRead lists the xref sections of the chain, newest first,
	// with the entries each one holds (see revision.go).
	sectionsRead []*xrefSection
	recording    *xrefSection
	keepSections bool
	// Text extraction (FindText): fonts and ToUnicode maps read once per
	// document, and the code mappings read from them (see maxFontWork).
	textFonts map[ref]*textFont
	toUnicode map[ref]map[int]string
	fontWork  int
}

type xrefForm int

const (
	formTable  xrefForm = iota // classic table (also hybrid files)
	formStream                 // cross-reference stream
)

type xrefEntry struct {
	typ    byte  // 1 = at offset, 2 = in object stream
	offset int64 // type 1: byte offset; type 2: object stream number
	gen    int   // type 1: generation; type 2: index in the stream
}

type objStm struct {
	data  []byte
	first int
	offs  map[int]int // object number -> offset relative to first
}

const (
	maxSections = 4096
	// A document may re-parse and decode parseBudgetBase +
	// parseBudgetFactor × its size bytes in all (see overBudget): real
	// files use a small fraction of that; beyond it the input is treated
	// as hostile (ErrMalformed).
	parseBudgetBase   = 64 << 20
	parseBudgetFactor = 8
	// objStmCacheBudget bounds the decoded object streams kept in memory
	// (real ones are a few hundred kilobytes).
	objStmCacheBudget = 16 << 20
	tailWindow        = 4096
)

// open reads the xref chain and the trailer, and authenticates password when
// the document is encrypted.
func open(r io.ReaderAt, size int64, password []byte) (*document, error) {
	return openDoc(r, size, password, false)
}

// openDoc is open; keepSections makes it record every xref section's
// entries (for Document's revisions).
func openDoc(r io.ReaderAt, size int64, password []byte, keepSections bool) (*document, error) {
	d := &document{
		keepSections: keepSections,
		r:            r, size: size,
		xref:      map[int]xrefEntry{},
		cache:     map[int]object{},
		objstms:   map[int]*objStm{},
		objstmErr: map[int]error{},
		resolving: map[int]bool{},
	}
	if size < 16 {
		return nil, fmt.Errorf("%w: file of %d bytes is too short", ErrMalformed, size)
	}
	head := make([]byte, min(1024, size))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("pdf: reading header: %w", err)
	}
	if !bytes.Contains(head, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no %%PDF- header", ErrMalformed)
	}
	start, err := d.findStartxref()
	if err != nil {
		return nil, err
	}
	d.startxref = start
	if err := d.readChain(start); err != nil {
		return nil, err
	}
	if _, ok := d.trailer["Root"].(ref); !ok {
		return nil, fmt.Errorf("%w: trailer has no /Root reference", ErrMalformed)
	}
	if encObj, ok := d.trailer["Encrypt"]; ok {
		enc, ok := d.resolve(encObj).(dict)
		if !ok {
			return nil, fmt.Errorf("%w: /Encrypt is not a dictionary", ErrMalformed)
		}
		var id0 []byte
		if ids, ok := d.resolve(d.trailer["ID"]).(array); ok && len(ids) > 0 {
			s, _ := d.resolve(ids[0]).(pdfString)
			id0 = s
		}
		sec, err := newSecurityHandler(enc, id0, password, d.resolve)
		if err != nil {
			return nil, err
		}
		if er, ok := encObj.(ref); ok {
			sec.encRef, sec.hasEnRef = er, true
			delete(d.cache, er.Num)
		}
		d.sec = sec
		d.cache = map[int]object{} // re-read objects with decryption
		if er, ok := encObj.(ref); ok {
			d.cache[er.Num] = enc
		}
	}
	return d, nil
}

func (d *document) findStartxref() (int64, error) {
	n := min(int64(tailWindow), d.size)
	tail := make([]byte, n)
	if _, err := d.r.ReadAt(tail, d.size-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("pdf: reading trailer: %w", err)
	}
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, fmt.Errorf("%w: no startxref in the last %d bytes", ErrMalformed, n)
	}
	l := &lexer{buf: tail[i+len("startxref"):], final: true}
	t, err := l.next()
	if err != nil || t.kind != tokInt || t.i < 0 || t.i >= d.size {
		return 0, fmt.Errorf("%w: bad startxref value", ErrMalformed)
	}
	return t.i, nil
}

// readAt reads up to n bytes at off; final reports whether the read reached
// the end of the file.
func (d *document) readAt(off int64, n int) ([]byte, bool, error) {
	if off < 0 || off >= d.size {
		return nil, false, fmt.Errorf("%w: offset %d outside the file", ErrMalformed, off)
	}
	final := false
	if int64(n) >= d.size-off {
		n = int(d.size - off)
		final = true
	}
	buf := make([]byte, n)
	m, err := d.r.ReadAt(buf, off)
	if m < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, fmt.Errorf("pdf: reading at %d: %w", off, err)
	}
	return buf, final, nil
}

// overBudget reports whether the document has used up its parse budget
// (see parseAt).
func (d *document) overBudget() error {
	if budget := parseBudgetBase + parseBudgetFactor*d.size; d.parsed > budget {
		return fmt.Errorf("%w: parsing or decoding more than %d bytes (objects overlap, never end or decompress to far more than the file)", ErrMalformed, budget)
	}
	return nil
}

// parseAt parses with fn over a growing window at off.
func (d *document) parseAt(off int64, fn func(l *lexer) error) error {
	return d.parseAtIf(off, nil, fn)
}

// mayHoldObject reports whether a window can hold a whole indirect object
// (its end, or the start of its stream data): a first window without
// either is not worth parsing.
func mayHoldObject(buf []byte) bool {
	return bytes.Contains(buf, []byte("endobj")) || bytes.Contains(buf, []byte("stream"))
}

// parseAtIf is parseAt that skips parsing a window (other than the last
// possible one) for which worth returns false: a signature dictionary with
// its long /Contents is then parsed once, not once per window.
func (d *document) parseAtIf(off int64, worth func([]byte) bool, fn func(l *lexer) error) error {
	for n := 4096; ; n *= 4 {
		// Objects that each run to the end of the file (unterminated
		// strings nested in one another, say) would make every read scan
		// the rest of the file: bound the bytes re-parsed per document.
		if err := d.overBudget(); err != nil {
			return err
		}
		buf, final, err := d.readAt(off, n)
		if err != nil {
			return err
		}
		if n > 4096 {
			// Only re-reads count: a first small window per object is
			// bounded by the walks' own limits.
			d.parsed += int64(len(buf))
		}
		if worth != nil && !final && n < 64<<20 && !worth(buf) {
			continue
		}
		err = fn(&lexer{buf: buf, final: final})
		if errors.Is(err, errShort) && !final && n < 64<<20 {
			continue
		}
		if errors.Is(err, errShort) {
			return fmt.Errorf("%w: object at %d too large or unterminated", ErrMalformed, off)
		}
		return err
	}
}

func (d *document) readChain(off int64) error {
	seen := map[int64]bool{}
	first := true
	for {
		if seen[off] {
			return fmt.Errorf("%w: xref /Prev loop at offset %d", ErrMalformed, off)
		}
		seen[off] = true
		d.sections++
		if d.sections > maxSections {
			return fmt.Errorf("%w: more than %d xref sections", ErrMalformed, maxSections)
		}
		// An error ends open, so a section half read is never used.
		sec := &xrefSection{offset: off}
		if d.keepSections {
			sec.entries = map[int]XRefEntry{}
			d.recording = sec
			d.sectionsRead = append(d.sectionsRead, sec)
		}
		trailer, form, free, err := d.readSection(off)
		if err != nil {
			return fmt.Errorf("pdf: reading xref at %d: %w", off, err)
		}
		sec.trailer, sec.form = trailer, form
		if first {
			d.xrefForm = form
			d.trailer = trailer.clone()
			first = false
		} else {
			for k, v := range trailer {
				if _, ok := d.trailer[k]; !ok && k != "Prev" && k != "XRefStm" {
					d.trailer[k] = v
				}
			}
		}
		if sz, ok := trailer["Size"].(int64); ok && int(sz) > d.maxSize && sz <= maxObjectNumber+1 {
			d.maxSize = int(sz)
		}
		if xs, ok := trailer["XRefStm"].(int64); ok && !seen[xs] {
			seen[xs] = true
			sec.hybrid = xs
			if _, _, _, err := d.readSection(xs); err != nil {
				return fmt.Errorf("pdf: reading hybrid xref stream at %d: %w", xs, err)
			}
		}
		// Free entries hide older definitions; in a hybrid section the
		// xref stream's entries come first.
		for _, n := range free {
			d.setEntry(n, xrefEntry{typ: 0})
		}
		d.recording = nil
		prev, ok := trailer["Prev"].(int64)
		if !ok {
			break
		}
		if prev < 0 || prev >= d.size {
			return fmt.Errorf("%w: /Prev %d outside the file", ErrMalformed, prev)
		}
		off = prev
	}
	for n, e := range d.xref {
		if e.typ == 0 {
			delete(d.xref, n)
			continue
		}
		if n+1 > d.maxSize {
			d.maxSize = n + 1
		}
	}
	return nil
}

func (d *document) setEntry(n int, e xrefEntry) {
	if n <= 0 || n > maxObjectNumber {
		return
	}
	d.record(n, e)
	if _, ok := d.xref[n]; !ok {
		d.xref[n] = e
	}
}

// readSection reads one xref section (table or stream) at off and returns
// its trailer dictionary.
func (d *document) readSection(off int64) (dict, xrefForm, []int, error) {
	buf, _, err := d.readAt(off, 16)
	if err != nil {
		return nil, 0, nil, err
	}
	if bytes.HasPrefix(bytes.TrimLeft(buf, " \r\n\t\f"), []byte("xref")) {
		t, free, err := d.readTable(off)
		return t, formTable, free, err
	}
	t, err := d.readXrefStream(off)
	return t, formStream, nil, err
}

func (d *document) readTable(off int64) (dict, []int, error) {
	var trailer dict
	var free []int
	// Tables can be long (20 bytes per entry): parse them in a streaming
	// fashion with a growing window only when needed.
	err := d.parseAt(off, func(l *lexer) error {
		entries := map[int]xrefEntry{}
		t, err := l.next()
		if err != nil {
			return err
		}
		if t.kind != tokKeyword || string(t.s) != "xref" {
			return fmt.Errorf("%w: expected xref keyword", ErrMalformed)
		}
		for {
			t, err := l.next()
			if err != nil {
				return err
			}
			if t.kind == tokKeyword && string(t.s) == "trailer" {
				break
			}
			if t.kind != tokInt {
				return fmt.Errorf("%w: bad xref subsection header", ErrMalformed)
			}
			t2, err := l.next()
			if err != nil {
				return err
			}
			if t2.kind != tokInt || t.i < 0 || t2.i < 0 || t.i > maxObjectNumber || t2.i > maxObjectNumber+1 || t.i+t2.i > maxObjectNumber+1 {
				return fmt.Errorf("%w: bad xref subsection header", ErrMalformed)
			}
			for i := int64(0); i < t2.i; i++ {
				a, b, c, err := l.next3()
				if err != nil {
					return err
				}
				if a.kind != tokInt || b.kind != tokInt || c.kind != tokKeyword || len(c.s) != 1 {
					return fmt.Errorf("%w: bad xref entry for object %d", ErrMalformed, t.i+i)
				}
				n := int(t.i + i)
				if _, dup := entries[n]; dup {
					continue
				}
				if c.s[0] == 'n' && a.i > 0 {
					entries[n] = xrefEntry{typ: 1, offset: a.i, gen: int(b.i)}
				} else {
					entries[n] = xrefEntry{typ: 0}
				}
			}
		}
		tr, err := l.parseObject(0, nil)
		if err != nil {
			return err
		}
		td, ok := tr.(dict)
		if !ok {
			return fmt.Errorf("%w: trailer is not a dictionary", ErrMalformed)
		}
		trailer = td
		free = free[:0]
		for n, e := range entries {
			if e.typ == 0 {
				free = append(free, n)
			} else {
				d.setEntry(n, e)
			}
		}
		return nil
	})
	return trailer, free, err
}

func (d *document) readXrefStream(off int64) (dict, error) {
	o, err := d.readIndirect(off, -1, false)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*stream)
	if !ok || s.hdr.name("Type") != "XRef" {
		return nil, fmt.Errorf("%w: no xref table or xref stream at %d", ErrMalformed, off)
	}
	if err := d.overBudget(); err != nil {
		return nil, err
	}
	data, err := d.streamData(s, ref{}, false)
	if err != nil {
		return nil, err
	}
	d.parsed += int64(len(data))
	w, ok := s.hdr["W"].(array)
	if !ok || len(w) != 3 {
		return nil, fmt.Errorf("%w: bad /W in xref stream", ErrMalformed)
	}
	var ws [3]int
	total := 0
	for i := range ws {
		v, ok := w[i].(int64)
		if !ok || v < 0 || v > 8 {
			return nil, fmt.Errorf("%w: bad /W in xref stream", ErrMalformed)
		}
		ws[i] = int(v)
		total += int(v)
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: bad /W in xref stream", ErrMalformed)
	}
	size, _ := s.hdr["Size"].(int64)
	index := array{int64(0), size}
	if ix, ok := s.hdr["Index"].(array); ok {
		index = ix
	}
	if len(index)%2 != 0 {
		return nil, fmt.Errorf("%w: bad /Index in xref stream", ErrMalformed)
	}
	field := func(b []byte) int64 {
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	pos := 0
	for i := 0; i < len(index); i += 2 {
		start, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || start < 0 || count < 0 || start > maxObjectNumber || count > maxObjectNumber+1 || start+count > maxObjectNumber+1 {
			return nil, fmt.Errorf("%w: bad /Index in xref stream", ErrMalformed)
		}
		for j := int64(0); j < count; j++ {
			if pos+total > len(data) {
				return nil, fmt.Errorf("%w: xref stream shorter than its /Index", ErrMalformed)
			}
			typ := int64(1)
			if ws[0] > 0 {
				typ = field(data[pos : pos+ws[0]])
			}
			f2 := field(data[pos+ws[0] : pos+ws[0]+ws[1]])
			f3 := field(data[pos+ws[0]+ws[1] : pos+total])
			pos += total
			n := int(start + j)
			switch typ {
			case 0:
				d.setEntry(n, xrefEntry{typ: 0})
			case 1:
				if f2 > 0 {
					d.setEntry(n, xrefEntry{typ: 1, offset: f2, gen: int(f3)})
				}
			case 2:
				d.setEntry(n, xrefEntry{typ: 2, offset: f2, gen: int(f3)})
			}
		}
	}
	return s.hdr, nil
}

// readIndirect parses "num gen obj ... endobj" at off. want is the expected
// object number (-1: any). Strings are decrypted when decrypt is set.
func (d *document) readIndirect(off int64, want int, decrypt bool) (object, error) {
	var result object
	err := d.parseAtIf(off, mayHoldObject, func(l *lexer) error {
		t1, t2, t3, err := l.next3()
		if err != nil {
			return err
		}
		if t1.kind != tokInt || t2.kind != tokInt || t3.kind != tokKeyword || string(t3.s) != "obj" {
			return fmt.Errorf("%w: no object header at %d", ErrMalformed, off)
		}
		if want >= 0 && t1.i != int64(want) {
			return fmt.Errorf("%w: xref points object %d to object %d at %d", ErrMalformed, want, t1.i, off)
		}
		var dec func([]byte) []byte
		if decrypt {
			dec = d.stringDecrypter(ref{Num: int(t1.i), Gen: int(t2.i)})
		}
		start := l.pos
		o, err := l.parseObject(0, dec)
		if err != nil {
			return err
		}
		if sd, ok := o.(dict); ok && dec != nil {
			// A signature's /Contents is never encrypted (ISO 32000-2
			// §7.6.2): take it as written.
			if _, isSig := sd["ByteRange"]; isSig {
				if _, has := sd["Contents"]; has {
					raw := &lexer{buf: l.buf[start:l.pos], final: true}
					if ro, err := raw.parseObject(0, nil); err == nil {
						if rd, ok := ro.(dict); ok {
							sd["Contents"] = rd["Contents"]
						}
					}
				}
			}
		}
		t, err := l.next()
		if err != nil {
			return err
		}
		if t.kind == tokKeyword && string(t.s) == "stream" {
			hdr, ok := o.(dict)
			if !ok {
				return fmt.Errorf("%w: stream without dictionary at %d", ErrMalformed, off)
			}
			p := l.pos
			if p < len(l.buf) && l.buf[p] == '\r' {
				p++
			}
			if p < len(l.buf) && l.buf[p] == '\n' {
				p++
			}
			s := &stream{hdr: hdr, offset: off + int64(p)}
			switch lv := hdr["Length"].(type) {
			case int64:
				s.length = lv
			case ref:
				lo, err := d.fetch(lv)
				if err != nil {
					return err
				}
				n, ok := lo.(int64)
				if !ok {
					return fmt.Errorf("%w: stream /Length is not an integer", ErrMalformed)
				}
				s.length = n
			default:
				return fmt.Errorf("%w: stream without /Length at %d", ErrMalformed, off)
			}
			if s.length < 0 || s.offset+s.length > d.size {
				return fmt.Errorf("%w: stream /Length %d runs past the end of the file", ErrMalformed, s.length)
			}
			result = s
			return nil
		}
		result = o
		return nil
	})
	return result, err
}

// stringDecrypter returns what decrypts the strings of object r as they
// are written in the file, or nil when they are in clear (no encryption,
// or r is the /Encrypt dictionary). A string that does not decrypt (e.g. a
// signature's /Contents) is kept as it is.
func (d *document) stringDecrypter(r ref) func([]byte) []byte {
	if d.sec == nil || d.sec.hasEnRef && d.sec.encRef.Num == r.Num {
		return nil
	}
	return func(b []byte) []byte {
		out, err := d.sec.decrypt(r, d.sec.strM, b)
		if err != nil {
			return b
		}
		return out
	}
}

// streamData reads, decrypts and decodes a stream that lives in the file.
func (d *document) streamData(s *stream, r ref, decrypt bool) ([]byte, error) {
	if s.data != nil {
		return s.data, nil
	}
	if s.length > maxDecoded {
		return nil, fmt.Errorf("%w: stream of %d bytes", ErrUnsupported, s.length)
	}
	raw := make([]byte, s.length)
	if _, err := d.r.ReadAt(raw, s.offset); err != nil && !(errors.Is(err, io.EOF) && s.offset+s.length == d.size) {
		return nil, fmt.Errorf("pdf: reading stream data at %d: %w", s.offset, err)
	}
	if decrypt && d.sec != nil {
		var err error
		raw, err = d.sec.decrypt(r, d.sec.stmM, raw)
		if err != nil {
			return nil, fmt.Errorf("pdf: decrypting stream %v: %w", r, err)
		}
	}
	return decodeStream(s.hdr, raw, d.resolve)
}

// fetch returns the object with the given reference (nil for free or
// missing objects, as the spec requires).
func (d *document) fetch(r ref) (object, error) {
	if o, ok := d.cache[r.Num]; ok {
		return o, nil
	}
	e, ok := d.xref[r.Num]
	if !ok {
		return nil, nil
	}
	if d.resolving[r.Num] {
		return nil, fmt.Errorf("%w: object %d refers to itself while being read", ErrMalformed, r.Num)
	}
	d.resolving[r.Num] = true
	defer delete(d.resolving, r.Num)
	var o object
	var err error
	switch e.typ {
	case 1:
		o, err = d.readIndirect(e.offset, r.Num, true)
	case 2:
		o, err = d.fromObjStm(int(e.offset), e.gen, r.Num)
	}
	if err != nil {
		return nil, fmt.Errorf("pdf: reading object %d: %w", r.Num, err)
	}
	if len(d.cache) > 4096 {
		d.cache = map[int]object{}
	}
	d.cache[r.Num] = o
	return o, nil
}

func (d *document) fromObjStm(stmNum, index, num int) (object, error) {
	os, ok := d.objstms[stmNum]
	if !ok {
		if err, failed := d.objstmErr[stmNum]; failed {
			return nil, err // not decoded again for every object in it
		}
		if err := d.overBudget(); err != nil {
			return nil, err
		}
		if d.resolving[stmNum] {
			return nil, fmt.Errorf("%w: object stream %d contains itself", ErrMalformed, stmNum)
		}
		e, ok := d.xref[stmNum]
		if !ok || e.typ != 1 {
			return nil, fmt.Errorf("%w: object stream %d not found", ErrMalformed, stmNum)
		}
		d.resolving[stmNum] = true
		o, err := d.readIndirect(e.offset, stmNum, true)
		if err == nil {
			os, err = d.loadObjStm(o, ref{Num: stmNum, Gen: e.gen})
		}
		delete(d.resolving, stmNum)
		if err != nil {
			err = fmt.Errorf("object stream %d: %w", stmNum, err)
			d.objstmErr[stmNum] = err
			return nil, err
		}
		// Decoding (again, after an eviction, too) is work the parse
		// budget bounds (see parseAt): object streams that inflate to far
		// more than the file are compression bombs.
		d.parsed += int64(len(os.data))
		if len(d.objstms) >= 64 || d.objstmBytes+len(os.data) > objStmCacheBudget {
			d.objstms = map[int]*objStm{}
			d.objstmBytes = 0
		}
		d.objstms[stmNum] = os
		d.objstmBytes += len(os.data)
	}
	off, ok := os.offs[num]
	if !ok {
		return nil, fmt.Errorf("%w: object %d not in object stream %d", ErrMalformed, num, stmNum)
	}
	start := os.first + off
	if start < 0 || start > len(os.data) {
		return nil, fmt.Errorf("%w: bad offset of object %d in object stream %d", ErrMalformed, num, stmNum)
	}
	l := &lexer{buf: os.data[start:], final: true}
	return l.parseObject(0, nil)
}

func (d *document) loadObjStm(o object, r ref) (*objStm, error) {
	s, ok := o.(*stream)
	if !ok || s.hdr.name("Type") != "ObjStm" {
		return nil, fmt.Errorf("%w: not an object stream", ErrMalformed)
	}
	n, _ := d.resolve(s.hdr["N"]).(int64)
	first, _ := d.resolve(s.hdr["First"]).(int64)
	data, err := d.streamData(s, r, true)
	if err != nil {
		return nil, err
	}
	if n < 0 || first < 0 || first > int64(len(data)) || n > int64(len(data)) {
		return nil, fmt.Errorf("%w: bad /N or /First", ErrMalformed)
	}
	os := &objStm{data: data, first: int(first), offs: map[int]int{}}
	l := &lexer{buf: data[:first], final: true}
	for i := int64(0); i < n; i++ {
		a, err1 := l.next()
		b, err2 := l.next()
		if err1 != nil || err2 != nil || a.kind != tokInt || b.kind != tokInt || b.i < 0 || b.i > int64(len(data)) {
			return nil, fmt.Errorf("%w: bad object stream header", ErrMalformed)
		}
		if _, dup := os.offs[int(a.i)]; !dup {
			os.offs[int(a.i)] = int(b.i)
		}
	}
	return os, nil
}

// resolve follows references (up to a bound) and returns nil on errors;
// structural lookups use it where a broken object means "absent".
func (d *document) resolve(o object) object {
	for i := 0; i < 32; i++ {
		r, ok := o.(ref)
		if !ok {
			return o
		}
		var err error
		o, err = d.fetch(r)
		if err != nil {
			return nil
		}
	}
	return nil
}

// resolveErr is resolve that reports read errors.
func (d *document) resolveErr(o object) (object, error) {
	for i := 0; i < 32; i++ {
		r, ok := o.(ref)
		if !ok {
			return o, nil
		}
		var err error
		o, err = d.fetch(r)
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: reference chain too long", ErrMalformed)
}

func (d *document) dictOf(o object) dict {
	switch v := d.resolve(o).(type) {
	case dict:
		return v
	case *stream:
		return v.hdr
	}
	return nil
}

func (d *document) intOf(o object) (int64, bool) {
	switch v := d.resolve(o).(type) {
	case int64:
		return v, true
	case float64:
		return int64(v), true
	}
	return 0, false
}

func (d *document) numOf(o object) (float64, bool) { return number(d.resolve(o)) }

// number is the value of an integer or real o (no reference followed).
func number(o object) (float64, bool) {
	switch v := o.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
