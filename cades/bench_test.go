package cades_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// BenchmarkSign1GB signs a 1 GB file (detached CAdES-B-B, SHA-256, ECDSA
// key) and runs sha256sum over the same file in the same iteration,
// reporting both times, their ratio (target ≤ 1.1) and the bytes the
// signature allocated (flat: the 1 MiB read buffer and the CMS). The file
// is written to a temporary directory and removed afterwards. Run it
// once:
//
//	go test ./cades -run XXX -bench Sign1GB -benchtime=1x
func BenchmarkSign1GB(b *testing.B) {
	sha256sum := testutil.Tool(b, "sha256sum", "coreutils")
	const size = 1 << 30
	dir := b.TempDir()
	path := filepath.Join(dir, "attachment.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("tệp đính kèm hồ sơ iGate 0123456789abcdef"), (1<<20)/48+1)[:1<<20]
	for n := 0; n < size; n += len(chunk) {
		chunk[0]++
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	pki := pkitest.New(b)
	s := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()
	// Warm the page cache for both readers alike.
	if err := exec.Command(sha256sum, path).Run(); err != nil {
		b.Fatal(err)
	}

	var tSum, tSign time.Duration
	var alloc uint64
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		start := time.Now()
		if out, err := exec.Command(sha256sum, path).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		tSum += time.Since(start)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		start = time.Now()
		in, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cades.Sign(context.Background(), in, s, nil); err != nil {
			b.Fatal(err)
		}
		in.Close()
		tSign += time.Since(start)

		b.StopTimer()
		runtime.ReadMemStats(&after)
		alloc += after.TotalAlloc - before.TotalAlloc
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(tSum.Seconds()/n, "sha256sum-s/op")
	b.ReportMetric(tSign.Seconds()/n, "sign-s/op")
	b.ReportMetric(float64(tSign)/float64(tSum), "ratio-to-sha256sum")
	b.ReportMetric(float64(alloc)/n/(1<<20), "alloc-MiB/op")
}

// BenchmarkSignSmall signs a 64 KiB attachment: the fixed cost of a
// signature (attributes, ECDSA, encoding).
func BenchmarkSignSmall(b *testing.B) {
	pki := pkitest.New(b)
	s := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()
	data := bytes.Repeat([]byte{1}, 64<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cades.Sign(context.Background(), bytes.NewReader(data), s, nil); err != nil {
			b.Fatal(err)
		}
	}
}
