package signer

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/text/unicode/norm"
)

// ErrBadSubject: a subject name given as text, or an identifier meant for
// it, cannot be encoded (syntax error, unknown attribute key, a country
// code that is not two letters, a CCCD that is not 12 digits, …).
var ErrBadSubject = errors.New("signer: bad subject name")

// NameAttribute is one attribute of a distinguished name to be encoded by
// [MarshalSubject].
type NameAttribute struct {
	Type  asn1.ObjectIdentifier
	Value string
}

// subjectKeys are the attribute keys ParseSubject accepts (upper-cased),
// with the ASN.1 string type MarshalSubject writes for them.
var subjectKeys = map[string]asn1.ObjectIdentifier{
	"CN":                     oidCommonName,
	"SN":                     oidSurname,
	"SURNAME":                oidSurname,
	"SERIALNUMBER":           OIDSerialNumber,
	"C":                      oidCountry,
	"L":                      oidLocality,
	"ST":                     oidProvince,
	"S":                      oidProvince,
	"STREET":                 oidStreet,
	"O":                      oidOrganization,
	"OU":                     oidOrgUnit,
	"T":                      oidTitle,
	"TITLE":                  oidTitle,
	"POSTALCODE":             oidPostalCode,
	"G":                      oidGivenName,
	"GN":                     oidGivenName,
	"GIVENNAME":              oidGivenName,
	"ORGANIZATIONIDENTIFIER": OIDOrganizationIdentifier,
	"UID":                    OIDUserID,
	"DC":                     oidDomainComp,
	"E":                      oidEmailAddress,
	"EMAIL":                  oidEmailAddress,
	"EMAILADDRESS":           oidEmailAddress,
}

// maxSubjectValue bounds one attribute value (in bytes); RFC 5280's upper
// bounds are smaller, but Vietnamese CAs exceed them for company names.
const maxSubjectValue = 1024

