package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// A new field must not take the name of an existing non-terminal field
// (two fields with one fully qualified name are one field to a reader).
func TestNewFieldNameAvoidsParentNames(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "form-hierarchy.pdf") // fields VanThu and CoQuan.PhoGiamDoc

	var buf bytes.Buffer
	err := Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), s, &Options{Field: "CoQuan"})
	require.ErrorIs(t, err, ErrFieldNotFound, "CoQuan is a parent field, not a signature field to fill or create")
	require.Zero(t, buf.Len())

	// An automatic name skips parent names too.
	require.Equal(t, "Signature2", uniqueFieldName(fieldNames([]field{{fullName: "Signature1.a"}, {fullName: "Other"}}), "Signature"))
}

// preparedSimple prepares a signature of testdata/simple.pdf for a new
// identity and returns the document, the identity, the Prepared and its
// serialised state.
func preparedSimple(t testing.TB) (in []byte, id *pkitest.Identity, p *Prepared, state []byte) {
	t.Helper()
	id = sharedPKI(t).MustIssue()
	in = corpus(t, "simple.pdf")
	p, err := Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, nil)
	require.NoError(t, err)
	state, err = p.MarshalBinary()
	require.NoError(t, err)
	return in, id, p, state
}

// A state whose placeholder disagrees with its /ByteRange (edited or
// corrupted in storage, digest recomputed to match) is refused: Finish
// would otherwise write a signature over other bytes than the ones the
// document says are signed.
func TestTwoPhaseStateByteRangeMismatch(t *testing.T) {
	in, _, _, state := preparedSimple(t)

	tamper := func(edit func(st *preparedState)) []byte {
		var st preparedState
		require.NoError(t, json.Unmarshal(state, &st))
		edit(&st)
		h := sha256.New()
		h.Write(in)
		h.Write(st.Update[:st.ContentsAt])
		h.Write(st.Update[st.ContentsAt+st.ContentsLen:])
		st.DocDigest = h.Sum(nil)
		b, err := json.Marshal(st)
		require.NoError(t, err)
		return b
	}
	var q Prepared
	require.NoError(t, q.UnmarshalBinary(tamper(func(*preparedState) {})), "an untouched state (digest recomputed) is fine")

	// The /ByteRange numbers changed.
	bad := tamper(func(st *preparedState) {
		i := bytes.Index(st.Update, []byte("/ByteRange [0 "))
		require.Positive(t, i)
		j := i + len("/ByteRange [0 ")
		st.Update = bytes.Clone(st.Update)
		st.Update[j] = '1' + (st.Update[j]-'0')%8
	})
	require.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState)

	// The hole moved by one byte (still '<' … '>' at its ends).
	bad = tamper(func(st *preparedState) {
		st.Update = bytes.Clone(st.Update)
		at := st.ContentsAt
		copy(st.Update[at+1:], st.Update[at:at+st.ContentsLen])
		st.Update[at] = ' '
		st.ContentsAt++
	})
	require.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState)

	// The hole is not empty.
	bad = tamper(func(st *preparedState) {
		st.Update = bytes.Clone(st.Update)
		st.Update[st.ContentsAt+5] = 'A'
	})
	require.ErrorIs(t, q.UnmarshalBinary(bad), ErrBadState)
}

// panicSigner's key panics (as a buggy token driver or remote client may).
type panicSigner struct{ signer.Signer }

func (panicSigner) SignDigest(context.Context, []byte, crypto.SignerOpts) ([]byte, error) {
	panic("token driver crashed")
}

// A panic while the output is being written leaves no temporary file behind.
func TestSignFilePanicLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.pdf")
	require.NoError(t, os.WriteFile(src, corpus(t, "simple.pdf"), 0o644))
	dst := filepath.Join(dir, "out.pdf")
	require.Panics(t, func() {
		_ = SignFile(context.Background(), dst, src, panicSigner{testSigner(t)}, nil)
	})
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"in.pdf"}, names, "no output and no temporary file")
}

