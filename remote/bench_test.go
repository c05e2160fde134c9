package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// BenchmarkBatch100PDFs compares signing 100 small PDFs with a software
// key (pdf.Sign per document) against one remote batch through the CSC
// and sp769 simulators on loopback (prepare 100, one authorize + one
// signHash / one sign, finish 100), with the same RSA-2048 key and no
// confirmation delay: the difference is the remote protocol's overhead
// (HTTP, JSON, checking each returned signature). Compare ns/op of the
// sub-benchmarks; the target is remote ≤ 1.5× software plus the
// confirmation delay (zero here).
func BenchmarkBatch100PDFs(b *testing.B) {
	const n = 100
	p := pkitest.New(b)
	id := p.MustIssue(pkitest.RSAKey(2048), pkitest.Person("Nguyễn Văn An", "001085012345"))
	srv := remotetest.New(b, remotetest.Config{})
	if err := srv.AddUser(remotetest.User{ID: "u", Password: "pw", Credentials: []remotetest.Credential{{Key: id.Signer(), PIN: "1234"}}}); err != nil {
		b.Fatal(err)
	}
	docs := make([][]byte, n)
	for i := range docs {
		docs[i] = testutil.MinimalPDF(fmt.Sprintf("Van ban so %d", i))
	}
	ctx := context.Background()

	b.Run("software", func(b *testing.B) {
		s := id.Signer()
		for b.Loop() {
			for _, d := range docs {
				if err := pdf.Sign(ctx, io.Discard, bytes.NewReader(d), int64(len(d)), s, &pdf.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	batch := func(b *testing.B, s remote.BatchSigner) {
		for b.Loop() {
			prep := make([]remote.Prepared, n)
			for i, d := range docs {
				pp, err := pdf.Prepare(ctx, bytes.NewReader(d), int64(len(d)), s.Certificate(), s.Chain(), &pdf.Options{})
				if err != nil {
					b.Fatal(err)
				}
				prep[i] = pp
			}
			sigs, err := remote.SignPrepared(ctx, s, prep)
			if err != nil {
				b.Fatal(err)
			}
			for i, d := range docs {
				if err := prep[i].(*pdf.Prepared).Finish(ctx, io.Discard, bytes.NewReader(d), int64(len(d)), sigs[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("software-twophase", func(b *testing.B) { batch(b, remote.Sequential(id.Signer())) })
	b.Run("remote-csc", func(b *testing.B) {
		c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.CSCURL(), Username: "u", Password: "pw"})
		if err != nil {
			b.Fatal(err)
		}
		s, err := c.Signer(ctx, "", remote.Authorization{PIN: "1234"})
		if err != nil {
			b.Fatal(err)
		}
		batch(b, s)
	})
	b.Run("remote-sp769", func(b *testing.B) {
		c, err := remote.NewSP769Client(remote.SP769Config{BaseURL: srv.SP769URL(), SPID: srv.SPID(), SPPassword: srv.SPPassword()})
		if err != nil {
			b.Fatal(err)
		}
		s, err := c.Signer(ctx, "u", "")
		if err != nil {
			b.Fatal(err)
		}
		batch(b, s)
	})
}
