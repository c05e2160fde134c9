package verify

import (
	"github.com/kyso-vn/kyso/internal/certparse"

	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kyso-vn/kyso/internal/cms"
	kxml "github.com/kyso-vn/kyso/xml"
)

// isUTF16XML reports whether head starts an XML document in UTF-16 (with
// a byte order mark, or "<" as a UTF-16 code unit), which package xml
// reads as XML 1.0 §4.3.3 requires.
func isUTF16XML(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) {
		head = head[2:]
	}
	for len(head) >= 2 {
		switch {
		case head[0] == 0 && head[1] == '<', head[0] == '<' && head[1] == 0:
			return true
		case head[0] == 0 && strings.IndexByte(" \t\r\n", head[1]) >= 0, head[1] == 0 && strings.IndexByte(" \t\r\n", head[0]) >= 0:
			head = head[2:]
		default:
			return false
		}
	}
	return false
}

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
	if errors.Is(err, kxml.ErrNoSignatures) {
		return rep, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: XML: %w", err)
	}
	for _, s := range res.Signatures {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		sr := x.Validator.Validate(ctx, XMLEvidence(res, s))
		XMLReportDetails(sr, s)
		rep.Signatures = append(rep.Signatures, sr)
	}
	rep.Warnings = append(rep.Warnings, unsignedContainers(res)...)
	return rep, nil
}

// unsignedContainers warns about each invoice, notice, declaration or
// record in the document that no valid signature signs (as its layout's
// container, or whole): beside a signed one moved out of the way, an
// unsigned copy is what a reader sees.
func unsignedContainers(res *kxml.Result) []Message {
	signed := map[string]bool{}
	for _, s := range res.Signatures {
		if s.Layout != nil && s.Valid() {
			signed[s.Layout.ContainerPath] = true
		}
	}
	var out []Message
	var walk func(n *kxml.Node, depth int)
	walk = func(n *kxml.Node, depth int) {
		if depth > 64 {
			return
		}
		switch n.LocalName() {
		case "HDon", "TBao", "TKhai", "BBan":
			if !signed[n.Path()] && !coveredByAny(res, n) {
				out = append(out, msg("xml.container-unsigned", n.LocalName(), n.Path()))
			}
			return
		}
		for _, c := range n.Elements() {
			walk(c, depth+1)
		}
	}
	if len(signed) > 0 || anyLayout(res) {
		walk(res.Document.Root(), 0)
	}
	return out
}

// coveredByAny reports whether a valid signature covers n whole (a message
// signature over TDiep/DLieu covers the documents inside it).
func coveredByAny(res *kxml.Result, n *kxml.Node) bool {
	for _, s := range res.Signatures {
		if s.Covers(n) {
			return true
		}
	}
	return false
}

func anyLayout(res *kxml.Result) bool {
	for _, s := range res.Signatures {
		if s.Layout != nil {
			return true
		}
	}
	return false
}

// XMLReportDetails completes a signature's report with what only package
// xml knows: the integrity as the cryptography found it (content intact
// whenever the digests and the signature value verify, whatever the trust,
// layout or XAdES outcome), whether integrity was checked at all, the
// layout the signature's place gives it and the absolute path of every
// signed element.
func XMLReportDetails(sr *SignatureReport, s *kxml.Signature) {
	sr.Integrity.Intact = s.Intact
	if !s.Intact && !errors.Is(s.Err, kxml.ErrDigestMismatch) && !errors.Is(s.Err, kxml.ErrSignatureInvalid) {
		sr.Integrity.NotChecked = true
	}
	if l := s.Layout; l != nil {
		sr.Layout = &LayoutInfo{Container: l.Container, Role: l.Role, Path: l.ContainerPath, Required: l.Required}
	}
	sr.SignedElements = signedElementPaths(s)
}

