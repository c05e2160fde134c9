package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"slices"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/signer"
)

// chainResult is the outcome of path building for one certificate.
type chainResult struct {
	chain  []*x509.Certificate // leaf first, anchor last; nil when none
	anchor *Anchor
	legacy bool // built by the legacy (SHA-1 capable) builder
	// sub and detail are set when no acceptable chain was found.
	sub    SubIndication
	detail Message
	// warnings are non-fatal remarks (legacy algorithms accepted, …).
	warnings []Message
}

var (
	oidKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidAnyEKU         = asn1.ObjectIdentifier{2, 5, 29, 37, 0}
)

// purpose says what a chain is for.
type purpose int

const (
	purposeSigner purpose = iota
	purposeTSA
)

// buildChain finds a path from leaf to a trust anchor valid at time at.
// poe is the proven existence time used to judge weak algorithms (zero:
// none). extra are certificates carried by the document.
func (r *run) buildChain(ctx context.Context, leaf *x509.Certificate, extra []*x509.Certificate, at, poe time.Time, p purpose) chainResult {
	// Certificates parsed outside kyso's parser may still list Microsoft's
	// application-policies extension as unhandled; it is evaluated below
	// like an extended key usage.
	leaf = certparse.Handle(leaf)
	if a := r.v.opts.Trust.lookup(leaf); a != nil {
		// The caller pinned this very certificate.
		return chainResult{chain: []*x509.Certificate{leaf}, anchor: a}
	}
	cands := r.candidates(extra)
	var res chainResult
	for round := 0; ; round++ {
		res = r.tryVerify(leaf, cands, at, p)
		if res.chain != nil || res.sub != NoCertificateChainFound {
			break
		}
		if r.v.opts.Revocation != RevocationOnline || round >= 4 {
			break
		}
		more := r.fetchAIA(ctx, append([]*x509.Certificate{leaf}, cands...))
		if len(more) == 0 {
			break
		}
		cands = append(cands, more...)
	}
	if res.chain != nil || res.sub != NoCertificateChainFound {
		return res
	}
	// crypto/x509 will not build through SHA-1 (or MD5) signatures. Look for
	// such a path ourselves so that it is reported as an algorithm problem,
	// not as an unknown issuer — or accepted when POE predates the sunset.
	chain, weakAlg, err := r.legacyChain(leaf, cands)
	if err != nil {
		return res
	}
	h := certSignatureHash(weakAlg)
	note, perr := r.v.policy.acceptHash(h, poe)
	if perr != nil {
		return chainResult{chain: chain, anchor: r.v.opts.Trust.lookup(chain[len(chain)-1]), sub: CryptoConstraintsFailure,
			detail: msg("chain.weak-algorithm", weakAlg, perr)}
	}
	w := msg("chain.weak-algorithm-accepted", weakAlg)
	if !note.IsZero() {
		w = msg("chain.weak-algorithm", weakAlg, note)
	}
	res = chainResult{chain: chain, anchor: r.v.opts.Trust.lookup(chain[len(chain)-1]), legacy: true, warnings: []Message{w}}
	if sub, detail := r.checkKeyUsages(chain, p); sub != "" {
		res.sub, res.detail = sub, detail
	}
	return res
}

// candidates returns the intermediates available for path building.
func (r *run) candidates(extra []*x509.Certificate) []*x509.Certificate {
	out := append([]*x509.Certificate(nil), r.v.opts.Intermediates...)
	out = append(out, extra...)
	out = append(out, r.aia...)
	for i, c := range out {
		out[i] = certparse.Handle(c)
	}
	return out
}

// tryVerify runs crypto/x509 path building and our key-usage checks.
func (r *run) tryVerify(leaf *x509.Certificate, cands []*x509.Certificate, at time.Time, p purpose) chainResult {
	inter := x509.NewCertPool()
	for _, c := range cands {
		inter.AddCert(c)
	}
	// Certificate validity against the signature time is judged by the
	// caller; build at a time inside the leaf's validity so that the chain
	// can be reported even for an expired leaf.
	buildAt := at
	if buildAt.Before(leaf.NotBefore) {
		buildAt = leaf.NotBefore
	}
	if buildAt.After(leaf.NotAfter) {
		buildAt = leaf.NotAfter
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         r.v.opts.Trust.pool(), // never nil: no system roots
		Intermediates: inter,
		CurrentTime:   buildAt,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			return chainResult{sub: NoCertificateChainFound, detail: msg("chain.no-path", err)}
		case errors.As(err, &ci) && (ci.Reason == x509.Expired):
			return chainResult{sub: OutOfBoundsNoPOE, detail: msg("chain.ca-not-valid", err)}
		}
		return chainResult{sub: ChainConstraintsFailure, detail: msg("chain.rejected", err)}
	}
	slices.SortStableFunc(chains, func(a, b []*x509.Certificate) int { return len(a) - len(b) })
	var first chainResult
	for i, ch := range chains {
		res := chainResult{chain: ch, anchor: r.v.opts.Trust.lookup(ch[len(ch)-1])}
		if sub, detail := r.checkKeyUsages(ch, p); sub != "" {
			res.sub, res.detail = sub, detail
			if i == 0 {
				first = res
			}
			continue
		}
		return res
	}
	return first
}