// objStmDoc writes a classic-table document whose catalog, page tree node,
// page and AcroForm each live in their own object stream, every one of
// which decodes to pad bytes.
func objStmDoc(t *testing.T, pad int) []byte {
	t.Helper()
	objs := []string{
		"<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
		"<</Fields[]>>",
	}
	padding := bytes.Repeat([]byte{' '}, pad)
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n")
	offs := map[int]int{}
	for i, o := range objs {
		num := i + 1
		stm := 10 + i
		var raw bytes.Buffer
		fmt.Fprintf(&raw, "%d 0 ", num)
		first := raw.Len()
		raw.WriteString(o)
		writeObjStm(&out, offs, stm, 1, first, raw.Bytes(), padding)
	}
	// A hybrid-style file would need an xref stream for the compressed
	// objects: use one xref stream for everything.
	var rows []byte
	rows = append(rows, 0, 0, 0, 0, 0xff, 0xff)
	for i := range objs {
		rows = append(rows, 2, 0, 0, byte(10+i), 0, 0)
	}
	for i := range objs {
		o := offs[10+i]
		rows = append(rows, 1, byte(o>>16), byte(o>>8), byte(o), 0, 0)
	}
	writeXRefStream(&out, 14, "/Size 14/W[1 3 2]/Index[0 5 10 4]/Root 1 0 R", rows)
	return out.Bytes()
}

// writeObjStm appends object num to out as a FlateDecode object stream of n
// objects whose header (object numbers and offsets) is first bytes long,
// compressing parts in turn, and records its offset in offs.
func writeObjStm(out *bytes.Buffer, offs map[int]int, num, n, first int, parts ...[]byte) {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	for _, p := range parts {
		zw.Write(p)
	}
	zw.Close()
	offs[num] = out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>stream\n", num, n, first, z.Len())
	out.Write(z.Bytes())
	out.WriteString("\nendstream\nendobj\n")
}

// xrefRows are the rows of a cross-reference stream with /W [1 4 2].
type xrefRows []byte

// add appends a row of type typ with fields a (4 bytes) and b (2 bytes).
func (r *xrefRows) add(typ byte, a, b int) {
	*r = append(*r, typ, byte(a>>24), byte(a>>16), byte(a>>8), byte(a), byte(b>>8), byte(b))
}

// writeXRefStream ends out with a cross-reference stream, object num, whose
// dictionary holds /Type/XRef, entries and /Length, and whose data is rows,
// then startxref pointing at it.
func writeXRefStream(out *bytes.Buffer, num int, entries string, rows []byte) {
	xs := out.Len()
	fmt.Fprintf(out, "%d 0 obj\n<</Type/XRef%s/Length %d>>stream\n", num, entries, len(rows))
	out.Write(rows)
	fmt.Fprintf(out, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xs)
}

