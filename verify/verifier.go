package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Verifier verifies every signature in a document and returns one report.
// PDF and XML verification implement it; Mux picks one by sniffing.
//
// Verify returns an error only when the document cannot be examined at all
// (unreadable, not of the verifier's format, cancelled); a bad or
// untrusted signature is a verdict in the report, not an error.
type Verifier interface {
	Verify(ctx context.Context, doc io.ReaderAt, size int64) (*Report, error)
}

// VerifyBytes verifies a document held in memory with v.
func VerifyBytes(ctx context.Context, v Verifier, doc []byte) (*Report, error) {
	return v.Verify(ctx, bytes.NewReader(doc), int64(len(doc)))
}

// ErrUnknownFormat: no registered verifier recognises the document.
var ErrUnknownFormat = errors.New("verify: unknown document format")

// Sniffing functions for the formats kyso knows.

// IsPDF reports whether head (the first bytes of a document) looks like a
// PDF: "%PDF-" within the first 1024 bytes, as viewers accept.
func IsPDF(head []byte) bool {
	if len(head) > 1024 {
		head = head[:1024]
	}
	return bytes.Contains(head, []byte("%PDF-"))
}

// IsXML reports whether head looks like an XML document: optional UTF-8
// BOM and whitespace, then '<'.
func IsXML(head []byte) bool {
	if isUTF16XML(head) {
		return true
	}
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) > 0 && head[0] == '<'
}

// Mux is a Verifier that sniffs the document's format and hands it to the
// verifier registered for it. The zero value has no formats.
type Mux struct {
	mu      sync.RWMutex
	formats []muxEntry
}

type muxEntry struct {
	name  string
	match func(head []byte) bool
	v     Verifier
}

// sniffLen is how many leading bytes Mux reads to decide the format.
const sniffLen = 1024

// Handle registers v for documents whose first bytes satisfy match.
// Formats are tried in registration order.
func (m *Mux) Handle(name string, match func(head []byte) bool, v Verifier) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.formats = append(m.formats, muxEntry{name, match, v})
}

// Verify implements Verifier.
func (m *Mux) Verify(ctx context.Context, doc io.ReaderAt, size int64) (*Report, error) {
	n := int64(sniffLen)
	if size < n {
		n = size
	}
	head := make([]byte, n)
	if _, err := doc.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("verify: reading document head: %w", err)
	}
	m.mu.RLock()
	formats := append([]muxEntry(nil), m.formats...)
	m.mu.RUnlock()
	for _, f := range formats {
		if f.match(head) {
			return f.v.Verify(ctx, doc, size)
		}
	}
	return nil, ErrUnknownFormat
}

// NewMux returns a Mux that sends PDF documents to a PDFVerifier, XML
// documents to an XMLVerifier and CMS signature files to a CMSVerifier,
// all using v.
func NewMux(v *Validator) *Mux {
	m := &Mux{}
	m.Handle("PDF", IsPDF, NewPDFVerifier(v))
	m.Handle("XML", IsXML, NewXMLVerifier(v))
	m.Handle("CMS", IsCMS, NewCMSVerifier(v))
	return m
}
