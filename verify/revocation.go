package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/signer"
)

// RevocationStatus is the outcome of a revocation check of one certificate.
type RevocationStatus string

const (
	StatusGood    RevocationStatus = "good"
	StatusRevoked RevocationStatus = "revoked"
	// StatusUnknown: no authentic, applicable and fresh revocation data.
	StatusUnknown RevocationStatus = "unknown"
	// StatusNotChecked: the certificate needs no check (a trust anchor, or
	// an OCSP responder certificate with id-pkix-ocsp-nocheck).
	StatusNotChecked RevocationStatus = "not-checked"
)

// RevocationInfo is the revocation evidence used for one certificate.
type RevocationInfo struct {
	Subject string           `json:"subject"`
	Serial  string           `json:"serial"`
	Status  RevocationStatus `json:"status"`
	// RevokedAt and Reason are set for revoked certificates.
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	// Source is "OCSP" or "CRL"; Origin "embedded", "options" or "fetched".
	Source string `json:"source,omitempty"`
	Origin string `json:"origin,omitempty"`
	URL    string `json:"url,omitempty"`
	// Issuer of the CRL or OCSP responder that answered.
	Responder  string     `json:"responder,omitempty"`
	ProducedAt *time.Time `json:"producedAt,omitempty"`
	ThisUpdate *time.Time `json:"thisUpdate,omitempty"`
	NextUpdate *time.Time `json:"nextUpdate,omitempty"`
	// Nonce says whether an online OCSP response echoed our nonce.
	Nonce string `json:"nonce,omitempty"`
	// Problems lists data that was rejected and why, and fetch failures.
	Problems []Message `json:"problems,omitempty"`
	// FetchFailed is true when an online fetch failed.
	FetchFailed bool `json:"fetchFailed,omitempty"`
}

var reasonNames = map[int]string{
	0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged",
	4: "superseded", 5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL",
	9: "privilegeWithdrawn", 10: "aACompromise",
}

func reasonName(r int) string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", r)
}

// revData is the pool of revocation data available to one validation.
type revData struct {
	crls     []revCRL
	ocsps    []revOCSP
	problems []Message // unparsable items
}

type revCRL struct {
	crl    *x509.RevocationList
	origin string
	url    string
}

type revOCSP struct {
	resp   *revinfo.Response
	origin string
	url    string
	nonce  string
}

func (d *revData) addCRL(der []byte, origin, url string) error {
	crl, err := revinfo.ParseCRL(der) // DER, or the PEM some CAs publish
	if err != nil {
		d.problems = append(d.problems, msg("revocation.crl-unparsable", origin, err))
		return err
	}
	d.crls = append(d.crls, revCRL{crl: crl, origin: origin, url: url})
	return nil
}

func (d *revData) addOCSP(der []byte, origin, url string) (*revinfo.Response, error) {
	r, err := revinfo.ParseOCSP(der)
	if err != nil {
		d.problems = append(d.problems, msg("revocation.ocsp-unparsable", origin, err))
		return nil, err
	}
	d.ocsps = append(d.ocsps, revOCSP{resp: r, origin: origin, url: url})
	return r, nil
}

// answer is one conclusive or inconclusive revocation answer.
type answer struct {
	status    RevocationStatus
	revokedAt time.Time
	reason    int
	covers    bool    // a "good" answer that covers the time in question
	note      Message // a remark for the report
}

// checkRevocation finds the status of cert (issued by issuer) at time at,
// from the data pool and, online, from the network. now is the validation
// time.
func (r *run) checkRevocation(ctx context.Context, cert, issuer *x509.Certificate, at time.Time, data *revData) RevocationInfo {
	info := RevocationInfo{Subject: displayName(cert), Serial: serialHex(cert.SerialNumber), Status: StatusUnknown}
	if conclude(&info, r.fromPool(cert, issuer, at, data, &info)) {
		return info
	}
	if r.v.opts.Revocation == RevocationOnline {
		r.fetchRevocation(ctx, cert, issuer, at, data, &info)
	}
	if info.Status == StatusUnknown && len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		info.Problems = append(info.Problems, msg("revocation.no-service"))
	}
	return info
}

// conclude reports whether info holds a conclusive answer.
func conclude(info *RevocationInfo, ok bool) bool {
	return ok && (info.Status == StatusGood || info.Status == StatusRevoked)
}

