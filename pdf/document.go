package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The exported object model. Objects read from a Document are plain Go
// values:
//
//	nil      null
//	bool     boolean
//	int64    integer
//	float64  real
//	String   string (decoded and decrypted bytes)
//	Name     name (without the slash, #xx escapes decoded)
//	Array    array
//	Dict     dictionary
//	Ref      indirect reference
//	*Stream  stream (only as the value of an indirect object)
type (
	// Object is any PDF value (see the list above).
	Object = object
	// Name is a PDF name without its slash.
	Name = name
	// String is a PDF string's bytes (decrypted).
	String = pdfString
	// Array is a PDF array.
	Array = array
	// Dict is a PDF dictionary.
	Dict = dict
	// Ref is an indirect reference (object number and generation).
	Ref = ref
	// Stream is a stream object; its data stays in the file until
	// [Document.Decode] reads it.
	Stream = stream
)

// Dict returns the stream's dictionary.
func (s *stream) Dict() Dict { return s.hdr }

// Offset returns the offset of the stream's first data byte in the file.
func (s *stream) Offset() int64 { return s.offset }

// Length returns the length of the stream's data as stored (encoded and,
// in encrypted files, encrypted).
func (s *stream) Length() int64 { return s.length }

// Document is a read-only view of a PDF: its revisions in order, its
// objects as of the newest revision (or, through [Document.At], any earlier
// one), its signatures, DocMDP level and Document Security Store. Objects
// are read on demand through the io.ReaderAt; stream data stays in the file
// until decoded. All reading and decoding counts against a parse budget
// proportional to the file size, so hostile input ends in [ErrMalformed]
// rather than in unbounded work. A Document is not safe for concurrent use.
type Document struct {
	d        *document
	r        io.ReaderAt
	size     int64
	password []byte
	revs     []Revision
}

// XRefEntry is one cross-reference entry: Type 0 is free, 1 an object at
// byte Offset with generation Gen, 2 an object in object stream Offset at
// index Gen.
type XRefEntry struct {
	Type   int
	Offset int64
	Gen    int
}

// Revision is one cross-reference section of the chain (a table, an xref
// stream, or a hybrid table with its /XRefStm stream) with its trailer:
// one incremental update, or the original document.
type Revision struct {
	// XRef is the offset of the section (the startxref value naming it).
	XRef int64
	// XRefStream reports a cross-reference stream (not a table).
	XRefStream bool
	// Hybrid is the /XRefStm offset of a hybrid-reference section, else 0.
	Hybrid int64
	// Start is where the revision's bytes begin: the End of the revision
	// before it (0 for the first). End is the offset just past the
	// revision's %%EOF marker and its end-of-line, 0 when no %%EOF follows
	// the section.
	Start, End int64
	// Trailer is the section's trailer (the stream dictionary of an xref
	// stream).
	Trailer Dict
	// Entries holds what the section says about each object number it
	// lists (object 0 left out).
	Entries map[int]XRefEntry
	// Defined, Freed and Repointed list the object numbers the section
	// gives an in-use entry, frees, and points at bytes written before
	// this revision's section (an older definition, not one it appends)
	// when that differs from the entry in force before, in order.
	Defined, Freed, Repointed []int
}

// exported is e as an XRefEntry.
func (e xrefEntry) exported() XRefEntry {
	return XRefEntry{Type: int(e.typ), Offset: e.offset, Gen: e.gen}
}

// xrefSection is what readChain records of one section.
type xrefSection struct {
	offset  int64
	hybrid  int64
	form    xrefForm
	trailer dict
	entries map[int]XRefEntry
}

func (d *document) record(n int, e xrefEntry) {
	if d.recording == nil {
		return
	}
	if _, ok := d.recording.entries[n]; !ok {
		d.recording.entries[n] = e.exported()
	}
}

// Open reads the cross-reference chain of the PDF in r (size bytes) and,
// for an encrypted document, authenticates password (the user or the owner
// password; empty for the empty user password). Errors wrap
// [ErrMalformed], [ErrUnsupported] or [ErrWrongPassword].
func Open(r io.ReaderAt, size int64, password []byte) (*Document, error) {
	d, err := openDoc(r, size, password, true)
	if err != nil {
		return nil, err
	}
	doc := &Document{d: d, r: r, size: size, password: password}
	if err := doc.buildRevisions(); err != nil {
		return nil, err
	}
	return doc, nil
}

// Size returns the size of the document in bytes.
func (doc *Document) Size() int64 { return doc.size }

// Revisions returns the revisions, oldest first. The slice is shared: do
// not modify it.
func (doc *Document) Revisions() []Revision { return doc.revs }

// At opens the revision that ends at byte end (a revision's End, or the
// end of a signature's byte range): the document as it was when those bytes
// were the whole file.
func (doc *Document) At(end int64) (*Document, error) {
	if end <= 0 || end > doc.size {
		return nil, fmt.Errorf("%w: revision end %d outside the file", ErrMalformed, end)
	}
	if end == doc.size {
		return doc, nil
	}
	return Open(io.NewSectionReader(doc.r, 0, end), end, doc.password)
}

// Trailer returns the newest trailer (keys of older trailers it lacks
// merged in, /Prev and /XRefStm left out).
func (doc *Document) Trailer() Dict { return doc.d.trailer }