// ParseSubject reads a distinguished name written as RFC 4514 text, the way
// OpenSSL's -nameopt RFC2253 and Windows print it and CAs ask for it:
//
//	CN=Nguyễn Văn An,OU=Phòng Kế toán,O=Công ty TNHH Ánh Dương,L=Cầu Giấy,ST=Hà Nội,C=VN
//
// The result is in encoding (DER) order, the reverse of the text: the
// country first, the common name last. Keys are CN, O, OU, L, ST (or S),
// C, UID, SERIALNUMBER, E (EMAIL), T (TITLE), STREET, DC, SN, G,
// POSTALCODE, organizationIdentifier (case-insensitive) or a dotted OID
// (optionally "OID."-prefixed). Values may escape , + " \ < > ; = with a
// backslash, or any byte as \XX; they are trimmed of unescaped spaces and
// normalised to NFC. Multi-valued RDNs ("CN=A+UID=B") are refused.
// Errors match ErrBadSubject.
func ParseSubject(s string) ([]NameAttribute, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadSubject)
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrBadSubject)
	}
	var out []NameAttribute
	i := 0
	for {
		// key
		j := strings.IndexByte(s[i:], '=')
		if j < 0 {
			return nil, fmt.Errorf("%w: %q has no '='", ErrBadSubject, strings.TrimSpace(s[i:]))
		}
		key := strings.TrimSpace(s[i : i+j])
		oid, err := subjectKey(key)
		if err != nil {
			return nil, err
		}
		i += j + 1
		// value, up to an unescaped ',' or ';'
		var val []byte
		var esc []bool
		end := false
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' {
				if i+1 >= len(s) {
					return nil, fmt.Errorf("%w: trailing backslash in the value of %s", ErrBadSubject, key)
				}
				n := s[i+1]
				if isHex(n) && i+2 < len(s) && isHex(s[i+2]) {
					b, _ := hex.DecodeString(s[i+1 : i+3])
					val = append(val, b[0])
					i += 2
				} else {
					val = append(val, n)
					i++
				}
				esc = append(esc, true)
				continue
			}
			if c == ',' || c == ';' {
				end = true
				break
			}
			if c == '+' {
				return nil, fmt.Errorf("%w: multi-valued RDN at %s (escape '+' as \\+)", ErrBadSubject, key)
			}
			if c == '"' || c == '<' || c == '>' {
				return nil, fmt.Errorf("%w: unescaped %q in the value of %s", ErrBadSubject, c, key)
			}
			val = append(val, c)
			esc = append(esc, false)
		}
		// Trim unescaped leading and trailing spaces.
		lo, hi := 0, len(val)
		for lo < hi && val[lo] == ' ' && !esc[lo] {
			lo++
		}
		for hi > lo && val[hi-1] == ' ' && !esc[hi-1] {
			hi--
		}
		if lo < hi && val[lo] == '#' && !esc[lo] {
			return nil, fmt.Errorf("%w: hex-encoded (#) value of %s is not supported; write the text", ErrBadSubject, key)
		}
		v := string(val[lo:hi])
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("%w: the value of %s is not UTF-8", ErrBadSubject, key)
		}
		out = append(out, NameAttribute{Type: oid, Value: norm.NFC.String(v)})
		if !end {
			break
		}
		i++ // past the separator
	}
	// Text order is the reverse of DER order.
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	for _, a := range out {
		if err := checkNameValue(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func subjectKey(key string) (asn1.ObjectIdentifier, error) {
	if key == "" {
		return nil, fmt.Errorf("%w: empty attribute key", ErrBadSubject)
	}
	if oid, ok := subjectKeys[strings.ToUpper(key)]; ok {
		return slices.Clone(oid), nil // the caller may change it
	}
	dotted := key
	if len(key) > 4 && strings.EqualFold(key[:4], "OID.") {
		dotted = key[4:]
	}
	if dotted != "" && dotted[0] >= '0' && dotted[0] <= '9' {
		parts := strings.Split(dotted, ".")
		if len(parts) >= 2 {
			oid := make(asn1.ObjectIdentifier, len(parts))
			ok := true
			for i, p := range parts {
				n, err := strconv.Atoi(p)
				if err != nil || n < 0 || (i == 0 && n > 2) {
					ok = false
					break
				}
				oid[i] = n
			}
			if ok && (oid[0] == 2 || oid[1] < 40) {
				if _, err := asn1.Marshal(oid); err == nil {
					return oid, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("%w: unknown attribute key %q", ErrBadSubject, key)
}

// checkNameValue applies the rules MarshalSubject enforces.
func checkNameValue(a NameAttribute) error {
	if len(a.Type) < 2 {
		return fmt.Errorf("%w: attribute without a type", ErrBadSubject)
	}
	v := a.Value
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%w: empty value for %s", ErrBadSubject, a.Type)
	}
	if len(v) > maxSubjectValue {
		return fmt.Errorf("%w: value of %s is %d bytes (at most %d)", ErrBadSubject, a.Type, len(v), maxSubjectValue)
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return fmt.Errorf("%w: value of %s is not UTF-8 text", ErrBadSubject, a.Type)
	}
	switch {
	case a.Type.Equal(oidCountry):
		if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' {
			return fmt.Errorf("%w: country %q must be two capital letters (VN)", ErrBadSubject, v)
		}
	case a.Type.Equal(OIDSerialNumber):
		if !isPrintable(v) {
			return fmt.Errorf("%w: serialNumber %q must be PrintableString (letters, digits, space, '()+,-./:=?)", ErrBadSubject, v)
		}
	case a.Type.Equal(oidEmailAddress), a.Type.Equal(oidDomainComp):
		for _, r := range v {
			if r >= utf8.RuneSelf {
				return fmt.Errorf("%w: %s %q must be ASCII", ErrBadSubject, a.Type, v)
			}
		}
	}
	return nil
}

// isPrintable reports whether s fits ASN.1 PrintableString.
func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte(" '()+,-./:=?", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// MarshalSubject encodes attrs as a DER X.501 Name, one attribute per RDN
// in the order given (the first is outermost: "C" in a Vietnamese
// certificate). Text is written as UTF8String in NFC, so Vietnamese
// diacritics survive any reader; the exceptions are the types X.520 and
// RFC 5280 fix: countryName and serialNumber as PrintableString,
// emailAddress and domainComponent as IA5String. Errors match
// ErrBadSubject.
func MarshalSubject(attrs []NameAttribute) ([]byte, error) {
	if len(attrs) == 0 {
		return nil, fmt.Errorf("%w: no attributes", ErrBadSubject)
	}
	var b cryptobyte.Builder
	var ferr error
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			a.Value = norm.NFC.String(a.Value)
			if err := checkNameValue(a); err != nil {
				ferr = err
				return
			}
			oid, err := asn1.Marshal(a.Type)
			if err != nil {
				ferr = fmt.Errorf("%w: attribute type %v: %v", ErrBadSubject, a.Type, err)
				return
			}
			tag := cbasn1.UTF8String
			switch {
			case a.Type.Equal(oidCountry), a.Type.Equal(OIDSerialNumber):
				tag = cbasn1.PrintableString
			case a.Type.Equal(oidEmailAddress), a.Type.Equal(oidDomainComp):
				tag = cbasn1.IA5String
			}
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddBytes(oid)
					b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(a.Value)) })
				})
			})
		}
	})
	if ferr != nil {
		return nil, ferr
	}
	return b.Bytes()
}

