package verify

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// Errors of the trust-anchor loaders.
var (
	// ErrFingerprintMismatch: a certificate offered for a named or pinned
	// anchor does not have the expected SHA-256 fingerprint.
	ErrFingerprintMismatch = errors.New("verify: certificate fingerprint does not match the anchor")
	// ErrUnknownAnchor: no built-in anchor has that name.
	ErrUnknownAnchor = errors.New("verify: unknown anchor name")
	// ErrAnchorUnverified: the built-in anchor's full fingerprint is not
	// known, so a certificate cannot be accepted for it by name alone.
	ErrAnchorUnverified = errors.New("verify: anchor fingerprint not fully known")
	// ErrRegimeMismatch: AddFor was given a built-in anchor of the other
	// legal regime.
	ErrRegimeMismatch = errors.New("verify: anchor belongs to the other regime")
)

// Anchor is a trusted root (or other trust point) in a TrustStore.
type Anchor struct {
	Cert *x509.Certificate
	// SHA256 is the certificate's SHA-256 fingerprint, lowercase hex.
	SHA256 string
	// Source says where the certificate came from (a file name, "pinned",
	// "known:<name>").
	Source string
	// Known is the built-in anchor this certificate was accepted for, or
	// whose partial fingerprint it matches; nil for other anchors.
	Known *KnownAnchor
	// Regime is the legal regime of the anchor: the built-in anchor's,
	// or the one given to AddFor; empty when unknown.
	Regime Regime
}

// Name returns the anchor's display name: the built-in name when known,
// else the certificate's subject common name (or full subject).
func (a *Anchor) Name() string {
	if a.Known != nil {
		return a.Known.Name
	}
	return displayName(a.Cert)
}

// TrustStore is a set of trust anchors. Nothing is trusted by default and
// system roots are never consulted: a store starts empty and holds exactly
// what the caller adds. It is safe for concurrent use.
type TrustStore struct {
	mu      sync.RWMutex
	anchors []*Anchor
	byFP    map[string]*Anchor
}

// NewTrustStore returns an empty store.
func NewTrustStore() *TrustStore {
	return &TrustStore{byFP: map[string]*Anchor{}}
}

// Fingerprint returns the SHA-256 fingerprint of c as lowercase hex.
func Fingerprint(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

// AddCertificate trusts c. source is recorded in reports. Adding the same
// certificate twice keeps the first entry.
func (s *TrustStore) AddCertificate(c *x509.Certificate, source string) *Anchor {
	c = certparse.Handle(c)
	raw := sha256.Sum256(c.Raw)
	fp := hex.EncodeToString(raw[:]) // Fingerprint(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.byFP[fp]; ok {
		return a
	}
	a := &Anchor{Cert: c, SHA256: fp, Source: source}
	if k := knownAnchorOf(raw); k != nil {
		a.Known, a.Regime = k, k.Regime
	}
	s.anchors = append(s.anchors, a)
	s.byFP[fp] = a
	return a
}

// Add trusts every certificate in data (PEM, DER or a .p7b bundle; see
// ParseCertificates) and returns how many were added.
func (s *TrustStore) Add(data []byte, source string) (int, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return 0, fmt.Errorf("verify: trust anchors from %s: %w", source, err)
	}
	for _, c := range certs {
		s.AddCertificate(c, source)
	}
	return len(certs), nil
}

// AddFor trusts every certificate in data, as anchors of regime r: public
// (NEAC) and public-duty (Government CA) anchors are then reported apart
// (AnchorInfo.Regime). A certificate that is a built-in anchor of the
// other regime is refused with ErrRegimeMismatch, and nothing is added.
func (s *TrustStore) AddFor(r Regime, data []byte, source string) (int, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return 0, fmt.Errorf("verify: trust anchors from %s: %w", source, err)
	}
	for _, c := range certs {
		if k := knownAnchorOf(sha256.Sum256(c.Raw)); k != nil && k.Regime != r {
			return 0, fmt.Errorf("%w: %q is a %s anchor, not %s", ErrRegimeMismatch, k.Name, k.Regime, r)
		}
	}
	for _, c := range certs {
		a := s.AddCertificate(c, source)
		s.mu.Lock()
		if a.Regime == "" {
			a.Regime = r
		}
		s.mu.Unlock()
	}
	return len(certs), nil
}

