package verify

import (
	"github.com/kyso-vn/kyso/internal/certparse"

	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/revinfo"
)

// CAdES / CMS files (.p7s, .p7m): sniffing, the Mux verifier and RFC 5652
// countersignatures.

var errDetachedNoContent = errorMsg("cms.detached-no-content")

// IsCMS reports whether head (the first bytes of a document) looks like a
// CMS SignedData: a DER or BER ContentInfo whose contentType is
// id-signedData, or a PEM "PKCS7" / "CMS" block.
func IsCMS(head []byte) bool {
	if t := bytes.TrimLeft(head, " \t\r\n"); bytes.HasPrefix(t, []byte("-----BEGIN PKCS7-----")) || bytes.HasPrefix(t, []byte("-----BEGIN CMS-----")) {
		return true
	}
	if len(head) < 2 || head[0] != 0x30 {
		return false
	}
	// Skip the SEQUENCE length (definite short or long form, or
	// indefinite).
	i := 2
	switch l := head[1]; {
	case l == 0x80, l < 0x80:
	case l > 0x80 && l <= 0x84:
		i += int(l & 0x7f)
	default:
		return false
	}
	oid := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	return len(head) >= i+len(oid) && bytes.Equal(head[i:i+len(oid)], oid)
}

// CMSVerifier verifies a CMS/CAdES signature file on its own (through
// [Mux]): an enveloping .p7m is verified with its content; a detached .p7s
// has no content here, so its signatures are INDETERMINATE /
// SIGNED_DATA_NOT_FOUND — use [Validator.VerifyDetached] with the content.
type CMSVerifier struct{ *Validator }

// NewCMSVerifier returns a CMSVerifier using v.
func NewCMSVerifier(v *Validator) *CMSVerifier { return &CMSVerifier{Validator: v} }

// maxCMSFile bounds the size of a CMS file read by CMSVerifier (PEM adds a
// third to the DER limit).
const maxCMSFile = cms.MaxInputSize/3*4 + 4096

// Verify implements Verifier.
func (c *CMSVerifier) Verify(ctx context.Context, doc io.ReaderAt, size int64) (*Report, error) {
	if size > maxCMSFile {
		rep := c.NewReport("CMS")
		rep.Signatures = append(rep.Signatures, c.Validate(ctx, &Evidence{Format: "CMS",
			FormatErr: errorMsg("cms.file-too-large", size, maxCMSFile, cms.ErrFormat)}))
		return rep, nil
	}
	b := make([]byte, size)
	if _, err := doc.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("verify: reading CMS: %w", err)
	}
	return c.VerifyDetached(ctx, b, nil)
}

// countersignatureEvidence returns the evidence of every countersignature
// of si, whose own evidence is parent. A countersignature covers the
// parent's signature value, not the content; it is reported as a
// signature of its own.
func countersignatureEvidence(sd *cms.SignedData, si *cms.SignerInfo, parent *Evidence) []*Evidence {
	if len(si.UnsignedAttribute(cms.OIDAttrCounterSignature)) == 0 {
		return nil
	}
	counters, perr := si.Countersignatures()
	var out []*Evidence
	for j, cs := range counters {
		ev := &Evidence{
			Format:          "CMS",
			ID:              fmt.Sprintf("%s countersignature %d", parent.ID, j+1),
			DigestAlgorithm: cs.Hash,
			Coverage: Coverage{Description: msg("cms.coverage-countersignature", parent.ID),
				References: []string{parent.ID}},
			CRLs:          parent.CRLs,
			OCSPResponses: parent.OCSPResponses,
		}
		out = append(out, ev)
		cert, err := sd.SignerCertificate(cs)
		if err != nil {
			ev.SignerCertErr = err
			continue
		}
		ev.SignerCert = cert
		for _, c := range sd.Certificates {
			if c != cert {
				ev.Certificates = append(ev.Certificates, c)
			}
		}
		ev.SignatureAlgorithm = signatureScheme(cs, cert.PublicKey)
		if t, ok, err := cs.SigningTime(); err != nil {
			ev.Warnings = append(ev.Warnings, msg("cms.signing-time-unreadable", err))
		} else if ok {
			ev.ClaimedTime = t
		}
		classifyCMSError(ev, sd.VerifyCountersignature(si, cs))
		if parent.FormatErr != nil || parent.DigestErr != nil || parent.SignatureErr != nil {
			ev.Warnings = append(ev.Warnings, msg("cms.countersigned-invalid"))
		}
	}
	if perr != nil {
		out = append(out, &Evidence{Format: "CMS", ID: fmt.Sprintf("%s countersignature %d", parent.ID, len(counters)+1), FormatErr: perr})
	}
	return out
}

// addCAdESValues adds the certificates and revocation data of the CAdES
// certificate-values and revocation-values unsigned attributes of si
// (ETSI EN 319 122-1 §5.4.2–5.4.3, the CAdES-X-L / older B-LT form some
// producers write instead of SignedData.certificates and crls) to ev.
// Unsigned attributes lie outside the signature: what they hold is
// evidence to be checked like any other, never trusted for being there.
func addCAdESValues(ev *Evidence, si *cms.SignerInfo) {
	for _, v := range si.UnsignedAttribute(cms.OIDAttrCertValues) {
		var certs []asn1.RawValue
		if rest, err := asn1.Unmarshal(v, &certs); err != nil || len(rest) > 0 {
			ev.Warnings = append(ev.Warnings, msg("cms.certificate-values-unreadable"))
			continue
		}
		for _, c := range certs {
			if cert, err := certparse.Parse(c.FullBytes); err == nil {
				ev.Certificates = append(ev.Certificates, cert)
			}
		}
	}
	for _, v := range si.UnsignedAttribute(cms.OIDAttrRevocationValues) {
		if err := addRevocationValues(ev, v); err != nil {
			ev.Warnings = append(ev.Warnings, msg("cms.revocation-values-unreadable"))
		}
	}
}

// addRevocationValues reads RevocationValues ::= SEQUENCE { crlVals [0]
// SEQUENCE OF CertificateList OPTIONAL, ocspVals [1] SEQUENCE OF
// BasicOCSPResponse OPTIONAL, otherRevVals [2] OPTIONAL }. Each
// BasicOCSPResponse is wrapped into a successful OCSPResponse, the form
// the revocation checks take.
func addRevocationValues(ev *Evidence, der []byte) error {
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return errors.New("not a SEQUENCE")
	}
	body := seq.Bytes
	for len(body) > 0 {
		var field asn1.RawValue
		rest, err := asn1.Unmarshal(body, &field)
		if err != nil {
			return err
		}
		body = rest
		if field.Class != asn1.ClassContextSpecific || (field.Tag != 0 && field.Tag != 1) {
			continue
		}
		var items []asn1.RawValue
		if rest, err := asn1.Unmarshal(field.Bytes, &items); err != nil || len(rest) > 0 {
			return errors.New("malformed list")
		}
		for _, it := range items {
			if field.Tag == 0 {
				ev.CRLs = append(ev.CRLs, it.FullBytes)
				continue
			}
			resp, err := revinfo.WrapBasic(it.FullBytes)
			if err != nil {
				return err
			}
			ev.OCSPResponses = append(ev.OCSPResponses, resp)
		}
	}
	return nil
}
