package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"fmt"

	"github.com/kyso-vn/kyso/internal/certparse"
)

// stateVersion is the version of the serialised Prepared state.
const stateVersion = 1

// preparedState is the JSON form of a Prepared: every input that shapes the
// final SignedData, the signed attributes as their exact DER bytes.
type preparedState struct {
	Version       int      `json:"v"`
	Hash          string   `json:"hash"`
	PSS           bool     `json:"pss,omitempty"`
	Cert          []byte   `json:"cert"`
	Chain         [][]byte `json:"chain,omitempty"`
	ContentDigest []byte   `json:"contentDigest"`
	ContentType   string   `json:"contentType"`
	Content       []byte   `json:"content,omitempty"`
	Encapsulated  bool     `json:"encapsulated,omitempty"`
	SignedAttrs   []byte   `json:"signedAttrs"`
	Unsigned      []byte   `json:"unsignedAttrs,omitempty"`
	Counter       bool     `json:"counter,omitempty"`
}

var hashNames = map[string]crypto.Hash{
	"SHA-256": crypto.SHA256, "SHA-384": crypto.SHA384, "SHA-512": crypto.SHA512,
	"SHA3-256": crypto.SHA3_256, "SHA3-384": crypto.SHA3_384, "SHA3-512": crypto.SHA3_512,
}

// MarshalBinary serialises p (as versioned JSON) so that another process
// can finish the signature with UnmarshalBinary and Finish.
func (p *Prepared) MarshalBinary() ([]byte, error) {
	st := preparedState{
		Version:       stateVersion,
		Hash:          p.hash.String(),
		PSS:           p.pss,
		Cert:          p.cert.Raw,
		ContentDigest: p.contentDigest,
		ContentType:   p.contentType.String(),
		Content:       p.content,
		Encapsulated:  p.content != nil,
		SignedAttrs:   p.signedAttrs,
		Counter:       p.counter,
	}
	for _, c := range p.chain {
		st.Chain = append(st.Chain, c.Raw)
	}
	if len(p.unsigned) > 0 {
		u, err := encodeAttributes(p.unsigned)
		if err != nil {
			return nil, fmt.Errorf("cms: encoding unsigned attributes: %w", err)
		}
		st.Unsigned = u
	}
	return json.Marshal(st)
}

// UnmarshalBinary restores a state written by MarshalBinary. It re-checks
// the state: the certificates parse, the hash is supported, and the signed
// attributes still bind the content digest, the content type and (ESS
// signing-certificate-v2) the certificate.
func (p *Prepared) UnmarshalBinary(data []byte) error {
	var st preparedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("cms: prepared state: %w: %v", ErrBadState, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("cms: prepared state version %d: %w", st.Version, ErrBadState)
	}
	bad := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("cms: prepared state: %s: %w: %v", what, ErrBadState, err)
		}
		return fmt.Errorf("cms: prepared state: %s: %w", what, ErrBadState)
	}
	h, ok := hashNames[st.Hash]
	if !ok {
		return bad("hash "+st.Hash, nil)
	}
	cert, err := certparse.Parse(st.Cert)
	if err != nil {
		return bad("certificate", err)
	}
	if _, err := signatureAlgorithmID(cert.PublicKey, h, st.PSS); err != nil {
		return bad("algorithm", err)
	}
	var chain []*x509.Certificate
	for _, der := range st.Chain {
		c, err := certparse.Parse(der)
		if err != nil {
			return bad("chain certificate", err)
		}
		chain = append(chain, c)
	}
	ct, err := parseOIDString(st.ContentType)
	if err != nil {
		return bad("content type", err)
	}
	if len(st.ContentDigest) != h.Size() {
		return bad("content digest length", nil)
	}
	var content []byte
	if st.Encapsulated {
		content = append([]byte{}, st.Content...)
		if !bytes.Equal(hashBytes(h, content), st.ContentDigest) {
			return bad("encapsulated content does not match its digest", nil)
		}
	}
	// The signed attributes must be a DER SET that binds this digest and
	// content type.
	var set asn1.RawValue
	if len(st.SignedAttrs) == 0 || st.SignedAttrs[0] != 0x31 || unmarshalExact(st.SignedAttrs, &set) != nil {
		return bad("signed attributes", nil)
	}
	attrs, err := parseAttributes(set.Bytes)
	if err != nil {
		return bad("signed attributes", err)
	}
	si := &SignerInfo{SignedAttributes: attrs}
	if md, err := si.MessageDigest(); err != nil || !bytes.Equal(md, st.ContentDigest) {
		return bad("message-digest attribute", err)
	}
	if st.Counter {
		// RFC 5652 §11.4: a countersignature has no content-type.
		if si.Attribute(OIDAttrContentType) != nil || st.Encapsulated {
			return bad("countersignature with a content type", nil)
		}
	} else if got, err := si.ContentTypeAttr(); err != nil || !got.Equal(ct) {
		return bad("content-type attribute", err)
	}
	// The ESS signing-certificate(-v2) attribute must name the state's
	// certificate, or Finish would build a SignedData that never verifies.
	if err := checkESS(si, cert); err != nil {
		return fmt.Errorf("cms: prepared state: signed attributes name another certificate: %w: %w", ErrBadState, err)
	}
	var unsigned []Attribute
	if len(st.Unsigned) > 0 {
		var uset asn1.RawValue
		if err := unmarshalExact(st.Unsigned, &uset); err != nil {
			return bad("unsigned attributes", err)
		}
		if unsigned, err = parseAttributes(uset.Bytes); err != nil {
			return bad("unsigned attributes", err)
		}
	}
	*p = Prepared{
		hash:          h,
		pss:           st.PSS,
		cert:          cert,
		chain:         chain,
		contentDigest: st.ContentDigest,
		contentType:   ct,
		content:       content,
		signedAttrs:   st.SignedAttrs,
		unsigned:      unsigned,
		counter:       st.Counter,
	}
	p.digest = p.hashOf(p.signedAttrs)
	return nil
}

func parseOIDString(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	n, cur, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 {
				return nil, fmt.Errorf("bad OID %q", s)
			}
			oid = append(oid, cur)
			n++
			cur, digits = 0, 0
			continue
		}
		if s[i] < '0' || s[i] > '9' || cur > 1<<28 {
			return nil, fmt.Errorf("bad OID %q", s)
		}
		cur = cur*10 + int(s[i]-'0')
		digits++
	}
	if n < 2 {
		return nil, fmt.Errorf("bad OID %q", s)
	}
	return oid, nil
}
