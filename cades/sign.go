package cades

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/baseline"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
)

// Level is a CAdES baseline level (ETSI EN 319 122-2).
type Level int

const (
	// LevelBB is CAdES-B-B: signed attributes, no time-stamp.
	LevelBB Level = iota
	// LevelBT adds a signature time-stamp from a TSA.
	LevelBT
	// LevelBLT adds, after the time-stamp, the certificates and revocation
	// answers (OCSP or CRL) of the signer's and the TSA's chains.
	LevelBLT
)

var levelNames = []string{"B-B", "B-T", "B-LT"}

// String returns "B-B", "B-T" or "B-LT".
func (l Level) String() string { return baseline.Name(int(l), levelNames) }

// ParseLevel reads "B-B", "B-T" or "B-LT" (case-insensitive, the "B-"
// optional), as pdf.ParseLevel and xml.ParseLevel do for their formats.
func ParseLevel(s string) (Level, error) {
	if i := baseline.Parse(s, levelNames); i >= 0 {
		return Level(i), nil
	}
	return 0, fmt.Errorf("cades: level %q: want B-B, B-T or B-LT: %w", s, ErrBadOptions)
}

// MaxEnvelopedSize bounds the content of an enveloping signature (16 MiB):
// it is held in memory, and the whole .p7m must stay under the size kyso's
// parser accepts.
const MaxEnvelopedSize = 16 << 20

// chunkSize is the read size used to hash content.
const chunkSize = 1 << 20

// bufPool recycles read buffers, so a server signing many small files
// does not allocate a chunk per signature.
var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Options control a CAdES signature. The zero value makes a detached
// CAdES-B-B signature with SHA-256, signing-time now.
type Options struct {
	// Hash is the digest algorithm: crypto.SHA256 (default), SHA384,
	// SHA512 or SHA3_256/384/512.
	Hash crypto.Hash
	// PSS selects RSASSA-PSS for RSA keys (also chosen when the signer
	// prefers it, see signer.PrefersPSS).
	PSS bool
	// SigningTime is the claimed signing time (signing-time attribute).
	// Zero means now. It is self-declared: B-T adds a trusted time.
	SigningTime time.Time
	// Enveloping puts the content inside the SignedData (a .p7m) instead
	// of leaving it detached. The content must not exceed
	// MaxEnvelopedSize.
	Enveloping bool

	// Level is the baseline level. The zero value is B-B, or B-T when
	// TimestampURL is set. B-T and B-LT need TimestampURL.
	Level Level
	// TimestampURL is the URL of the RFC 3161 time-stamping authority
	// (the same field as in pdf.Options and xml.SignOptions).
	TimestampURL string
	// HTTPClient is used for the TSA and, at B-LT, for OCSP, CRL and
	// caIssuers requests (http.DefaultClient when nil).
	HTTPClient *http.Client
	// LTV controls how B-LT validation data is collected; nil means
	// fetched online.
	LTV *LTVOptions
}

// LTVOptions control how B-LT validation data is collected.
type LTVOptions struct {
	// Timeout bounds each OCSP, CRL or caIssuers request (10 s when
	// zero).
	Timeout time.Duration
	// Offline forbids network access: the evidence must be supplied here
	// or already be in the .p7s.
	Offline bool
	// Certificates, OCSPResponses (DER OCSPResponse) and CRLs (DER) are
	// evidence supplied by the caller; an answer that checks out for a
	// certificate saves fetching one.
	Certificates  []*x509.Certificate
	OCSPResponses [][]byte
	CRLs          [][]byte
}

// signingHashes are the digest algorithms Options.Hash may name.
var signingHashes = []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512}

// level returns the effective level, or an error for inconsistent options.
func (o *Options) level() (Level, error) {
	l := o.Level
	if l == LevelBB && o.TimestampURL != "" {
		l = LevelBT
	}
	switch {
	case l < LevelBB || l > LevelBLT:
		return 0, fmt.Errorf("cades: %v: %w", l, ErrBadOptions)
	case !slices.Contains(signingHashes, o.hash()):
		return 0, fmt.Errorf("cades: hash %v (use SHA-256, SHA-384, SHA-512 or SHA3-256/384/512): %w: %w", o.hash(), ErrBadOptions, signer.ErrUnsupportedAlgorithm)
	case l >= LevelBT && o.TimestampURL == "":
		return 0, fmt.Errorf("cades: %v needs a TSA URL: %w", l, ErrBadOptions)
	}
	return l, nil
}

