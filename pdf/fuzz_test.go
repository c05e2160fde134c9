package pdf

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// exercise reads everything the signer reads from a document.
func exercise(data []byte) error {
	d, err := open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return err
	}
	if _, _, err := d.catalog(); err != nil {
		return err
	}
	if err := d.pages(func(int, pageInfo) bool { return true }); err != nil {
		return err
	}
	if _, err := d.signatureState(); err != nil {
		return err
	}
	for n := range d.xref {
		if _, err := d.fetch(ref{Num: n}); err != nil {
			return err
		}
	}
	return nil
}

func addCorpusSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pdf")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	for _, b := range malformedInputs() {
		f.Add(b)
	}
}

func FuzzStructure(f *testing.F) {
	addCorpusSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := exercise(data)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) &&
			!errors.Is(err, ErrWrongPassword) && !errors.Is(err, ErrBadOptions) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

// FuzzSignLayout runs the whole update builder (no key needed) on
// arbitrary input: it must fail with a typed error or produce an update
// whose byte ranges are consistent.
func FuzzSignLayout(f *testing.F) {
	addCorpusSeeds(f)
	cert := fuzzCert(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pl, err := build(bytes.NewReader(data), int64(len(data)), cert, nil, &Options{}, 64)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrWrongPassword) &&
				!errors.Is(err, ErrBadOptions) && !errors.Is(err, ErrNotPermitted) && !errors.Is(err, ErrFieldNotFound) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if pl.upd.contentsAt <= 0 || pl.upd.contentsAt+pl.upd.contentsLen > len(pl.upd.data) {
			t.Fatalf("bad hole %d+%d in %d bytes", pl.upd.contentsAt, pl.upd.contentsLen, len(pl.upd.data))
		}
		out := append(bytes.Clone(data), pl.upd.data...)
		if exercise(data) != nil {
			return // damaged objects the signer did not need stay damaged
		}
		if err := exercise(out); err != nil {
			t.Fatalf("the update made an unreadable document: %v", err)
		}
	})
}

func fuzzCert(tb testing.TB) *x509.Certificate {
	return testSigner(tb).Certificate()
}

// malformedInputs are truncated, garbage and self-referencing documents.
func malformedInputs() [][]byte {
	simple, _ := os.ReadFile("testdata/simple.pdf")
	objstm, _ := os.ReadFile("testdata/objstm.pdf")
	var out [][]byte
	out = append(out,
		nil,
		[]byte("%PDF-1.7\n"),
		[]byte("%PDF-1.7\nstartxref\n0\n%%EOF\n"),
		[]byte("%PDF-1.7\ngarbage garbage garbage\nstartxref\n9\n%%EOF\n"),
		bytes.Repeat([]byte{0xff}, 300),
	)
	if len(simple) > 100 {
		out = append(out, simple[:len(simple)/2], simple[:len(simple)-30], simple[100:])
	}
	// An xref section whose /Prev points to itself.
	loop := "%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[2 0 R]/Count 1>> endobj\n"
	x := len(loop)
	loop += fmt.Sprintf("xref\n0 3\n0000000000 65535 f\r\n0000000009 00000 n\r\n%010d 00000 n\r\ntrailer <</Size 3/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", strings.Index(loop, "2 0 obj"), x, x)
	out = append(out, []byte(loop))
	// A page tree whose node is its own kid (no /Prev loop this time).
	tree := "%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[2 0 R]/Count 1>> endobj\n"
	x = len(tree)
	tree += fmt.Sprintf("xref\n0 3\n0000000000 65535 f\r\n0000000009 00000 n\r\n%010d 00000 n\r\ntrailer <</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", strings.Index(tree, "2 0 obj"), x)
	out = append(out, []byte(tree))
	// An object stream that contains itself, and a Length that refers to
	// the stream.
	cyc := "%PDF-1.5\n"
	o1 := len(cyc)
	cyc += "1 0 obj <</Type/ObjStm/N 1/First 4/Length 1 0 R>> stream\n1 0 \nendstream endobj\n"
	x2 := len(cyc)
	cyc += fmt.Sprintf("xref\n0 3\n0000000000 65535 f\r\n%010d 00000 n\r\n0000000000 65535 f\r\ntrailer <</Size 3/Root 2 0 R>>\nstartxref\n%d\n%%%%EOF\n", o1, x2)
	out = append(out, []byte(cyc))
	objc := "%PDF-1.5\n"
	o1 = len(objc)
	body := "2 0 <</Type/Catalog/Pages 2 0 R>>"
	objc += fmt.Sprintf("1 0 obj <</Type/ObjStm/N 1/First 4/Length %d>> stream\n%s\nendstream endobj\n", len(body), body)
	x3 := len(objc)
	objc += "3 0 obj <</Type/XRef/Size 4/W[1 4 2]/Index[1 2]/Root 2 0 R/Length 14>> stream\n"
	rows := []byte{1, 0, 0, 0, byte(o1), 0, 0, 2, 0, 0, 0, 1, 0, 0}
	objc += string(rows) + fmt.Sprintf("\nendstream endobj\nstartxref\n%d\n%%%%EOF\n", x3)
	out = append(out, []byte(objc))
	if len(objstm) > 200 {
		b := bytes.Clone(objstm)
		for i := len(b) / 3; i < len(b)/3+40; i++ {
			b[i] = 'x'
		}
		out = append(out, b)
	}
	return out
}

