package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/revinfo"
)

// Validator applies trust, time, revocation and algorithm policy to the
// evidence of signatures. Create one with New; it is safe for concurrent
// use and may be shared by the format verifiers.
type Validator struct {
	opts   Options
	policy *AlgorithmPolicy
	fetch  *fetcher
	// optCRLs holds Options.CRLs parsed once (read-only afterwards).
	optCRLs *revData
}

// New returns a Validator for opts. It fails with ErrNoTrustAnchors when
// opts.Trust is nil (pass an empty TrustStore to check integrity only).
func New(opts Options) (*Validator, error) {
	if opts.Trust == nil {
		return nil, ErrNoTrustAnchors
	}
	v := &Validator{opts: opts, policy: opts.Algorithms}
	if v.policy == nil {
		v.policy = VietnamPolicy()
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: opts.fetchTimeout()}
	}
	cache := opts.Cache
	if cache == nil {
		cache = NewCache()
	}
	v.fetch = &fetcher{client: client, timeout: opts.fetchTimeout(), max: opts.maxFetch(), cache: cache}
	v.optCRLs = &revData{}
	for _, d := range opts.CRLs {
		_ = v.optCRLs.addCRL(d, "options", "")
	}
	return v, nil
}

// Options returns the options v was created with.
func (v *Validator) Options() Options { return v.opts }

// NewReport returns an empty report for a document of the given format,
// filled with this validator's settings. Format verifiers append one
// Validate result per signature.
func (v *Validator) NewReport(format string) *Report {
	return &Report{Format: format, ValidationTime: v.now(), RevocationMode: v.opts.Revocation.String(), Anchors: v.opts.Trust.Len()}
}

func (v *Validator) now() time.Time {
	if !v.opts.Time.IsZero() {
		return v.opts.Time.UTC()
	}
	return time.Now().UTC()
}

// run is the state of one signature validation.
type run struct {
	// algPOE is the proof-of-existence time for the algorithm policy;
	// poeFromCaller says it is Options.ProofOfExistence.
	algPOE        time.Time
	poeFromCaller bool

	v        *Validator
	now      time.Time
	skew     time.Duration
	rep      *SignatureReport
	aia      []*x509.Certificate
	aiaTried map[string]bool
}

func (r *run) warn(s string) {
	if !slices.Contains(r.rep.Warnings, s) {
		r.rep.Warnings = append(r.rep.Warnings, s)
	}
}

func (r *run) fail(sub SubIndication, format string, args ...any) {
	r.rep.Findings = append(r.rep.Findings, Finding{Indication: indicationOf(sub), SubIndication: sub, Detail: fmt.Sprintf(format, args...)})
}

// Validate decides the verdict for one signature from its evidence:
//
//  1. structure and cryptography (FORMAT_FAILURE, HASH_FAILURE,
//     SIG_CRYPTO_FAILURE, NO_SIGNING_CERTIFICATE_FOUND);
//  2. timestamps: each is checked (signature, TSA chain to an anchor,
//     timeStamping EKU, TSA revocation, algorithms); the earliest valid one
//     is the best signature time, else the validation time is;
//  3. the signer's certificate at that time: NOT_YET_VALID; expired
//     (EXPIRED when the signer's own claimed time is after expiry, else
//     OUT_OF_BOUNDS_NO_POE);
//  4. path building to a trust anchor (NO_CERTIFICATE_CHAIN_FOUND), key
//     usage (CHAIN_CONSTRAINTS_FAILURE), algorithms
//     (CRYPTO_CONSTRAINTS_FAILURE);
//  5. revocation of every certificate but the anchor: revoked before the
//     best signature time gives REVOKED when the signer's claimed time is
//     after the revocation too, else REVOKED_NO_POE (REVOKED_CA_NO_POE for
//     a CA); no usable data gives TRY_LATER. Missing data never passes.
//
// All findings are listed; the verdict is the most serious one.
func (v *Validator) Validate(ctx context.Context, ev *Evidence) *SignatureReport {
	r := &run{v: v, now: v.now(), skew: v.opts.skew()}
	rep := &SignatureReport{
		ID: ev.ID, Format: ev.Format, Coverage: ev.Coverage,
		ClaimedSigningTime: timePtr(ev.ClaimedTime),
		BestSignatureTime:  v.now(),
		TimeSource:         TimeFromValidation,
		Integrity: Integrity{
			DigestAlgorithm: hashName(ev.DigestAlgorithm), SignatureAlgorithm: ev.SignatureAlgorithm,
		},
	}
	if ev.DigestAlgorithm == 0 {
		rep.Integrity.DigestAlgorithm = ""
	}
	r.rep = rep
	for _, w := range ev.Warnings {
		if w == legacyPKCS1v15Warning {
			continue // reported as information (see isPKCS1v15)
		}
		r.warn(w)
	}
	r.validate(ctx, ev)
	r.decide()
	return rep
}

