package signer

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
	"unicode/utf16"

	"github.com/kyso-vn/kyso/internal/ber"
)

// PKCS#12 (RFC 7292) outer structures, for reading BER files.
type pfxPDU struct {
	Version  int
	AuthSafe pfxContentInfo
	MacData  pfxMacData `asn1:"optional"`
}

type pfxContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type pfxMacData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type pbmac1Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidPBMAC1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

// pkcs12FromBER re-encodes a BER PKCS#12 file as DER that go-pkcs12 reads:
// it checks the file's MAC with password over the original octets, then
// re-encodes the authenticated safe and seals it with a new HMAC-SHA-256
// MAC under the same password. Errors wrapping errBER mean the input is not
// a BER PKCS#12 this can repair; others (ErrWrongPassword, …) are final.
func pkcs12FromBER(data []byte, password string) ([]byte, error) {
	outer, err := berToDER(data, false)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(outer, data) {
		return nil, fmt.Errorf("%w: outer structure is already DER", errBER)
	}
	if err := checkPKCS12Work(outer, 0); err != nil {
		return nil, err
	}
	var pfx pfxPDU
	if rest, err := asn1.Unmarshal(outer, &pfx); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: PFX: %v", errBER, errOr(err, "trailing data"))
	}
	if pfx.Version != 3 || !pfx.AuthSafe.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}) {
		return nil, fmt.Errorf("%w: not a password-integrity PFX v3", errBER)
	}
	var octets []byte
	if rest, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &octets); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: authenticated safe: %v", errBER, errOr(err, "trailing data"))
	}
	inner, err := berToDER(octets, true)
	if err != nil {
		return nil, err
	}
	if err := checkPKCS12Work(inner, 0); err != nil {
		return nil, err
	}

	var macDER []byte
	if len(pfx.MacData.Mac.Algorithm.Algorithm) > 0 {
		if err := verifyPFXMac(&pfx.MacData, octets, password); err != nil {
			return nil, err
		}
		bmp, err := bmpPassword(password)
		if err != nil {
			return nil, err
		}
		var m pfxMacData
		m.Mac.Algorithm = pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}
		m.MacSalt = make([]byte, 16)
		if _, err := rand.Read(m.MacSalt); err != nil {
			return nil, fmt.Errorf("signer: %w", err)
		}
		m.Iterations = 1
		key := pkcs12KDF(sha256.New, m.MacSalt, bmp, 1, 3, sha256.Size)
		h := hmac.New(sha256.New, key)
		h.Write(inner)
		m.Mac.Digest = h.Sum(nil)
		if macDER, err = asn1.Marshal(m); err != nil {
			return nil, fmt.Errorf("signer: encoding PKCS#12 MAC: %w", err)
		}
	}

	var octetString, explicit, contentInfo, body, out bytes.Buffer
	ber.WriteHeader(&octetString, asn1.ClassUniversal, false, asn1.TagOctetString, len(inner))
	octetString.Write(inner)
	ber.WriteHeader(&explicit, asn1.ClassContextSpecific, true, 0, octetString.Len())
	explicit.Write(octetString.Bytes())
	oid, _ := asn1.Marshal(pfx.AuthSafe.ContentType)
	ber.WriteHeader(&contentInfo, asn1.ClassUniversal, true, asn1.TagSequence, len(oid)+explicit.Len())
	contentInfo.Write(oid)
	contentInfo.Write(explicit.Bytes())
	body.Write([]byte{asn1.TagInteger, 1, 3})
	body.Write(contentInfo.Bytes())
	body.Write(macDER)
	ber.WriteHeader(&out, asn1.ClassUniversal, true, asn1.TagSequence, body.Len())
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

