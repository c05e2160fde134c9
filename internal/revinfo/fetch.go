package revinfo

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// Defaults of a Fetcher.
const (
	DefaultTimeout         = 10 * time.Second
	DefaultMaxResponseSize = 16 << 20
	DefaultClockSkew       = 5 * time.Minute
	maxChainLength         = 10
)

// Fetcher collects validation data. The zero value fetches with a default
// HTTP client. A Fetcher is safe for concurrent use and caches what it
// fetched.
type Fetcher struct {
	// HTTPClient is used for OCSP, CRL and caIssuers requests; nil means a
	// client without proxy settings beyond the environment's.
	HTTPClient *http.Client
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxResponseSize caps each response body; zero means
	// DefaultMaxResponseSize.
	MaxResponseSize int64
	// ClockSkew is the tolerance on thisUpdate/nextUpdate; zero means
	// DefaultClockSkew.
	ClockSkew time.Duration
	// Now is the clock answers are judged against; nil means time.Now.
	Now func() time.Time
	// Offline forbids network access: only supplied evidence is used.
	Offline bool
	// NoAIA forbids fetching missing issuer certificates from caIssuers
	// URLs.
	NoAIA bool

	cache Cache // URL (+ request) -> body
}

func (f *Fetcher) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Fetcher) skew() time.Duration {
	if f.ClockSkew > 0 {
		return f.ClockSkew
	}
	return DefaultClockSkew
}

// Collect gathers validation data for each target certificate: its chain up
// to a self-signed certificate, built from targets, candidates,
// supplied.Certs and (unless NoAIA or Offline) caIssuers URLs, and one
// answer for every certificate of the chain below the root: a supplied
// OCSP response or CRL that passes CheckOCSP / CheckCRL, else a fetched
// OCSP response, else a fetched CRL. Delegated OCSP responder certificates
// are included; responder certificates with id-pkix-ocsp-nocheck need no
// answer of their own.
//
// The returned Set holds the certificates of the chains (targets included)
// and the answers used. It fails with ErrNoIssuer or ErrNoRevocationInfo
// (wrapping the last fetch error) when a chain or an answer is missing.
func (f *Fetcher) Collect(ctx context.Context, targets, candidates []*x509.Certificate, supplied *Set) (*Set, error) {
	pool := append(append([]*x509.Certificate(nil), targets...), candidates...)
	// Supplied answers are parsed once here, not for every certificate
	// they might answer for (a CRL may run to megabytes). What does not
	// parse could answer for none.
	var sup supplies
	if supplied != nil {
		for _, d := range supplied.Certs {
			if c, err := certparse.Parse(d); err == nil {
				pool = append(pool, c)
			}
		}
		for _, d := range supplied.OCSPs {
			if r, err := ParseOCSP(d); err == nil {
				sup.ocsps = append(sup.ocsps, r)
			}
		}
		for _, d := range supplied.CRLs {
			if crl, err := x509.ParseRevocationList(d); err == nil {
				sup.crls = append(sup.crls, suppliedCRL{d, crl})
			}
		}
	}
	out := &Set{}
	done := map[string]bool{}
	for _, t := range targets {
		if t == nil {
			continue
		}
		chain, err := f.chain(ctx, t, &pool)
		if err != nil {
			return nil, err
		}
		for i, c := range chain {
			out.AddCertificate(c)
			if i == len(chain)-1 || done[string(c.Raw)] {
				continue // the root, or already answered
			}
			done[string(c.Raw)] = true
			if isNoCheckResponder(c) {
				continue
			}
			issuer := chain[i+1]
			raw, a, err := f.answer(ctx, c, issuer, &sup)
			if err != nil {
				return nil, err
			}
			if a.OCSP {
				out.AddOCSP(raw)
			} else {
				out.AddCRL(raw)
			}
			if a.Responder != nil {
				out.AddCertificate(a.Responder)
			}
		}
	}
	return out, nil
}

// chain builds the chain of leaf from pool, fetching missing issuers.
func (f *Fetcher) chain(ctx context.Context, leaf *x509.Certificate, pool *[]*x509.Certificate) ([]*x509.Certificate, error) {
	chain := []*x509.Certificate{leaf}
	c := leaf
	for len(chain) < maxChainLength {
		if isSelfSigned(c) {
			return chain, nil
		}
		issuer := findIssuer(c, *pool)
		if issuer == nil {
			var err error
			issuer, err = f.fetchIssuer(ctx, c)
			if err != nil {
				return nil, err
			}
			*pool = append(*pool, issuer)
		}
		for _, x := range chain {
			if x.Equal(issuer) {
				return nil, fmt.Errorf("%w: certificate loop at %q", ErrNoIssuer, issuer.Subject.CommonName)
			}
		}
		chain = append(chain, issuer)
		c = issuer
	}
	return nil, fmt.Errorf("%w: chain of %q longer than %d", ErrNoIssuer, leaf.Subject.CommonName, maxChainLength)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

func findIssuer(c *x509.Certificate, pool []*x509.Certificate) *x509.Certificate {
	for _, p := range pool {
		if p.Equal(c) || !bytes.Equal(p.RawSubject, c.RawIssuer) {
			continue
		}
		if c.CheckSignatureFrom(p) == nil {
			return p
		}
	}
	return nil
}

func isNoCheckResponder(c *x509.Certificate) bool {
	return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) && HasOCSPNoCheck(c)
}

