package pdfread

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func build(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%" + strings.Repeat("-", 300) + "\n") // the reader needs 200 bytes
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// An array left open before endobj made the upstream lexer loop forever.
func TestUnterminatedArray(t *testing.T) {
	doc := build("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count [ >>")
	r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Value, 1)
	go func() {
		v, _ := r.GetObject(2)
		done <- v
	}()
	select {
	case v := <-done:
		if v.Err() == nil {
			t.Fatalf("unterminated array accepted: %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reader loops on an unterminated array")
	}
}

// Huge xref subsections are refused instead of allocated.
func TestHugeXrefSubsection(t *testing.T) {
	doc := build("<< /Type /Catalog >>")
	doc = bytes.Replace(doc, []byte("xref\n0 2\n"), []byte("xref\n999999999999 2\n"), 1)
	if _, err := NewReader(bytes.NewReader(doc), int64(len(doc))); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("got %v", err)
	}
}

// Short and truncated inputs are errors, not panics or loops.
func TestShortInputs(t *testing.T) {
	for _, in := range []string{"%PDF-1.7\n", "%PDF-1.7\n%%EOF", "%PDF-1.7\nstartxref\n0\n%%EOF\n", "%PDF-1.7\r\r\r\r"} {
		if _, err := NewReader(bytes.NewReader([]byte(in)), int64(len(in))); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
