// Package pdfcrypt holds the PDF password hashes shared by the pdf package's
// reader and verify's reader, so that both derive AES-256 file keys the same
// way.
package pdfcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// Hash2B is Algorithm 2.B of ISO 32000-2: the password hash of the AES-256
// security handler revision 6. salt is the 8-byte validation or key salt;
// udata is the 48-byte /U string when checking the owner password, nil
// otherwise. It returns 32 bytes.
func Hash2B(pw, salt, udata []byte) []byte {
	h := sha256.New()
	h.Write(pw)
	h.Write(salt)
	h.Write(udata)
	k := h.Sum(nil)
	for i := 0; ; {
		k1 := make([]byte, 0, 64*(len(pw)+len(k)+len(udata)))
		for j := 0; j < 64; j++ {
			k1 = append(k1, pw...)
			k1 = append(k1, k...)
			k1 = append(k1, udata...)
		}
		b, _ := aes.NewCipher(k[:16]) // k is at least 32 bytes: never fails
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(b, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, c := range e[:16] {
			sum += int(c)
		}
		var hh hash.Hash
		switch sum % 3 {
		case 0:
			hh = sha256.New()
		case 1:
			hh = sha512.New384()
		default:
			hh = sha512.New()
		}
		hh.Write(e)
		k = hh.Sum(nil)
		i++
		if i >= 64 && int(e[len(e)-1]) <= i-32 {
			break
		}
	}
	return k[:32]
}