// UIDAttribute returns the UID attribute ("CCCD:001203012345") Vietnamese
// CAs use for the holder's identifier, after checking the identifier's
// form: CCCD 12 digits, CMND 9 or 12 digits, MST 10 digits with an
// optional "-" and 3-digit branch suffix, MNS 7 digits, HC (passport) 6 to
// 20 letters and digits. Other types (1 to 16 letters) are taken with any
// value without spaces. typ is case-insensitive and written upper-case.
// Errors match ErrBadSubject.
func UIDAttribute(typ, value string) (NameAttribute, error) {
	t := strings.ToUpper(strings.TrimSpace(typ))
	v := strings.TrimSpace(value)
	digits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return s != ""
	}
	bad := func(want string) (NameAttribute, error) {
		return NameAttribute{}, fmt.Errorf("%w: %s %q: %s", ErrBadSubject, t, v, want)
	}
	switch t {
	case IDCitizen:
		if len(v) != 12 || !digits(v) {
			return bad("a CCCD number has 12 digits")
		}
	case IDLegacyID:
		if (len(v) != 9 && len(v) != 12) || !digits(v) {
			return bad("a CMND number has 9 or 12 digits")
		}
	case IDTaxCode:
		base, branch, hasBranch := strings.Cut(v, "-")
		if len(base) != 10 || !digits(base) || (hasBranch && (len(branch) != 3 || !digits(branch))) {
			return bad("a tax code has 10 digits, or 10 digits, '-' and 3 digits for a branch")
		}
	case IDBudget:
		if len(v) != 7 || !digits(v) {
			return bad("a budget-relationship code has 7 digits")
		}
	case IDPassport:
		v = strings.ToUpper(v)
		if len(v) < 6 || len(v) > 20 {
			return bad("a passport number has 6 to 20 letters and digits")
		}
		for _, r := range v {
			if !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9') {
				return bad("a passport number has 6 to 20 letters and digits")
			}
		}
	default:
		if t == "" || len(t) > 16 {
			return bad("the type must be 1 to 16 letters (CCCD, CMND, MST, HC, MNS)")
		}
		for _, r := range t {
			if !unicode.IsLetter(r) {
				return bad("the type must be 1 to 16 letters (CCCD, CMND, MST, HC, MNS)")
			}
		}
		if v == "" || strings.ContainsFunc(v, unicode.IsSpace) {
			return bad("the value must be non-empty without spaces")
		}
	}
	return NameAttribute{Type: OIDUserID, Value: t + ":" + v}, nil
}
