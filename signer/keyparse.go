package signer

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSASSAPSS     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDSA           = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448         = asn1.ObjectIdentifier{1, 3, 101, 113}

	oidCurveP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCurveP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidCurveP521 = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	oidCurveP224 = asn1.ObjectIdentifier{1, 3, 132, 0, 33}
)

// privateKeyInfo is the PKCS#8 PrivateKeyInfo (RFC 5208) / OneAsymmetricKey
// (RFC 5958); trailing optional fields are ignored.
type privateKeyInfo struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// ecPrivateKey is SEC 1 ECPrivateKey (RFC 5915).
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// ParsePrivateKey parses a private key in any of the encodings software keys
// come in, PEM or DER (detected): PKCS#1 ("RSA PRIVATE KEY"), SEC 1 ("EC
// PRIVATE KEY"), PKCS#8 ("PRIVATE KEY"), encrypted PKCS#8 ("ENCRYPTED PRIVATE
// KEY": PBES2 with PBKDF2 or scrypt and AES-CBC or 3DES-CBC, or the PKCS#12
// schemes pbeWithSHAAnd3-KeyTripleDES-CBC and -2-KeyTripleDES-CBC) and legacy
// OpenSSL-encrypted PEM (Proc-Type/DEK-Info headers). password is used only
// for encrypted keys. With PEM input the first private key block is used.
//
// It returns an *rsa.PrivateKey (1024 to 8192 bits) or an *ecdsa.PrivateKey
// (P-256, P-384, P-521). Other algorithms (DSA, Ed25519, RSA-PSS-restricted
// keys, other curves) fail with ErrUnsupportedAlgorithm; a wrong or missing
// password with ErrWrongPassword; input without a key with ErrNoKey.
func ParsePrivateKey(data []byte, password string) (crypto.Signer, error) {
	if isPEM(data) {
		rest := data
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				return nil, fmt.Errorf("%w in PEM input", ErrNoKey)
			}
			if isKeyBlock(block.Type) {
				return parsePEMKey(block, password)
			}
		}
	}
	return parseDERKey(data, password)
}

// isPEM reports whether data looks like PEM text rather than DER.
func isPEM(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN "))
}

func isKeyBlock(typ string) bool {
	return strings.HasSuffix(typ, "PRIVATE KEY")
}

func parsePEMKey(block *pem.Block, password string) (crypto.Signer, error) {
	// RFC 1423 PEM encryption is deprecated (x509.DecryptPEMBlock, golang/go#41949)
	// but OpenSSL 1.x wrote it for `genrsa -aes256`, so such keys still exist.
	//lint:ignore SA1019 reading legacy encrypted PEM keys is deliberate (see above)
	if x509.IsEncryptedPEMBlock(block) {
		if password == "" {
			return nil, fmt.Errorf("%w: the %s is encrypted and no password was given", ErrWrongPassword, block.Type)
		}
		der, err := x509.DecryptPEMBlock(block, []byte(password)) //lint:ignore SA1019 deliberate, as above
		if err != nil {
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, fmt.Errorf("%w (legacy encrypted PEM %s)", ErrWrongPassword, block.Type)
			}
			return nil, fmt.Errorf("signer: decrypting legacy PEM %s: %w", block.Type, err)
		}
		k, err := parseDERKeyAs(block.Type, der, "")
		if err != nil && !errors.Is(err, ErrUnsupportedAlgorithm) {
			// Legacy PEM encryption has only a padding check: a wrong
			// password passes it about once in 256 tries.
			return nil, fmt.Errorf("%w (legacy encrypted PEM %s: %v)", ErrWrongPassword, block.Type, err)
		}
		return k, err
	}
	return parseDERKeyAs(block.Type, block.Bytes, password)
}

func parseDERKeyAs(typ string, der []byte, password string) (crypto.Signer, error) {
	switch typ {
	case "PRIVATE KEY":
		return parsePKCS8(der)
	case "ENCRYPTED PRIVATE KEY":
		return parseEncryptedPKCS8(der, password)
	case "RSA PRIVATE KEY":
		return parsePKCS1(der)
	case "EC PRIVATE KEY":
		return parseSEC1(der)
	case "DSA PRIVATE KEY":
		return nil, fmt.Errorf("%w: DSA keys", ErrUnsupportedAlgorithm)
	case "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("%w: OpenSSH key format (convert with `ssh-keygen -p -m PKCS8`)", ErrUnsupportedAlgorithm)
	}
	return nil, fmt.Errorf("%w: PEM block %q", ErrUnsupportedAlgorithm, typ)
}