func (r *run) validate(ctx context.Context, ev *Evidence) {
	rep := r.rep
	if ev.SignerCert != nil {
		rep.Signer = signerInfo(ev.SignerCert)
	}

	// 1. Structure and cryptography.
	switch {
	case ev.FormatErr != nil:
		r.fail(FormatFailure, "malformed signature: %v", ev.FormatErr)
		rep.Integrity.Detail = ev.FormatErr.Error()
		return
	case ev.SignedDataErr != nil:
		r.fail(SignedDataNotFound, "signed data not found: %v", ev.SignedDataErr)
		rep.Integrity.Detail = ev.SignedDataErr.Error()
		return
	case ev.DigestErr != nil:
		r.fail(HashFailure, "the signed data was changed: %v", ev.DigestErr)
		rep.Integrity.Detail = ev.DigestErr.Error()
	case ev.SignatureErr != nil:
		r.fail(SigCryptoFailure, "the signature value does not verify: %v", ev.SignatureErr)
		rep.Integrity.Detail = ev.SignatureErr.Error()
	case ev.SignerCertErr != nil:
		r.fail(NoSigningCertificateFound, "signer certificate: %v", ev.SignerCertErr)
		rep.Integrity.Detail = ev.SignerCertErr.Error()
		return
	case ev.AlgorithmErr != nil:
		r.fail(CryptoConstraintsFailure, "the signature cannot be checked: %v", ev.AlgorithmErr)
		rep.Integrity.Detail = ev.AlgorithmErr.Error()
		if len(ev.Coverage.ModifiedAfterSigning) > 0 {
			r.fail(FormatFailure, "the document was modified after signing in ways the signature does not permit: %v", ev.Coverage.ModifiedAfterSigning)
		}
		return
	case ev.SignerCert == nil:
		r.fail(NoSigningCertificateFound, "the signer's certificate is not in the signature")
		return
	default:
		rep.Integrity.Intact = true
	}
	if len(ev.Coverage.ModifiedAfterSigning) > 0 {
		r.fail(FormatFailure, "the document was modified after signing in ways the signature does not permit: %v", ev.Coverage.ModifiedAfterSigning)
	}
	if ev.SignerCert == nil {
		r.fail(NoSigningCertificateFound, "the signer's certificate is not in the signature")
		return
	}
	leaf := ev.SignerCert

	// Revocation data available to this validation.
	data := &revData{}
	if oc := r.v.optCRLs; oc != nil {
		data.crls = append(data.crls, oc.crls...)
		data.problems = append(data.problems, oc.problems...)
	} else {
		for _, d := range r.v.opts.CRLs {
			_ = data.addCRL(d, "options", "")
		}
	}
	for _, d := range r.v.opts.OCSPResponses {
		_, _ = data.addOCSP(d, "options", "")
	}
	for _, d := range ev.CRLs {
		_ = data.addCRL(d, "embedded", "")
	}
	for _, d := range ev.OCSPResponses {
		_, _ = data.addOCSP(d, "embedded", "")
	}
	for _, p := range data.problems {
		r.warn(p)
	}

	// 2. Timestamps and the best signature time.
	var poe time.Time
	for i := range ev.Timestamps {
		ti := r.validateTimestamp(ctx, &ev.Timestamps[i], ev, data)
		rep.Timestamps = append(rep.Timestamps, ti)
		if ti.Valid && ti.Kind != "content" && (poe.IsZero() || ti.GenTime.Before(poe)) {
			poe = ti.GenTime
		}
	}
	at := r.now
	rep.TimeSource = TimeFromValidation
	if !poe.IsZero() {
		at = poe
		rep.TimeSource = TimeFromTimestamp
		rep.TimestampTime = timePtr(poe)
	} else if !ev.ClaimedTime.IsZero() {
		r.warn("the signing time is self-declared by the signer and not proven by a timestamp; validation used the validation time")
	}
	rep.BestSignatureTime = at.UTC()
	if !poe.IsZero() && !ev.ClaimedTime.IsZero() && ev.ClaimedTime.After(poe.Add(r.skew)) {
		r.warn(fmt.Sprintf("the claimed signing time %s is after the timestamp %s", ev.ClaimedTime.UTC().Format(time.RFC3339), poe.UTC().Format(time.RFC3339)))
	}

	// Algorithms of the signature itself. The caller's proof of
	// existence counts for the algorithm policy only.
	algPOE := poe
	if cp := r.v.opts.ProofOfExistence; !cp.IsZero() && (algPOE.IsZero() || cp.Before(algPOE)) {
		algPOE = cp
	}
	r.algPOE, r.poeFromCaller = algPOE, !algPOE.Equal(poe)
	if err := r.acceptHash("signature digest", ev.DigestAlgorithm, algPOE); err != nil {
		r.fail(CryptoConstraintsFailure, "signature digest: %v", err)
	}
	if err := r.v.policy.checkKey(leaf.PublicKey, algPOE); err != nil {
		r.fail(CryptoConstraintsFailure, "signer key: %v", err)
	}
	if isPKCS1v15(ev.SignatureAlgorithm, leaf) {
		rep.Information = append(rep.Information, pkcs1v15Info)
	}

	// 3. Validity of the signer's certificate at the best signature time.
	claimed := ev.ClaimedTime
	switch {
	case at.Before(leaf.NotBefore.Add(-r.skew)):
		r.fail(NotYetValid, "the signer certificate is valid from %s, after the signature time %s", leaf.NotBefore.UTC().Format(time.RFC3339), at.Format(time.RFC3339))
	case !claimed.IsZero() && claimed.Before(leaf.NotBefore.Add(-r.skew)):
		r.fail(NotYetValid, "the signer declares signing at %s, before the certificate became valid (%s)", claimed.UTC().Format(time.RFC3339), leaf.NotBefore.UTC().Format(time.RFC3339))
	case at.After(leaf.NotAfter.Add(r.skew)):
		if !claimed.IsZero() && claimed.After(leaf.NotAfter.Add(r.skew)) {
			r.fail(Expired, "the signer declares signing at %s, after the certificate expired (%s)", claimed.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
		} else {
			r.fail(OutOfBoundsNoPOE, "the signer certificate expired at %s and nothing proves the signature existed before that", leaf.NotAfter.UTC().Format(time.RFC3339))
		}
	}

	// 4. Path to a trust anchor, from every certificate at hand (the
	// signature's, its time-stamp tokens').
	extra := certsAtHand(ev)
	cr := r.buildChain(ctx, leaf, extra, at, algPOE, purposeSigner)
	for _, w := range cr.warnings {
		r.warn(w)
	}
	for _, c := range cr.chain {
		rep.Chain = append(rep.Chain, certInfo(c))
	}
	rep.Anchor = anchorInfo(cr.anchor)
	if cr.sub != "" {
		r.fail(cr.sub, "%s", cr.detail)
	}
	if cr.chain == nil || cr.sub == NoCertificateChainFound {
		return
	}
	for i, c := range cr.chain {
		if i == 0 || cr.anchor != nil && i == len(cr.chain)-1 {
			continue
		}
		if at.After(c.NotAfter.Add(r.skew)) || at.Before(c.NotBefore.Add(-r.skew)) {
			r.fail(OutOfBoundsNoPOE, "CA certificate %q was not valid at the signature time", displayName(c))
		}
	}
	for i, c := range cr.chain {
		// The anchor's self-signature is not checked; the signatures on
		// every other certificate are.
		if i < len(cr.chain)-1 && !cr.legacy {
			if err := r.acceptHash(fmt.Sprintf("certificate %q signature", displayName(c)), certSignatureHash(c.SignatureAlgorithm), algPOE); err != nil {
				r.fail(CryptoConstraintsFailure, "certificate %q signature: %v", displayName(c), err)
			}
		}
		if i > 0 {
			if err := r.v.policy.checkKey(c.PublicKey, algPOE); err != nil {
				r.fail(CryptoConstraintsFailure, "certificate %q key: %v", displayName(c), err)
			}
		}
	}

	// 5. Revocation of every certificate below the anchor.
	r.checkChainRevocation(ctx, cr.chain, at, claimed, data, true)
}

// checkChainRevocation checks every certificate of chain but the last (the
// anchor) at time at. For the signer's chain (signer true) it records
// findings; it returns false when a certificate is revoked before at or
// its status is unknown.
func (r *run) checkChainRevocation(ctx context.Context, chain []*x509.Certificate, at, claimed time.Time, data *revData, signer bool) bool {
	ok := true
	for i := 0; i+1 < len(chain); i++ {
		c, issuer := chain[i], chain[i+1]
		var info RevocationInfo
		if hasOCSPNoCheck(c) && slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			info = RevocationInfo{Subject: displayName(c), Serial: serialHex(c.SerialNumber), Status: StatusNotChecked,
				Problems: []string{"OCSP responder certificate with id-pkix-ocsp-nocheck"}}
		} else {
			info = r.checkRevocation(ctx, c, issuer, at, data)
		}
		if signer {
			r.rep.Revocation = append(r.rep.Revocation, info)
		}
		switch info.Status {
		case StatusRevoked:
			rt := *info.RevokedAt
			if !rt.After(at) {
				ok = false
				if !signer {
					continue
				}
				switch {
				case i > 0:
					r.fail(RevokedCANoPOE, "CA certificate %q was revoked at %s (%s), before the signature time %s", info.Subject, rt.Format(time.RFC3339), info.Reason, at.Format(time.RFC3339))
				case !claimed.IsZero() && claimed.After(rt.Add(r.skew)):
					r.fail(Revoked, "the signer certificate was revoked at %s (%s); the signer declares signing later, at %s", rt.Format(time.RFC3339), info.Reason, claimed.UTC().Format(time.RFC3339))
				default:
					r.fail(RevokedNoPOE, "the signer certificate was revoked at %s (%s) and nothing proves the signature existed before that", rt.Format(time.RFC3339), info.Reason)
				}
			} else if signer {
				r.warn(fmt.Sprintf("certificate %q was revoked at %s, after the signature time %s", info.Subject, rt.Format(time.RFC3339), at.Format(time.RFC3339)))
			}
		case StatusUnknown:
			ok = false
			if signer {
				why := "no usable revocation data (offline mode: only embedded data was used)"
				if r.v.opts.Revocation == RevocationOnline {
					why = "no usable revocation data could be obtained"
					if info.FetchFailed {
						why = "the revocation service could not be reached or gave no usable answer"
					}
				}
				r.fail(TryLater, "revocation status of %q unknown: %s", info.Subject, why)
			}
		}
	}
	return ok
}

