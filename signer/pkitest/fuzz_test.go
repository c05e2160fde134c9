package pkitest

import (
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"testing"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// FuzzRespondOCSP: any request bytes get a well-formed OCSP response (an
// error status or a signed answer), never a panic or a Go error.
func FuzzRespondOCSP(f *testing.F) {
	p, err := Start()
	if err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	id := p.MustIssue()
	req, err := ocsp.CreateRequest(id.Cert, p.CA.Cert, nil)
	if err != nil {
		f.Fatal(err)
	}
	req256, _ := ocsp.CreateRequest(p.CA.Cert, p.Root.Cert, &ocsp.RequestOptions{Hash: crypto.SHA256})
	f.Add(req)
	f.Add(req256)
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		resp, err := p.respondOCSP(der, OCSPNormal)
		if err != nil {
			t.Fatalf("respondOCSP: %v", err)
		}
		var r ocspResponse
		if _, err := asn1.Unmarshal(resp, &r); err != nil {
			t.Fatalf("response does not parse: %v", err)
		}
		if r.Status == 0 {
			if _, err := ocsp.ParseResponse(resp, nil); err != nil {
				t.Fatalf("successful response does not parse: %v", err)
			}
		}
	})
}

// FuzzRespondTSA: any request bytes get a TimeStampResp, granted or
// rejected, never a panic or a Go error.
func FuzzRespondTSA(f *testing.F) {
	p, err := Start()
	if err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	sum := sha256.Sum256([]byte("x"))
	for _, nonce := range []bool{false, true} {
		r := timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Certificates: nonce}
		if nonce {
			r.Nonce = bigOne()
		}
		der, err := r.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		resp, err := p.respondTSA(der, TSANormal)
		if err != nil {
			t.Fatalf("respondTSA: %v", err)
		}
		var r timeStampResp
		if _, err := asn1.Unmarshal(resp, &r); err != nil {
			t.Fatalf("response does not parse: %v", err)
		}
		if r.Status.Status == 0 {
			if _, err := timestamp.ParseResponse(resp); err != nil {
				t.Fatalf("granted response does not parse: %v", err)
			}
		}
	})
}
