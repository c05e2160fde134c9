package cades_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/kyso-vn/kyso/cades"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// check verifies p7s over content against the test PKI's root, with
// online revocation checking, and prints each signature's verdict.
func check(pki *pkitest.PKI, p7s []byte, content []byte) {
	ts := verify.NewTrustStore()
	ts.AddCertificate(pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: ts, Revocation: verify.RevocationOnline, HTTPClient: pki.HTTPClient()})
	if err != nil {
		log.Fatal(err)
	}
	var r io.Reader // nil for an enveloping .p7m
	if content != nil {
		r = bytes.NewReader(content)
	}
	rep, err := v.VerifyDetached(context.Background(), p7s, r)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range rep.Signatures {
		fmt.Println(s.ID+":", s.Signer.Name, s.Indication)
	}
}

// Sign a file of any type into a detached .p7s, time-stamped (B-T). The
// content is read once, whatever its size.
func ExampleSign() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	s := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()

	attachment := []byte("bản scan giấy tờ đính kèm hồ sơ")
	p7s, err := cades.Sign(context.Background(), bytes.NewReader(attachment), s, &cades.Options{
		Level:        cades.LevelBT,
		TimestampURL: pki.TSAURL(),
		HTTPClient:   pki.HTTPClient(),
	})
	if err != nil {
		log.Fatal(err)
	}
	check(pki, p7s, attachment)
	// Output:
	// SignerInfo 1: Nguyễn Văn An TOTAL_PASSED
}

// Two-phase signing: fix the signed attributes, have the digest signed
// elsewhere (a SIM, a token in the user's browser), finish later — even in
// another process, from the serialised state.
func ExamplePrepare() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	s := pki.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346")).Signer()
	attachment := []byte("bảng tính dự toán")

	p, err := cades.Prepare(context.Background(), bytes.NewReader(attachment), s.Certificate(), s.Chain(), nil)
	if err != nil {
		log.Fatal(err)
	}
	state, err := p.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	sig, err := s.SignDigest(context.Background(), p.Digest(), p.SignerOpts()) // elsewhere
	if err != nil {
		log.Fatal(err)
	}

	var later cades.Prepared
	if err := later.UnmarshalBinary(state); err != nil {
		log.Fatal(err)
	}
	p7s, err := later.Finish(context.Background(), sig)
	if err != nil {
		log.Fatal(err)
	}
	check(pki, p7s, attachment)
	// Output:
	// SignerInfo 1: Trần Thị Bình TOTAL_PASSED
}

// Augment an existing .p7s to B-LT: a time-stamp, then the certificates and
// OCSP/CRL answers that let it be verified offline for years.
func ExampleAugment() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	s := pki.MustIssue(pkitest.Person("Lê Văn Cường", "001190012347")).Signer()
	attachment := []byte("bản vẽ thiết kế")
	bb, err := cades.Sign(context.Background(), bytes.NewReader(attachment), s, nil)
	if err != nil {
		log.Fatal(err)
	}
	blt, err := cades.Augment(context.Background(), bb, &cades.Options{Level: cades.LevelBLT, TimestampURL: pki.TSAURL(), HTTPClient: pki.HTTPClient()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("grew:", len(blt) > len(bb))
	check(pki, blt, attachment)
	// Output:
	// grew: true
	// SignerInfo 1: Lê Văn Cường TOTAL_PASSED
}

// A second official signs the same attachment (a parallel signer), and a
// reviewer countersigns the first signature.
func ExampleAddSigner() {
	pki, err := pkitest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer pki.Close()
	first := pki.MustIssue(pkitest.Person("Nguyễn Văn An", "001190012345")).Signer()
	second := pki.MustIssue(pkitest.Person("Trần Thị Bình", "001190012346")).Signer()
	reviewer := pki.MustIssue(pkitest.Person("Phạm Minh Đức", "001190012349")).Signer()
	attachment := []byte("biên bản nghiệm thu")
	ctx := context.Background()

	p7s, err := cades.Sign(ctx, bytes.NewReader(attachment), first, nil)
	if err != nil {
		log.Fatal(err)
	}
	p7s, err = cades.AddSigner(ctx, p7s, bytes.NewReader(attachment), second, nil)
	if err != nil {
		log.Fatal(err)
	}
	// The wrong file is refused before anything is signed.
	_, err = cades.AddSigner(ctx, p7s, strings.NewReader("tệp khác"), second, nil)
	fmt.Println("wrong content refused:", err != nil)

	p7s, err = cades.CounterSign(ctx, p7s, 0, reviewer, nil)
	if err != nil {
		log.Fatal(err)
	}
	ts := verify.NewTrustStore()
	ts.AddCertificate(pki.Root.Cert, "test root")
	v, _ := verify.New(verify.Options{Trust: ts, Revocation: verify.RevocationOnline, HTTPClient: pki.HTTPClient()})
	r, err := v.VerifyDetached(ctx, p7s, bytes.NewReader(attachment))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signatures:", len(r.Signatures), r.Indication())
	// Output:
	// wrong content refused: true
	// signatures: 3 TOTAL_PASSED
}