// signedElementPaths lists the absolute path of each element a reference
// resolves to, once each, in reference order.
func signedElementPaths(s *kxml.Signature) []string {
	var out []string
	seen := map[*kxml.Node]bool{}
	for _, r := range s.References {
		if r.Element == nil || seen[r.Element] {
			continue
		}
		seen[r.Element] = true
		out = append(out, r.Element.Path())
	}
	return out
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
	case s.LayoutErr != nil:
		// The signature, whatever its mathematics, does not sign what a
		// reader of the layout sees.
		ev.FormatErr = s.LayoutErr
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
	// Coverage: which parts the references name, by absolute path.
	root := res.Document.Root()
	var paths []string
	seen := map[*kxml.Node]bool{}
	for _, r := range s.References {
		desc := fmt.Sprintf("URI=%q", r.URI)
		if r.Element != nil {
			desc += " → " + r.Element.Path()
			if r.Element == root && r.Err == nil {
				ev.Coverage.WholeDocument = true
			}
			if !seen[r.Element] {
				seen[r.Element] = true
				paths = append(paths, r.Element.Path())
			}
		}
		if r.Err != nil {
			desc += " (failed: " + r.Err.Error() + ")"
		}
		ev.Coverage.References = append(ev.Coverage.References, desc)
		if r.Note == kxml.NoteDotNetEnveloped && r.Element != nil {
			ev.Warnings = append(ev.Warnings, msg("xml.dotnet-enveloped", r.URI, r.Element.Path()))
		}
	}
	// A signature that failed before its references were read claims no
	// count of them.
	if len(s.References) > 0 {
		ev.Coverage.Description = msg("xml.coverage", len(s.References), strings.Join(paths, ", "))
		if len(s.References) == 1 {
			ev.Coverage.Description = msg("xml.coverage-one", strings.Join(paths, ", "))
		}
		if !ev.Coverage.WholeDocument {
			ev.Warnings = append(ev.Warnings, msg("xml.partial-coverage"))
		}
	}
	if s.Layout == nil {
		ev.Warnings = append(ev.Warnings, placementWarnings(s)...)
	}
	return ev
}

// placementWarnings flags, for a signature outside the known layouts,
// signed elements where a reader of the document would not look: inside
// another signature, inside a ds:Object (other than the signature's own
// signing-time and XAdES properties), or under an element of a namespace
// that is neither the document's nor the signed element's.
func placementWarnings(s *kxml.Signature) []Message {
	var out []Message
	seen := map[*kxml.Node]bool{}
	for _, r := range s.References {
		el := r.Element
		if el == nil || seen[el] {
			continue
		}
		seen[el] = true
		path := el.Path()
		root := el
		for root.Parent() != nil {
			root = root.Parent()
		}
		var otherSig, object, foreign *kxml.Node
		for a := el; a != nil; a = a.Parent() {
			switch {
			case a.Is(kxml.NamespaceDSig, "Signature") && a != s.Element && otherSig == nil:
				otherSig = a
			case a.Is(kxml.NamespaceDSig, "Object") && object == nil:
				object = a
			}
			if a != el && a != root && foreign == nil && a.NamespaceURI() != root.NamespaceURI() && a.NamespaceURI() != el.NamespaceURI() {
				foreign = a
			}
		}
		if otherSig != nil {
			out = append(out, msg("xml.signed-inside-signature", path, otherSig.Path()))
		}
		if object != nil && !(object.Parent() == s.Element && ownProperties(el, object)) {
			out = append(out, msg("xml.signed-inside-object", path))
		}
		if foreign != nil {
			out = append(out, msg("xml.signed-inside-foreign", path, foreign.Path(), foreign.NamespaceURI()))
		}
	}
	return out
}

// ownProperties reports whether el, in the signature's own Object obj, is
// signature metadata: SignatureProperties (a signing time) or XAdES
// qualifying properties.
func ownProperties(el, obj *kxml.Node) bool {
	for _, c := range obj.Elements() {
		if !c.Is(kxml.NamespaceDSig, "SignatureProperties") && !(c.LocalName() == "QualifyingProperties" && strings.HasPrefix(c.NamespaceURI(), "http://uri.etsi.org/01903/")) {
			return false
		}
	}
	return el == obj || el.Is(kxml.NamespaceDSig, "SignatureProperties") || el.Is(kxml.NamespaceDSig, "SignatureProperty") ||
		strings.HasPrefix(el.NamespaceURI(), "http://uri.etsi.org/01903/")
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
					ev.Warnings = append(ev.Warnings, msg("xml.xades-undecodable", local))
					continue
				}
				switch local {
				case "EncapsulatedX509Certificate":
					cert, err := certparse.Parse(der)
					if err != nil {
						ev.Warnings = append(ev.Warnings, msg("xml.xades-certificate-unparsable", err))
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
