package pkitest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// ErrNotIssued is returned by [PKI.Revoke] and [PKI.OCSP] for a certificate
// that no CA of this PKI issued.
var ErrNotIssued = errors.New("pkitest: certificate was not issued by this PKI")

// DeterministicEpoch returns the fixed "now" of a deterministic PKI (see
// [Deterministic]) unless [WithClock] sets another clock: 2025-01-01
// 00:00 UTC.
func DeterministicEpoch() time.Time { return time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC) }

// PKI is a complete test PKI: a root CA, an issuing CA, a time-stamping
// authority and the CRL, OCSP and TSA servers that answer for them on
// loopback. All methods are safe for concurrent use.
type PKI struct {
	// Root is the self-signed root CA.
	Root *CA
	// CA is the issuing CA (issued by Root) that signs end-entity
	// certificates unless [IssuedBy] names another one.
	CA *CA
	// TSA is the time-stamping unit's identity: its certificate carries the
	// critical extended key usage id-kp-timeStamping only.
	TSA *Identity

	id     string // short hex tag placed in CA names, so PKIs never collide
	cfg    config
	det    *detSource // nil unless deterministic
	rsaOff map[int]int
	rsaIdx map[int]int

	mu       sync.Mutex
	clock    func() time.Time
	serial   uint64
	cas      []*CA
	caCount  int
	ocspMode OCSPMode
	tsaMode  TSAMode
	crlMode  CRLMode

	crlSrv, ocspSrv, tsaSrv *httptest.Server
	closeOnce               sync.Once
}

// CA is a certification authority of a [PKI]: its certificate and signing
// key, plus the state the CRL server and OCSP responder publish.
type CA struct {
	// Cert is the CA certificate.
	Cert *x509.Certificate
	// Key signs certificates and CRLs.
	Key crypto.Signer
	// Chain holds the CAs above this one, nearest first, root last. It is
	// empty for the root.
	Chain []*x509.Certificate

	name      string    // URL path segment: "root", "ca", "ca-2", …
	parent    *CA       // nil for the root
	responder *Identity // delegated OCSP responder for certificates this CA issued
	issued    map[string]*x509.Certificate
	revoked   map[string]revocation
	crlNumber int64
}

type revocation struct {
	at     time.Time
	reason int
}

// Option configures a PKI built by [New] or [Start].
type Option func(*config)

type config struct {
	clock    func() time.Time
	seed     *uint64
	caOpts   []CertOption
	tsaOpts  []CertOption
	ocspByCA bool
}

// WithClock makes the PKI read the time from now: default certificate
// validity, CRL and OCSP thisUpdate/producedAt and TSA genTime all follow it.
// [PKI.SetTime] replaces it later.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// Deterministic makes every key, serial number and time a function of seed
// and the order of calls, so that two PKIs built with the same seed and the
// same calls produce identical certificates, byte for byte:
//
//   - ECDSA keys are derived from seed; RSA keys are taken in order from the
//     keys embedded in this package (at most 4 RSA-1024, 16 RSA-2048,
//     8 RSA-3072 and 6 RSA-4096 keys per PKI).
//   - Serial numbers come from a counter; the clock is fixed at
//     [DeterministicEpoch] unless [WithClock] is given.
//   - Certificates and CRLs are signed deterministically: RSA PKCS#1 v1.5 is
//     deterministic by nature and ECDSA signs with RFC 6979 nonces.
//   - Certificates name the fixed hosts [DeterministicRepositoryHost] and
//     [DeterministicOCSPHost] in their CRL distribution point and AIA
//     instead of the servers' loopback ports; [PKI.HTTPClient] reaches the
//     servers through those names. TSAURL, OCSPURL and CRLURL still return
//     the loopback URLs.
//
// Not deterministic: RSA-PSS signatures (random salt), OCSP responses and
// time-stamp tokens (signed with random ECDSA nonces, and carrying request
// nonces), PKCS#12 files (random salts), and anything made from several
// goroutines at once (the order of calls decides keys and serials).
func Deterministic(seed uint64) Option {
	return func(c *config) { c.seed = &seed }
}

// CAOptions applies opts to the root and the issuing CA certificates, e.g.
// CAOptions(RSAKey(3072)) for an RSA hierarchy. Subject options replace the
// default CA names.
func CAOptions(opts ...CertOption) Option {
	return func(c *config) { c.caOpts = append(c.caOpts, opts...) }
}

