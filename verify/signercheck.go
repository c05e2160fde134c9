package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// Refusals of CheckSigner (Circular 15/2025/TT-BKHCN Art. 5 §1a, Decree
// 23/2025 Art. 15: the signer's certificate is checked before signing). Each
// is returned wrapped in a *SignerCheckError; match with errors.Is.
var (
	// ErrCertExpired: the signing certificate's validity period has ended.
	ErrCertExpired = errors.New("verify: the signing certificate has expired")
	// ErrCertNotYetValid: the signing certificate's validity has not begun.
	ErrCertNotYetValid = errors.New("verify: the signing certificate is not yet valid")
	// ErrCertRevoked: the issuer's OCSP responder or CRL says the
	// certificate is revoked (or suspended, certificateHold).
	ErrCertRevoked = errors.New("verify: the signing certificate is revoked")
	// ErrCertNotForSigning: the certificate's key usage allows neither
	// digitalSignature nor nonRepudiation.
	ErrCertNotForSigning = errors.New("verify: the certificate is not for signing")
)

// SignerCheckError is a refusal to sign: Reason is one of ErrCertExpired,
// ErrCertNotYetValid, ErrCertRevoked or ErrCertNotForSigning.
type SignerCheckError struct {
	Reason  error
	Message Message
}

// Error is the refusal in both languages, Vietnamese first.
func (e *SignerCheckError) Error() string {
	return e.Message.Text(Vietnamese) + " / " + e.Message.Text(English)
}
func (e *SignerCheckError) Unwrap() error { return e.Reason }

// SignerCheckOptions configures CheckSigner. The zero value checks online
// (OCSP first, then CRL, the issuer fetched through AIA when the signer's
// chain lacks it) at the current time with an empty trust store.
type SignerCheckOptions struct {
	// Skip disables the check: CheckSigner returns a result with
	// Skipped set and a warning, and no error.
	Skip bool
	// Offline uses only CRLs and OCSPResponses below: no network I/O.
	Offline bool
	// Time is the intended signing time; zero means now.
	Time time.Time
	// Trust, when it holds anchors, also has the chain checked: a chain
	// that reaches no anchor gives a warning, not a refusal.
	Trust *TrustStore
	// Intermediates may complete the signer's chain.
	Intermediates []*x509.Certificate
	// CRLs and OCSPResponses are DER revocation data to use first.
	CRLs, OCSPResponses [][]byte
	// HTTPClient and FetchTimeout are as in Options.
	HTTPClient   *http.Client
	FetchTimeout time.Duration
	// Cache is shared with other validations; nil: a fresh one.
	Cache *Cache
}

// SignerCheck is the outcome of a check that did not refuse.
type SignerCheck struct {
	// Certificate describes the signer's certificate.
	Certificate CertificateInfo `json:"certificate"`
	// Skipped is true when the caller skipped the check.
	Skipped bool `json:"skipped,omitempty"`
	// Revocation is the evidence found for the certificate; its Status is
	// good, or unknown (then Warnings says so).
	Revocation *RevocationInfo `json:"revocation,omitempty"`
	// Chain runs from the certificate to an anchor when one was reached.
	Chain  []CertificateInfo `json:"chain,omitempty"`
	Anchor *AnchorInfo       `json:"anchor,omitempty"`
	// Warnings are shown to the signer; signing may proceed.
	Warnings []Message `json:"warnings,omitempty"`
}