// parseDERKey detects the DER encoding by the shape of the structure.
func parseDERKey(der []byte, password string) (crypto.Signer, error) {
	if looksLikeEncryptedPKCS8(der) {
		return parseEncryptedPKCS8(der, password)
	}
	var elems []asn1.RawValue
	if rest, err := asn1.Unmarshal(der, &elems); err != nil || len(rest) != 0 || len(elems) < 2 {
		return nil, fmt.Errorf("%w: input is neither PEM nor a DER private key", ErrNoKey)
	}
	if first := elems[0]; first.Class != asn1.ClassUniversal || first.Tag != asn1.TagInteger {
		return nil, fmt.Errorf("%w: input is neither PEM nor a DER private key", ErrNoKey)
	}
	second := elems[1]
	switch {
	case second.Class == asn1.ClassUniversal && second.Tag == asn1.TagSequence:
		return parsePKCS8(der)
	case second.Class == asn1.ClassUniversal && second.Tag == asn1.TagInteger:
		return parsePKCS1(der)
	case second.Class == asn1.ClassUniversal && second.Tag == asn1.TagOctetString:
		return parseSEC1(der)
	}
	return nil, fmt.Errorf("%w: input is neither PEM nor a DER private key", ErrNoKey)
}

func parseEncryptedPKCS8(der []byte, password string) (crypto.Signer, error) {
	if password == "" {
		return nil, fmt.Errorf("%w: the private key is encrypted and no password was given", ErrWrongPassword)
	}
	plain, err := decryptPKCS8(der, password)
	if err != nil {
		return nil, err
	}
	return parsePKCS8(plain)
}

func parsePKCS8(der []byte) (crypto.Signer, error) {
	var pki privateKeyInfo
	if _, err := asn1.Unmarshal(der, &pki); err != nil {
		return nil, fmt.Errorf("signer: malformed PKCS#8 private key: %w", err)
	}
	alg := pki.Algo.Algorithm
	switch {
	case alg.Equal(oidRSAEncryption):
	case alg.Equal(oidECPublicKey):
		var curve asn1.ObjectIdentifier
		if rest, err := asn1.Unmarshal(pki.Algo.Parameters.FullBytes, &curve); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("%w: EC key without a named curve", ErrUnsupportedAlgorithm)
		}
		if err := checkCurveOID(curve); err != nil {
			return nil, err
		}
	default:
		if alg.Equal(oidRSASSAPSS) {
			return nil, fmt.Errorf("%w: RSASSA-PSS-restricted RSA private key (use an rsaEncryption key and WithPSS)", ErrUnsupportedAlgorithm)
		}
		return nil, fmt.Errorf("%w: %s private key", ErrUnsupportedAlgorithm, keyAlgName(alg))
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signer: malformed PKCS#8 private key: %w", err)
	}
	return checkedKey(k)
}

func parsePKCS1(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signer: malformed PKCS#1 RSA private key: %w", err)
	}
	return checkedKey(k)
}

func parseSEC1(der []byte) (crypto.Signer, error) {
	var ec ecPrivateKey
	if _, err := asn1.Unmarshal(der, &ec); err != nil {
		return nil, fmt.Errorf("signer: malformed SEC 1 EC private key: %w", err)
	}
	if len(ec.Curve) == 0 {
		return nil, fmt.Errorf("%w: SEC 1 EC key without a named curve", ErrUnsupportedAlgorithm)
	}
	if err := checkCurveOID(ec.Curve); err != nil {
		return nil, err
	}
	k, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signer: malformed SEC 1 EC private key: %w", err)
	}
	return checkedKey(k)
}

func checkCurveOID(curve asn1.ObjectIdentifier) error {
	switch {
	case curve.Equal(oidCurveP256), curve.Equal(oidCurveP384), curve.Equal(oidCurveP521):
		return nil
	case curve.Equal(oidCurveP224):
		return fmt.Errorf("%w: ECDSA curve P-224", ErrUnsupportedAlgorithm)
	}
	return fmt.Errorf("%w: ECDSA curve %s (only P-256, P-384, P-521)", ErrUnsupportedAlgorithm, curve)
}

func keyAlgName(oid asn1.ObjectIdentifier) string {
	switch {
	case oid.Equal(oidDSA):
		return "DSA"
	case oid.Equal(oidEd25519):
		return "Ed25519"
	case oid.Equal(oidEd448):
		return "Ed448"
	}
	return oid.String()
}

// checkedKey accepts RSA and ECDSA private keys the signer package supports.
func checkedKey(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if err := checkKeyAlgorithm(&k.PublicKey); err != nil {
			return nil, err
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if err := checkKeyAlgorithm(&k.PublicKey); err != nil {
			return nil, err
		}
		return k, nil
	case nil:
		return nil, ErrNoKey
	}
	return nil, fmt.Errorf("%w: private key type %T", ErrUnsupportedAlgorithm, k)
}
