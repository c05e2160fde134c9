package verify

import (
	"crypto/x509"
	"errors"
	"net/http"
	"time"
)

// RevocationMode chooses where revocation data may come from.
type RevocationMode int

const (
	// RevocationOffline uses only revocation data embedded in the document
	// (and in Options.CRLs/OCSPResponses). Certificates without usable data
	// make the verdict INDETERMINATE/TRY_LATER. It is the default: a
	// verifier that does no network I/O unless asked.
	RevocationOffline RevocationMode = iota
	// RevocationOnline also fetches OCSP responses and CRLs named by the
	// certificates, and missing intermediates from their AIA URLs, with
	// timeouts, size caps and a cache. An unreachable responder with no
	// other data gives INDETERMINATE/TRY_LATER.
	RevocationOnline
)

func (m RevocationMode) String() string {
	if m == RevocationOnline {
		return "online"
	}
	return "offline"
}

// KeyUsagePolicy says which keyUsage bits a signer certificate needs.
type KeyUsagePolicy int

const (
	// KeyUsageSigning (default) requires digitalSignature or
	// nonRepudiation (contentCommitment) on the signer certificate.
	KeyUsageSigning KeyUsagePolicy = iota
	// KeyUsageNonRepudiation requires nonRepudiation, as pyHanko does.
	KeyUsageNonRepudiation
	// KeyUsageWarn only warns when nonRepudiation is missing (EU DSS's
	// default level) and never fails on the signer's key usage.
	KeyUsageWarn
)

// Options configures a Validator. The zero value trusts nothing.
type Options struct {
	// Trust holds the trust anchors. Nil or empty: no chain can be
	// trusted. System roots are never used.
	Trust *TrustStore
	// Intermediates are extra CA certificates that may complete chains
	// (documents often carry only the signer's certificate).
	Intermediates []*x509.Certificate
	// Time is the validation time; zero means time.Now() at each call.
	Time time.Time
	// ClockSkew is the tolerance when comparing times from different
	// clocks (certificate validity, revocation data freshness). Zero
	// means one minute; negative means none.
	ClockSkew time.Duration

	// Revocation chooses offline (default) or online revocation checking.
	Revocation RevocationMode
	// CRLs and OCSPResponses are extra DER revocation data to use.
	CRLs          [][]byte
	OCSPResponses [][]byte
	// HTTPClient is used for online fetching; nil means a client with
	// FetchTimeout. Its own Timeout, if set, also applies.
	HTTPClient *http.Client
	// FetchTimeout bounds each online request; zero means 10 s.
	FetchTimeout time.Duration
	// MaxFetchSize caps a fetched CRL, OCSP response or certificate;
	// zero means 16 MiB.
	MaxFetchSize int64
	// Cache is shared across Validators; nil gives each Validator its own.
	Cache *Cache

	// KeyUsage is the key-usage requirement for signer certificates. CA
	// certificates always need keyCertSign when they carry keyUsage.
	KeyUsage KeyUsagePolicy
	// Algorithms is the algorithm policy; nil means VietnamPolicy().
	Algorithms *AlgorithmPolicy

	// ProofOfExistence, when set, is a time at which the caller vouches
	// that the documents it validates existed (an archive's receipt time,
	// the tax authority's acceptance of an e-invoice). It counts as proof
	// of existence for the algorithm policy (weak hashes and keys, see
	// AlgorithmPolicy.SHA1ProvenBefore) when no earlier time-stamp proves
	// it; it never changes the time certificates and revocation are
	// judged at. Reports say when it was used.
	ProofOfExistence time.Time
}

// ErrNoTrustAnchors is returned by New when Options.Trust is nil.
var ErrNoTrustAnchors = errors.New("verify: no trust store given (Options.Trust is nil); kyso never uses system roots")

func (o *Options) skew() time.Duration {
	switch {
	case o.ClockSkew < 0:
		return 0
	case o.ClockSkew == 0:
		return time.Minute
	}
	return o.ClockSkew
}

func (o *Options) fetchTimeout() time.Duration {
	if o.FetchTimeout > 0 {
		return o.FetchTimeout
	}
	return 10 * time.Second
}

func (o *Options) maxFetch() int64 {
	if o.MaxFetchSize > 0 {
		return o.MaxFetchSize
	}
	return 16 << 20
}
