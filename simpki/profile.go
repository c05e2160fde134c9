package simpki

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/kyso-vn/kyso/simpki/internal/wire"
)

// Operation names a TS 102 204 operation, as its SOAP operation wrapper
// is named.
type Operation string

// Operations.
const (
	OpSignature    Operation = "MSS_Signature"
	OpStatus       Operation = "MSS_StatusQuery"
	OpReceipt      Operation = "MSS_Receipt"
	OpProfileQuery Operation = "MSS_ProfileQuery"
	OpRegistration Operation = "MSS_Registration"
)

// CertificateLookup says how a profile's MSSP hands out a subscriber's
// certificate without a signature.
type CertificateLookup int

const (
	// LookupProfileQuery: MSS_ProfileQuery with the Kiuru/Swisscom "certs"
	// parameter.
	LookupProfileQuery CertificateLookup = iota
	// LookupRegistration: MSS_Registration answered with
	// CertificateResponse/X509Certificate (the Government CA's mPKI).
	LookupRegistration
	// LookupNone: the MSSP offers no lookup; the certificate comes from
	// configuration or a first CMS signature.
	LookupNone
)

// Profile is one MSSP's dialect of TS 102 204, as data: identifiers, the
// SOAP form of its messages, how it wants the digest, where each operation
// lives and what its status codes mean. The package doc lists the sources
// of each predefined profile. A Profile is read-only once in use.
type Profile struct {
	// Name is the short name the CLI uses ("etsi", "vgca", "ficom").
	Name string
	// MSSPID and SignatureProfile are the defaults for Config.MSSPID and
	// Config.SignatureProfile; Format the default MSS_Format.
	MSSPID, SignatureProfile string
	Format                   Format
	// DigestInfo sends DataToBeSigned as the DER DigestInfo (hash
	// algorithm and digest, PKCS#1 v1.5 §9.2) with MimeType
	// DigestInfoMimeType, for MSSPs whose SIM applet pads the bytes it is
	// sent; otherwise the bare digest goes as application/x-sha256 (etc.).
	// Config.DigestInfo turns it on for any profile.
	DigestInfo         bool
	DigestInfoMimeType string
	// Dialect of the messages sent (answers are read in every form).
	SOAP11, RPC bool
	WrapperNS   string
	// Endpoints names each operation's endpoint for MSSPs that serve
	// operations at separate URLs: the last path segment of Config.URL (the
	// signature endpoint) is replaced by the operation's name. Operations
	// not listed share Config.URL.
	Endpoints map[Operation]string
	// StatusCodes maps status codes this MSSP writes in a Status element
	// to their TS 102 204 meaning; codes not listed mean what TS 102 204
	// says. SOAP fault subcodes (mss:_NNN) always carry TS 102 204 codes.
	StatusCodes map[int]StatusCode
	// Lookup is how the subscriber's certificate is found.
	Lookup CertificateLookup
	// AdditionalServices are sent with every signature request.
	AdditionalServices []string
}

// FormatETSIPKCS1 is the TS 102 204 PKCS1 format URI, which the Government
// CA's mPKI asks for: a raw signature like FormatPKCS1.
const FormatETSIPKCS1 Format = "http://uri.etsi.org/TS102204/v1.1.2#PKCS1"

// The predefined profiles; see the package doc for their sources. Each
// function returns a new Profile, which the caller may change.

// ProfileETSI is TS 102 204 v1.1.2 as written and as Kiuru/Swisscom
// speak it: document/literal SOAP 1.2, the bare digest, one endpoint,
// TS 102 204 status codes, the certificate by MSS_ProfileQuery.
func ProfileETSI() *Profile {
	return &Profile{Name: "etsi", Format: FormatPKCS1, DigestInfoMimeType: "application/octet-stream"}
}

// ProfileVGCA is the Government CA's mPKI ("mPKI1", Ban Cơ yếu Chính
// phủ): MSSP_ID http://hmssp.mobile-id.vn, SignatureProfile
// http://mobile-id.vn/digitalSignature, rpc/literal in
// http://ae.mobile-id.vn/TS102204/etsi204 with one port per operation,
// the DER DigestInfo as application/octet-stream under MSS_Format
// …v1.1.2#PKCS1, its own status codes (408 and 502 success, 405
// cancelled, 406 timed out; other codes as TS 102 204) and the
// certificate by MSS_Registration.
func ProfileVGCA() *Profile {
	return &Profile{
		Name: "vgca", MSSPID: "http://hmssp.mobile-id.vn", SignatureProfile: "http://mobile-id.vn/digitalSignature",
		Format: FormatETSIPKCS1, DigestInfo: true, DigestInfoMimeType: "application/octet-stream",
		RPC: true, WrapperNS: wire.NSVGCA,
		Endpoints: map[Operation]string{
			OpSignature: "MSS_SignaturePort", OpStatus: "MSS_StatusQueryPort", OpReceipt: "MSS_ReceiptPort",
			OpRegistration: "MSS_RegistrationPort", OpProfileQuery: "MSS_ProfileQueryPort",
		},
		StatusCodes:        map[int]StatusCode{408: Signature, 502: ValidSignature, 405: UserCancel, 406: ExpiredTransaction},
		Lookup:             LookupRegistration,
		AdditionalServices: []string{"http://mobile-id.vn/MSSP/v1.0.0#signingCertificate"},
	}
}