// signingTime returns the signing time to pin: SigningTime, or now when
// it is zero, in UTC and to the second (as the attribute holds it).
func (o *Options) signingTime() time.Time {
	at := o.SigningTime
	if at.IsZero() {
		at = timeNow()
	}
	return at.UTC().Truncate(time.Second)
}

func (o *Options) hash() crypto.Hash {
	if o.Hash == 0 {
		return crypto.SHA256
	}
	return o.Hash
}

// checkEnvelopedSize refuses content over MaxEnvelopedSize.
func checkEnvelopedSize(content []byte) error {
	if len(content) > MaxEnvelopedSize {
		return fmt.Errorf("cades: enveloping content over %d bytes: %w", MaxEnvelopedSize, ErrTooLarge)
	}
	return nil
}

// digestContent reads r once and returns its digest, or (enveloping) the
// content itself too.
func digestContent(ctx context.Context, r io.Reader, h crypto.Hash, envelop bool) (digest, content []byte, err error) {
	if r == nil {
		return nil, nil, fmt.Errorf("cades: no content reader: %w", ErrBadOptions)
	}
	if envelop {
		content, err = io.ReadAll(io.LimitReader(r, MaxEnvelopedSize+1))
		if err != nil {
			return nil, nil, fmt.Errorf("cades: reading content: %w", err)
		}
		if err := checkEnvelopedSize(content); err != nil {
			return nil, nil, err
		}
		d := h.New()
		d.Write(content)
		return d.Sum(nil), content, nil
	}
	d := h.New()
	if err := copyContent(ctx, d, r); err != nil {
		return nil, nil, err
	}
	return d.Sum(nil), nil, nil
}

// mode says what Finish builds.
type mode int

const (
	modeNew      mode = iota // a new .p7s
	modeParallel             // base plus a parallel SignerInfo
	modeCounter              // base plus a countersignature of SignerInfo index
)

// timeNow is the clock for a zero SigningTime.
var timeNow = time.Now

// Prepared is a signature waiting for its signature value: the first
// phase of two-phase signing. Digest is what the key must sign (with
// SignerOpts); Finish completes the .p7s. The signed attributes, signing
// time included, are fixed, so finishing later gives a valid signature.
type Prepared struct {
	// HTTPClient, when set, is used by Finish for the TSA and the B-LT
	// requests (Options.HTTPClient by default). LTV, when set, controls how
	// Finish collects B-LT validation data (Options.LTV by default).
	// Neither is part of the serialised state: set them after
	// UnmarshalBinary when the defaults will not do.
	HTTPClient *http.Client
	LTV        *LTVOptions

	cms   *cms.Prepared
	level Level
	tsa   string
	sigAt time.Time
	hash  crypto.Hash
	// For AddSigner and CounterSign: the .p7s the result is built on.
	base  []byte
	index int // SignerInfo countersigned
	mode  mode
}

// Prepare reads the content once from r and fixes the signed attributes of
// a signature by cert, issued by chain (nearest first). opts may be nil.
func Prepare(ctx context.Context, r io.Reader, cert *x509.Certificate, chain []*x509.Certificate, opts *Options) (*Prepared, error) {
	if opts == nil {
		opts = &Options{}
	}
	if cert == nil {
		return nil, fmt.Errorf("cades: prepare: %w", signer.ErrNoCertificate)
	}
	lvl, err := opts.level()
	if err != nil {
		return nil, err
	}
	h := opts.hash()
	if !h.Available() {
		return nil, fmt.Errorf("cades: hash %v: %w", h, ErrBadOptions)
	}
	at := opts.signingTime()
	var digest, content []byte
	if dr, ok := r.(digestReader); ok {
		digest, content = dr.digest, dr.content
		if err := checkEnvelopedSize(content); err != nil {
			return nil, err
		}
	} else if digest, content, err = digestContent(ctx, r, h, opts.Enveloping); err != nil {
		return nil, err
	}
	co := cms.Options{Hash: h, PSS: opts.PSS, SigningTime: at}
	if opts.Enveloping {
		co.Content = content
	}
	p, err := cms.Prepare(cert, chain, digest, co)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return &Prepared{cms: p, level: lvl, tsa: opts.TimestampURL, sigAt: at, hash: h, HTTPClient: opts.HTTPClient, LTV: opts.LTV}, nil
}