// Encrypted reports whether the document has an /Encrypt dictionary.
func (doc *Document) Encrypted() bool { return doc.d.sec != nil }

// Entry returns the cross-reference entry in force for object num.
func (doc *Document) Entry(num int) (XRefEntry, bool) {
	e, ok := doc.d.xref[num]
	return e.exported(), ok
}

// NumObjects returns one more than the largest object number in use.
func (doc *Document) NumObjects() int { return doc.d.maxSize }

// Object returns object num (nil for free or missing objects, as the
// specification requires).
func (doc *Document) Object(num int) (Object, error) {
	if num <= 0 || num > maxObjectNumber {
		return nil, nil
	}
	return doc.d.fetch(ref{Num: num})
}

// Resolve follows references from o (up to a bound) and returns the direct
// object.
func (doc *Document) Resolve(o Object) (Object, error) { return doc.d.resolveErr(o) }

// Catalog returns the document catalog and its reference.
func (doc *Document) Catalog() (Ref, Dict, error) { return doc.d.catalog() }

// Decode returns the decoded (and decrypted) data of stream s, the value of
// object r. Decoding counts against the document's parse budget.
func (doc *Document) Decode(s *Stream, r Ref) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no stream", ErrMalformed)
	}
	if err := doc.d.overBudget(); err != nil {
		return nil, err
	}
	// Cross-reference streams are never encrypted (ISO 32000-2 §7.6.2).
	data, err := doc.d.streamData(s, r, s.hdr.name("Type") != "XRef")
	if err != nil {
		return nil, err
	}
	doc.d.parsed += int64(len(data))
	if err := doc.d.overBudget(); err != nil {
		return nil, err
	}
	return data, nil
}

// Raw returns a reader of stream s's data as stored in the file (encoded,
// and encrypted in encrypted documents).
func (doc *Document) Raw(s *Stream) io.Reader {
	if s.data != nil {
		return bytes.NewReader(s.data)
	}
	return io.NewSectionReader(doc.r, s.offset, s.length)
}

// buildRevisions turns the recorded sections into Revisions, oldest first.
func (doc *Document) buildRevisions() error {
	secs := doc.d.sectionsRead
	doc.d.sectionsRead = nil
	var state map[int]XRefEntry
	if len(secs) > 1 {
		state = map[int]XRefEntry{}
	}
	var prevEnd int64
	doc.revs = make([]Revision, 0, len(secs))
	for i := len(secs) - 1; i >= 0; i-- {
		s := secs[i]
		rev := Revision{XRef: s.offset, XRefStream: s.form == formStream, Hybrid: s.hybrid,
			Trailer: s.trailer, Entries: s.entries}
		end, err := doc.revisionEnd(s.offset)
		if err != nil {
			return err
		}
		rev.Start, rev.End = prevEnd, end
		rev.Defined = make([]int, 0, len(s.entries))
		for n, e := range s.entries {
			old, had := state[n]
			switch {
			case e.Type == 0:
				rev.Freed = append(rev.Freed, n)
			default:
				rev.Defined = append(rev.Defined, n)
				if i != len(secs)-1 && e.Type == 1 && e.Offset < prevEnd && (!had || old != e) {
					rev.Repointed = append(rev.Repointed, n)
				}
			}
			if state != nil {
				state[n] = e
			}
		}
		slices.Sort(rev.Defined)
		slices.Sort(rev.Freed)
		slices.Sort(rev.Repointed)
		if end > prevEnd {
			prevEnd = end
		} else if s.offset > prevEnd {
			prevEnd = s.offset
		}
		doc.revs = append(doc.revs, rev)
	}
	return nil
}

// revisionEnd finds the end of the revision whose xref section is at off:
// just past the first "%%EOF" after it and one end-of-line.
func (doc *Document) revisionEnd(off int64) (int64, error) {
	const chunk = 64 << 10
	marker := []byte("%%EOF")
	for pos := off; pos < doc.size; {
		n := int64(chunk)
		if pos+n > doc.size {
			n = doc.size - pos
		}
		buf := make([]byte, n)
		if _, err := doc.r.ReadAt(buf, pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("pdf: reading revision end at %d: %w", pos, err)
		}
		doc.d.parsed += n
		if err := doc.d.overBudget(); err != nil {
			return 0, err
		}
		if i := bytes.Index(buf, marker); i >= 0 {
			end := pos + int64(i) + int64(len(marker))
			tail := make([]byte, 2)
			m, _ := doc.r.ReadAt(tail, end)
			tail = tail[:m]
			switch {
			case len(tail) >= 2 && tail[0] == '\r' && tail[1] == '\n':
				end += 2
			case len(tail) >= 1 && (tail[0] == '\r' || tail[0] == '\n'):
				end++
			}
			return end, nil
		}
		if n <= int64(len(marker)) {
			break
		}
		pos += n - int64(len(marker)) + 1
	}
	return 0, nil
}

// ObjectNumbers returns the numbers of the objects in use, in order.
func (doc *Document) ObjectNumbers() []int {
	out := make([]int, 0, len(doc.d.xref))
	for n := range doc.d.xref {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TextString decodes a PDF text string (UTF-16BE with a byte-order mark,
// UTF-8 with one, or PDFDocEncoding) to UTF-8.
func TextString(s String) string { return decodeTextString(s) }
