package signer

import (
	"bytes"
	"encoding/asn1"
	"fmt"

	"github.com/kyso-vn/kyso/internal/ber"
)

// BER to DER re-encoding for PKCS#12 files.
//
// BouncyCastle (since 1.70) and EJBCA write PKCS#12 files in BER: indefinite
// lengths, and OCTET STRINGs split into constructed chunks. go-pkcs12 reads
// DER only (encoding/asn1). berToDER rewrites such a file's structure in DER
// without touching any value: chunked strings are joined, lengths made
// definite and minimal. The contents that PKCS#12 protects with its MAC are
// the octets of the authenticated safe, which change when re-encoded, so
// pkcs12FromBER checks the file's MAC on the original octets first and then
// seals the re-encoded file with a fresh MAC for go-pkcs12 to check again.

// errBER is wrapped by the errors that mean the input is not BER this can
// repair.
var errBER = ber.ErrMalformed

// maxBERDepth bounds the nesting berToDER follows.
const maxBERDepth = 48

// parseBER reads one element from data and returns it with the bytes after it.
func parseBER(data []byte) (*ber.Element, []byte, error) { return ber.Parse(data, maxBERDepth) }

// berToDER re-encodes one BER element (all of data) as DER. With recurseData
// it also re-encodes the octets of id-data ContentInfos, which in PKCS#12
// hold the authenticated safe and the unencrypted SafeContents.
func berToDER(data []byte, recurseData bool) ([]byte, error) {
	e, rest, err := parseBER(data)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the element", errBER, len(rest))
	}
	var out bytes.Buffer
	if err := writeDER(&out, e, recurseData); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// oidDataContentDER is the DER contents of id-data, 1.2.840.113549.1.7.1.
var oidDataContentDER = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}

func writeDER(out *bytes.Buffer, e *ber.Element, recurseData bool) error {
	if !e.Constructed {
		content := e.Content
		if e.Is(asn1.ClassUniversal, asn1.TagBoolean) && len(content) == 1 && content[0] != 0 {
			content = []byte{0xff}
		}
		ber.WriteHeader(out, e.Class, false, e.Tag, len(content))
		out.Write(content)
		return nil
	}
	if e.Class == asn1.ClassUniversal && ber.StringTag(e.Tag) {
		// A chunked string: DER wants it primitive.
		joined, err := joinChunks(e)
		if err != nil {
			return err
		}
		ber.WriteHeader(out, e.Class, false, e.Tag, len(joined))
		out.Write(joined)
		return nil
	}

	var body bytes.Buffer
	for i, c := range e.Children {
		switch {
		case i == 2 && isEncryptedContentInfo(e):
			// encryptedContent [0] IMPLICIT OCTET STRING, chunked.
			joined, err := joinChunks(c)
			if err != nil {
				return err
			}
			ber.WriteHeader(&body, asn1.ClassContextSpecific, false, 0, len(joined))
			body.Write(joined)
		case i == 1 && recurseData && isDataContentInfo(e) && len(c.Children) == 1 &&
			c.Children[0].Is(asn1.ClassUniversal, asn1.TagOctetString):
			// content [0] EXPLICIT OCTET STRING holding BER.
			octets, err := joinChunks(c.Children[0])
			if err != nil {
				return err
			}
			if inner, err := berToDER(octets, true); err == nil {
				octets = inner
			}
			var str bytes.Buffer
			ber.WriteHeader(&str, asn1.ClassUniversal, false, asn1.TagOctetString, len(octets))
			str.Write(octets)
			ber.WriteHeader(&body, asn1.ClassContextSpecific, true, 0, str.Len())
			body.Write(str.Bytes())
		default:
			if err := writeDER(&body, c, recurseData); err != nil {
				return err
			}
		}
	}
	ber.WriteHeader(out, e.Class, true, e.Tag, body.Len())
	out.Write(body.Bytes())
	return nil
}

// isEncryptedContentInfo: SEQUENCE { OID, AlgorithmIdentifier, [0] constructed }.
func isEncryptedContentInfo(e *ber.Element) bool {
	return e.Is(asn1.ClassUniversal, asn1.TagSequence) && len(e.Children) == 3 &&
		e.Children[0].Is(asn1.ClassUniversal, asn1.TagOID) &&
		e.Children[1].Is(asn1.ClassUniversal, asn1.TagSequence) &&
		e.Children[2].Is(asn1.ClassContextSpecific, 0) && e.Children[2].Constructed
}

// isDataContentInfo: SEQUENCE { id-data, [0] EXPLICIT ... }.
func isDataContentInfo(e *ber.Element) bool {
	return e.Is(asn1.ClassUniversal, asn1.TagSequence) && len(e.Children) == 2 &&
		e.Children[0].Is(asn1.ClassUniversal, asn1.TagOID) && !e.Children[0].Constructed &&
		bytes.Equal(e.Children[0].Content, oidDataContentDER) &&
		e.Children[1].Is(asn1.ClassContextSpecific, 0) && e.Children[1].Constructed
}

// joinChunks returns the value of a possibly chunked string element.
func joinChunks(e *ber.Element) ([]byte, error) {
	return e.Join(func(class, tag int) bool { return class == asn1.ClassUniversal && ber.StringTag(tag) })
}