func TestMalformedInputs(t *testing.T) {
	s := testSigner(t)
	for i, in := range malformedInputs() {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var out bytes.Buffer
			err := Sign(t.Context(), &out, bytes.NewReader(in), int64(len(in)), s, nil)
			if err == nil {
				// Some damaged inputs are still readable; the result must be too.
				require.NoError(t, exercise(out.Bytes()))
				return
			}
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported), "typed error, got %v", err)
			require.Zero(t, out.Len(), "no partial output")
		})
	}
}

func TestWrongPassword(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "aes256-userpw.pdf")
	err := Sign(t.Context(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), s, &Options{Password: "sai"})
	require.ErrorIs(t, err, ErrWrongPassword)
	// The owner password opens it too.
	out := signBytes(t, in, s, &Options{Password: "owner"})
	checkTools(t, out, 1, "nguoidung")
}

// FuzzDSS reads the DSS and the signatures of arbitrary documents the way
// AddDSS does (offline, no evidence): it must fail with a typed error or
// succeed, never panic or hang.
func FuzzDSS(f *testing.F) {
	addCorpusSeeds(f)
	for _, name := range []string{"simple.pdf", "objstm.pdf"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			continue
		}
		// Hand-made DSS variants: arrays of junk, loops, non-streams.
		for _, dss := range []string{
			"<</Type/DSS/Certs[1 0 R 2 0 R]/OCSPs 3 0 R/CRLs[(x) 7]/VRI<</AB<</Cert[1 0 R]>>>>>>",
			"<</Certs 99 0 R/VRI 1 0 R>>",
		} {
			f.Add(appendCatalogKey(b, "DSS", dss))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := dssUpdate(context.Background(), bytes.NewReader(data), int64(len(data)), &LTVOptions{Offline: true})
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) &&
			!errors.Is(err, ErrWrongPassword) && !errors.Is(err, ErrNoSignatures) && !errors.Is(err, ErrValidationData) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

// appendCatalogKey appends an update that sets key in the catalog of a
// table-xref document (a crude writer for fuzz seeds).
func appendCatalogKey(b []byte, key, value string) []byte {
	d, err := open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		return b
	}
	rootRef, cat, err := d.catalog()
	if err != nil {
		return b
	}
	u := newUpdate(d)
	cat = cat.clone()
	cat[name(key)] = rawToken(value)
	u.set(rootRef, cat)
	s, err := u.serialize(int64(len(b)), !bytes.HasSuffix(b, []byte("\n")))
	if err != nil {
		return b
	}
	return append(append([]byte(nil), b...), s.data...)
}