func (f *Fetcher) fetchIssuer(ctx context.Context, c *x509.Certificate) (*x509.Certificate, error) {
	if f.Offline || f.NoAIA || len(c.IssuingCertificateURL) == 0 {
		return nil, fmt.Errorf("%w: issuer of %q (%s)", ErrNoIssuer, c.Subject.CommonName, c.Issuer.CommonName)
	}
	var last error
	for _, u := range c.IssuingCertificateURL {
		body, err := f.get(ctx, u)
		if err != nil {
			last = err
			continue
		}
		for _, cand := range parseCerts(body) {
			if bytes.Equal(cand.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(cand) == nil {
				return cand, nil
			}
		}
		last = fmt.Errorf("no issuer certificate at %s", u)
	}
	return nil, fmt.Errorf("%w: issuer of %q: %v", ErrNoIssuer, c.Subject.CommonName, last)
}

// parseCerts reads the certificates of an AIA download: one DER
// certificate or several, a .p7c bundle (DER or PEM), or PEM.
func parseCerts(b []byte) []*x509.Certificate {
	cs, _ := certparse.ParseBundle(b)
	return cs
}

// supplies are the parsed answers a caller supplied to Collect.
type supplies struct {
	ocsps []*Response // Raw is the DER as supplied
	crls  []suppliedCRL
}

// suppliedCRL is a supplied CRL as given (what is embedded) and parsed.
type suppliedCRL struct {
	der []byte
	crl *x509.RevocationList
}

// answer finds or fetches one answer for c.
func (f *Fetcher) answer(ctx context.Context, c, issuer *x509.Certificate, sup *supplies) ([]byte, *Answer, error) {
	now, skew := f.now(), f.skew()
	for _, r := range sup.ocsps {
		if a, err := checkOCSP(r, c, issuer, now, skew); err == nil {
			return r.Raw, a, nil
		}
	}
	for _, s := range sup.crls {
		if a, err := checkCRL(s.crl, c, issuer, now, skew); err == nil {
			return s.der, a, nil
		}
	}
	if f.Offline {
		return nil, nil, fmt.Errorf("%w: %q (offline, and no supplied answer fits)", ErrNoRevocationInfo, c.Subject.CommonName)
	}
	var errs []error
	for _, u := range c.OCSPServer {
		// One request per certificate and responder, with a fresh nonce;
		// the checked answer is cached for the other signatures.
		key := "OCSP " + u + " " + string(issuer.Raw) + " " + c.SerialNumber.String()
		body, err := f.cached(key, func() ([]byte, error) {
			req, nonce, err := NewOCSPRequest(c, issuer)
			if err != nil {
				return nil, err
			}
			body, err := f.request().PostOCSP(ctx, u, req)
			if err != nil {
				return nil, err
			}
			if resp, err := ParseOCSP(body); err == nil && resp.Nonce != nil && !NonceMatches(resp.Nonce, nonce) {
				return nil, bad("nonce does not match the request (replayed?)")
			}
			return body, nil
		})
		if err == nil {
			var a *Answer
			if a, err = CheckOCSP(body, c, issuer, now, skew); err == nil {
				return body, a, nil
			}
		}
		errs = append(errs, fmt.Errorf("OCSP %s: %w", u, err))
	}
	for _, u := range c.CRLDistributionPoints {
		if !isHTTP(u) {
			continue
		}
		body, err := f.get(ctx, u)
		if err == nil {
			var a *Answer
			if a, err = CheckCRL(body, c, issuer, now, skew); err == nil {
				return body, a, nil
			}
		}
		errs = append(errs, fmt.Errorf("CRL %s: %w", u, err))
	}
	if len(errs) == 0 {
		return nil, nil, fmt.Errorf("%w: %q names no OCSP responder or CRL distribution point", ErrNoRevocationInfo, c.Subject.CommonName)
	}
	return nil, nil, fmt.Errorf("%w: %q: %w", ErrNoRevocationInfo, c.Subject.CommonName, errors.Join(errs...))
}

func (f *Fetcher) request() Request {
	return Request{Client: f.HTTPClient, Timeout: f.Timeout, MaxSize: f.MaxResponseSize}
}

func (f *Fetcher) get(ctx context.Context, url string) ([]byte, error) {
	return f.cached("GET "+url, func() ([]byte, error) { return f.request().Get(ctx, url) })
}

// cached returns the body cached under key or fetches and caches it. A
// Fetcher serves one collection: what it fetched is kept for its lifetime,
// failures are not kept.
func (f *Fetcher) cached(key string, fetch func() ([]byte, error)) ([]byte, error) {
	now := time.Now()
	if b, _, ok := f.cache.Get(key, now); ok {
		return b, nil
	}
	data, err := fetch()
	if err != nil {
		return nil, err
	}
	f.cache.Put(key, data, nil, now, time.Time{})
	return data, nil
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}
