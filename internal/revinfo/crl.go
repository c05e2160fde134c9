package revinfo

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrNotApplicable: an OCSP response or CRL says nothing about the
// certificate in question (another issuer, another CertID, a CRL whose
// scope excludes it). It is not an ErrBadResponse.
var ErrNotApplicable = errors.New("not about this certificate")

// ParseCRL parses a CRL in DER or, as some CAs publish them, in PEM (the
// first "X509 CRL" block). For DER input that does not parse and holds no
// such block, the error is the DER parser's. It is for reading CRLs to
// judge them; what is embedded stays the DER that [CheckCRL] accepts.
func ParseCRL(b []byte) (*x509.RevocationList, error) {
	crl, err := x509.ParseRevocationList(b)
	if err != nil {
		if blk := firstPEM(b, "X509 CRL"); blk != nil {
			crl, err = x509.ParseRevocationList(blk)
		}
	}
	return crl, err
}

// firstPEM returns the contents of the first PEM block of type typ in b,
// or nil.
func firstPEM(b []byte, typ string) []byte {
	for {
		blk, rest := pem.Decode(b)
		if blk == nil {
			return nil
		}
		if blk.Type == typ {
			return blk.Bytes
		}
		b = rest
	}
}

// CRLResult is what a checked CRL says about one certificate.
type CRLResult struct {
	// Revoked, with RevokedAt and the CRLReason code, when the CRL lists
	// the certificate (removeFromCRL entries do not count).
	Revoked   bool
	RevokedAt time.Time
	Reason    int
	// Partial: the CRL covers only some revocation reasons
	// (onlySomeReasons), so its silence is no proof of "good".
	Partial bool
}

// EvalCRL checks that crl is issued and signed by issuer, is complete (no
// delta CRL, no indirect CRL), that its issuing distribution point scope
// includes cert and that its thisUpdate is not in the future (within
// skew), then looks cert up in it. It fails with ErrNotApplicable when the
// CRL is of another issuer or its scope excludes cert, and with an error
// wrapping ErrBadResponse when the CRL is unusable. Whether a CRL is
// recent enough for a given time is the caller's judgement.
func EvalCRL(crl *x509.RevocationList, cert, issuer *x509.Certificate, now time.Time, skew time.Duration) (*CRLResult, error) {
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return nil, ErrNotApplicable
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, bad("signature: %v", err)
	}
	res := &CRLResult{}
	for _, e := range crl.Extensions {
		switch {
		case e.Id.Equal(oidDeltaCRLIndicator):
			return nil, bad("delta CRLs are not used")
		case e.Id.Equal(oidIssuingDistributionPoint):
			idp, err := ParseIDP(e.Value)
			if err != nil {
				return nil, bad("issuing distribution point: %v", err)
			}
			if idp.Indirect {
				return nil, bad("indirect CRLs are not supported")
			}
			if idp.OnlyAttr || (idp.OnlyUser && cert.IsCA) || (idp.OnlyCA && !cert.IsCA) {
				return nil, ErrNotApplicable
			}
			if len(idp.URIs) > 0 && len(cert.CRLDistributionPoints) > 0 && !slices.ContainsFunc(idp.URIs, func(u string) bool {
				return slices.Contains(cert.CRLDistributionPoints, u)
			}) {
				return nil, ErrNotApplicable
			}
			res.Partial = idp.SomeReasons
		}
	}
	if crl.ThisUpdate.After(now.Add(skew)) {
		return nil, bad("thisUpdate %s is in the future", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 && e.ReasonCode != 8 {
			res.Revoked, res.RevokedAt, res.Reason = true, e.RevocationTime, e.ReasonCode
			break
		}
	}
	return res, nil
}

var (
	oidDeltaCRLIndicator        = []int{2, 5, 29, 27}
	oidIssuingDistributionPoint = []int{2, 5, 29, 28}
)

// IDP is a CRL's IssuingDistributionPoint extension.
type IDP struct {
	URIs                                              []string // fullName URIs
	OnlyUser, OnlyCA, OnlyAttr, Indirect, SomeReasons bool
}

// ParseIDP reads an IssuingDistributionPoint extension (RFC 5280 §5.2.5).
func ParseIDP(der []byte) (IDP, error) {
	var out IDP
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
		return out, errors.New("malformed")
	}
	var dp cryptobyte.String
	var has bool
	if !seq.ReadOptionalASN1(&dp, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return out, errors.New("malformed distributionPoint")
	}
	if has {
		var full cryptobyte.String
		var hasFull bool
		if !dp.ReadOptionalASN1(&full, &hasFull, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return out, errors.New("malformed fullName")
		}
		for hasFull && !full.Empty() {
			var gn cryptobyte.String
			var tag cbasn1.Tag
			if !full.ReadAnyASN1(&gn, &tag) {
				return out, errors.New("malformed GeneralName")
			}
			if tag == cbasn1.Tag(6).ContextSpecific() {
				out.URIs = append(out.URIs, string(gn))
			}
		}
	}
	readBool := func(tag int, dst *bool) bool {
		var v cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&v, &present, cbasn1.Tag(tag).ContextSpecific()) {
			return false
		}
		if present {
			if len(v) != 1 {
				return false
			}
			*dst = v[0] != 0
		}
		return true
	}
	if !readBool(1, &out.OnlyUser) || !readBool(2, &out.OnlyCA) {
		return out, errors.New("malformed flags")
	}
	var reasons cryptobyte.String
	if !seq.ReadOptionalASN1(&reasons, &out.SomeReasons, cbasn1.Tag(3).ContextSpecific()) {
		return out, errors.New("malformed onlySomeReasons")
	}
	if !readBool(4, &out.Indirect) || !readBool(5, &out.OnlyAttr) || !seq.Empty() {
		return out, errors.New("malformed flags")
	}
	return out, nil
}
