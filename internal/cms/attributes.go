package cms

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

type otherHashAlgAndValue struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashValue     []byte
}

type signaturePolicyID struct {
	SigPolicyID   asn1.ObjectIdentifier
	SigPolicyHash otherHashAlgAndValue
}

// SignaturePolicyAttribute returns the CAdES-EPES signed attribute
// signature-policy-identifier (id-aa-ets-sigPolicyId) naming policy, whose
// policy document hashes to policyHash with h.
func SignaturePolicyAttribute(policy asn1.ObjectIdentifier, h crypto.Hash, policyHash []byte) (Attribute, error) {
	alg, err := hashAlgorithmID(h)
	if err != nil {
		return Attribute{}, err
	}
	if len(policyHash) != h.Size() {
		return Attribute{}, fmt.Errorf("cms: signature policy hash is %d bytes, %v needs %d", len(policyHash), h, h.Size())
	}
	return NewAttribute(OIDAttrSignaturePolicy, signaturePolicyID{
		SigPolicyID:   policy,
		SigPolicyHash: otherHashAlgAndValue{HashAlgorithm: alg, HashValue: policyHash},
	})
}

// AdbeRevocationAttribute returns the adbe-revocationInfoArchival signed
// attribute (1.2.840.113583.1.1.8) holding DER CRLs and OCSP responses, as
// Adobe readers expect in adbe.pkcs7.detached signatures for long-term
// validation. PAdES signatures put revocation data in the DSS instead.
func AdbeRevocationAttribute(crls, ocspResponses [][]byte) (Attribute, error) {
	var body []byte
	seqOf := func(tag byte, items [][]byte) []byte {
		var inner []byte
		for _, it := range items {
			inner = append(inner, it...)
		}
		return encodeTLV(tag, encodeTLV(0x30, inner))
	}
	for _, list := range [][][]byte{crls, ocspResponses} {
		for _, it := range list {
			var v asn1.RawValue
			if err := unmarshalExact(it, &v); err != nil || v.Tag != asn1.TagSequence {
				return Attribute{}, fmt.Errorf("cms: revocation data is not one DER SEQUENCE: %w", ErrFormat)
			}
		}
	}
	if len(crls) > 0 {
		body = append(body, seqOf(0xA0, crls)...)
	}
	if len(ocspResponses) > 0 {
		body = append(body, seqOf(0xA1, ocspResponses)...)
	}
	return Attribute{Type: OIDAttrAdbeRevocation, Values: []asn1.RawValue{{FullBytes: encodeTLV(0x30, body)}}}, nil
}
