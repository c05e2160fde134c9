package signer_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-vn/kyso/signer"
)

// fuzzSeeds adds every fixture whose name ends with one of exts, with the
// password it was made with.
func fuzzSeeds(f *testing.F, exts ...string) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, ext := range exts {
			if !strings.HasSuffix(e.Name(), ext) {
				continue
			}
			data, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			pw := fixturePassword
			switch {
			case strings.HasPrefix(e.Name(), "rfc9579"):
				pw = "1234"
			case strings.Contains(e.Name(), "utf8pass"):
				pw = "Mật khẩu-123"
			}
			f.Add(data, pw)
		}
	}
}

// checkLoaded asserts the invariant every successful load must keep: the
// Signer signs, and the signature verifies under its certificate.
func checkLoaded(t *testing.T, s signer.Signer, err error) {
	if err != nil {
		if s != nil {
			t.Fatalf("error %v with a non-nil Signer", err)
		}
		return
	}
	d := sha256.Sum256([]byte("fuzz"))
	sig, err := s.SignDigest(context.Background(), d[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("loaded Signer cannot sign: %v", err)
	}
	if err := signer.CheckSignature(s.Certificate().PublicKey, d[:], crypto.SHA256, sig); err != nil {
		t.Fatalf("loaded Signer's signature does not verify: %v", err)
	}
}

func FuzzLoadPKCS12(f *testing.F) {
	fuzzSeeds(f, ".p12")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		s, err := signer.LoadPKCS12(data, password)
		checkLoaded(t, s, err)
	})
}

func FuzzLoadPEM(f *testing.F) {
	fuzzSeeds(f, ".pem", ".der", ".crt", ".p7b")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		s, err := signer.LoadPEM(data, password)
		checkLoaded(t, s, err)

		k, err := signer.ParsePrivateKey(data, password)
		if (k == nil) != (err != nil) {
			t.Fatalf("ParsePrivateKey: key %v with error %v", k != nil, err)
		}
		certs, err := signer.ParseCertificates(data)
		if (len(certs) == 0) != (err != nil) {
			t.Fatalf("ParseCertificates: %d certificates with error %v", len(certs), err)
		}
		if k != nil && len(certs) > 0 {
			s, err := signer.LoadKeyPair(data, data, password)
			checkLoaded(t, s, err)
		}
	})
}

func FuzzDisplayRawName(f *testing.F) {
	for _, name := range []string{"rsa.crt", "ec.crt", "ca-sub.pem"} {
		certs, err := signer.ParseCertificates(mustRead(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(certs[0].RawSubject)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		if _, err := signer.DisplayRawName(der); err != nil {
			return
		}
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(der, &seq); err != nil {
			t.Fatalf("DisplayRawName accepted what asn1 rejects: %v", err)
		}
		var name pkix.Name
		name.FillFromRDNSequence(&seq)
		id := signer.ParseIdentity(name)
		for _, x := range id.IDs {
			if x.Raw == "" && x.Value != "" {
				t.Fatalf("identifier %+v lost its raw value", x)
			}
		}
		_ = signer.DisplayName(name)
	})
}

func mustRead(f *testing.F, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return data
}