// Decoded object streams are cached within a memory budget: a small file
// whose structure is spread over several huge (highly compressed) object
// streams does not keep them all in memory.
func TestObjStmCacheBounded(t *testing.T) {
	in := objStmDoc(t, 12<<20) // 48 MB decoded in all: within the parse budget
	require.Less(t, len(in), 1<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := openBytes(t, in)
	_, err := d.fields()
	require.NoError(t, err)
	_, err = d.page(1)
	require.NoError(t, err)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(d)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	require.Less(t, grown, int64(32<<20), "heap kept by the reader: %d MB", grown>>20)

	// And the document still signs.
	out := signBytes(t, in, testSigner(t), nil)
	require.Len(t, readSignatures(t, out, ""), 1)
}

// classicPDF writes a document with a classic xref table from objs
// (object number → body); object 1 is the catalog.
func classicPDF(objs map[int]string) []byte {
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n")
	maxNum := 0
	for n := range objs {
		maxNum = max(maxNum, n)
	}
	offs := make([]int, maxNum+1)
	for n := 1; n <= maxNum; n++ {
		if body, ok := objs[n]; ok {
			offs[n] = out.Len()
			fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", n, body)
		}
	}
	x := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f\r\n", maxNum+1)
	for n := 1; n <= maxNum; n++ {
		if offs[n] > 0 {
			fmt.Fprintf(&out, "%010d 00000 n\r\n", offs[n])
		} else {
			out.WriteString("0000000000 65535 f\r\n")
		}
	}
	fmt.Fprintf(&out, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", maxNum+1, x)
	return out.Bytes()
}

// A /Fields reference to something that is not an array (here the
// AcroForm dictionary itself) must not make the signer overwrite that
// object: the new field has to end up in the form.
func TestFieldsReferenceNotArray(t *testing.T) {
	in := classicPDF(map[int]string{
		1: "<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
		2: "<</Type/Pages/Kids[3 0 R]/Count 1>>",
		3: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
		4: "<</Fields 4 0 R/DA(/Helv 0 Tf 0 g)>>",
	})
	require.NoError(t, exercise(in))
	out := signBytes(t, in, testSigner(t), nil)
	require.Len(t, readSignatures(t, out, ""), 1, "the new signature is reachable from /AcroForm /Fields")
	d := openBytes(t, out)
	_, cat, err := d.catalog()
	require.NoError(t, err)
	af := d.dictOf(cat["AcroForm"])
	require.Equal(t, pdfString("/Helv 0 Tf 0 g"), af["DA"], "the AcroForm keeps its entries")
	checkTools(t, out, 1, "")
}

// One indirect array serving as both the page's /Annots and the form's
// /Fields gets the new widget once.
func TestSharedAnnotsAndFieldsArray(t *testing.T) {
	in := classicPDF(map[int]string{
		1: "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields 4 0 R>>>>",
		2: "<</Type/Pages/Kids[3 0 R]/Count 1>>",
		3: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Annots 4 0 R>>",
		4: "[]",
	})
	out := signBytes(t, in, testSigner(t), nil)
	d := openBytes(t, out)
	arr, ok := d.resolve(ref{Num: 4}).(array)
	require.True(t, ok)
	require.Len(t, arr, 1)
	require.Len(t, readSignatures(t, out, ""), 1)
	checkTools(t, out, 1, "")
}

// pngHeaderOnly is a PNG that declares w×h RGBA pixels but holds almost no
// data (a decompression-bomb-like seal image from an upload form).
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(data)))
		b.Write(l[:])
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.BigEndian.PutUint32(l[:], c.Sum32())
		b.Write(l[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte{0, 0, 0, 0, 0})
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

// An image whose header declares a huge size is refused before it is
// decoded: decoding would allocate gigabytes (or kill the process).
func TestHugeImageRefusedBeforeDecoding(t *testing.T) {
	img := pngHeaderOnly(12000, 12000) // 144 Mpx, 576 MB as RGBA
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	u := newUpdate(&document{maxSize: 1})
	_, err := embedImage(u, img)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrBadOptions)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "allocated before refusing")
}

// nestedStringsPDF has n objects, each an unterminated literal string
// holding the next one, all listed in /AcroForm /Fields: every object read
// scans to the end of the file.
func nestedStringsPDF(n int) []byte {
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&out, "%d 0 R ", 10+i)
	}
	out.WriteString("]>>>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\n")
	offs := make([]int, n)
	for i := 0; i < n; i++ {
		offs[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj (", 10+i)
	}
	out.WriteString("\n")
	// xref: objects 1-3 then 10..10+n-1
	x := out.Len()
	head := bytes.Index(out.Bytes(), []byte("1 0 obj"))
	o2 := bytes.Index(out.Bytes(), []byte("2 0 obj <<"))
	o3 := bytes.Index(out.Bytes(), []byte("3 0 obj <<"))
	fmt.Fprintf(&out, "xref\n0 4\n0000000000 65535 f\r\n%010d 00000 n\r\n%010d 00000 n\r\n%010d 00000 n\r\n10 %d\n", head, o2, o3, n)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&out, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", 10+n, x)
	return out.Bytes()
}

// Reading objects that each run to the end of the file costs quadratic
// time; the reader's parse budget turns that into a prompt typed error
// instead of a hang.
func TestQuadraticParseBounded(t *testing.T) {
	in := nestedStringsPDF(40000)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := build(bytes.NewReader(in), int64(len(in)), fuzzCert(t), nil, &Options{}, 64)
		done <- err
	}()
	// The budget, not the clock, is what this test checks: reading must end
	// in ErrMalformed. The watchdog only turns a hang into a failure.
	select {
	case err := <-done:
		t.Logf("%v after %v", err, time.Since(start))
		require.ErrorIs(t, err, ErrMalformed)
	case <-time.After(2 * time.Minute):
		t.Fatal("no answer after 2 minutes: the parse budget did not stop the reader")
	}
}

