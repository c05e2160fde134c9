package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress prints how much of a big input has been processed, on one
// line of standard error, at most twice a second. A nil *progress does
// nothing.
type progress struct {
	w     io.Writer
	label string
	total int64

	mu   sync.Mutex
	n    int64
	last time.Time
}

func newProgress(w io.Writer, label string, total int64) *progress {
	return &progress{w: w, label: label, total: total}
}

func (p *progress) add(n int) {
	if p == nil || n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 500*time.Millisecond {
		p.last = now
		pct := 100 * p.n / p.total
		if pct > 99 {
			pct = 99
		}
		fmt.Fprintf(p.w, "\r%s: %3d%% (%d MiB)", p.label, pct, p.n>>20)
	}
}

// done ends the progress line.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%s: 100%% (%d MiB)\n", p.label, p.n>>20)
}

// readerAt counts the bytes read through r.
func (p *progress) readerAt(r io.ReaderAt) io.ReaderAt { return &countingReaderAt{r, p} }

type countingReaderAt struct {
	r io.ReaderAt
	p *progress
}

func (c *countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(b, off)
	c.p.add(n)
	return n, err
}

// progressReader shows progress for f when it is big.
func progressReader(f *os.File, stderr io.Writer, label string, quiet bool) io.Reader {
	st, err := f.Stat()
	if quiet || err != nil || st.Size() <= progressMin {
		return f
	}
	return &countingReader{r: f, p: newProgress(stderr, label, st.Size())}
}

type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	if err == io.EOF {
		c.p.done()
		c.p = nil
	}
	return n, err
}

// readFile reads a whole file, with progress when it is big.
func readFile(path string, stderr io.Writer, quiet bool, label string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if quiet || st.Size() <= progressMin {
		return io.ReadAll(f)
	}
	// Read straight into a buffer of the file's size (and ReadFrom's
	// margin), through the counting reader that reports progress.
	b := bytes.NewBuffer(make([]byte, 0, st.Size()+bytes.MinRead))
	if _, err := b.ReadFrom(&countingReader{r: f, p: newProgress(stderr, label, st.Size())}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