// ProfileFiCom follows the FiCom (Finnish mobile signature) guideline
// 2.x as Kiuru/Valimo MSSPs serve it: rpc/literal SOAP 1.1 in the
// etsi204-kiuru.wsdl namespace, the DER DigestInfo as
// application/octet-stream, the FiCom PKCS1 format answered with
// fi:PKCS1, TS 102 204 status codes, the certificate by
// MSS_ProfileQuery.
func ProfileFiCom() *Profile {
	return &Profile{
		Name: "ficom", Format: FormatPKCS1, DigestInfo: true, DigestInfoMimeType: "application/octet-stream",
		SOAP11: true, RPC: true, WrapperNS: wire.NSKiuruWSDL,
	}
}

// Profiles lists the predefined profiles, each a new copy.
func Profiles() []*Profile { return []*Profile{ProfileETSI(), ProfileVGCA(), ProfileFiCom()} }

// ProfileByName returns a new copy of the predefined profile called name.
func ProfileByName(name string) (*Profile, error) {
	for _, p := range Profiles() {
		if p.Name == strings.ToLower(strings.TrimSpace(name)) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("simpki: unknown MSSP profile %q (etsi, vgca or ficom)", name)
}

// Dialect returns the wire dialect of p's requests.
func (p *Profile) dialect() wire.Dialect {
	return wire.Dialect{SOAP11: p.SOAP11, RPC: p.RPC, WrapperNS: p.WrapperNS}
}

// Canonical returns the TS 102 204 meaning of a status code p's MSSP
// wrote in a Status element.
func (p *Profile) Canonical(code int) StatusCode {
	if c, ok := p.StatusCodes[code]; ok {
		return c
	}
	return StatusCode(code)
}

// Code returns the status code p's MSSP writes for the TS 102 204 status
// c (the first of its own codes with that meaning), or c itself.
func (p *Profile) Code(c StatusCode) int {
	best := 0
	for k, v := range p.StatusCodes {
		if v == c && (best == 0 || k < best) {
			best = k
		}
	}
	if best != 0 {
		return best
	}
	return int(c)
}

// Endpoint returns the URL of operation op, given the signature endpoint.
func (p *Profile) Endpoint(signatureURL string, op Operation) string {
	name, ok := p.Endpoints[op]
	sig, ok2 := p.Endpoints[OpSignature]
	if !ok || !ok2 || op == OpSignature {
		return signatureURL
	}
	u, err := url.Parse(signatureURL)
	if err != nil || path.Base(u.Path) != sig {
		return signatureURL
	}
	u.Path = path.Join(path.Dir(u.Path), name)
	return u.String()
}

var digestInfoOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:   {1, 3, 14, 3, 2, 26},
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

// DigestInfo returns the DER DigestInfo of digest computed with h
// (RFC 8017 §9.2, parameters NULL), the bytes a DigestInfo profile sends.
func DigestInfo(h crypto.Hash, digest []byte) ([]byte, error) {
	oid, ok := digestInfoOIDs[h]
	if !ok || len(digest) != h.Size() {
		return nil, fmt.Errorf("simpki: no DigestInfo for a %d-byte %v digest", len(digest), h)
	}
	type algID struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	return asn1.Marshal(struct {
		Alg    algID
		Digest []byte
	}{algID{oid, asn1.NullRawValue}, digest})
}

// ParseDigestInfo reads a DER DigestInfo of SHA-1 or SHA-2 (what an MSSP
// receives from a DigestInfo profile).
func ParseDigestInfo(der []byte) (crypto.Hash, []byte, error) {
	var v struct {
		Alg struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		Digest []byte
	}
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil || len(rest) != 0 {
		return 0, nil, fmt.Errorf("simpki: not a DER DigestInfo")
	}
	for h, oid := range digestInfoOIDs {
		if oid.Equal(v.Alg.Algorithm) && len(v.Digest) == h.Size() {
			if again, err := DigestInfo(h, v.Digest); err != nil || string(again) != string(der) {
				return 0, nil, fmt.Errorf("simpki: DigestInfo is not in its DER form")
			}
			return h, v.Digest, nil
		}
	}
	return 0, nil, fmt.Errorf("simpki: DigestInfo of an unsupported hash %v", v.Alg.Algorithm)
}