// fromPool evaluates every item in data; revoked wins over good.
func (r *run) fromPool(cert, issuer *x509.Certificate, at time.Time, data *revData, info *RevocationInfo) bool {
	found := false
	for _, o := range data.ocsps {
		a, err := r.evalOCSP(o.resp, cert, issuer, at)
		if err != nil {
			if !errors.Is(err, errNotApplicable) {
				info.Problems = append(info.Problems, msg("revocation.ocsp-rejected", o.origin, err))
			}
			continue
		}
		if a.status == StatusGood && !a.covers {
			info.Problems = append(info.Problems, msg("revocation.ocsp-too-old", o.origin, at))
		}
		if !a.note.IsZero() && !slices.ContainsFunc(info.Problems, a.note.equal) {
			info.Problems = append(info.Problems, a.note)
		}
		if record(info, a, "OCSP", o.origin, o.url) {
			info.Responder = responderName(o.resp)
			info.ProducedAt = timePtr(o.resp.ProducedAt)
			info.Nonce = o.nonce
			found = true
			if a.status == StatusRevoked {
				return true
			}
		}
	}
	for _, c := range data.crls {
		a, err := r.evalCRL(c.crl, cert, issuer, at)
		if err != nil {
			if !errors.Is(err, errNotApplicable) {
				info.Problems = append(info.Problems, msg("revocation.crl-rejected", c.origin, c.crl.Issuer.CommonName, err))
			}
			continue
		}
		if a.status == StatusGood && !a.covers {
			info.Problems = append(info.Problems, msg("revocation.crl-too-old", c.origin, c.crl.ThisUpdate, c.crl.NextUpdate, at))
		}
		if record(info, a, "CRL", c.origin, c.url) {
			info.Responder = signer.DisplayName(c.crl.Issuer)
			info.ProducedAt = nil
			info.Nonce = ""
			found = true
			if a.status == StatusRevoked {
				return true
			}
		}
	}
	return found
}

// record stores a into info when it improves on what info holds: revoked
// beats good beats unknown. It reports whether a was stored.
func record(info *RevocationInfo, a answer, source, origin, url string) bool {
	switch {
	case a.status == StatusRevoked:
		info.Status = StatusRevoked
		info.RevokedAt = timePtr(a.revokedAt)
		info.Reason = reasonName(a.reason)
	case a.status == StatusGood && a.covers && info.Status != StatusRevoked && info.Status != StatusGood:
		info.Status = StatusGood
	default:
		return false
	}
	info.Source, info.Origin, info.URL = source, origin, url
	return true
}

var errNotApplicable = revinfo.ErrNotApplicable

// evalCRL checks a CRL's issuer, signature, scope and freshness and looks
// cert up in it.
func (r *run) evalCRL(crl *x509.RevocationList, cert, issuer *x509.Certificate, at time.Time) (answer, error) {
	res, err := revinfo.EvalCRL(crl, cert, issuer, r.now, r.skew)
	if err != nil {
		return answer{}, err
	}
	if res.Revoked {
		return answer{status: StatusRevoked, revokedAt: res.RevokedAt, reason: res.Reason}, nil
	}
	if res.Partial {
		return answer{}, errorMsg("revocation.crl-partial")
	}
	return answer{status: StatusGood, covers: covers(crl.ThisUpdate, crl.NextUpdate, at, r.skew)}, nil
}

// covers reports whether data issued at thisUpdate, valid until nextUpdate,
// speaks for time at: it was issued after at, or at falls in its window.
func covers(thisUpdate, nextUpdate, at time.Time, skew time.Duration) bool {
	if !thisUpdate.Before(at.Add(-skew)) {
		return true
	}
	return !nextUpdate.IsZero() && !at.After(nextUpdate.Add(skew))
}

