package revinfo

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	_ "crypto/sha1" // OCSP CertIDs are usually SHA-1
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Errors. Every error of this package wraps one of them.
var (
	// ErrBadResponse: an OCSP response or CRL is malformed, not for the
	// certificate, not signed by an authorised key, or not current.
	ErrBadResponse = errors.New("revinfo: unusable revocation data")
	// ErrNoRevocationInfo: no usable OCSP response or CRL could be found
	// or fetched for a certificate.
	ErrNoRevocationInfo = errors.New("revinfo: no revocation data for a certificate")
	// ErrNoIssuer: the issuer of a certificate is neither among the given
	// certificates nor reachable through its AIA caIssuers URL.
	ErrNoIssuer = errors.New("revinfo: issuer certificate not found")
)

// Status is what an answer says about a certificate.
type Status int

const (
	// Good: not revoked when the answer was made.
	Good Status = iota
	// Revoked: revoked at Answer.RevokedAt.
	Revoked
)

// String returns the status as a lower-case word ("good", "revoked").
func (s Status) String() string {
	if s == Revoked {
		return "revoked"
	}
	return "good"
}

// Answer is a checked OCSP response or CRL for one certificate.
type Answer struct {
	// OCSP is true for an OCSP response, false for a CRL.
	OCSP   bool
	Status Status
	// RevokedAt is set when Status is Revoked.
	RevokedAt time.Time
	// ThisUpdate and NextUpdate bound the answer's validity (NextUpdate
	// zero: none given).
	ThisUpdate, NextUpdate time.Time
	// Responder is the delegated OCSP responder certificate, nil when the
	// CA signed the answer itself (always nil for CRLs).
	Responder *x509.Certificate
}

// CheckOCSP checks that der is a usable OCSP response for cert, issued by
// issuer, at time now (see the package documentation) and returns what it
// says. skew is the tolerance on time comparisons.
func CheckOCSP(der []byte, cert, issuer *x509.Certificate, now time.Time, skew time.Duration) (*Answer, error) {
	if cert == nil || issuer == nil {
		return nil, fmt.Errorf("%w: OCSP check without certificate or issuer", ErrBadResponse)
	}
	resp, err := ParseOCSP(der)
	if err != nil {
		return nil, fmt.Errorf("%w: OCSP response for %q: %v", ErrBadResponse, cert.Subject.CommonName, err)
	}
	return checkOCSP(resp, cert, issuer, now, skew)
}

// checkOCSP is CheckOCSP on a parsed response.
func checkOCSP(resp *Response, cert, issuer *x509.Certificate, now time.Time, skew time.Duration) (*Answer, error) {
	var single *SingleResponse
	for i := range resp.Singles {
		if MatchCertID(resp.Singles[i].CertID, cert, issuer) {
			single = &resp.Singles[i]
			break
		}
	}
	if single == nil {
		return nil, fmt.Errorf("%w: OCSP response does not name %q issued by %q", ErrBadResponse, cert.Subject.CommonName, issuer.Subject.CommonName)
	}
	rc, err := CheckResponder(resp, issuer, skew)
	if err != nil {
		return nil, fmt.Errorf("%w: OCSP response for %q: %v", ErrBadResponse, cert.Subject.CommonName, err)
	}
	if err := CheckSingle(resp, single, now, skew); err != nil {
		return nil, fmt.Errorf("%w: OCSP response for %q: %v", ErrBadResponse, cert.Subject.CommonName, err)
	}
	a := &Answer{OCSP: true, ThisUpdate: single.ThisUpdate, NextUpdate: single.NextUpdate, Responder: rc}
	switch {
	case bool(single.Good):
		a.Status = Good
	case bool(single.Unknown):
		return nil, fmt.Errorf("%w: OCSP status of %q is unknown", ErrBadResponse, cert.Subject.CommonName)
	default:
		a.Status, a.RevokedAt = Revoked, single.Revoked.RevocationTime
	}
	if err := stale(a.NextUpdate, now, skew); err != nil {
		return nil, fmt.Errorf("%w: OCSP response for %q: %v", ErrBadResponse, cert.Subject.CommonName, err)
	}
	return a, nil
}

// stale fails when nextUpdate has passed at now (within skew). A thisUpdate
// in the future is refused before, by CheckSingle and EvalCRL.
func stale(next, now time.Time, skew time.Duration) error {
	if !next.IsZero() && next.Add(skew).Before(now) {
		return fmt.Errorf("nextUpdate %s has passed", next.UTC().Format(time.RFC3339))
	}
	return nil
}

// CheckCRL checks that der is a current CRL of issuer that covers cert
// (issuer name, signature, no partitioning distribution point scope) and
// returns what it says about cert.
func CheckCRL(der []byte, cert, issuer *x509.Certificate, now time.Time, skew time.Duration) (*Answer, error) {
	if cert == nil || issuer == nil {
		return nil, fmt.Errorf("%w: CRL check without certificate or issuer", ErrBadResponse)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("%w: CRL: %v", ErrBadResponse, err)
	}
	return checkCRL(crl, cert, issuer, now, skew)
}

// checkCRL is CheckCRL on a parsed CRL.
func checkCRL(crl *x509.RevocationList, cert, issuer *x509.Certificate, now time.Time, skew time.Duration) (*Answer, error) {
	// EvalCRL checks that issuer issued the CRL; this, that it issued cert.
	if !bytes.Equal(cert.RawIssuer, issuer.RawSubject) {
		return nil, fmt.Errorf("%w: CRL of %q does not cover %q", ErrBadResponse, crl.Issuer.CommonName, cert.Subject.CommonName)
	}
	res, err := EvalCRL(crl, cert, issuer, now, skew)
	if errors.Is(err, ErrNotApplicable) {
		return nil, fmt.Errorf("%w: CRL of %q does not cover %q", ErrBadResponse, crl.Issuer.CommonName, cert.Subject.CommonName)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: CRL of %q: %v", ErrBadResponse, crl.Issuer.CommonName, err)
	}
	if res.Partial {
		// Even a listed certificate: embed only complete CRLs.
		return nil, fmt.Errorf("%w: CRL with a partial scope", ErrBadResponse)
	}
	a := &Answer{ThisUpdate: crl.ThisUpdate, NextUpdate: crl.NextUpdate}
	if res.Revoked {
		a.Status, a.RevokedAt = Revoked, res.RevokedAt
	}
	if err := stale(a.NextUpdate, now, skew); err != nil {
		return nil, fmt.Errorf("%w: CRL of %q: %v", ErrBadResponse, issuer.Subject.CommonName, err)
	}
	return a, nil
}