// TSAOptions applies opts to the TSA certificate, e.g. TSAOptions(RSAKey(2048)).
func TSAOptions(opts ...CertOption) Option {
	return func(c *config) { c.tsaOpts = append(c.tsaOpts, opts...) }
}

// OCSPSignedByCA makes the OCSP responder sign with the CA key itself
// instead of a delegated responder certificate.
func OCSPSignedByCA() Option {
	return func(c *config) { c.ocspByCA = true }
}

// New builds a PKI for a test and starts its servers; they are closed by
// tb.Cleanup. It calls tb.Fatal when the PKI cannot be built.
func New(tb testing.TB, opts ...Option) *PKI {
	tb.Helper()
	p, err := Start(opts...)
	if err != nil {
		tb.Fatalf("pkitest: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// Start builds a PKI and starts its CRL, OCSP and TSA servers on 127.0.0.1.
// The caller must call [PKI.Close].
func Start(opts ...Option) (*PKI, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	p := &PKI{cfg: cfg, rsaOff: map[int]int{}, rsaIdx: map[int]int{}}
	p.clock = time.Now
	if cfg.seed != nil {
		p.det = newDetSource(*cfg.seed)
		p.clock = DeterministicEpoch
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], *cfg.seed)
		sum := sha256.Sum256(append([]byte("pkitest id"), b[:]...))
		p.id = hex.EncodeToString(sum[:4])
	} else {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("pkitest: %w", err)
		}
		p.id = hex.EncodeToString(b[:])
	}
	if cfg.clock != nil {
		p.clock = cfg.clock
	}
	p.startServers()
	if err := p.build(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *PKI) build() error {
	root, err := p.newCA(nil, "root", p.cfg.caOpts)
	if err != nil {
		return fmt.Errorf("pkitest: root CA: %w", err)
	}
	p.Root = root
	ca, err := p.newCA(root, "ca", p.cfg.caOpts)
	if err != nil {
		return fmt.Errorf("pkitest: issuing CA: %w", err)
	}
	p.CA = ca
	tsaOpts := append([]CertOption{tsaProfile(p.id)}, p.cfg.tsaOpts...)
	tsa, err := p.Issue(tsaOpts...)
	if err != nil {
		return fmt.Errorf("pkitest: TSA certificate: %w", err)
	}
	p.TSA = tsa
	return nil
}

// Close stops the servers. It is safe to call more than once.
func (p *PKI) Close() {
	p.closeOnce.Do(func() {
		for _, s := range []*httptest.Server{p.crlSrv, p.ocspSrv, p.tsaSrv} {
			if s != nil {
				s.Close()
			}
		}
	})
}

// Now returns the PKI's current time.
func (p *PKI) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.clock()
}

// SetTime fixes the PKI's clock at t (until the next SetTime), e.g. to sign
// at T0 and then check revocation data after the certificate has expired.
func (p *PKI) SetTime(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clock = func() time.Time { return t }
}

// Roots returns a pool holding the root certificate.
func (p *PKI) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root.Cert)
	return pool
}

// Intermediates returns a pool holding every CA certificate below the root
// (the issuing CA and any made by [PKI.NewCA]).
func (p *PKI) Intermediates() *x509.CertPool {
	pool := x509.NewCertPool()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ca := range p.cas {
		if ca.parent != nil {
			pool.AddCert(ca.Cert)
		}
	}
	return pool
}

// Host names placed in the certificates of a deterministic PKI instead of
// the servers' loopback addresses (which change from run to run); the
// client from [PKI.HTTPClient] resolves them to the servers.
const (
	DeterministicRepositoryHost = "repository.pkitest.invalid"
	DeterministicOCSPHost       = "ocsp.pkitest.invalid"
)

// CRLURL returns the URL of the issuing CA's CRL. Every CA has its own CRL,
// whose URL is in the CRL distribution point of the certificates it issues
// (see [PKI.CRLURLFor]).
func (p *PKI) CRLURL() string { return p.CRLURLFor(p.CA) }

// CRLURLFor returns the loopback URL of ca's CRL.
func (p *PKI) CRLURLFor(ca *CA) string { return p.crlSrv.URL + "/crl/" + ca.name + ".crl" }