// fieldsHead writes the header, a catalog whose AcroForm lists n fields
// (objects 100 to 100+n-1), the page tree and one page (objects 1 to 3) to
// out, and returns the offsets of objects 1 to 3.
func fieldsHead(out *bytes.Buffer, n int) map[int]int {
	out.WriteString("%PDF-1.7\n")
	offs := map[int]int{}
	var fields bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&fields, "%d 0 R ", 100+i)
	}
	offs[1] = out.Len()
	fmt.Fprintf(out, "1 0 obj <</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[%s]>>>> endobj\n", fields.String())
	offs[2] = out.Len()
	out.WriteString("2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n")
	offs[3] = out.Len()
	out.WriteString("3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\n")
	return offs
}

// objStmFieldsPDF lists n form fields that all live in object streams:
// half in stream 10, half in stream 11 (alternating), each decoding to
// about pad bytes.
func objStmFieldsPDF(t *testing.T, n, pad int) []byte {
	t.Helper()
	var out bytes.Buffer
	offs := fieldsHead(&out, n)
	for s := 0; s < 2; s++ {
		var hdr, body bytes.Buffer
		for i := s; i < n; i += 2 {
			fmt.Fprintf(&hdr, "%d %d ", 100+i, body.Len())
			fmt.Fprintf(&body, "<</T(f%d)/FT/Tx>> ", i)
		}
		body.Write(bytes.Repeat([]byte{' '}, pad))
		writeObjStm(&out, offs, 10+s, (n-s+1)/2, hdr.Len(), hdr.Bytes(), body.Bytes())
	}
	var rows xrefRows
	rows.add(0, 0, 0xffff)
	for _, k := range []int{1, 2, 3} {
		rows.add(1, offs[k], 0)
	}
	rows.add(1, offs[10], 0)
	rows.add(1, offs[11], 0)
	for i := 0; i < n; i++ {
		rows.add(2, 10+i%2, i/2)
	}
	writeXRefStream(&out, 12, fmt.Sprintf("/Size %d/W[1 4 2]/Index[0 4 10 2 100 %d]/Root 1 0 R", 100+n, n), rows)
	return out.Bytes()
}

// An object stream that cannot be decoded is not decoded again for every
// object it holds.
func TestBrokenObjStmNotRetried(t *testing.T) {
	old := maxDecoded
	maxDecoded = 1 << 20
	defer func() { maxDecoded = old }()
	in := objStmFieldsPDF(t, 20000, 2<<20) // each stream decodes past the limit
	before := totalAlloc()
	d := openBytes(t, in)
	fs, err := d.fields()
	require.NoError(t, err, "unreadable fields are skipped")
	require.Empty(t, fs)
	// Decoding the broken stream once per object would allocate about
	// 20000 × 1 MB; once per stream stays far below.
	allocated := totalAlloc() - before
	t.Logf("allocated %d MB", allocated>>20)
	require.Less(t, allocated, uint64(512<<20))
}

// totalAlloc is the cumulative number of bytes the process has allocated:
// a deterministic measure of work, unlike the wall clock.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// Two object streams too large to be cached together, read alternately,
// are not decoded again and again without bound.
func TestObjStmThrashBounded(t *testing.T) {
	in := objStmFieldsPDF(t, 4000, 12<<20)
	before := totalAlloc()
	d := openBytes(t, in)
	_, err := d.fields()
	if err != nil {
		require.ErrorIs(t, err, ErrMalformed)
	}
	// Alternating decodes without a bound would inflate 4000 × 12 MB.
	allocated := totalAlloc() - before
	t.Logf("allocated %d MB", allocated>>20)
	require.Less(t, allocated, uint64(2<<30))
}