// AddFile trusts every certificate in the named file.
func (s *TrustStore) AddFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("verify: reading trust anchors: %w", err)
	}
	return s.Add(data, filepath.Base(path))
}

// bundleExtensions are the file name endings AddDir reads.
var bundleExtensions = []string{".pem", ".crt", ".cer", ".der", ".p7b", ".p7c"}

// AddDir trusts every certificate in the files of dir whose names end in
// .pem, .crt, .cer, .der, .p7b or .p7c (not recursively). A malformed file
// fails the whole call, naming the file, so a broken bundle is never
// half-loaded silently.
func (s *TrustStore) AddDir(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("verify: reading trust directory: %w", err)
	}
	type parsed struct {
		name  string
		certs []*x509.Certificate
	}
	var all []parsed
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ext := strings.ToLower(filepath.Ext(e.Name()))
		ok := false
		for _, x := range bundleExtensions {
			ok = ok || ext == x
		}
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, fmt.Errorf("verify: reading trust anchors: %w", err)
		}
		certs, err := ParseCertificates(data)
		if err != nil {
			return 0, fmt.Errorf("verify: trust anchors from %s: %w", e.Name(), err)
		}
		all = append(all, parsed{e.Name(), certs})
	}
	n := 0
	for _, p := range all {
		for _, c := range p.certs {
			s.AddCertificate(c, p.name)
			n++
		}
	}
	return n, nil
}

// AddKnown trusts the certificate in data that is the built-in anchor
// called name (see KnownAnchors), identified by its full SHA-256
// fingerprint. data may be a certificate or a bundle (the NEAC .p7b files
// hold several). It fails with ErrUnknownAnchor for an unknown name, with
// ErrAnchorUnverified when kyso knows only part of that anchor's
// fingerprint (use AddPinned after checking the full value with the
// publisher), and with ErrFingerprintMismatch when no certificate matches.
func (s *TrustStore) AddKnown(name string, data []byte) (*Anchor, error) {
	k := LookupKnownAnchor(name)
	if k == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAnchor, name)
	}
	if k.SHA256 == "" {
		return nil, fmt.Errorf("%w: %q (check the certificate with its publisher and use AddPinned)", ErrAnchorUnverified, name)
	}
	return s.AddPinned(data, k.SHA256)
}

// AddPinned trusts the certificate in data whose SHA-256 fingerprint is
// sha256Hex (hex, case and colons ignored). Other certificates in data are
// ignored. It fails with ErrFingerprintMismatch when none matches.
func (s *TrustStore) AddPinned(data []byte, sha256Hex string) (*Anchor, error) {
	want := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(sha256Hex))
	if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("verify: pinned fingerprint %q is not 64 hex digits", sha256Hex)
	}
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("verify: pinned anchor: %w", err)
	}
	for _, c := range certs {
		if Fingerprint(c) == want {
			return s.AddCertificate(c, "pinned"), nil
		}
	}
	return nil, fmt.Errorf("%w: none of %d certificates has SHA-256 %s", ErrFingerprintMismatch, len(certs), want)
}

// Anchors returns the trusted anchors, sorted by name.
func (s *TrustStore) Anchors() []*Anchor {
	s.mu.RLock()
	out := append([]*Anchor(nil), s.anchors...)
	s.mu.RUnlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Len returns the number of anchors.
func (s *TrustStore) Len() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.anchors)
}

// lookup returns the anchor whose certificate is c, or nil.
func (s *TrustStore) lookup(c *x509.Certificate) *Anchor {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byFP[Fingerprint(c)]
}

// pool returns a fresh pool of the anchors; always non-nil, so crypto/x509
// never falls back to system roots.
func (s *TrustStore) pool() *x509.CertPool {
	p := x509.NewCertPool()
	if s == nil {
		return p
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, a := range s.anchors {
		p.AddCert(a.Cert)
	}
	return p
}

// certs returns the anchor certificates.
func (s *TrustStore) certs() []*x509.Certificate {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*x509.Certificate, len(s.anchors))
	for i, a := range s.anchors {
		out[i] = a.Cert
	}
	return out
}
