package cms

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
)

// ASN.1 shapes of RFC 5652. Every field the signature covers, and every
// field a re-encoding must keep byte for byte, is an asn1.RawValue.
//
// EXPLICIT [0] fields are declared as implicit RawValues holding the whole
// tagged value: encoding/asn1 ignores "explicit" when it marshals a RawValue
// with FullBytes, so the wrapper is written and unwrapped by hand.

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional,tag:0"` // [0] EXPLICIT, kept whole
}

type signedDataASN struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []signerInfoASN `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"optional,tag:0"` // [0] EXPLICIT OCTET STRING, kept whole
}

type signerInfoASN struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// Attribute is a CMS Attribute: a type and a SET OF values, each value held
// as its DER encoding.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// NewAttribute returns an attribute of type oid with one value, the DER
// encoding of value as encoding/asn1 marshals it (an asn1.RawValue with
// FullBytes is taken as is).
func NewAttribute(oid asn1.ObjectIdentifier, value any) (Attribute, error) {
	der, err := asn1.Marshal(value)
	if err != nil {
		return Attribute{}, err
	}
	return Attribute{Type: oid, Values: []asn1.RawValue{{FullBytes: der}}}, nil
}

// encodeAttributes returns the DER encoding of a SET OF Attribute (tag 0x31),
// with the members in DER order.
func encodeAttributes(attrs []Attribute) ([]byte, error) {
	encs := make([][]byte, 0, len(attrs))
	for _, a := range attrs {
		vals := make([][]byte, 0, len(a.Values))
		for _, v := range a.Values {
			der := v.FullBytes
			if der == nil {
				var err error
				if der, err = asn1.Marshal(v); err != nil {
					return nil, err
				}
			}
			vals = append(vals, der)
		}
		oid, err := asn1.Marshal(a.Type)
		if err != nil {
			return nil, err
		}
		set := encodeTLV(0x31, sortedConcat(vals))
		encs = append(encs, encodeTLV(0x30, append(oid, set...)))
	}
	return encodeTLV(0x31, sortedConcat(encs)), nil
}

func sortedConcat(items [][]byte) []byte {
	items = slices.Clone(items)
	slices.SortFunc(items, bytes.Compare)
	var out []byte
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

// encodeTLV encodes a DER tag-length-value with a one-byte tag.
func encodeTLV(tag byte, content []byte) []byte {
	n := len(content)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	default:
		var lb []byte
		for l := n; l > 0; l >>= 8 {
			lb = append([]byte{byte(l)}, lb...)
		}
		out = append(out, 0x80|byte(len(lb)))
		out = append(out, lb...)
	}
	return append(out, content...)
}

// parseAttributes parses the content octets of a SET OF Attribute.
func parseAttributes(content []byte) ([]Attribute, error) {
	var attrs []Attribute
	for len(content) > 0 {
		var a Attribute
		rest, err := asn1.Unmarshal(content, &a)
		if err != nil {
			return nil, formatErr("attribute: %v", err)
		}
		if len(a.Values) == 0 {
			return nil, formatErr("attribute %v has no value", a.Type)
		}
		attrs = append(attrs, a)
		content = rest
	}
	return attrs, nil
}

// splitDER splits the content octets of a constructed value into its DER
// elements.
func splitDER(content []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(content) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(content, &v)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		content = rest
	}
	return out, nil
}

// unmarshalExact decodes der into v and refuses trailing data.
func unmarshalExact(der []byte, v any, params ...string) error {
	var rest []byte
	var err error
	if len(params) > 0 {
		rest, err = asn1.UnmarshalWithParams(der, v, params[0])
	} else {
		rest, err = asn1.Unmarshal(der, v)
	}
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return asn1.SyntaxError{Msg: "trailing data"}
	}
	return nil
}
