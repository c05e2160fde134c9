package signer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/scrypt"
)

// Encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo with PBES2, RFC 8018,
// or the PKCS#12 3DES schemes of RFC 7292 Appendix C).
//
// This is implemented here rather than through github.com/youmark/pkcs8
// because, at the pinned version, that package panics on a malformed IV or a
// ciphertext that is not a whole number of blocks (it hands them straight to
// crypto/cipher), does not check the CBC padding, reports every failure to
// parse the decrypted key as "incorrect password" (so a DSA key would look
// like a wrong password), knows only the HMAC-SHA-1 and HMAC-SHA-256 PRFs
// (OpenSSL also writes HMAC-SHA-384/512), and puts no bound on the iteration
// count or the scrypt cost taken from the file.

var (
	oidPBES2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}

	oidPBEWithSHA3KeyTripleDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHA2KeyTripleDES = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 4}
	oidPBKDF2                  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt                  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}

	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// Limits on the work a file may ask for. OpenSSL writes 2048 PBKDF2
// iterations and scrypt N=16384, r=8 by default; these bounds leave room for
// hardened files while keeping a hostile file from pinning a CPU for minutes
// or allocating gigabytes.
const (
	maxPBKDF2Iterations = 1 << 23 // about 8 million
	maxScryptMemory     = 64 << 20
	maxScryptP          = 16
)

type encryptedPrivateKeyInfo struct {
	Algo          pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       asn1.RawValue
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt      []byte
	N         int
	R         int
	P         int
	KeyLength int `asn1:"optional"`
}

// looksLikeEncryptedPKCS8 reports whether der has the shape of an
// EncryptedPrivateKeyInfo: SEQUENCE { AlgorithmIdentifier, OCTET STRING }.
func looksLikeEncryptedPKCS8(der []byte) bool {
	var epki encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &epki)
	return err == nil && len(rest) == 0 && len(epki.Algo.Algorithm) > 0
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo and returns the DER
// PrivateKeyInfo inside. A bad padding or a plaintext that is not a
// PrivateKeyInfo is reported as ErrWrongPassword: PBES2 carries no integrity
// check, so a wrong password and a damaged ciphertext cannot be told apart.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var epki encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &epki)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("signer: malformed encrypted PKCS#8 key: %v", errOr(err, "trailing data"))
	}
	switch alg := epki.Algo.Algorithm; {
	case alg.Equal(oidPBEWithSHA3KeyTripleDES), alg.Equal(oidPBEWithSHA2KeyTripleDES):
		return decryptPKCS12PBE(epki, password)
	case !alg.Equal(oidPBES2):
		return nil, fmt.Errorf("%w: encrypted PKCS#8 scheme %s (PBES2 and the PKCS#12 3DES schemes are supported; re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)",
			ErrUnsupportedAlgorithm, alg)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(epki.Algo.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("signer: malformed PBES2 parameters: %v", errOr(err, "trailing data"))
	}

	newBlock, keyLen, err := pbes2Cipher(params.Scheme.Algorithm)
	if err != nil {
		return nil, err
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(params.Scheme.Parameters.FullBytes, &iv); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("signer: malformed PBES2 cipher parameters: %v", errOr(err, "trailing data"))
	}

	key, err := pbes2Key(params.KDF, password, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("signer: PBES2 cipher: %w", err)
	}
	if len(iv) != block.BlockSize() {
		return nil, fmt.Errorf("signer: malformed PBES2 cipher parameters: IV of %d bytes, want %d", len(iv), block.BlockSize())
	}
	return cbcDecryptKey(block, iv, epki.EncryptedData)
}

// decryptPKCS12PBE decrypts a key encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC
// or pbeWithSHAAnd2-KeyTripleDES-CBC (RFC 7292 Appendix C), as
// `openssl pkcs8 -v1 PBE-SHA1-3DES` and older Java and Windows tools write.
func decryptPKCS12PBE(epki encryptedPrivateKeyInfo, password string) ([]byte, error) {
	var params struct {
		Salt       []byte
		Iterations int
	}
	if rest, err := asn1.Unmarshal(epki.Algo.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("signer: malformed PKCS#12 PBE parameters: %v", errOr(err, "trailing data"))
	}
	if params.Iterations < 1 || params.Iterations > maxPKCS12Iterations {
		return nil, fmt.Errorf("signer: PKCS#12 PBE iteration count %d out of range [1, %d]", params.Iterations, maxPKCS12Iterations)
	}
	bmp, err := bmpPassword(password)
	if err != nil {
		return nil, err
	}
	keyLen := 24
	if epki.Algo.Algorithm.Equal(oidPBEWithSHA2KeyTripleDES) {
		keyLen = 16
	}
	key := pkcs12KDF(sha1.New, params.Salt, bmp, params.Iterations, 1, keyLen)
	if keyLen == 16 {
		key = append(key, key[:8]...) // two-key 3DES: K1 K2 K1
	}
	iv := pkcs12KDF(sha1.New, params.Salt, bmp, params.Iterations, 2, des.BlockSize)
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		return nil, fmt.Errorf("signer: PKCS#12 PBE cipher: %w", err)
	}
	return cbcDecryptKey(block, iv, epki.EncryptedData)
}