// verifyPFXMac checks a PKCS#12 MAC (RFC 7292 Appendix B key derivation, or
// RFC 9579 PBMAC1) over content.
func verifyPFXMac(m *pfxMacData, content []byte, password string) error {
	alg := m.Mac.Algorithm
	if alg.Algorithm.Equal(oidPBMAC1) {
		var p pbmac1Params
		if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
			return fmt.Errorf("signer: malformed PBMAC1 parameters: %v", errOr(err, "trailing data"))
		}
		if !p.KDF.Algorithm.Equal(oidPBKDF2) {
			return fmt.Errorf("%w: PBMAC1 key derivation %s", ErrUnsupportedAlgorithm, p.KDF.Algorithm)
		}
		var kp pbkdf2Params
		if rest, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kp); err != nil || len(rest) != 0 {
			return fmt.Errorf("signer: malformed PBMAC1 PBKDF2 parameters: %v", errOr(err, "trailing data"))
		}
		if kp.Salt.Tag != asn1.TagOctetString || kp.Iterations < 1 || kp.Iterations > maxPKCS12Iterations ||
			kp.KeyLength < 20 || kp.KeyLength > 64 {
			return fmt.Errorf("signer: PBMAC1 parameters out of range")
		}
		prf, err := prfHash(kp.PRF.Algorithm)
		if err != nil {
			return err
		}
		macHash, err := prfHash(p.Scheme.Algorithm)
		if err != nil {
			return err
		}
		key, err := pbkdf2.Key(prf, password, kp.Salt.Bytes, kp.Iterations, kp.KeyLength)
		if err != nil {
			return fmt.Errorf("signer: PBMAC1: %w", err)
		}
		return compareMAC(macHash, key, content, m.Mac.Digest)
	}

	var newHash func() hash.Hash
	switch {
	case alg.Algorithm.Equal(oidSHA1):
		newHash = sha1.New
	case alg.Algorithm.Equal(oidSHA224):
		newHash = sha256.New224
	case alg.Algorithm.Equal(oidSHA256):
		newHash = sha256.New
	case alg.Algorithm.Equal(oidSHA384):
		newHash = sha512.New384
	case alg.Algorithm.Equal(oidSHA512):
		newHash = sha512.New
	default:
		return fmt.Errorf("%w: PKCS#12 MAC algorithm %s", ErrUnsupportedAlgorithm, alg.Algorithm)
	}
	if m.Iterations < 1 || m.Iterations > maxPKCS12Iterations {
		return fmt.Errorf("signer: PKCS#12 MAC iteration count %d out of range", m.Iterations)
	}
	bmp, err := bmpPassword(password)
	if err != nil {
		return err
	}
	size := newHash().Size()
	err = compareMAC(newHash, pkcs12KDF(newHash, m.MacSalt, bmp, m.Iterations, 3, size), content, m.Mac.Digest)
	if err != nil && password == "" {
		// Some producers encode the empty password as no bytes at all.
		err = compareMAC(newHash, pkcs12KDF(newHash, m.MacSalt, nil, m.Iterations, 3, size), content, m.Mac.Digest)
	}
	return err
}

func compareMAC(newHash func() hash.Hash, key, content, want []byte) error {
	h := hmac.New(newHash, key)
	h.Write(content)
	if !hmac.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w (PKCS#12 MAC does not verify)", ErrWrongPassword)
	}
	return nil
}

// bmpPassword encodes a PKCS#12 password: UTF-16BE with a terminating zero.
func bmpPassword(password string) ([]byte, error) {
	out := make([]byte, 0, 2*len(password)+2)
	for _, r := range password {
		if r > 0xffff {
			return nil, fmt.Errorf("%w: password has characters outside the BMP, which PKCS#12 cannot encode", ErrWrongPassword)
		}
		u := utf16.Encode([]rune{r})[0]
		out = append(out, byte(u>>8), byte(u))
	}
	return append(out, 0, 0), nil
}

// pkcs12KDF is the key derivation of RFC 7292 Appendix B.2 (id 1: key,
// 2: IV, 3: MAC key).
func pkcs12KDF(newHash func() hash.Hash, salt, password []byte, iterations int, id byte, size int) []byte {
	h := newHash()
	u, v := h.Size(), h.BlockSize()
	fill := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		out := make([]byte, v*((len(b)+v-1)/v))
		for i := range out {
			out[i] = b[i%len(b)]
		}
		return out
	}
	d := bytes.Repeat([]byte{id}, v)
	I := append(fill(salt), fill(password)...)
	out := make([]byte, 0, size+u)
	for {
		h.Reset()
		h.Write(d)
		h.Write(I)
		a := h.Sum(nil)
		for j := 1; j < iterations; j++ {
			h.Reset()
			h.Write(a)
			a = h.Sum(a[:0])
		}
		out = append(out, a...)
		if len(out) >= size {
			return out[:size]
		}
		b := make([]byte, v)
		for i := range b {
			b[i] = a[i%len(a)]
		}
		for k := 0; k < len(I); k += v {
			carry := 1
			for x := v - 1; x >= 0; x-- {
				sum := int(I[k+x]) + int(b[x]) + carry
				I[k+x] = byte(sum)
				carry = sum >> 8
			}
		}
	}
}