// checkKeyUsages checks what crypto/x509 ignores: keyUsage bits on the leaf
// (per policy) and keyCertSign on every CA, and the TSA's EKU.
func (r *run) checkKeyUsages(ch []*x509.Certificate, p purpose) (SubIndication, Message) {
	leaf := ch[0]
	switch p {
	case purposeSigner:
		ku := leaf.KeyUsage
		var ok bool
		switch r.v.opts.KeyUsage {
		case KeyUsageNonRepudiation, KeyUsageWarn:
			ok = ku&x509.KeyUsageContentCommitment != 0
		default:
			ok = ku&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) != 0
		}
		if !ok {
			m := msg("chain.signer-key-usage", displayName(leaf))
			if r.v.opts.KeyUsage != KeyUsageSigning {
				m = msg("chain.signer-non-repudiation", displayName(leaf))
			}
			if r.v.opts.KeyUsage == KeyUsageWarn {
				r.warn(m)
			} else {
				return ChainConstraintsFailure, m
			}
		}
	case purposeTSA:
		if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageTimeStamping) {
			return ChainConstraintsFailure, msg("chain.tsa-eku", displayName(leaf))
		}
	}
	// Microsoft application policies restrict purposes like an extended
	// key usage, nested down the chain: every certificate that carries the
	// extension must allow the purpose (anyExtendedKeyUsage allows all).
	// A signer certificate's purposes are not restricted by kyso (as with
	// extendedKeyUsage), so only the TSA purpose is checked.
	for _, c := range ch {
		pols, err := certparse.AppPolicies(c)
		if err != nil {
			return ChainConstraintsFailure, msg("chain.certificate", displayName(c), err)
		}
		if p == purposeTSA && pols != nil && !slices.ContainsFunc(pols, func(o asn1.ObjectIdentifier) bool {
			return o.Equal(oidKPTimeStamping) || o.Equal(oidAnyEKU)
		}) {
			return ChainConstraintsFailure, msg("chain.tsa-application-policy", displayName(c))
		}
	}
	for _, ca := range ch[1:] {
		if ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCertSign == 0 {
			return ChainConstraintsFailure, msg("chain.ca-key-usage", displayName(ca))
		}
	}
	return "", Message{}
}

// legacyChain builds a path by names and signatures, accepting the
// signature algorithms crypto/x509 refuses. It returns the chain and the
// weakest signature algorithm on it, or an error when there is no path or
// the path uses no weak algorithm (then crypto/x509's verdict stands).
// Validity periods are not checked here: the caller judges them.
func (r *run) legacyChain(leaf *x509.Certificate, cands []*x509.Certificate) ([]*x509.Certificate, x509.SignatureAlgorithm, error) {
	anchors := r.v.opts.Trust.certs()
	chain := []*x509.Certificate{leaf}
	weak := x509.UnknownSignatureAlgorithm
	cur := leaf
	for depth := 0; depth < 8; depth++ {
		next, fromAnchor := findIssuer(cur, anchors, cands, chain)
		if next == nil {
			return nil, 0, errors.New("no issuer")
		}
		if isWeakCertAlgorithm(cur.SignatureAlgorithm) {
			weak = cur.SignatureAlgorithm
		}
		chain = append(chain, next)
		if !fromAnchor && (!next.IsCA || !next.BasicConstraintsValid) {
			return nil, 0, errors.New("issuer is not a CA")
		}
		if fromAnchor {
			if weak == x509.UnknownSignatureAlgorithm {
				return nil, 0, errors.New("no weak algorithm on the path")
			}
			return chain, weak, nil
		}
		cur = next
	}
	return nil, 0, errors.New("path too long")
}

// findIssuer returns a certificate (preferring anchors) whose subject is
// c's issuer and whose key verifies c's signature, SHA-1 included.
func findIssuer(c *x509.Certificate, anchors, cands, used []*x509.Certificate) (*x509.Certificate, bool) {
	for pass, set := range [][]*x509.Certificate{anchors, cands} {
		for _, p := range set {
			if slices.Contains(used, p) || !bytes.Equal(p.RawSubject, c.RawIssuer) {
				continue
			}
			if legacyCheckSignature(p.PublicKey, c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
				return p, pass == 0
			}
		}
	}
	return nil, false
}

// legacyCheckSignature verifies a certificate signature, allowing SHA-1.
func legacyCheckSignature(pub crypto.PublicKey, alg x509.SignatureAlgorithm, tbs, sig []byte) error {
	h := certSignatureHash(alg)
	if h != crypto.SHA1 {
		c := &x509.Certificate{PublicKey: pub}
		return c.CheckSignature(alg, tbs, sig)
	}
	d := crypto.SHA1.New()
	d.Write(tbs)
	digest := d.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA1, digest, sig)
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(k, digest, sig) {
			return nil
		}
	}
	return errors.New("bad signature")
}

// fetchAIA downloads the issuers named by the caIssuers URLs of certs.
func (r *run) fetchAIA(ctx context.Context, certs []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		for _, u := range c.IssuingCertificateURL {
			if !isHTTP(u) || r.aiaTried[u] {
				continue
			}
			if r.aiaTried == nil {
				r.aiaTried = map[string]bool{}
			}
			r.aiaTried[u] = true
			body, err := r.v.fetch.get(ctx, u)
			if err != nil {
				r.warn(msg("chain.aia-fetch", err))
				continue
			}
			got, err := ParseCertificates(body)
			if err != nil {
				r.warn(msg("chain.aia-unparsable", u, err))
				continue
			}
			out = append(out, got...)
		}
	}
	r.aia = append(r.aia, out...)
	return out
}

// displayName is a short human name for a certificate.
func displayName(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return signer.DisplayName(c.Subject)
}