// validateTimestamp decides whether a timestamp is proof of existence.
func (r *run) validateTimestamp(ctx context.Context, ts *Timestamp, ev *Evidence, data *revData) TimestampInfo {
	ti := TimestampInfo{Kind: ts.Kind, GenTime: ts.GenTime.UTC()}
	if ti.Kind == "" {
		ti.Kind = "signature"
	}
	if ts.SignerCert != nil {
		ti.TSA = displayName(ts.SignerCert)
	}
	bad := func(format string, args ...any) TimestampInfo {
		ti.Problems = append(ti.Problems, fmt.Sprintf(format, args...))
		ti.Valid = false
		return ti
	}
	if ts.Err != nil {
		return bad("invalid timestamp: %v", ts.Err)
	}
	if ts.SignerCert == nil {
		return bad("the TSA certificate is not in the timestamp")
	}
	if ts.GenTime.After(r.now.Add(r.skew)) {
		return bad("timestamp time %s is in the future", ts.GenTime.UTC().Format(time.RFC3339))
	}
	for _, h := range []crypto.Hash{ts.ImprintAlgorithm, ts.DigestAlgorithm} {
		if h == 0 {
			continue
		}
		if err := r.v.policy.checkHash(h, time.Time{}); err != nil {
			return bad("timestamp algorithm: %v", err)
		}
	}
	if err := r.v.policy.checkKey(ts.SignerCert.PublicKey, time.Time{}); err != nil {
		return bad("TSA key: %v", err)
	}
	g := ts.GenTime
	if g.Before(ts.SignerCert.NotBefore.Add(-r.skew)) || g.After(ts.SignerCert.NotAfter.Add(r.skew)) {
		return bad("the TSA certificate was not valid at %s", g.UTC().Format(time.RFC3339))
	}
	extra := append(append([]*x509.Certificate(nil), ts.Certificates...), certsAtHand(ev)...)
	cr := r.buildChain(ctx, ts.SignerCert, extra, g, time.Time{}, purposeTSA)
	ti.Anchor = anchorInfo(cr.anchor)
	if cr.sub != "" || cr.chain == nil {
		return bad("TSA certificate: %s", cr.detail)
	}
	tsData := &revData{crls: data.crls, ocsps: data.ocsps}
	for _, d := range ts.CRLs {
		_ = tsData.addCRL(d, "embedded", "")
	}
	for _, d := range ts.OCSPResponses {
		_, _ = tsData.addOCSP(d, "embedded", "")
	}
	for i := 0; i+1 < len(cr.chain); i++ {
		info := r.checkRevocation(ctx, cr.chain[i], cr.chain[i+1], g, tsData)
		ti.Revocation = append(ti.Revocation, info)
		switch info.Status {
		case StatusRevoked:
			if !info.RevokedAt.After(g) {
				return bad("TSA chain certificate %q was revoked at %s, before the timestamp", info.Subject, info.RevokedAt.Format(time.RFC3339))
			}
		case StatusUnknown:
			return bad("revocation status of TSA chain certificate %q unknown", info.Subject)
		}
	}
	ti.Valid = true
	return ti
}

