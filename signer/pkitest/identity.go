package pkitest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kyso-vn/kyso/signer"
	"software.sslmate.com/src/go-pkcs12"
)

// Identity is an end-entity certificate with its private key.
type Identity struct {
	// Cert is the end-entity certificate.
	Cert *x509.Certificate
	// Key is the private key; nil when the certificate was issued for an
	// external key with [PublicKey].
	Key crypto.Signer
	// Chain holds the issuing CAs, nearest first, without the root (which
	// is [PKI.Root]); empty for a certificate issued by the root itself.
	Chain []*x509.Certificate

	root *x509.Certificate
}

// Signer returns the identity as a signer.Signer. Unlike signer.New it
// accepts every key this package makes, including the RSA-1024 key of a
// [Weak] identity, so tests can produce signatures that verifiers must
// reject. SignDigest fails with signer.ErrNoKey for an identity without Key.
func (id *Identity) Signer() signer.Signer { return &identitySigner{id: id} }

type identitySigner struct{ id *Identity }

func (s *identitySigner) Certificate() *x509.Certificate { return s.id.Cert }
func (s *identitySigner) Chain() []*x509.Certificate {
	return append([]*x509.Certificate(nil), s.id.Chain...)
}

func (s *identitySigner) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pkitest: %w", err)
	}
	if s.id.Key == nil {
		return nil, fmt.Errorf("pkitest: identity %q: %w", s.id.Cert.Subject.CommonName, signer.ErrNoKey)
	}
	if opts == nil || opts.HashFunc() == 0 || opts.HashFunc().Size() != len(digest) {
		return nil, fmt.Errorf("pkitest: digest of %d bytes does not match the hash in opts: %w", len(digest), signer.ErrUnsupportedAlgorithm)
	}
	sig, err := s.id.Key.Sign(rand.Reader, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("pkitest: signing with %q: %w", s.id.Cert.Subject.CommonName, err)
	}
	return sig, nil
}

// PKCS12 encodes the key, certificate and full chain (root included) as a
// modern PKCS#12 file (AES-256-CBC, PBKDF2, SHA-256 MAC: go-pkcs12's
// Modern2023, which OpenSSL 3 reads).
func (id *Identity) PKCS12(password string) ([]byte, error) {
	return id.PKCS12With(pkcs12.Modern2023, password)
}

// PKCS12Legacy encodes the identity the way Windows and older Vietnamese CA
// tools export it: 3DES (PBE-SHA1-3DES) for key and certificates, SHA-1 MAC.
func (id *Identity) PKCS12Legacy(password string) ([]byte, error) {
	return id.PKCS12With(pkcs12.LegacyDES, password)
}

// PKCS12With encodes the identity with any go-pkcs12 encoder (e.g.
// pkcs12.LegacyRC2 for RC2-40 certificate bags).
func (id *Identity) PKCS12With(enc *pkcs12.Encoder, password string) ([]byte, error) {
	if id.Key == nil {
		return nil, fmt.Errorf("pkitest: PKCS#12 for %q: %w", id.Cert.Subject.CommonName, signer.ErrNoKey)
	}
	chain := append([]*x509.Certificate(nil), id.Chain...)
	if id.root != nil {
		chain = append(chain, id.root)
	}
	der, err := enc.Encode(id.Key, id.Cert, chain, password)
	if err != nil {
		return nil, fmt.Errorf("pkitest: encoding PKCS#12: %w", err)
	}
	return der, nil
}

// CertPEM returns the certificate in PEM.
func (id *Identity) CertPEM() []byte { return PEM(id.Cert) }

// ChainPEM returns the certificate followed by its chain (without the root)
// in PEM, as a signer or TLS server presents them.
func (id *Identity) ChainPEM() []byte {
	return PEM(append([]*x509.Certificate{id.Cert}, id.Chain...)...)
}

// KeyPEM returns the private key as unencrypted PKCS#8 PEM.
func (id *Identity) KeyPEM() ([]byte, error) {
	if id.Key == nil {
		return nil, fmt.Errorf("pkitest: key PEM for %q: %w", id.Cert.Subject.CommonName, signer.ErrNoKey)
	}
	der, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		return nil, fmt.Errorf("pkitest: encoding key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PEM encodes certificates as concatenated PEM blocks.
func PEM(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// Files written by [PKI.WriteDir].
const (
	FileRoot    = "root.pem"   // root CA certificate
	FileCA      = "ca.pem"     // issuing CA certificate
	FileChain   = "chain.pem"  // issuing CA then root: a CAfile for openssl
	FileTSA     = "tsa.pem"    // TSA certificate
	FileSigner  = "signer.p12" // signer identity, modern PKCS#12
	FileCert    = "signer.pem" // signer certificate and chain
	FileKey     = "signer.key" // signer private key, PKCS#8 PEM
	FileReadme  = "README.txt" // what the files are and the server URLs
	filePerm    = 0o644
	fileKeyPerm = 0o600
)

// WriteDir writes the PKI's public certificates and the identity id
// (typically from [PKI.Issue]) into dir, creating it: see [FileRoot] and
// the other File constants. The .p12 is protected by password; the key is
// also written unencrypted, as PKCS#8 PEM with mode 0600, for tools that
// want it bare (the keys of a test PKI are not secret). README.txt lists
// the files and the servers' URLs, which answer only while p runs.
func (p *PKI) WriteDir(dir string, id *Identity, password string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pkitest: %w", err)
	}
	p12, err := id.PKCS12(password)
	if err != nil {
		return err
	}
	key, err := id.KeyPEM()
	if err != nil {
		return err
	}
	readme := fmt.Sprintf("kyso test PKI %s (for tests only; the keys are not secret)\n\n"+
		"%s  root CA certificate\n%s    issuing CA certificate\n%s issuing CA + root (openssl -CAfile)\n"+
		"%s   TSA certificate\n%s signer PKCS#12 (AES-256, PBKDF2)\n%s signer certificate + chain\n%s signer private key (PKCS#8)\n\n"+
		"TSA:  %s\nOCSP: %s\nCRL:  %s\n(the servers run only while the process that made this PKI runs)\n",
		p.id, FileRoot, FileCA, FileChain, FileTSA, FileSigner, FileCert, FileKey, p.TSAURL(), p.OCSPURL(), p.CRLURL())
	files := []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{FileRoot, PEM(p.Root.Cert), filePerm},
		{FileCA, PEM(p.CA.Cert), filePerm},
		{FileChain, PEM(p.CA.Cert, p.Root.Cert), filePerm},
		{FileTSA, PEM(p.TSA.Cert), filePerm},
		{FileSigner, p12, fileKeyPerm},
		{FileCert, id.ChainPEM(), filePerm},
		{FileKey, key, fileKeyPerm},
		{FileReadme, []byte(readme), filePerm},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, f.perm); err != nil {
			return fmt.Errorf("pkitest: %w", err)
		}
	}
	return nil
}