// OCSPURL returns the OCSP responder's loopback URL. One responder answers
// for every CA of the PKI; it picks the CA from the request's issuer hashes.
func (p *PKI) OCSPURL() string { return p.ocspSrv.URL + "/ocsp" }

// TSAURL returns the RFC 3161 time-stamping service's loopback URL.
func (p *PKI) TSAURL() string { return p.tsaSrv.URL + "/tsa" }

// The URLs placed in certificates: the loopback URLs, except in
// deterministic mode.
func (p *PKI) certCRLURL(ca *CA) string {
	if p.det != nil {
		return "http://" + DeterministicRepositoryHost + "/crl/" + ca.name + ".crl"
	}
	return p.CRLURLFor(ca)
}

func (p *PKI) certCAIssuersURL(ca *CA) string {
	if p.det != nil {
		return "http://" + DeterministicRepositoryHost + "/cert/" + ca.name + ".crt"
	}
	return p.crlSrv.URL + "/cert/" + ca.name + ".crt"
}

func (p *PKI) certOCSPURL() string {
	if p.det != nil {
		return "http://" + DeterministicOCSPHost + "/ocsp"
	}
	return p.OCSPURL()
}

// HTTPClient returns a client that reaches the PKI's servers by every URL
// the PKI hands out, including the fixed host names that a deterministic
// PKI writes into its certificates. Other hosts are dialled normally.
func (p *PKI) HTTPClient() *http.Client {
	alias := map[string]string{
		DeterministicRepositoryHost + ":80": p.crlSrv.Listener.Addr().String(),
		DeterministicOCSPHost + ":80":       p.ocspSrv.Listener.Addr().String(),
	}
	var d net.Dialer
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if a, ok := alias[addr]; ok {
					addr = a
				}
				return d.DialContext(ctx, network, addr)
			},
		},
	}
}

// nextSerial returns a fresh positive serial number: random 128-bit numbers
// normally, a counter-derived number in deterministic mode.
func (p *PKI) nextSerial() (*big.Int, error) {
	p.mu.Lock()
	p.serial++
	n := p.serial
	p.mu.Unlock()
	var b [16]byte
	if p.det != nil {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], n)
		sum := sha256.Sum256(append(append([]byte("pkitest serial"), p.det.seedBytes()...), c[:]...))
		copy(b[:], sum[:])
	} else if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("pkitest: serial number: %w", err)
	}
	b[0] &= 0x7f
	b[0] |= 0x10 // positive, and always 16 bytes long
	return new(big.Int).SetBytes(b[:]), nil
}

// caFor returns the CA that issued cert.
func (p *PKI) caFor(cert *x509.Certificate) (*CA, error) {
	if cert == nil {
		return nil, fmt.Errorf("pkitest: nil certificate: %w", ErrNotIssued)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ca := range p.cas {
		if c, ok := ca.issued[serialKey(cert.SerialNumber)]; ok && c.Equal(cert) {
			return ca, nil
		}
	}
	return nil, fmt.Errorf("pkitest: certificate %q (serial %x): %w", cert.Subject.CommonName, cert.SerialNumber, ErrNotIssued)
}

func serialKey(n *big.Int) string { return n.Text(16) }

// Revoke revokes cert (an end-entity or CA certificate issued by this PKI)
// at time at for reason (an RFC 5280 CRLReason, e.g. ocsp.KeyCompromise).
// CRLs and OCSP responses produced at a PKI time at or after at report it
// revoked; those produced earlier still report it good, so a test can sign
// before the revocation and validate after it.
func (p *PKI) Revoke(cert *x509.Certificate, at time.Time, reason int) error {
	ca, err := p.caFor(cert)
	if err != nil {
		return err
	}
	if reason < 0 || reason > 10 || reason == 7 {
		return fmt.Errorf("pkitest: revoking %q: invalid CRL reason %d", cert.Subject.CommonName, reason)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ca.revoked[serialKey(cert.SerialNumber)] = revocation{at: at.UTC().Truncate(time.Second), reason: reason}
	return nil
}

// MustRevoke is [PKI.Revoke] that panics on error, for test set-up.
func (p *PKI) MustRevoke(cert *x509.Certificate, at time.Time, reason int) {
	if err := p.Revoke(cert, at, reason); err != nil {
		panic(err)
	}
}
