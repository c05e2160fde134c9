package pdf

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// writeLargePDF writes a valid PDF of about size bytes: one page per
// image, each image an uncompressed RGB stream of random (incompressible)
// bytes, with a classic xref table.
func writeLargePDF(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	require.NoError(tb, err)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var off int64
	offsets := map[int]int64{}
	put := func(s string) {
		n, err := w.WriteString(s)
		require.NoError(tb, err)
		off += int64(n)
	}
	const imgW, imgH = 1024, 1024 // 3 MiB per image
	imgSize := int64(imgW * imgH * 3)
	pages := int(size / imgSize)
	if pages < 1 {
		pages = 1
	}
	put("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets[1] = off
	put("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	offsets[2] = off
	kids := ""
	for i := 0; i < pages; i++ {
		kids += fmt.Sprintf("%d 0 R ", 3+3*i)
	}
	put(fmt.Sprintf("2 0 obj\n<</Type/Pages/Count %d/Kids[%s]>>\nendobj\n", pages, kids))
	buf := make([]byte, imgSize)
	for i := 0; i < pages; i++ {
		p, c, im := 3+3*i, 4+3*i, 5+3*i
		offsets[p] = off
		put(fmt.Sprintf("%d 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents %d 0 R/Resources<</XObject<</Im0 %d 0 R>>>>>>\nendobj\n", p, c, im))
		content := "q 595 0 0 842 0 0 cm /Im0 Do Q"
		offsets[c] = off
		put(fmt.Sprintf("%d 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n", c, len(content), content))
		offsets[im] = off
		put(fmt.Sprintf("%d 0 obj\n<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8/Length %d>>\nstream\n", im, imgW, imgH, imgSize))
		_, err := rand.Read(buf)
		require.NoError(tb, err)
		n, err := w.Write(buf)
		require.NoError(tb, err)
		off += int64(n)
		put("\nendstream\nendobj\n")
	}
	n := 3 + 3*pages
	xref := off
	put(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f\r\n", n))
	for i := 1; i < n; i++ {
		put(fmt.Sprintf("%010d 00000 n\r\n", offsets[i]))
	}
	put(fmt.Sprintf("trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", n, xref))
	require.NoError(tb, w.Flush())
}

var (
	largeOnce sync.Once
	largeDir  string
	largePath string
)

// largePDF generates the 100 MB benchmark input once per test binary.
func largePDF(b *testing.B) string {
	b.Helper()
	largeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kyso-bench-")
		require.NoError(b, err)
		largeDir = dir
		largePath = filepath.Join(dir, "large.pdf")
		writeLargePDF(b, largePath, 100<<20)
	})
	return largePath
}

func benchSigner(b *testing.B) signer.Signer {
	id := sharedPKI(b).MustIssue(pkitest.RSAKey(2048))
	s, err := signer.New(id.Key, id.Cert, id.Chain...)
	require.NoError(b, err)
	return s
}

// BenchmarkSign100MB signs the 100 MB file to a new file (SignFile: one
// read of the input, hashed while copied, temp file + rename). Compare with
// BenchmarkSha256sum100MB.
func BenchmarkSign100MB(b *testing.B) {
	src := largePDF(b)
	s := benchSigner(b)
	dst := filepath.Join(b.TempDir(), "out.pdf")
	fi, _ := os.Stat(src)
	b.SetBytes(fi.Size())
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := testutil.PeakHeap(func() {
			if err := SignFile(context.Background(), dst, src, s, nil); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkSign100MBToWriter signs the 100 MB file to io.Discard through
// Sign (io.ReaderAt in, io.Writer out: the input is read twice).
func BenchmarkSign100MBToWriter(b *testing.B) {
	src := largePDF(b)
	s := benchSigner(b)
	f, err := os.Open(src)
	require.NoError(b, err)
	defer f.Close()
	fi, _ := f.Stat()
	b.SetBytes(fi.Size())
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := testutil.PeakHeap(func() {
			if err := Sign(context.Background(), io.Discard, f, fi.Size(), s, nil); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkSha256sum100MB is the reference: coreutils sha256sum of the
// same file.
func BenchmarkSha256sum100MB(b *testing.B) {
	tool := testutil.Tool(b, "sha256sum", "coreutils")
	src := largePDF(b)
	fi, _ := os.Stat(src)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command(tool, src).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}

// BenchmarkSignSmall signs a small PDF with a software RSA-2048 key;
// compare its rate with BenchmarkRawRSA2048.
func BenchmarkSignSmall(b *testing.B) {
	s := benchSigner(b)
	in := corpus(b, "simple.pdf")
	var out bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		if err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawRSA2048 is the reference: one RSA-2048 PKCS#1 v1.5 signature
// of a SHA-256 digest.
func BenchmarkRawRSA2048(b *testing.B) {
	id := sharedPKI(b).MustIssue(pkitest.RSAKey(2048))
	key := id.Key.(*rsa.PrivateKey)
	digest := sha256.Sum256([]byte("kyso"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLargePDFGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 6 MB file")
	}
	path := filepath.Join(t.TempDir(), "l.pdf")
	writeLargePDF(t, path, 6<<20)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, exercise(data))
	out := signBytes(t, data, testSigner(t), nil)
	checkTools(t, out, 1, "")
}

// TestSignOver100MB signs a 105 MB file (9-digit offsets, past the 8-digit
// placeholders that broke other libraries) and checks it with pdfsig.
func TestSignOver100MB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and signs a 105 MB file")
	}
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	dir := t.TempDir()
	src := filepath.Join(dir, "big.pdf")
	writeLargePDF(t, src, 105<<20)
	dst := filepath.Join(dir, "big-signed.pdf")
	require.NoError(t, SignFile(context.Background(), dst, src, testSigner(t), nil))
	out, err := exec.Command(pdfsig, "-nocert", dst).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "Signature is Valid.")
	require.Contains(t, string(out), "Total document signed")
}

func TestByteRangeWidth(t *testing.T) {
	d := openBytes(t, corpus(t, "simple.pdf"))
	u := newUpdate(d)
	r := u.alloc()
	u.set(r, dict{"ByteRange": byteRangeHole{}, "Contents": contentsHole{size: 8}})
	base := int64(900_000_000_000) // 900 GB
	s, err := u.serialize(base, false)
	require.NoError(t, err)
	l := &lexer{buf: s.data[bytes.Index(s.data, []byte("/ByteRange"))+len("/ByteRange"):], final: true}
	o, err := l.parseObject(0, nil)
	require.NoError(t, err)
	br := o.(array)
	require.Equal(t, array{int64(0), base + int64(s.contentsAt), base + int64(s.contentsAt+s.contentsLen),
		int64(len(s.data) - s.contentsAt - s.contentsLen)}, br)
}

// BenchmarkSmallVsRawRSA interleaves one small-PDF signature and one raw
// RSA-2048 signature per iteration (so machine load hits both alike) and
// reports the signing rate as a percentage of the raw RSA rate.
func BenchmarkSmallVsRawRSA(b *testing.B) {
	id := sharedPKI(b).MustIssue(pkitest.RSAKey(2048))
	s, err := signer.New(id.Key, id.Cert, id.Chain...)
	require.NoError(b, err)
	key := id.Key.(*rsa.PrivateKey)
	digest := sha256.Sum256([]byte("kyso"))
	in := corpus(b, "simple.pdf")
	var out bytes.Buffer
	var signT, rawT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		t0 := time.Now()
		if err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s, nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		signT += t1.Sub(t0)
		rawT += t2.Sub(t1)
	}
	b.ReportMetric(float64(signT.Microseconds())/float64(b.N), "sign-µs/op")
	b.ReportMetric(float64(rawT.Microseconds())/float64(b.N), "rawRSA-µs/op")
	b.ReportMetric(100*float64(rawT)/float64(signT), "rate-%-of-raw")
}

// BenchmarkSign100MBVsSha256sum interleaves sha256sum and SignFile on the
// same 100 MB file per iteration and reports the time ratio and the peak
// heap of signing.
func BenchmarkSign100MBVsSha256sum(b *testing.B) {
	tool := testutil.Tool(b, "sha256sum", "coreutils")
	src := largePDF(b)
	s := benchSigner(b)
	dst := filepath.Join(b.TempDir(), "out.pdf")
	var signT, shaT time.Duration
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if out, err := exec.Command(tool, src).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		t1 := time.Now()
		p := testutil.PeakHeap(func() {
			if err := SignFile(context.Background(), dst, src, s, nil); err != nil {
				b.Fatal(err)
			}
		})
		t2 := time.Now()
		peak = max(peak, p)
		shaT += t1.Sub(t0)
		signT += t2.Sub(t1)
	}
	b.ReportMetric(float64(shaT.Milliseconds())/float64(b.N), "sha256sum-ms/op")
	b.ReportMetric(float64(signT.Milliseconds())/float64(b.N), "sign-ms/op")
	b.ReportMetric(float64(signT)/float64(shaT), "sign/sha256sum")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