// evalOCSP checks an OCSP response's CertID (issuer name hash, issuer key
// hash and serial), the authorisation of its signer (the CA itself, or a
// delegated responder certified by the CA for id-kp-OCSPSigning and valid
// when the response was produced) and its freshness, and returns its
// answer for cert.
func (r *run) evalOCSP(resp *revinfo.Response, cert, issuer *x509.Certificate, at time.Time) (answer, error) {
	var single *revinfo.SingleResponse
	for i := range resp.Singles {
		if revinfo.MatchCertID(resp.Singles[i].CertID, cert, issuer) {
			single = &resp.Singles[i]
			break
		}
	}
	if single == nil {
		return answer{}, errNotApplicable
	}
	note, err := r.checkResponder(resp, issuer)
	if err != nil {
		return answer{}, err
	}
	skew := r.skew
	if err := revinfo.CheckSingle(resp, single, r.now, skew); err != nil {
		return answer{}, err
	}
	switch {
	case bool(single.Good):
		return answer{status: StatusGood, covers: covers(single.ThisUpdate, single.NextUpdate, at, skew), note: note}, nil
	case bool(single.Unknown):
		return answer{}, errorMsg("revocation.ocsp-status-unknown")
	default:
		return answer{status: StatusRevoked, revokedAt: single.Revoked.RevocationTime, reason: int(single.Revoked.Reason), note: note}, nil
	}
}

// checkResponder verifies who signed resp and whether they may. note
// says what was not checked (a delegated responder's own revocation status
// when it lacks id-pkix-ocsp-nocheck).
func (r *run) checkResponder(resp *revinfo.Response, issuer *x509.Certificate) (note Message, err error) {
	d, err := revinfo.CheckResponder(resp, issuer, r.skew)
	if err != nil || d == nil {
		return Message{}, err
	}
	if err := r.v.policy.checkKey(d.PublicKey, time.Time{}); err != nil {
		return Message{}, errorMsg("revocation.responder-key", err)
	}
	if !revinfo.HasOCSPNoCheck(d) {
		return msg("revocation.responder-no-nocheck", displayName(d)), nil
	}
	return Message{}, nil
}

func responderName(resp *revinfo.Response) string {
	for _, c := range resp.Certs {
		if revinfo.ResponderIDMatches(resp, c) {
			return displayName(c)
		}
	}
	return ""
}

// fetchRevocation asks the certificate's OCSP responders, then its CRL
// distribution points, until one gives a conclusive answer.
func (r *run) fetchRevocation(ctx context.Context, cert, issuer *x509.Certificate, at time.Time, data *revData, info *RevocationInfo) {
	for _, u := range cert.OCSPServer {
		if !isHTTP(u) {
			continue
		}
		req, nonce, err := revinfo.NewOCSPRequest(cert, issuer)
		if err != nil {
			info.Problems = append(info.Problems, msg("revocation.ocsp-request", err))
			continue
		}
		body, err := r.v.fetch.postOCSP(ctx, u, req)
		if err != nil {
			info.Problems = append(info.Problems, *errMessage(err))
			info.FetchFailed = true
			continue
		}
		resp, err := revinfo.ParseOCSP(body)
		if err != nil {
			info.Problems = append(info.Problems, msg("revocation.ocsp-response", u, err))
			info.FetchFailed = true
			continue
		}
		nonceNote := "not echoed"
		if resp.Nonce != nil {
			if !revinfo.NonceMatches(resp.Nonce, nonce) {
				info.Problems = append(info.Problems, msg("revocation.ocsp-nonce", u))
				continue
			}
			nonceNote = "matched"
		}
		data.ocsps = append(data.ocsps, revOCSP{resp: resp, origin: "fetched", url: u, nonce: nonceNote})
		if conclude(info, r.fromPool(cert, issuer, at, &revData{ocsps: data.ocsps[len(data.ocsps)-1:]}, info)) {
			return
		}
	}
	for _, u := range cert.CRLDistributionPoints {
		if !isHTTP(u) {
			continue
		}
		body, err := r.v.fetch.get(ctx, u)
		if err != nil {
			info.Problems = append(info.Problems, *errMessage(err))
			info.FetchFailed = true
			continue
		}
		one := &revData{}
		if err := one.addCRL(body, "fetched", u); err != nil {
			info.Problems = append(info.Problems, msg("revocation.crl-response", u, err))
			info.FetchFailed = true
			continue
		}
		data.crls = append(data.crls, one.crls...)
		if conclude(info, r.fromPool(cert, issuer, at, one, info)) {
			return
		}
	}
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

func serialHex(n *big.Int) string {
	if n == nil {
		return ""
	}
	return strings.ToUpper(n.Text(16))
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