// /Annots and /Fields as indirect arrays, /AcroForm as an indirect object,
// and an existing text field whose value has ( ) and \: the arrays are
// updated where they live and nothing else changes.
func TestIndirectAnnotsAndFields(t *testing.T) {
	in := classicPDF(map[int]string{
		1: "<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
		2: "<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 595 842]>>",
		3: "<</Type/Page/Parent 2 0 R/Annots 5 0 R>>",
		4: "<</Fields 6 0 R/DA(/Helv 0 Tf 0 g)>>",
		5: "[7 0 R]",
		6: "[7 0 R]",
		7: `<</Type/Annot/Subtype/Widget/FT/Tx/T(So \(van\) ban)/V(12\\3)/Rect[72 700 300 720]/P 3 0 R>>`,
	})
	s := testSigner(t)
	out := signBytes(t, in, s, &Options{Appearance: &Appearance{Rect: Corners(300, 80, 560, 180)}})
	checkTools(t, out, 1, "")
	out = signBytes(t, out, s, nil)
	checkTools(t, out, 2, "")
	d := openBytes(t, out)
	_, cat, err := d.catalog()
	require.NoError(t, err)
	require.Equal(t, ref{Num: 4}, cat["AcroForm"])
	page := d.dictOf(ref{Num: 3})
	require.Equal(t, ref{Num: 5}, page["Annots"], "/Annots stays indirect")
	annots, _ := d.resolve(ref{Num: 5}).(array)
	fields, _ := d.resolve(ref{Num: 6}).(array)
	require.Len(t, annots, 3)
	require.Len(t, fields, 3)
	fs, err := d.fields()
	require.NoError(t, err)
	require.Equal(t, "So (van) ban", fs[0].fullName)
	require.Equal(t, pdfString(`12\3`), fs[0].dict["V"])
}

// An AES-256 (R6) password is SASLprep-normalised (NFKC) by the standard:
// a Vietnamese password typed with combining marks (NFD, as Unikey's
// "Unicode tổ hợp" mode produces) opens a file whose password was set
// precomposed (NFC).
func TestAES256PasswordNormalised(t *testing.T) {
	qpdf := testutil.Tool(t, "qpdf", "qpdf")
	pw := "mậtkhẩu"
	nfd := norm.NFD.String(pw)
	require.NotEqual(t, pw, nfd)
	dir := t.TempDir()
	src := filepath.Join(dir, "in.pdf")
	require.NoError(t, os.WriteFile(src, corpus(t, "simple.pdf"), 0o644))
	enc := filepath.Join(dir, "enc.pdf")
	out, err := exec.Command(qpdf, "--encrypt", pw, "owner", "256", "--", src, enc).CombinedOutput()
	require.NoError(t, err, "%s", out)
	in, err := os.ReadFile(enc)
	require.NoError(t, err)
	signed := signBytes(t, in, testSigner(t), &Options{Password: nfd})
	checkTools(t, signed, 1, pw)
}

// Placeholder positions whose sum overflows are refused, not a panic.
func TestTwoPhaseStateOverflow(t *testing.T) {
	_, _, _, state := preparedSimple(t)
	var st map[string]any
	require.NoError(t, json.Unmarshal(state, &st))
	for _, c := range [][2]json.Number{
		{"9223372036854775000", "1000"},
		{"5", "9223372036854775000"},
	} {
		st["contentsAt"], st["contentsLen"] = c[0], c[1]
		b, err := json.Marshal(st)
		require.NoError(t, err)
		var q Prepared
		require.NotPanics(t, func() { err = q.UnmarshalBinary(b) })
		require.ErrorIs(t, err, ErrBadState)
	}
}

