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

func (r *run) warn(m Message) {
	if !slices.ContainsFunc(r.rep.Warnings, m.equal) {
		r.rep.Warnings = append(r.rep.Warnings, m)
	}
}

func (r *run) fail(sub SubIndication, code string, args ...any) {
	r.failWith(sub, msg(code, args...))
}

func (r *run) failWith(sub SubIndication, m Message) {
	r.rep.Findings = append(r.rep.Findings, Finding{Indication: indicationOf(sub), SubIndication: sub, Detail: m})
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
		if w.Code == codePKCS1v15Accepted {
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
		r.integrityFailed(FormatFailure, "signature.malformed", ev.FormatErr)
		return
	case ev.SignedDataErr != nil:
		r.integrityFailed(SignedDataNotFound, "signature.signed-data-not-found", ev.SignedDataErr)
		return
	case ev.DigestErr != nil:
		r.integrityFailed(HashFailure, "signature.data-changed", ev.DigestErr)
	case ev.SignatureErr != nil:
		r.integrityFailed(SigCryptoFailure, "signature.value-invalid", ev.SignatureErr)
	case ev.SignerCertErr != nil:
		r.integrityFailed(NoSigningCertificateFound, "signature.signer-certificate", ev.SignerCertErr)
		return
	case ev.AlgorithmErr != nil:
		r.integrityFailed(CryptoConstraintsFailure, "signature.uncheckable", ev.AlgorithmErr)
		r.modifiedAfterSigning(ev)
		return
	case ev.SignerCert == nil:
		r.fail(NoSigningCertificateFound, "signature.no-signer-certificate")
		return
	default:
		rep.Integrity.Intact = true
	}
	r.modifiedAfterSigning(ev)
	if ev.SignerCert == nil {
		r.fail(NoSigningCertificateFound, "signature.no-signer-certificate")
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
		r.warn(msg("time.self-declared"))
	}
	rep.BestSignatureTime = at.UTC()
	if !poe.IsZero() && !ev.ClaimedTime.IsZero() && ev.ClaimedTime.After(poe.Add(r.skew)) {
		r.warn(msg("time.claimed-after-timestamp", ev.ClaimedTime, poe))
	}

	// Algorithms of the signature itself. The caller's proof of
	// existence counts for the algorithm policy only.
	algPOE := poe
	if cp := r.v.opts.ProofOfExistence; !cp.IsZero() && (algPOE.IsZero() || cp.Before(algPOE)) {
		algPOE = cp
	}
	r.algPOE, r.poeFromCaller = algPOE, !algPOE.Equal(poe)
	if err := r.acceptHash(func(note Message) Message { return msg("algorithm.signature-digest", note) }, ev.DigestAlgorithm, algPOE); err != nil {
		r.fail(CryptoConstraintsFailure, "algorithm.signature-digest", err)
	}
	if err := r.v.policy.checkKey(leaf.PublicKey, algPOE); err != nil {
		r.fail(CryptoConstraintsFailure, "algorithm.signer-key", err)
	}
	if isPKCS1v15(ev.SignatureAlgorithm, leaf) {
		rep.Information = append(rep.Information, msg("algorithm.pkcs1v15"))
	}

	// 3. Validity of the signer's certificate at the best signature time.
	claimed := ev.ClaimedTime
	switch {
	case at.Before(leaf.NotBefore.Add(-r.skew)):
		r.fail(NotYetValid, "certificate.not-yet-valid", leaf.NotBefore, at)
	case !claimed.IsZero() && claimed.Before(leaf.NotBefore.Add(-r.skew)):
		r.fail(NotYetValid, "certificate.claimed-before-validity", claimed, leaf.NotBefore)
	case at.After(leaf.NotAfter.Add(r.skew)):
		if !claimed.IsZero() && claimed.After(leaf.NotAfter.Add(r.skew)) {
			r.fail(Expired, "certificate.claimed-after-expiry", claimed, leaf.NotAfter)
		} else {
			r.fail(OutOfBoundsNoPOE, "certificate.expired-no-poe", leaf.NotAfter)
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
		r.failWith(cr.sub, cr.detail)
	}
	if cr.chain == nil || cr.sub == NoCertificateChainFound {
		return
	}
	for i, c := range cr.chain {
		if i == 0 || cr.anchor != nil && i == len(cr.chain)-1 {
			continue
		}
		if at.After(c.NotAfter.Add(r.skew)) || at.Before(c.NotBefore.Add(-r.skew)) {
			r.fail(OutOfBoundsNoPOE, "chain.ca-not-valid-at-signature-time", displayName(c))
		}
	}
	for i, c := range cr.chain {
		// The anchor's self-signature is not checked; the signatures on
		// every other certificate are.
		if i < len(cr.chain)-1 && !cr.legacy {
			name := displayName(c)
			if err := r.acceptHash(func(note Message) Message { return msg("algorithm.certificate-signature", name, note) }, certSignatureHash(c.SignatureAlgorithm), algPOE); err != nil {
				r.fail(CryptoConstraintsFailure, "algorithm.certificate-signature", name, err)
			}
		}
		if i > 0 {
			if err := r.v.policy.checkKey(c.PublicKey, algPOE); err != nil {
				r.fail(CryptoConstraintsFailure, "algorithm.certificate-key", displayName(c), err)
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
				Problems: []Message{msg("revocation.ocsp-nocheck")}}
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
					r.fail(RevokedCANoPOE, "revocation.ca-revoked", info.Subject, rt, info.Reason, at)
				case !claimed.IsZero() && claimed.After(rt.Add(r.skew)):
					r.fail(Revoked, "revocation.signer-revoked-claimed-later", rt, info.Reason, claimed)
				default:
					r.fail(RevokedNoPOE, "revocation.signer-revoked-no-poe", rt, info.Reason)
				}
			} else if signer {
				r.warn(msg("revocation.revoked-after-signature", info.Subject, rt, at))
			}
		case StatusUnknown:
			ok = false
			if signer {
				why := msg("revocation.why-offline")
				if r.v.opts.Revocation == RevocationOnline {
					why = msg("revocation.why-none-obtained")
					if info.FetchFailed {
						why = msg("revocation.why-unreachable")
					}
				}
				r.fail(TryLater, "revocation.unknown", info.Subject, why)
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
	bad := func(code string, args ...any) TimestampInfo {
		ti.Problems = append(ti.Problems, msg(code, args...))
		ti.Valid = false
		return ti
	}
	if ts.Err != nil {
		return bad("timestamp.invalid", ts.Err)
	}
	if ts.SignerCert == nil {
		return bad("timestamp.no-tsa-certificate")
	}
	if ts.GenTime.After(r.now.Add(r.skew)) {
		return bad("timestamp.in-future", ts.GenTime)
	}
	for _, h := range []crypto.Hash{ts.ImprintAlgorithm, ts.DigestAlgorithm} {
		if h == 0 {
			continue
		}
		if err := r.v.policy.checkHash(h, time.Time{}); err != nil {
			return bad("timestamp.algorithm", err)
		}
	}
	if err := r.v.policy.checkKey(ts.SignerCert.PublicKey, time.Time{}); err != nil {
		return bad("timestamp.tsa-key", err)
	}
	g := ts.GenTime
	if g.Before(ts.SignerCert.NotBefore.Add(-r.skew)) || g.After(ts.SignerCert.NotAfter.Add(r.skew)) {
		return bad("timestamp.tsa-not-valid", g)
	}
	extra := append(append([]*x509.Certificate(nil), ts.Certificates...), certsAtHand(ev)...)
	cr := r.buildChain(ctx, ts.SignerCert, extra, g, time.Time{}, purposeTSA)
	ti.Anchor = anchorInfo(cr.anchor)
	if cr.sub != "" || cr.chain == nil {
		return bad("timestamp.tsa-chain", cr.detail)
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
				return bad("timestamp.tsa-chain-revoked", info.Subject, *info.RevokedAt)
			}
		case StatusUnknown:
			return bad("timestamp.tsa-chain-revocation-unknown", info.Subject)
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
// accepted only by the caller's SHA-1 option, as what(note).
func (r *run) acceptHash(what func(note Message) Message, h crypto.Hash, poe time.Time) error {
	note, err := r.v.policy.acceptHash(h, poe)
	if !note.IsZero() {
		if r.poeFromCaller {
			note.Code = "algorithm.sha1-accepted-caller-poe"
		}
		r.warn(what(note))
	}
	return err
}

// integrityFailed records the failed integrity check err under sub.
func (r *run) integrityFailed(sub SubIndication, code string, err error) {
	m := msg(code, err)
	r.failWith(sub, m)
	r.rep.Integrity.Detail = *m.Cause
}

// modifiedAfterSigning records the changes made after signing that the
// signature does not permit.
func (r *run) modifiedAfterSigning(ev *Evidence) {
	switch n := len(ev.Coverage.ModifiedAfterSigning); {
	case n == 1:
		r.fail(FormatFailure, "signature.modified-after-signing-one", ev.Coverage.ModifiedAfterSigning[0])
	case n > 1:
		r.fail(FormatFailure, "signature.modified-after-signing", n, ev.Coverage.ModifiedAfterSigning[0])
	}
}

// codePKCS1v15Accepted is the remark the CMS evidence carries for RSA
// PKCS#1 v1.5 signatures; Validate reports it as information instead.
const codePKCS1v15Accepted = "algorithm.pkcs1v15-accepted"

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