// CheckSigner checks the certificate of s before it signs, as Circular
// 15/2025 Art. 5 §1a and Decree 23/2025 Art. 15 require: the certificate
// must be within its validity period at o.Time, carry a signing key usage
// (digitalSignature or nonRepudiation), and not be revoked. Revocation is
// asked of the issuer's OCSP responder first and its CRL otherwise; the
// issuer comes from s.Chain(), o.Intermediates, o.Trust or the
// certificate's AIA caIssuers URL. It uses the same revocation and
// path-building code as verification.
//
// A refusal is a *SignerCheckError wrapping ErrCertExpired,
// ErrCertNotYetValid, ErrCertRevoked or ErrCertNotForSigning: do not sign.
// When the status cannot be determined (responder unreachable, no
// revocation URL, issuer not found) CheckSigner returns no error and a
// warning in Vietnamese and English (Circular 15 Appendix II 1.2): signing
// may proceed and the signer must be told.
func CheckSigner(ctx context.Context, s signer.Signer, o SignerCheckOptions) (*SignerCheck, error) {
	if s == nil || s.Certificate() == nil {
		return nil, fmt.Errorf("verify: CheckSigner: %w", signer.ErrNoCertificate)
	}
	leaf := s.Certificate()
	res := &SignerCheck{Certificate: certInfo(leaf)}
	if o.Skip {
		res.Skipped = true
		res.Warnings = append(res.Warnings, msg("signercheck.skipped"))
		return res, nil
	}
	trust := o.Trust
	if trust == nil {
		trust = NewTrustStore()
	}
	mode := RevocationOnline
	if o.Offline {
		mode = RevocationOffline
	}
	v, err := New(Options{Trust: trust, Intermediates: o.Intermediates, Time: o.Time, Revocation: mode,
		CRLs: o.CRLs, OCSPResponses: o.OCSPResponses, HTTPClient: o.HTTPClient, FetchTimeout: o.FetchTimeout, Cache: o.Cache,
		ClockSkew: -1})
	if err != nil {
		return nil, err
	}
	r := &run{v: v, now: v.now(), skew: 0, rep: &SignatureReport{}}
	at := r.now
	name := displayName(leaf)

	// 1. Validity period.
	switch {
	case at.After(leaf.NotAfter):
		return nil, &SignerCheckError{Reason: ErrCertExpired, Message: msg("signercheck.expired", name, leaf.NotAfter)}
	case at.Before(leaf.NotBefore):
		return nil, &SignerCheckError{Reason: ErrCertNotYetValid, Message: msg("signercheck.not-yet-valid", name, leaf.NotBefore)}
	}
	// 2. Key usage: the rule verification applies to signer certificates.
	if sub, detail := r.checkKeyUsages([]*x509.Certificate{leaf}, purposeSigner); sub != "" {
		return nil, &SignerCheckError{Reason: ErrCertNotForSigning, Message: msg("signercheck.not-for-signing", detail)}
	}
	res.Warnings = append(res.Warnings, r.rep.Warnings...)
	if err := v.policy.checkKey(leaf.PublicKey, time.Time{}); err != nil {
		res.Warnings = append(res.Warnings, msg("signercheck.weak-key", name, err))
	}

	// 3. The issuer: the signer's chain, intermediates, anchors, AIA.
	cands := slices.Concat(s.Chain(), o.Intermediates)
	cands = append(cands, trust.certs()...)
	issuer := issuerAmong(leaf, cands)
	if issuer == nil && mode == RevocationOnline {
		issuer = issuerAmong(leaf, r.fetchAIA(ctx, []*x509.Certificate{leaf}))
	}
	if trust.Len() > 0 {
		cr := r.buildChain(ctx, leaf, cands, at, time.Time{}, purposeSigner)
		if cr.sub == "" && cr.chain != nil {
			for _, c := range cr.chain {
				res.Chain = append(res.Chain, certInfo(c))
			}
			res.Anchor = anchorInfo(cr.anchor)
			if issuer == nil && len(cr.chain) > 1 {
				issuer = cr.chain[1]
			}
		} else {
			res.Warnings = append(res.Warnings, msg("signercheck.no-path", name, cr.detail))
		}
	}
	if issuer == nil {
		res.Warnings = append(res.Warnings, msg("signercheck.status-unknown", name, msg("signercheck.why-no-issuer")))
		return res, nil
	}

	// 4. Revocation, OCSP first then CRL (checkRevocation's order).
	data := &revData{}
	for _, d := range o.CRLs {
		_ = data.addCRL(d, "options", "")
	}
	for _, d := range o.OCSPResponses {
		_, _ = data.addOCSP(d, "options", "")
	}
	info := r.checkRevocation(ctx, leaf, issuer, at, data)
	res.Revocation = &info
	switch info.Status {
	case StatusRevoked:
		if info.RevokedAt != nil && !info.RevokedAt.After(at) {
			return nil, &SignerCheckError{Reason: ErrCertRevoked, Message: msg("signercheck.revoked", name, *info.RevokedAt, info.Reason, info.Source)}
		}
	case StatusUnknown:
		why := msg("signercheck.why-no-data")
		if info.FetchFailed {
			why = msg("signercheck.why-unreachable")
		} else if len(leaf.OCSPServer) == 0 && len(leaf.CRLDistributionPoints) == 0 {
			why = msg("signercheck.why-no-service")
		}
		res.Warnings = append(res.Warnings, msg("signercheck.status-unknown", name, why))
	}
	return res, nil
}

// issuerAmong returns the certificate of cands that issued c.
func issuerAmong(c *x509.Certificate, cands []*x509.Certificate) *x509.Certificate {
	for _, p := range cands {
		if p != nil && bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil {
			return p
		}
	}
	return nil
}
