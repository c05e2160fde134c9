package verify

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kyso-vn/kyso/internal/cms"
	kxml "github.com/kyso-vn/kyso/xml"
)

// MaxXMLSize bounds the XML documents XMLVerifier reads into memory.
const MaxXMLSize = 256 << 20

// XMLVerifier verifies XML-DSig and XAdES signatures (e-invoices, tax
// messages): package xml checks the cryptography (references, signature
// value, XAdES signing certificate and time-stamps), and Validator decides
// trust, time and policy. It implements Verifier.
type XMLVerifier struct {
	Validator *Validator
	// Options are passed to xml.Verify. AllowSHA1 is always set: whether
	// SHA-1 is acceptable is the algorithm policy's decision (with a
	// timestamp before the sunset), not a parse failure.
	Options kxml.VerifyOptions
}

// NewXMLVerifier returns an XMLVerifier using v.
func NewXMLVerifier(v *Validator) *XMLVerifier { return &XMLVerifier{Validator: v} }

// Verify implements Verifier. A document that is not well-formed XML (or
// exceeds the limits) is an error; a document without signatures gives a
// report with none (NO_SIGNATURE_FOUND).
func (x *XMLVerifier) Verify(ctx context.Context, doc io.ReaderAt, size int64) (*Report, error) {
	if size > MaxXMLSize {
		return nil, fmt.Errorf("verify: XML document of %d bytes exceeds %d", size, MaxXMLSize)
	}
	data := make([]byte, size)
	if _, err := doc.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("verify: reading XML document: %w", err)
	}
	return x.VerifyBytes(ctx, data)
}

// VerifyBytes verifies an XML document held in memory.
func (x *XMLVerifier) VerifyBytes(ctx context.Context, data []byte) (*Report, error) {
	rep := x.Validator.NewReport("XML")
	opts := x.Options
	opts.AllowSHA1 = true
	res, err := kxml.Verify(data, &opts)
	if errors.Is(err, kxml.ErrNoSignature) {
		return rep, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: XML: %w", err)
	}
	for _, s := range res.Signatures {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		rep.Signatures = append(rep.Signatures, x.Validator.Validate(ctx, XMLEvidence(res, s)))
	}
	return rep, nil
}

// XMLEvidence turns package xml's result for one signature into Evidence.
func XMLEvidence(res *kxml.Result, s *kxml.Signature) *Evidence {
	ev := &Evidence{Format: "XML-DSig", ID: s.ID, SignatureAlgorithm: s.SignatureMethod}
	if s.XAdES != nil {
		ev.Format = "XAdES"
	}
	if ev.ID == "" {
		ev.ID = s.Path
	}
	ev.SignerCert = s.Certificate
	for _, c := range s.Certificates {
		if c != s.Certificate {
			ev.Certificates = append(ev.Certificates, c)
		}
	}
	// The weakest hash of the signature method and the references is the
	// one the policy judges.
	ev.DigestAlgorithm = hashFromURI(s.SignatureMethod)
	for _, r := range s.References {
		if h := hashFromURI(r.DigestMethod); h != 0 && (ev.DigestAlgorithm == 0 || hashStrength(h) < hashStrength(ev.DigestAlgorithm)) {
			ev.DigestAlgorithm = h
		}
	}
	switch err := s.Err; {
	case err == nil:
	case errors.Is(err, kxml.ErrDigestMismatch):
		ev.DigestErr = err
	case errors.Is(err, kxml.ErrSignatureInvalid):
		ev.SignatureErr = err
	case errors.Is(err, kxml.ErrKeyInfo):
		ev.SignerCertErr = err
	default:
		ev.FormatErr = err
	}
	ev.ClaimedTime = s.SigningTime
	if s.XAdES != nil {
		if !s.XAdES.SigningTime.IsZero() {
			ev.ClaimedTime = s.XAdES.SigningTime
		}
		for _, t := range s.XAdES.Timestamps {
			ts := Timestamp{Kind: "signature", GenTime: t.Time, SignerCert: t.Certificate, Err: t.Err}
			if tok, err := cms.ParseToken(t.Token); err == nil {
				ts.Certificates = tok.Certificates
				ts.ImprintAlgorithm = tok.HashAlgorithm
				if len(tok.SignedData.SignerInfos) > 0 {
					ts.DigestAlgorithm = tok.SignedData.SignerInfos[0].Hash
				}
			} else if ts.Err == nil {
				ts.Err = err
			}
			ev.Timestamps = append(ev.Timestamps, ts)
		}
	}
	addXAdESValues(ev, s.Element)
	// Coverage: which parts the references name.
	root := res.Document.Root()
	for _, r := range s.References {
		desc := fmt.Sprintf("URI=%q", r.URI)
		if r.Element != nil {
			desc += " → " + r.Element.Path()
			if r.Element == root && r.Err == nil {
				ev.Coverage.WholeDocument = true
			}
		}
		if r.Err != nil {
			desc += " (failed: " + r.Err.Error() + ")"
		}
		ev.Coverage.References = append(ev.Coverage.References, desc)
	}
	ev.Coverage.Description = fmt.Sprintf("%d references", len(s.References))
	if !ev.Coverage.WholeDocument {
		ev.Warnings = append(ev.Warnings, "the signature covers only the referenced elements, not the whole document")
	}
	return ev
}

