// Command twophase shows two-phase signing, the flow of the browser plugins
// that Vietnamese web portals use with USB tokens: the server lays out the
// document and computes the digest, the key holder's machine signs only
// that digest, and the server finishes the document later.
//
//	go run ./examples/twophase [-out DIR]
//
// The three steps share nothing but files, as they would across machines:
//
//		server/   the server's side: the user's certificate chain (no key), the
//		          documents and the prepared states (pdf.Prepared and
//		          xml.Prepared, serialised with MarshalBinary)
//		wire/     the messages: request.json (digests to sign, with the hash
//		          and padding to use) and response.json (the raw signatures)
//		client/   the user's side: the PKCS#12 key file (standing in for the
//		          token behind the browser plugin)
//
//	 1. prepare (server): pdf.Prepare for testdata/sample.pdf (PAdES B-T) and
//	    xml.Prepare for testdata/invoice.xml (seller profile); write the
//	    states and request.json;
//	 2. sign (client): load the key, check that the request is for its
//	    certificate, sign each digest, write response.json;
//	 3. finish (server): restore the states, Finish with the signatures (the
//	    PDF gets its TSA time-stamp now), verify the results.
//
// A throwaway test PKI provides the certificate and the TSA.
package main

import (
	"github.com/kyso-vn/kyso/internal/certparse"

	"context"
	"crypto"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
	"github.com/kyso-vn/kyso/xml"
)

func main() {
	out := flag.String("out", "", "working directory (default: a new temporary directory)")
	flag.Parse()
	dir := *out
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "kyso-twophase-"); err != nil {
			fmt.Fprintln(os.Stderr, "twophase:", err)
			os.Exit(1)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := run(ctx, os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, "twophase:", err)
		os.Exit(1)
	}
}

// Request is what the server sends to the key holder.
type Request struct {
	// Certificate is the DER certificate the signatures must be made with
	// (chosen by the user in an earlier step of the plugin protocol).
	Certificate []byte `json:"certificate"`
	Items       []Item `json:"items"`
}

// Item is one digest to sign.
type Item struct {
	Name   string `json:"name"`
	Digest []byte `json:"digest"`
	// Hash is the hash Digest was computed with ("SHA-256", …); PSS asks
	// for RSASSA-PSS instead of PKCS#1 v1.5.
	Hash string `json:"hash"`
	PSS  bool   `json:"pss,omitempty"`
}

// Response carries the raw signatures back, in request order.
type Response struct {
	Signatures [][]byte `json:"signatures"`
}

const password = "123456" // the demo PKCS#12 password (a token PIN in real life)

type result struct {
	PDF, Invoice *verify.Report
	Dir          string
}

var errNotPassed = errors.New("not every signature verified as TOTAL_PASSED")

func run(ctx context.Context, w io.Writer, dir string) (*result, error) {
	pki, err := pkitest.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the test PKI: %w", err)
	}
	defer pki.Close()
	id, err := pki.Issue(pkitest.Person("Phạm Minh Châu", "079195004567"))
	if err != nil {
		return nil, err
	}

	// Set the stage: the server knows the certificate, the client holds the key.
	server, wire, client := filepath.Join(dir, "server"), filepath.Join(dir, "wire"), filepath.Join(dir, "client")
	for _, d := range []string{server, wire, client} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	p12, err := id.PKCS12(password)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(client, "user.p12"), p12, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(server, "user-chain.pem"), id.ChainPEM(), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "Working directory: %s\n\n", dir)

	if err := prepare(ctx, w, server, wire, pki.TSAURL()); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if err := sign(ctx, w, client, wire); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := finish(ctx, w, server, wire, pki.HTTPClient()); err != nil {
		return nil, fmt.Errorf("finish: %w", err)
	}

	// Verify what the server produced.
	trust := verify.NewTrustStore()
	trust.AddCertificate(pki.Root.Cert, "test root")
	v, err := verify.New(verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: pki.HTTPClient()})
	if err != nil {
		return nil, err
	}
	var mux verify.Mux
	mux.Handle("PDF", verify.IsPDF, verify.NewPDFVerifier(v))
	mux.Handle("XML", verify.IsXML, verify.NewXMLVerifier(v))
	res := &result{Dir: dir}
	fmt.Fprintln(w, "4. Kiểm tra:")
	for _, f := range []struct {
		name string
		rep  **verify.Report
	}{{"sample-signed.pdf", &res.PDF}, {"invoice-signed.xml", &res.Invoice}} {
		data, err := os.ReadFile(filepath.Join(server, f.name))
		if err != nil {
			return nil, err
		}
		if *f.rep, err = verify.VerifyBytes(ctx, &mux, data); err != nil {
			return nil, fmt.Errorf("verifying %s: %w", f.name, err)
		}
		for _, s := range (*f.rep).Signatures {
			fmt.Fprintf(w, "   %s: %s — %s\n", f.name, s.Indication, verify.Describe(verify.Vietnamese, s.Indication, s.SubIndication))
		}
	}
	if res.PDF.Indication() != verify.TotalPassed || res.Invoice.Indication() != verify.TotalPassed {
		return res, errNotPassed
	}
	return res, nil
}

