package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-vn/kyso/internal/cms"
)

var oidRIOCSPResponse = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}

// cmsEvidence returns the evidence of every SignerInfo of sd, whose
// detached (or encapsulated) content hashed to digests[hash] for each
// SignerInfo's digest algorithm. format names the signature format in the
// report ("CMS", "PAdES", …). The cryptographic checks are internal/cms's
// SignedData.Verify, applied to one SignerInfo at a time with its
// time-stamps checked separately, so a bad time-stamp does not hide an
// intact signature (it only stops counting as proof of existence).
func cmsEvidence(sd *cms.SignedData, digests map[crypto.Hash][]byte, format string) []*Evidence {
	var out []*Evidence
	for i, si := range sd.SignerInfos {
		ev := &Evidence{Format: format, ID: fmt.Sprintf("SignerInfo %d", i+1), DigestAlgorithm: si.Hash}
		if sd.BER {
			ev.Warnings = append(ev.Warnings, msg("cms.ber"))
		}
		out = append(out, ev)
		cert, err := sd.SignerCertificate(si)
		if err != nil {
			ev.SignerCertErr = err
		} else {
			ev.SignerCert = cert
			for _, c := range sd.Certificates {
				if c != cert {
					ev.Certificates = append(ev.Certificates, c)
				}
			}
			ev.SignatureAlgorithm = signatureScheme(si, cert.PublicKey)
			if ev.SignatureAlgorithm == "RSA PKCS#1 v1.5" {
				ev.Warnings = append(ev.Warnings, msg(codePKCS1v15Accepted))
			}
		}
		if si.Hash == 0 {
			ev.FormatErr = errorMsg("cms.unknown-digest", si.DigestAlgorithm.Algorithm.String())
			continue
		}
		if t, ok, err := si.SigningTime(); err != nil {
			ev.Warnings = append(ev.Warnings, msg("cms.signing-time-unreadable", err))
		} else if ok {
			ev.ClaimedTime = t
		}
		if ev.SignerCert != nil {
			one := *si
			one.Timestamps, one.TimestampErrors = nil, nil
			sub := *sd
			sub.SignerInfos = []*cms.SignerInfo{&one}
			classifyCMSError(ev, sub.Verify(digests[si.Hash]))
		}
		for _, t := range si.Timestamps {
			ev.Timestamps = append(ev.Timestamps, tokenEvidence(t, "signature", t.VerifyData(si.Signature)))
		}
		// A time-stamp attribute that does not parse lies outside what the
		// signature covers: it costs the time-stamp (no proof of
		// existence, reported), not the signature.
		for _, err := range si.TimestampErrors {
			ev.Timestamps = append(ev.Timestamps, Timestamp{Kind: "signature", Err: err})
		}
		for _, raw := range sd.RawCRLs {
			addRevocationChoice(ev, raw)
		}
		if v := si.Attribute(cms.OIDAttrAdbeRevocation); v != nil {
			if err := addAdbeRevocation(ev, v); err != nil {
				ev.Warnings = append(ev.Warnings, msg("cms.adbe-revocation-unreadable", err))
			}
		}
	}
	return out
}

// classifyCMSError maps internal/cms errors to the evidence fields.
func classifyCMSError(ev *Evidence, err error) {
	switch {
	case err == nil:
	case errors.Is(err, cms.ErrNoSignerCertificate), errors.Is(err, cms.ErrESSMismatch):
		ev.SignerCertErr = err
	case errors.Is(err, cms.ErrHashMismatch):
		ev.DigestErr = err
	case errors.Is(err, cms.ErrSignatureInvalid):
		ev.SignatureErr = err
	case errors.Is(err, cms.ErrUnsupportedAlgorithm) && ev.SignerCert != nil:
		ev.AlgorithmErr = err
	default:
		ev.FormatErr = err
	}
}

// tokenEvidence is the evidence of the time-stamp token t of the given kind
// ("signature", "document"), whose check gave verr.
func tokenEvidence(t *cms.Token, kind string, verr error) Timestamp {
	ts := Timestamp{
		Kind: kind, GenTime: t.GenTime, SignerCert: t.TSACertificate, Certificates: t.Certificates,
		ImprintAlgorithm: t.HashAlgorithm, Err: verr,
	}
	if t.SignedData != nil {
		if len(t.SignedData.SignerInfos) > 0 {
			ts.DigestAlgorithm = t.SignedData.SignerInfos[0].Hash
		}
		for _, raw := range t.SignedData.RawCRLs {
			tmp := &Evidence{}
			addRevocationChoice(tmp, raw)
			ts.CRLs = append(ts.CRLs, tmp.CRLs...)
			ts.OCSPResponses = append(ts.OCSPResponses, tmp.OCSPResponses...)
		}
	}
	return ts
}

// signatureScheme names the signature scheme of si for pub.
func signatureScheme(si *cms.SignerInfo, pub crypto.PublicKey) string {
	opts, err := si.SignerOpts(pub)
	switch pub.(type) {
	case *rsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok && err == nil {
			return "RSASSA-PSS"
		}
		return "RSA PKCS#1 v1.5"
	case *ecdsa.PublicKey:
		return "ECDSA"
	}
	return keyDescription(pub)
}