// FuzzPreparedState decodes arbitrary two-phase states and finishes the
// ones it accepts: a typed error or a document, never a panic.
func FuzzPreparedState(f *testing.F) {
	in, id, p, state := preparedSimple(f)
	sig, err := id.Signer().SignDigest(context.Background(), p.Digest(), p.SignerOpts())
	require.NoError(f, err)
	f.Add(state)
	f.Add([]byte(`{"v":1,"base":1,"update":"PD4=","contentsAt":0,"contentsLen":2,"hash":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Prepared
		if err := q.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		_ = q.Finish(context.Background(), io.Discard, bytes.NewReader(in), int64(len(in)), sig)
	})
}

// An existing DSS whose items are compression bombs (here one 128 MB
// stream listed 40 times) is not decoded without bound while AddDSS looks
// for evidence it already holds.
func TestDSSItemDecodingBounded(t *testing.T) {
	p := sharedPKI(t)
	id := p.MustIssue()
	in := signBytes(t, corpus(t, "simple.pdf"), id.Signer(), &Options{TimestampURL: p.TSAURL()})
	d := openBytes(t, in)
	u := newUpdate(d)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	chunk := make([]byte, 1<<20)
	for i := 0; i < 128; i++ {
		zw.Write(chunk)
	}
	zw.Close()
	bomb := u.add(&stream{hdr: dict{"Filter": name("FlateDecode")}, data: z.Bytes()})
	var certs array
	for i := 0; i < 40; i++ {
		certs = append(certs, bomb)
	}
	rootRef, cat, err := d.catalog()
	require.NoError(t, err)
	cat = cat.clone()
	cat["DSS"] = dict{"Certs": certs}
	u.set(rootRef, cat)
	s, err := u.serialize(int64(len(in)), false)
	require.NoError(t, err)
	doc := append(bytes.Clone(in), s.data...)

	var ocsps [][]byte
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert, p.TSA.Cert} {
		o, err := p.OCSP(c)
		require.NoError(t, err)
		ocsps = append(ocsps, o)
	}
	lo := &LTVOptions{Offline: true, OCSPResponses: ocsps, Certificates: []*x509.Certificate{p.CA.Cert, p.Root.Cert}}
	// Without the parse budget the 40 listed bombs all decode (and AddDSS
	// succeeds after minutes); with it reading the DSS ends in ErrMalformed.
	err = AddDSS(context.Background(), io.Discard, bytes.NewReader(doc), int64(len(doc)), lo)
	require.ErrorIs(t, err, ErrMalformed)
}

// Object streams that each decode to far more than the file holds are
// decoded within the parse budget, first decodes included: a small file
// cannot make the reader inflate gigabytes.
func TestObjStmFirstDecodesBounded(t *testing.T) {
	const n = 12
	var out bytes.Buffer
	offs := fieldsHead(&out, n)
	pad := make([]byte, 48<<20)
	for i := 0; i < n; i++ {
		hdr := fmt.Sprintf("%d 0 ", 100+i)
		writeObjStm(&out, offs, 10+i, 1, len(hdr), fmt.Appendf(nil, "%s<</T(f%d)/FT/Tx>>", hdr, i), pad)
	}
	var rows xrefRows
	rows.add(0, 0, 0xffff)
	for _, k := range []int{1, 2, 3} {
		rows.add(1, offs[k], 0)
	}
	for i := 0; i < n; i++ {
		rows.add(1, offs[10+i], 0)
	}
	for i := 0; i < n; i++ {
		rows.add(2, 10+i, 0)
	}
	writeXRefStream(&out, 100+n, fmt.Sprintf("/Size %d/W[1 4 2]/Index[0 4 10 %d 100 %d]/Root 1 0 R", 101+n, n, n), rows)
	in := out.Bytes()
	require.Less(t, len(in), 2<<20)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := openBytes(t, in)
	_, _ = d.fields()
	runtime.ReadMemStats(&after)
	// Unbounded: about 1.4 GB (12 × 48 MB, with the decoder's buffer growth).
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(800<<20), "bytes allocated reading %d fields", n)
}
