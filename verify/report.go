package verify

import (
	"crypto/x509"
	"encoding/json"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// NoSignatureFound is the indication of a Report whose document holds no
// signature (EU DSS's extension of the ETSI model).
const NoSignatureFound Indication = "NO_SIGNATURE_FOUND"

// Report is the result of verifying one document: one SignatureReport per
// signature, in document order.
type Report struct {
	// Format is the document format ("PDF", "XML", "CMS").
	Format string `json:"format"`
	// ValidationTime is the time the validation was run for.
	ValidationTime time.Time `json:"validationTime"`
	// RevocationMode is "offline" or "online".
	RevocationMode string `json:"revocationMode"`
	// Anchors counts the trust anchors the validation used.
	Anchors    int                `json:"trustAnchors"`
	Signatures []*SignatureReport `json:"signatures"`
	// Warnings are document-level remarks (e.g. unsigned content).
	Warnings []Message `json:"warnings,omitempty"`
}

// Indication is the document's overall result: NO_SIGNATURE_FOUND without
// signatures, else the worst signature indication (TOTAL_FAILED, then
// INDETERMINATE, then TOTAL_PASSED).
func (r *Report) Indication() Indication {
	if len(r.Signatures) == 0 {
		return NoSignatureFound
	}
	worst := TotalPassed
	for _, s := range r.Signatures {
		switch s.Indication {
		case TotalFailed:
			return TotalFailed
		case Indeterminate:
			worst = Indeterminate
		}
	}
	return worst
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// TimeSource says where the best signature time comes from.
type TimeSource string

const (
	// TimeFromTimestamp: the earliest valid signature timestamp.
	TimeFromTimestamp TimeSource = "timestamp"
	// TimeFromValidation: no trusted time; validation at the validation
	// time. The claimed signing time, if any, is self-declared.
	TimeFromValidation TimeSource = "validation-time"
)

// SignatureReport is the verdict on one signature and the evidence behind
// it.
type SignatureReport struct {
	ID            string        `json:"id,omitempty"`
	Format        string        `json:"format"`
	Indication    Indication    `json:"indication"`
	SubIndication SubIndication `json:"subIndication,omitempty"`

	// Signer is who the signer certificate names.
	Signer *SignerInfo `json:"signer,omitempty"`

	// ClaimedSigningTime is the self-declared signing time, if any.
	ClaimedSigningTime *time.Time `json:"claimedSigningTime,omitempty"`
	// TimestampTime is the time of the earliest valid signature timestamp.
	TimestampTime *time.Time `json:"timestampTime,omitempty"`
	// BestSignatureTime is the time the signature was validated at.
	BestSignatureTime time.Time  `json:"bestSignatureTime"`
	TimeSource        TimeSource `json:"timeSource"`

	// Integrity is the cryptographic result.
	Integrity Integrity `json:"integrity"`

	// Chain runs from the signer certificate to the anchor.
	Chain  []CertificateInfo `json:"chain,omitempty"`
	Anchor *AnchorInfo       `json:"anchor,omitempty"`
	// Revocation is the evidence used for each certificate of the chain.
	Revocation []RevocationInfo `json:"revocation,omitempty"`
	Timestamps []TimestampInfo  `json:"timestamps,omitempty"`
	Coverage   Coverage         `json:"coverage"`

	// Findings are every failed check, the decisive one first.
	Findings []Finding `json:"findings,omitempty"`
	Warnings []Message `json:"warnings,omitempty"`
	// Information are remarks that need no action (the RSA PKCS#1 v1.5
	// scheme the whole Vietnamese PKI signs with).
	Information []Message `json:"information,omitempty"`

	// Layout is the known document layout the signature's place gives it
	// (XML e-invoices and tax messages); nil when none.
	Layout *LayoutInfo `json:"layout,omitempty"`
	// SignedElements are the absolute paths of the elements an XML
	// signature's references resolve to.
	SignedElements []string `json:"signedElements,omitempty"`
}

// LayoutInfo names the layout of an XML signature: the container element
// (HDon, TBao, TKhai, BBan, TDiep), the slot (NBan, NMua, CQT, …), the
// container's path and the paths the signature must cover.
type LayoutInfo struct {
	Container string   `json:"container"`
	Role      string   `json:"role,omitempty"`
	Path      string   `json:"path"`
	Required  []string `json:"required"`
}

// Integrity is the cryptographic part of a signature's validation.
type Integrity struct {
	// Intact is true when the digest and signature value both verified.
	Intact             bool   `json:"intact"`
	DigestAlgorithm    string `json:"digestAlgorithm,omitempty"`
	SignatureAlgorithm string `json:"signatureAlgorithm,omitempty"`
	// Detail is what the failed check said.
	Detail Message `json:"detail,omitzero"`
	// NotChecked is set when the signature failed before its digests and
	// signature value could both be checked (malformed, unresolvable
	// reference, no key): the content is then neither known intact nor
	// known changed.
	NotChecked bool `json:"notChecked,omitempty"`
}

// Finding is one failed check.
type Finding struct {
	Indication    Indication    `json:"indication"`
	SubIndication SubIndication `json:"subIndication"`
	// Detail says what was found.
	Detail Message `json:"detail"`
}

// String is the finding in English, with its sub-indication.
func (f Finding) String() string { return "[" + string(f.SubIndication) + "] " + f.Detail.String() }

// SignerInfo is the signer's identity as its certificate states it.
type SignerInfo struct {
	Name                string   `json:"name"`
	Organization        string   `json:"organization,omitempty"`
	OrganizationalUnits []string `json:"organizationalUnits,omitempty"`
	Title               string   `json:"title,omitempty"`
	Locality            string   `json:"locality,omitempty"`
	Province            string   `json:"province,omitempty"`
	Country             string   `json:"country,omitempty"`
	Email               string   `json:"email,omitempty"`
	// Identifiers lists CCCD, CMND, MST, HC, MNS, … values.
	Identifiers []IdentifierInfo `json:"identifiers,omitempty"`
	// Subject is the certificate subject as RFC 4514 text.
	Subject string `json:"subject"`
	Issuer  string `json:"issuer"`
	Serial  string `json:"serial"`
	// NotBefore and NotAfter are the certificate's validity period
	// (Circular 15/2025 lists it among the fields a report shows).
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
}

// IdentifierInfo is one typed identifier ("CCCD", "025199009534").
type IdentifierInfo struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func signerInfo(c *x509.Certificate) *SignerInfo {
	id := signer.ParseIdentity(c.Subject)
	s := &SignerInfo{
		Name: id.CommonName, Organization: id.Organization, OrganizationalUnits: id.OrganizationalUnits,
		Title: id.Title, Locality: id.Locality, Province: id.Province, Country: id.Country, Email: id.Email,
		Subject: signer.DisplayName(c.Subject), Issuer: signer.DisplayName(c.Issuer), Serial: serialHex(c.SerialNumber),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
	}
	if s.Email == "" && len(c.EmailAddresses) > 0 {
		s.Email = c.EmailAddresses[0]
	}
	for _, x := range id.IDs {
		s.Identifiers = append(s.Identifiers, IdentifierInfo{Type: x.Type, Value: x.Value})
	}
	return s
}

// CertificateInfo describes one certificate of a chain.
type CertificateInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	SHA256    string    `json:"sha256"`
	// Algorithm is the certificate's signature algorithm and key.
	SignatureAlgorithm string `json:"signatureAlgorithm"`
	PublicKey          string `json:"publicKey"`
}

func certInfo(c *x509.Certificate) CertificateInfo {
	return CertificateInfo{
		Subject: signer.DisplayName(c.Subject), Issuer: signer.DisplayName(c.Issuer), Serial: serialHex(c.SerialNumber),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), SHA256: Fingerprint(c),
		SignatureAlgorithm: c.SignatureAlgorithm.String(), PublicKey: keyDescription(c.PublicKey),
	}
}

// AnchorInfo names the trust anchor a chain reached.
type AnchorInfo struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Source string `json:"source,omitempty"`
	// Known is set when the anchor is one of the built-in Vietnamese roots.
	Known *KnownAnchor `json:"known,omitempty"`
	// Regime is the legal regime the chain reached (public or
	// public-duty); empty when the anchor's regime is unknown.
	Regime Regime `json:"regime,omitempty"`
}

func anchorInfo(a *Anchor) *AnchorInfo {
	if a == nil {
		return nil
	}
	return &AnchorInfo{Name: a.Name(), SHA256: a.SHA256, Source: a.Source, Known: a.Known, Regime: a.Regime}
}

// TimestampInfo reports one timestamp and whether it counts as proof of
// existence.
type TimestampInfo struct {
	Kind    string      `json:"kind"`
	GenTime time.Time   `json:"genTime,omitzero"`
	TSA     string      `json:"tsa,omitempty"`
	Valid   bool        `json:"valid"`
	Anchor  *AnchorInfo `json:"anchor,omitempty"`
	// Problems explain why an invalid timestamp was not used.
	Problems   []Message        `json:"problems,omitempty"`
	Revocation []RevocationInfo `json:"revocation,omitempty"`
}