// addRevocationChoice adds one RevocationInfoChoice (RFC 5652 §10.2.1): a
// CRL, or [1] OtherRevocationInfoFormat holding an OCSP response (RFC 5940).
func addRevocationChoice(ev *Evidence, raw []byte) {
	s := cryptobyte.String(raw)
	var body cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&body, &tag) {
		return
	}
	switch tag {
	case cbasn1.SEQUENCE:
		ev.CRLs = append(ev.CRLs, raw)
	case cbasn1.Tag(1).Constructed().ContextSpecific():
		var oid asn1.ObjectIdentifier
		if !body.ReadASN1ObjectIdentifier(&oid) {
			return
		}
		var val cryptobyte.String
		if oid.Equal(oidRIOCSPResponse) && body.ReadASN1Element(&val, cbasn1.SEQUENCE) {
			ev.OCSPResponses = append(ev.OCSPResponses, val)
		}
	}
}

// addAdbeRevocation reads Adobe's RevocationInfoArchival signed attribute
// (1.2.840.113583.1.1.8): { crl [0] EXPLICIT SEQUENCE OF CRL, ocsp [1]
// EXPLICIT SEQUENCE OF OCSPResponse, otherRevInfo [2] … }.
func addAdbeRevocation(ev *Evidence, der []byte) error {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return errors.New("not a SEQUENCE")
	}
	for !seq.Empty() {
		var field cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&field, &tag) {
			return errors.New("malformed field")
		}
		var list cryptobyte.String
		if tag != cbasn1.Tag(0).Constructed().ContextSpecific() && tag != cbasn1.Tag(1).Constructed().ContextSpecific() {
			continue
		}
		if !field.ReadASN1(&list, cbasn1.SEQUENCE) {
			return errors.New("malformed list")
		}
		for !list.Empty() {
			var el cryptobyte.String
			if !list.ReadASN1Element(&el, cbasn1.SEQUENCE) {
				return errors.New("malformed entry")
			}
			if tag == cbasn1.Tag(0).Constructed().ContextSpecific() {
				ev.CRLs = append(ev.CRLs, el)
			} else {
				ev.OCSPResponses = append(ev.OCSPResponses, el)
			}
		}
	}
	return nil
}

// VerifyDetached verifies a CMS/CAdES SignedData (a .p7s file, DER, BER or
// PEM) over content and returns one SignatureReport per SignerInfo, each
// followed by one per RFC 5652 countersignature of it. For an enveloping
// SignedData (a .p7m) content may be nil: the encapsulated content is
// verified; content given with it must be the same. A detached signature
// with nil content is reported INDETERMINATE/SIGNED_DATA_NOT_FOUND. An
// unparsable signature is reported as TOTAL_FAILED/FORMAT_FAILURE, not as
// an error; the error is for an unreadable content stream or cancellation.
func (v *Validator) VerifyDetached(ctx context.Context, signature []byte, content io.Reader) (*Report, error) {
	rep := v.NewReport("CMS")
	sd, err := cms.Parse(cms.UnPEM(signature))
	if err != nil {
		rep.Signatures = append(rep.Signatures, v.Validate(ctx, &Evidence{Format: "CMS", FormatErr: err}))
		return rep, nil
	}
	var digests map[crypto.Hash][]byte
	var missing error
	coverage := msg("cms.coverage-detached")
	switch {
	case content != nil:
		if digests, err = hashContent(content, sd); err != nil {
			return nil, err
		}
		if sd.Content != nil {
			coverage = msg("cms.coverage-encapsulated")
		}
	case sd.Content != nil:
		coverage = msg("cms.coverage-encapsulated")
	default:
		missing = errDetachedNoContent
	}
	for i, ev := range cmsEvidence(sd, digests, "CMS") {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		ev.Coverage = Coverage{Description: coverage, WholeDocument: true}
		addCAdESValues(ev, sd.SignerInfos[i])
		if missing != nil {
			ev.SignedDataErr, ev.DigestErr = missing, nil
			ev.Coverage.WholeDocument = false
		}
		rep.Signatures = append(rep.Signatures, v.Validate(ctx, ev))
		for _, cev := range countersignatureEvidence(sd, sd.SignerInfos[i], ev) {
			rep.Signatures = append(rep.Signatures, v.Validate(ctx, cev))
		}
	}
	return rep, nil
}

// hashContent reads content once, hashing it with every digest algorithm
// the SignerInfos use.
func hashContent(content io.Reader, sd *cms.SignedData) (map[crypto.Hash][]byte, error) {
	hashes := map[crypto.Hash]io.Writer{}
	var ws []io.Writer
	for _, si := range sd.SignerInfos {
		if si.Hash == 0 || !si.Hash.Available() {
			continue
		}
		if _, ok := hashes[si.Hash]; !ok {
			h := si.Hash.New()
			hashes[si.Hash] = h
			ws = append(ws, h)
		}
	}
	if _, err := io.Copy(io.MultiWriter(ws...), content); err != nil {
		return nil, fmt.Errorf("verify: reading signed content: %w", err)
	}
	out := map[crypto.Hash][]byte{}
	for h, w := range hashes {
		out[h] = w.(interface{ Sum([]byte) []byte }).Sum(nil)
	}
	return out, nil
}
