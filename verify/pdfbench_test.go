package verify

import (
	"bytes"
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// BenchmarkVerifyPDF100MBVsSha256sum runs sha256sum and PDFVerifier.Verify
// on the same generated 100 MB signed PDF in each iteration and reports
// the time ratio and the peak heap of verifying (flat in the file size:
// the signed ranges are hashed in 1 MiB chunks through io.ReaderAt).
func BenchmarkVerifyPDF100MBVsSha256sum(b *testing.B) {
	tool := testutil.Tool(b, "sha256sum", "coreutils")
	pv, path, size := bigPDFVerifier(b)
	var verT, shaT time.Duration
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if out, err := exec.Command(tool, path).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		t1 := time.Now()
		p := testutil.PeakHeap(func() { verifyPassedFile(b, pv, path, size) })
		t2 := time.Now()
		peak = max(peak, p)
		shaT += t1.Sub(t0)
		verT += t2.Sub(t1)
	}
	b.ReportMetric(float64(shaT.Milliseconds())/float64(b.N), "sha256sum-ms/op")
	b.ReportMetric(float64(verT.Milliseconds())/float64(b.N), "verify-ms/op")
	b.ReportMetric(float64(verT)/float64(shaT), "verify/sha256sum")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

var smallPDF struct {
	once sync.Once
	doc  []byte
	opts Options
	err  error
}

// BenchmarkVerifyPDFSmall verifies a small one-signature PDF offline
// (revocation data passed in the options, as in the 100 MB benchmark):
// ns/op, bytes and allocations per verification.
func BenchmarkVerifyPDFSmall(b *testing.B) {
	smallPDF.once.Do(func() {
		p, err := pkitest.Start()
		if err != nil {
			smallPDF.err = err
			return
		}
		id := p.MustIssue()
		doc := minimalPDF("Small")
		var out bytes.Buffer
		if smallPDF.err = pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(), &pdf.Options{Field: "S"}); smallPDF.err != nil {
			return
		}
		smallPDF.doc = out.Bytes()
		smallPDF.opts, smallPDF.err = benchOptions(p)
		smallPDF.opts.Revocation = RevocationOffline
	})
	if smallPDF.err != nil {
		b.Fatal(smallPDF.err)
	}
	v, err := New(smallPDF.opts)
	if err != nil {
		b.Fatal(err)
	}
	pv := NewPDFVerifier(v)
	doc := smallPDF.doc
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := pv.Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			b.Fatal(err)
		}
		if rep.Indication() != TotalPassed {
			b.Fatalf("%s", rep.Text(English))
		}
	}
}