// decide sets the verdict from the findings.
func (r *run) decide() {
	f := r.rep.Findings
	slices.SortStableFunc(f, func(a, b Finding) int { return rank(a.SubIndication) - rank(b.SubIndication) })
	if len(f) == 0 {
		r.rep.Indication = TotalPassed
		return
	}
	r.rep.Indication, r.rep.SubIndication = f[0].Indication, f[0].SubIndication
}

func hasOCSPNoCheck(c *x509.Certificate) bool { return revinfo.HasOCSPNoCheck(c) }

// keyDescription names a public key and its size.
func keyDescription(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// acceptHash applies the hash policy and records the remark of a hash
// accepted only by the caller's SHA-1 option.
func (r *run) acceptHash(what string, h crypto.Hash, poe time.Time) error {
	note, err := r.v.policy.acceptHash(h, poe)
	if note != "" {
		if r.poeFromCaller {
			note += " (the caller's proof of existence)"
		}
		r.warn(what + ": " + note)
	}
	return err
}

// legacyPKCS1v15Warning is the remark the CMS evidence carries for RSA
// PKCS#1 v1.5 signatures; Validate reports it as information instead.
const legacyPKCS1v15Warning = "RSA PKCS#1 v1.5 signature: accepted, although Circular 15/2025 Appendix I names RSASSA-PSS"

// pkcs1v15Info is the information line for RSA PKCS#1 v1.5 signatures.
const pkcs1v15Info = "RSA PKCS#1 v1.5 signature (the scheme of Vietnamese tokens, SIMs and remote signing services; Circular 15/2025 Appendix I names RSASSA-PSS)"

// isPKCS1v15 reports whether a signature scheme (a CMS scheme name or an
// XML-DSig SignatureMethod URI) is RSA PKCS#1 v1.5.
func isPKCS1v15(scheme string, leaf *x509.Certificate) bool {
	if _, ok := leaf.PublicKey.(*rsa.PublicKey); !ok {
		return false
	}
	if scheme == "RSA PKCS#1 v1.5" {
		return true
	}
	// XML-DSig: …#rsa-sha256 and friends are v1.5; PSS URIs read
	// …#sha256-rsa-MGF1.
	if i := strings.LastIndexByte(scheme, '#'); i >= 0 {
		return strings.HasPrefix(scheme[i+1:], "rsa-")
	}
	return false
}

// certsAtHand returns every certificate the evidence carries: the
// signature's own and those of all its time-stamp tokens, so that a TSA
// whose tokens omit the root, or a signer whose CMS omits an intermediate
// another token carries, still chains.
func certsAtHand(ev *Evidence) []*x509.Certificate {
	out := append([]*x509.Certificate(nil), ev.Certificates...)
	for i := range ev.Timestamps {
		out = append(out, ev.Timestamps[i].Certificates...)
		if c := ev.Timestamps[i].SignerCert; c != nil {
			out = append(out, c)
		}
	}
	return out
}