// prepare is the server's first step: lay out both signatures for the
// user's certificate and ask for the digests to be signed.
func prepare(ctx context.Context, w io.Writer, server, wire, tsaURL string) error {
	chainPEM, err := os.ReadFile(filepath.Join(server, "user-chain.pem"))
	if err != nil {
		return err
	}
	certs, err := signer.ParseCertificates(chainPEM)
	if err != nil {
		return err
	}
	cert, chain := certs[0], certs[1:]

	src, err := sample.Path(sample.PDF)
	if err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pp, err := pdf.Prepare(ctx, f, st.Size(), cert, chain, &pdf.Options{
		Reason:       "Ký số qua plugin trình duyệt",
		TimestampURL: tsaURL, // the time-stamp is fetched in Finish
	})
	if err != nil {
		return err
	}
	invoice, err := sample.Read(sample.Invoice)
	if err != nil {
		return err
	}
	opts := xml.Seller()
	opts.IncludeChain = true
	xp, err := xml.Prepare(ctx, invoice, cert, chain, opts)
	if err != nil {
		return err
	}

	for name, m := range map[string]interface{ MarshalBinary() ([]byte, error) }{"pdf.state": pp, "xml.state": xp} {
		b, err := m.MarshalBinary()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(server, name), b, 0o600); err != nil {
			return err
		}
	}
	req := Request{Certificate: cert.Raw, Items: []Item{
		item(sample.PDF, pp.Digest(), pp.SignerOpts()),
		item(sample.Invoice, xp.Digest(), xp.SignerOpts()),
	}}
	if err := writeJSON(filepath.Join(wire, "request.json"), req); err != nil {
		return err
	}
	fmt.Fprintf(w, "1. Máy chủ chuẩn bị: %s (%s), %s (%s); trạng thái lưu trong server/*.state\n",
		sample.PDF, pp.SignerOpts().HashFunc(), sample.Invoice, xp.SignerOpts().HashFunc())
	fmt.Fprintf(w, "   → wire/request.json: %d giá trị băm cần ký\n", len(req.Items))
	return nil
}

func item(name string, digest []byte, opts crypto.SignerOpts) Item {
	_, pss := opts.(*rsa.PSSOptions)
	return Item{Name: name, Digest: digest, Hash: opts.HashFunc().String(), PSS: pss}
}

// sign is the key holder's step: it sees only digests.
func sign(ctx context.Context, w io.Writer, client, wire string) error {
	s, err := signer.LoadPKCS12File(filepath.Join(client, "user.p12"), password)
	if err != nil {
		return err
	}
	var req Request
	if err := readJSON(filepath.Join(wire, "request.json"), &req); err != nil {
		return err
	}
	cert, err := certparse.Parse(req.Certificate)
	if err != nil {
		return fmt.Errorf("request certificate: %w", err)
	}
	if !cert.Equal(s.Certificate()) {
		return errors.New("the request is for another certificate than the one on this token")
	}
	var resp Response
	for _, it := range req.Items {
		h, err := parseHash(it.Hash)
		if err != nil {
			return fmt.Errorf("%s: %w", it.Name, err)
		}
		if len(it.Digest) != h.Size() {
			return fmt.Errorf("%s: digest of %d bytes for %s", it.Name, len(it.Digest), h)
		}
		var opts crypto.SignerOpts = h
		if it.PSS {
			opts = &rsa.PSSOptions{Hash: h, SaltLength: rsa.PSSSaltLengthEqualsHash}
		}
		sig, err := s.SignDigest(ctx, it.Digest, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", it.Name, err)
		}
		resp.Signatures = append(resp.Signatures, sig)
	}
	if err := writeJSON(filepath.Join(wire, "response.json"), resp); err != nil {
		return err
	}
	fmt.Fprintf(w, "2. Máy người dùng ký %d giá trị băm bằng khóa của %s → wire/response.json\n", len(resp.Signatures), cert.Subject.CommonName)
	return nil
}

func parseHash(name string) (crypto.Hash, error) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		if h.String() == name {
			return h, nil
		}
	}
	return 0, fmt.Errorf("hash %q is not accepted", name)
}

// finish is the server's last step: restore the states and complete both
// documents with the signatures.
func finish(ctx context.Context, w io.Writer, server, wire string, client *http.Client) error {
	var resp Response
	if err := readJSON(filepath.Join(wire, "response.json"), &resp); err != nil {
		return err
	}
	if len(resp.Signatures) != 2 {
		return fmt.Errorf("response holds %d signatures, want 2", len(resp.Signatures))
	}

	var pp pdf.Prepared
	if err := unmarshalFile(filepath.Join(server, "pdf.state"), &pp); err != nil {
		return err
	}
	pp.HTTPClient = client // for the TSA
	src, err := sample.Path(sample.PDF)
	if err != nil {
		return err
	}
	if err := pp.FinishFile(ctx, filepath.Join(server, "sample-signed.pdf"), src, resp.Signatures[0]); err != nil {
		return fmt.Errorf("%s: %w", sample.PDF, err)
	}

	var xp xml.Prepared
	if err := unmarshalFile(filepath.Join(server, "xml.state"), &xp); err != nil {
		return err
	}
	signed, err := xp.Finish(ctx, resp.Signatures[1])
	if err != nil {
		return fmt.Errorf("%s: %w", sample.Invoice, err)
	}
	if err := os.WriteFile(filepath.Join(server, "invoice-signed.xml"), signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintln(w, "3. Máy chủ hoàn tất: server/sample-signed.pdf (PAdES B-T), server/invoice-signed.xml")
	return nil
}

func unmarshalFile(path string, into interface{ UnmarshalBinary([]byte) error }) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return into.UnmarshalBinary(b)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}