// cbcDecryptKey decrypts the CBC ciphertext of an encrypted private key and
// checks that the result is a padded PrivateKeyInfo.
func cbcDecryptKey(block cipher.Block, iv, ct []byte) ([]byte, error) {
	bs := block.BlockSize()
	if len(ct) == 0 || len(ct)%bs != 0 {
		return nil, fmt.Errorf("signer: malformed encrypted PKCS#8 key: ciphertext of %d bytes is not a whole number of %d-byte blocks", len(ct), bs)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)

	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > bs {
		return nil, fmt.Errorf("%w (encrypted PKCS#8 key)", ErrWrongPassword)
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w (encrypted PKCS#8 key)", ErrWrongPassword)
		}
	}
	pt = pt[:len(pt)-pad]
	var pki privateKeyInfo
	if rest, err := asn1.Unmarshal(pt, &pki); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w (encrypted PKCS#8 key)", ErrWrongPassword)
	}
	return pt, nil
}

func pbes2Cipher(oid asn1.ObjectIdentifier) (func([]byte) (cipher.Block, error), int, error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return aes.NewCipher, 16, nil
	case oid.Equal(oidAES192CBC):
		return aes.NewCipher, 24, nil
	case oid.Equal(oidAES256CBC):
		return aes.NewCipher, 32, nil
	case oid.Equal(oidDESEDE3CBC):
		return des.NewTripleDESCipher, 24, nil
	}
	return nil, 0, fmt.Errorf("%w: PBES2 cipher %s", ErrUnsupportedAlgorithm, oid)
}

func pbes2Key(kdf pkix.AlgorithmIdentifier, password string, keyLen int) ([]byte, error) {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("signer: malformed PBKDF2 parameters: %v", errOr(err, "trailing data"))
		}
		if p.Salt.Class != asn1.ClassUniversal || p.Salt.Tag != asn1.TagOctetString || p.Salt.IsCompound {
			return nil, fmt.Errorf("%w: PBKDF2 salt that is not an OCTET STRING", ErrUnsupportedAlgorithm)
		}
		if p.Iterations < 1 || p.Iterations > maxPBKDF2Iterations {
			return nil, fmt.Errorf("signer: PBKDF2 iteration count %d out of range [1, %d]", p.Iterations, maxPBKDF2Iterations)
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, fmt.Errorf("signer: PBKDF2 key length %d does not fit the cipher's %d", p.KeyLength, keyLen)
		}
		h, err := prfHash(p.PRF.Algorithm)
		if err != nil {
			return nil, err
		}
		key, err := pbkdf2.Key(h, password, p.Salt.Bytes, p.Iterations, keyLen)
		if err != nil {
			return nil, fmt.Errorf("signer: PBKDF2: %w", err)
		}
		return key, nil
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("signer: malformed scrypt parameters: %v", errOr(err, "trailing data"))
		}
		if p.N < 2 || p.N&(p.N-1) != 0 || p.R < 1 || p.P < 1 || p.P > maxScryptP ||
			int64(p.N)*int64(p.R)*128 > maxScryptMemory {
			return nil, fmt.Errorf("signer: scrypt cost N=%d r=%d p=%d out of range (at most %d MiB, p <= %d)",
				p.N, p.R, p.P, maxScryptMemory>>20, maxScryptP)
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, fmt.Errorf("signer: scrypt key length %d does not fit the cipher's %d", p.KeyLength, keyLen)
		}
		key, err := scrypt.Key([]byte(password), p.Salt, p.N, p.R, p.P, keyLen)
		if err != nil {
			return nil, fmt.Errorf("signer: scrypt: %w", err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("%w: PBES2 key derivation %s", ErrUnsupportedAlgorithm, kdf.Algorithm)
}

func prfHash(oid asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(oid) == 0 || oid.Equal(oidHMACSHA1):
		return sha1.New, nil
	case oid.Equal(oidHMACSHA224):
		return sha256.New224, nil
	case oid.Equal(oidHMACSHA256):
		return sha256.New, nil
	case oid.Equal(oidHMACSHA384):
		return sha512.New384, nil
	case oid.Equal(oidHMACSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("%w: PBKDF2 PRF %s", ErrUnsupportedAlgorithm, oid)
}

// errOr returns err, or an error with msg when err is nil.
func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}
