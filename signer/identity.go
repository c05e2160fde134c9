package signer

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Attribute types read from subject names. They are read-only: compare
// with them (Equal), never change them.
var (
	// OIDUserID is the userId (UID) attribute, 0.9.2342.19200300.100.1.1,
	// where Vietnamese CAs write "MST:…", "CCCD:…", "CMND:…", "HC:…", "MNS:…".
	OIDUserID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	// OIDOrganizationIdentifier is organizationIdentifier, 2.5.4.97
	// (ETSI EN 319 412-1 form "VATVN-0100686209").
	OIDOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	// OIDSerialNumber is the subject serialNumber attribute, 2.5.4.5; for
	// natural persons ETSI EN 319 412-1 writes it as "IDCVN-…", "PASVN-…",
	// "TINVN-…", and some CAs write "CCCD:…" there.
	OIDSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

	oidCommonName   = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSurname      = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidCountry      = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidLocality     = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidProvince     = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidStreet       = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit      = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidTitle        = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidPostalCode   = asn1.ObjectIdentifier{2, 5, 4, 17}
	oidGivenName    = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidDomainComp   = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// Identifier types found in the UID attribute of Vietnamese certificates.
const (
	IDCitizen  = "CCCD" // căn cước công dân, citizen identity card (12 digits)
	IDLegacyID = "CMND" // chứng minh nhân dân, the older identity card (9 or 12 digits)
	IDTaxCode  = "MST"  // mã số thuế, tax code (10 digits, or 10 + "-" + 3 for a branch)
	IDPassport = "HC"   // hộ chiếu, passport number
	IDBudget   = "MNS"  // mã quan hệ ngân sách, budget-relationship code of a state body
)

// ID is one identifier from a subject name.
type ID struct {
	// Type is the prefix before ":" in a UID value, upper-cased ("MST",
	// "CCCD", or any other prefix as written), or the scheme and country of
	// an organizationIdentifier ("VATVN", "NTRVN"). It is empty when the
	// value has no recognisable prefix.
	Type string
	// Value is the identifier after the prefix, trimmed, e.g. "0100686209-199".
	Value string
	// Raw is the attribute value exactly as found.
	Raw string
	// Attribute is the attribute type it came from: OIDUserID,
	// OIDOrganizationIdentifier or OIDSerialNumber.
	Attribute asn1.ObjectIdentifier
}

// Identity is what a certificate subject says about its holder. Text is in
// Unicode NFC so that it compares equal however the CA composed the
// Vietnamese diacritics. Where an attribute occurs several times the string
// fields hold the first occurrence.
type Identity struct {
	CommonName          string   // commonName (CN): the person's or organisation's name
	Organization        string   // organizationName (O)
	OrganizationalUnits []string // organizationalUnitName (OU), every value
	Title               string   // title (chức vụ)
	Locality            string   // localityName (L)
	Province            string   // stateOrProvinceName (ST): tỉnh / thành phố
	Street              string   // streetAddress
	Country             string   // countryName (C), e.g. "VN"
	Email               string   // emailAddress attribute of the subject
	SerialNumber        string   // serialNumber attribute of the subject (not the certificate's serial)
	// IDs lists every UID and organizationIdentifier value, and serialNumber
	// values of a recognisable form, in the order of the name (certificate
	// order), unknown UID prefixes included.
	IDs []ID
}

// Get returns the first identifier of type typ (IDTaxCode, IDCitizen, …),
// or "".
func (id Identity) Get(typ string) string {
	for _, x := range id.IDs {
		if x.Type == typ {
			return x.Value
		}
	}
	return ""
}

// All returns every identifier of type typ, in name order.
func (id Identity) All(typ string) []string {
	var out []string
	for _, x := range id.IDs {
		if x.Type == typ {
			out = append(out, x.Value)
		}
	}
	return out
}

// TaxCode returns the holder's tax code (mã số thuế): the first "MST:"
// identifier, else the reference of a "VATVN-" organizationIdentifier or a
// "TINVN-" serialNumber, else "".
func (id Identity) TaxCode() string {
	for _, typ := range []string{IDTaxCode, "VATVN", "TINVN"} {
		if v := id.Get(typ); v != "" {
			return v
		}
	}
	return ""
}

// ParseIdentity reads the holder's identity from a subject name, usually
// cert.Subject. Attribute types are matched by OID, so UID and
// organizationIdentifier are read although crypto/x509 leaves them in
// Names only. UTF8String, PrintableString and BMPString values are all
// decoded by crypto/x509 before they get here.
func ParseIdentity(name pkix.Name) Identity {
	var id Identity
	for _, atv := range nameAttributes(name) {
		v := norm.NFC.String(attrString(atv.Value))
		t := atv.Type
		// Old CA2 certificates put the tax code in the province
		// (ST=MST:0106054453); others an identifier in L or OU. Such a
		// value is an identifier, not a place or unit.
		if t.Equal(oidProvince) || t.Equal(oidLocality) || t.Equal(oidOrgUnit) {
			if x, ok := knownUIDForm(v); ok {
				x.Attribute = t
				id.IDs = append(id.IDs, x)
				continue
			}
		}
		switch {
		case t.Equal(oidCommonName):
			setFirst(&id.CommonName, v)
		case t.Equal(oidOrganization):
			setFirst(&id.Organization, v)
		case t.Equal(oidOrgUnit):
			id.OrganizationalUnits = append(id.OrganizationalUnits, v)
		case t.Equal(oidTitle):
			setFirst(&id.Title, v)
		case t.Equal(oidLocality):
			setFirst(&id.Locality, v)
		case t.Equal(oidProvince):
			setFirst(&id.Province, v)
		case t.Equal(oidStreet):
			setFirst(&id.Street, v)
		case t.Equal(oidCountry):
			setFirst(&id.Country, v)
		case t.Equal(oidEmailAddress):
			setFirst(&id.Email, v)
		case t.Equal(OIDSerialNumber):
			setFirst(&id.SerialNumber, v)
			if x, ok := parseSerialID(v); ok {
				id.IDs = append(id.IDs, x)
			}
		case t.Equal(OIDUserID):
			id.IDs = append(id.IDs, parseUID(v))
		case t.Equal(OIDOrganizationIdentifier):
			id.IDs = append(id.IDs, parseOrgID(v))
		}
	}
	return id
}

func setFirst(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// parseUID splits "MST:0100686209-199" into its prefix and value. A prefix
// is 1 to 16 letters, digits or '_'/'-' before the first ':' (or '=', as
// some CAs write "MST=…"). Aliases of the known types are normalised:
// "CMT" and "CMTND" are CMND, "PASSPORT" is HC.
func parseUID(raw string) ID {
	id := ID{Raw: raw, Value: strings.TrimSpace(raw), Attribute: OIDUserID}
	if i := strings.IndexAny(raw, ":="); i > 0 {
		prefix := strings.TrimSpace(raw[:i])
		if isPrefix(prefix) {
			id.Type = strings.ToUpper(prefix)
			if a, ok := uidAliases[id.Type]; ok {
				id.Type = a
			}
			id.Value = strings.TrimSpace(raw[i+1:])
		}
	}
	return id
}

var uidAliases = map[string]string{"CMT": IDLegacyID, "CMTND": IDLegacyID, "PASSPORT": IDPassport}

// knownUIDForm reads v as "TYPE:value" when TYPE is one of the known
// Vietnamese identifier types and the value is not empty.
func knownUIDForm(v string) (ID, bool) {
	id := parseUID(v)
	switch id.Type {
	case IDCitizen, IDLegacyID, IDTaxCode, IDPassport, IDBudget:
		return id, id.Value != ""
	}
	return ID{}, false
}

func isPrefix(s string) bool {
	if s == "" || len([]rune(s)) > 16 {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// parseOrgID reads an organizationIdentifier: ETSI EN 319 412-1 "VATVN-…"
// (3-letter scheme, 2-letter country, '-'), or the UID-style "MST:…" some
// CAs write there.
func parseOrgID(raw string) ID {
	v := strings.TrimSpace(raw)
	if len(v) > 6 && v[5] == '-' && isUpperASCII(v[:5]) {
		return ID{Type: v[:5], Value: strings.TrimSpace(v[6:]), Raw: raw, Attribute: OIDOrganizationIdentifier}
	}
	id := parseUID(raw)
	id.Attribute = OIDOrganizationIdentifier
	return id
}

// parseSerialID reads an identifier from a subject serialNumber when it has
// a recognisable form: ETSI EN 319 412-1 §5.1.3 ("PASVN-…", "IDCVN-…",
// "PNOVN-…", "TAXVN-…", "TINVN-…") or a UID-style prefix of the known
// Vietnamese types. Other serial numbers stay only in Identity.SerialNumber.
func parseSerialID(raw string) (ID, bool) {
	v := strings.TrimSpace(raw)
	if len(v) > 6 && v[5] == '-' && isUpperASCII(v[:5]) {
		switch v[:3] {
		case "PAS", "IDC", "PNO", "TAX", "TIN":
			return ID{Type: v[:5], Value: strings.TrimSpace(v[6:]), Raw: raw, Attribute: OIDSerialNumber}, true
		}
	}
	id := parseUID(raw)
	switch id.Type {
	case IDCitizen, IDLegacyID, IDTaxCode, IDPassport, IDBudget:
		id.Attribute = OIDSerialNumber
		return id, true
	}
	return ID{}, false
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// nameAttributes returns the attributes of name in certificate (DER) order:
// name.Names for a parsed name, else the attributes the name would be
// encoded with (for names built in code, ExtraNames included).
func nameAttributes(name pkix.Name) []pkix.AttributeTypeAndValue {
	if len(name.Names) > 0 {
		return name.Names
	}
	var out []pkix.AttributeTypeAndValue
	for _, rdn := range name.ToRDNSequence() {
		out = append(out, rdn...)
	}
	return out
}

func attrString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// shortNames are the attribute keys DisplayName prints. The RFC 4514 set,
// plus the names OpenSSL and Windows use for the others common in
// Vietnamese certificates.
var shortNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{oidCommonName, "CN"},
	{oidSurname, "SN"},
	{OIDSerialNumber, "SERIALNUMBER"},
	{oidCountry, "C"},
	{oidLocality, "L"},
	{oidProvince, "ST"},
	{oidStreet, "STREET"},
	{oidOrganization, "O"},
	{oidOrgUnit, "OU"},
	{oidTitle, "T"},
	{oidPostalCode, "PostalCode"},
	{oidGivenName, "G"},
	{oidDomainComp, "DC"},
	{OIDUserID, "UID"},
	{OIDOrganizationIdentifier, "organizationIdentifier"},
	{oidEmailAddress, "E"},
}

func attrKey(oid asn1.ObjectIdentifier) string {
	for _, s := range shortNames {
		if s.oid.Equal(oid) {
			return s.name
		}
	}
	return "OID." + oid.String()
}

// DisplayName renders a name as readable UTF-8 text in RFC 4514 order (the
// last attribute of the certificate's name first, as OpenSSL's -nameopt
// RFC2253 and Windows print it), separated by ", ":
//
//	C=VN, ST=Hà Nội, O=Công ty ABC, CN=Nguyễn Văn A, UID=MST:0100686209-199
//
// Unlike pkix.Name.String it prints UID, E (emailAddress), T (title),
// SERIALNUMBER and organizationIdentifier by name and with their text
// rather than as an OID and hex; other unknown types are printed as
// OID.1.2.3=text. Values are in NFC and escaped as RFC 4514 §2.4 says (a
// backslash before , + " \ < > ; and a leading # or space or a trailing
// space); non-ASCII letters are kept as they are.
//
// It suits ds:X509SubjectName in e-invoices: the tax authority's TDiep 202
// test message carries the same attributes in the same order, written by a
// .NET producer that spells ST as S, UID as OID.0.9.2342.19200300.100.1.1
// and quotes values instead of escaping them.
//
// A pkix.Name does not keep multi-valued RDNs (CN=…+UID=…) together; use
// [DisplayRawName] on cert.RawSubject to print them joined with "+".
func DisplayName(name pkix.Name) string {
	attrs := nameAttributes(name)
	var b strings.Builder
	b.Grow(32 * len(attrs))
	for i := len(attrs) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		writeATV(&b, attrs[i])
	}
	return b.String()
}

// DisplayRawName is [DisplayName] for a DER-encoded name such as
// cert.RawSubject or cert.RawIssuer; the attributes of a multi-valued RDN
// are joined with "+", last first like the RDNs themselves (as OpenSSL
// prints them).
func DisplayRawName(der []byte) (string, error) {
	var seq pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil {
		return "", fmt.Errorf("signer: parsing distinguished name: %w", err)
	}
	if len(rest) != 0 {
		return "", fmt.Errorf("signer: parsing distinguished name: %d bytes of trailing data", len(rest))
	}
	parts := make([]string, 0, len(seq))
	for i := len(seq) - 1; i >= 0; i-- {
		members := make([]string, 0, len(seq[i]))
		for j := len(seq[i]) - 1; j >= 0; j-- {
			members = append(members, formatATV(seq[i][j]))
		}
		parts = append(parts, strings.Join(members, "+"))
	}
	return strings.Join(parts, ", "), nil
}

func formatATV(a pkix.AttributeTypeAndValue) string {
	var b strings.Builder
	writeATV(&b, a)
	return b.String()
}

// writeATV writes key=value, the value in NFC and escaped as RFC 4514
// §2.4 says, or as #hex of its DER when it is not a string.
func writeATV(b *strings.Builder, a pkix.AttributeTypeAndValue) {
	b.WriteString(attrKey(a.Type))
	b.WriteByte('=')
	if s, ok := a.Value.(string); ok {
		writeDNValue(b, norm.NFC.String(s))
	} else if der, err := asn1.Marshal(a.Value); err == nil {
		b.WriteByte('#')
		b.WriteString(hex.EncodeToString(der))
	} else {
		writeDNValue(b, attrString(a.Value))
	}
}

func writeDNValue(b *strings.Builder, s string) {
	for i, r := range s {
		switch {
		case r == ',' || r == '+' || r == '"' || r == '\\' || r == '<' || r == '>' || r == ';':
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r == '#' || r == ' ') && i == 0:
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == ' ' && i == len(s)-1:
			b.WriteString("\\ ")
		case r == 0:
			b.WriteString("\\00")
		default:
			b.WriteRune(r)
		}
	}
}