// hashFromURI reads the hash of an XML-DSig digest or signature method URI.
func hashFromURI(uri string) crypto.Hash {
	u := strings.ToLower(uri)
	switch {
	case strings.Contains(u, "sha3-256"):
		return crypto.SHA3_256
	case strings.Contains(u, "sha3-384"):
		return crypto.SHA3_384
	case strings.Contains(u, "sha3-512"):
		return crypto.SHA3_512
	case strings.Contains(u, "sha512"):
		return crypto.SHA512
	case strings.Contains(u, "sha384"):
		return crypto.SHA384
	case strings.Contains(u, "sha256"):
		return crypto.SHA256
	case strings.Contains(u, "sha224"):
		return crypto.SHA224
	case strings.HasSuffix(u, "sha1"):
		return crypto.SHA1
	case strings.HasSuffix(u, "md5"):
		return crypto.MD5
	}
	return 0
}

func hashStrength(h crypto.Hash) int {
	switch h {
	case crypto.MD5:
		return 1
	case crypto.SHA1:
		return 2
	case crypto.SHA224:
		return 3
	}
	return 4 + h.Size()
}

// XAdES namespaces of the long-term validation values.
const (
	nsXAdES132 = "http://uri.etsi.org/01903/v1.3.2#"
	nsXAdES141 = "http://uri.etsi.org/01903/v1.4.1#"
)

// addXAdESValues adds the XAdES-LT validation data found under sig
// (CertificateValues, RevocationValues, and XAdES 1.4.1
// TimeStampValidationData): unsigned, so only candidates the Validator
// checks like any other evidence. Values that do not decode are reported
// as warnings.
func addXAdESValues(ev *Evidence, sig *kxml.Node) {
	if sig == nil {
		return
	}
	var walk func(n *kxml.Node, depth int)
	walk = func(n *kxml.Node, depth int) {
		if depth > 64 {
			return
		}
		for _, c := range n.Elements() {
			ns := c.NamespaceURI()
			if ns != nsXAdES132 && ns != nsXAdES141 {
				walk(c, depth+1)
				continue
			}
			local := c.LocalName()
			switch local {
			case "EncapsulatedX509Certificate", "EncapsulatedCRLValue", "EncapsulatedOCSPValue":
				der, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, c.Text()))
				if err != nil || len(der) == 0 {
					ev.Warnings = append(ev.Warnings, "undecodable XAdES "+local)
					continue
				}
				switch local {
				case "EncapsulatedX509Certificate":
					cert, err := x509.ParseCertificate(der)
					if err != nil {
						ev.Warnings = append(ev.Warnings, "unparsable certificate in XAdES CertificateValues: "+err.Error())
						continue
					}
					ev.Certificates = append(ev.Certificates, cert)
				case "EncapsulatedCRLValue":
					ev.CRLs = append(ev.CRLs, der)
				default:
					ev.OCSPResponses = append(ev.OCSPResponses, der)
				}
			default:
				walk(c, depth+1)
			}
		}
	}
	walk(sig, 0)
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\t', '\n', '\r':
		return -1
	}
	return r
}