// Digest returns the digest the signer's key must sign.
func (p *Prepared) Digest() []byte { return p.cms.Digest() }

// SignerOpts returns the options to sign Digest with (a crypto.Hash or
// *rsa.PSSOptions).
func (p *Prepared) SignerOpts() crypto.SignerOpts { return p.cms.SignerOpts() }

// ContentDigest returns the digest of the content the signature binds.
func (p *Prepared) ContentDigest() []byte { return p.cms.ContentDigest() }

// SigningTime returns the pinned signing time.
func (p *Prepared) SigningTime() time.Time { return p.sigAt }

// Certificate returns the signer certificate.
func (p *Prepared) Certificate() *x509.Certificate { return p.cms.Certificate() }

// Level returns the level Finish produces.
func (p *Prepared) Level() Level { return p.level }

// Finish completes the .p7s with sig, a signature over Digest: raw RSA,
// ECDSA (DER or r‖s) or a whole CMS returned by a backend that builds its
// own. The signature is checked against the certificate first; one that
// does not verify is refused (signer.ErrBadSignature) and nothing is
// returned. At B-T and B-LT the TSA (and the OCSP/CRL servers) are asked
// now.
func (p *Prepared) Finish(ctx context.Context, sig []byte) ([]byte, error) {
	if p == nil || p.cms == nil {
		return nil, fmt.Errorf("%w: not prepared", ErrBadState)
	}
	var der []byte
	var err error
	if p.mode == modeCounter {
		var si []byte
		if si, err = p.cms.FinishSignerInfo(sig); err == nil {
			certs := append([]*x509.Certificate{p.cms.Certificate()}, p.cms.Chain()...)
			der, err = cms.AddCountersignature(p.base, p.index, si, certs)
		}
	} else {
		der, err = p.cms.Finish(sig)
	}
	if err != nil {
		if errors.Is(err, signer.ErrBadSignature) {
			return nil, fmt.Errorf("cades: %w", err)
		}
		return nil, fmt.Errorf("cades: finishing: %w: %w", ErrMalformed, err)
	}
	if p.mode == modeParallel {
		if der, err = Merge(p.base, der); err != nil {
			return nil, err
		}
	}
	if p.level == LevelBB {
		return der, nil
	}
	return Augment(ctx, der, &Options{Level: p.level, TimestampURL: p.tsa, HTTPClient: p.HTTPClient, LTV: p.LTV, Hash: p.hash})
}

// Sign reads the content once from r and returns a CAdES signature of it
// by s: a detached .p7s (or, with opts.Enveloping, a .p7m holding the
// content) at the level opts asks for. opts may be nil (B-B, SHA-256).
func Sign(ctx context.Context, r io.Reader, s signer.Signer, opts *Options) ([]byte, error) {
	return signWith(ctx, s, opts, "sign", func(o *Options) (*Prepared, error) {
		return Prepare(ctx, r, s.Certificate(), s.Chain(), o)
	})
}

// signWith is the one-shot form of a two-phase operation: prepare (given
// opts with PSS turned on when s prefers it) with s's certificate and
// chain, sign the digest with s, finish. what names the operation in the
// error for a nil signer.
func signWith(ctx context.Context, s signer.Signer, opts *Options, what string, prepare func(*Options) (*Prepared, error)) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("cades: %s: %w", what, signer.ErrNoKey)
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if !o.PSS && signer.PrefersPSS(s) {
		o.PSS = true
	}
	p, err := prepare(&o)
	if err != nil {
		return nil, err
	}
	sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
	if err != nil {
		return nil, fmt.Errorf("cades: sign: %w", err)
	}
	return p.Finish(ctx, sig)
}
