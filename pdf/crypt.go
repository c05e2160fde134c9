package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/pdfcrypt"
)

// The standard security handler (ISO 32000-2 §7.6.4): revisions 2–4 (RC4
// and AES-128) and 5–6 (AES-256). The signer never changes a document's
// /Encrypt dictionary; it only needs the file key to read objects and to
// encrypt the strings and streams it appends.

type cryptMethod int

const (
	cryptNone cryptMethod = iota
	cryptRC4
	cryptAESV2
	cryptAESV3
)

type securityHandler struct {
	key      []byte
	strM     cryptMethod
	stmM     cryptMethod
	encRef   ref // the /Encrypt dictionary object; its strings are never encrypted
	hasEnRef bool
}

var passwordPad = []byte{
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
}

func padPassword(pw []byte) []byte {
	out := make([]byte, 32)
	n := copy(out, pw)
	copy(out[n:], passwordPad)
	return out
}

// newSecurityHandler authenticates password against the /Encrypt dictionary
// enc (as user password, then as owner password).
func newSecurityHandler(enc dict, id0 []byte, password []byte, resolve func(object) object) (*securityHandler, error) {
	if f := enc.name("Filter"); f != "Standard" {
		return nil, fmt.Errorf("%w: security handler %q (only the standard password handler is supported)", ErrUnsupported, f)
	}
	v, _ := resolve(enc["V"]).(int64)
	r, _ := resolve(enc["R"]).(int64)
	o, _ := resolve(enc["O"]).(pdfString)
	u, _ := resolve(enc["U"]).(pdfString)
	p, _ := resolve(enc["P"]).(int64)
	length := int64(40)
	if l, ok := resolve(enc["Length"]).(int64); ok {
		length = l
	}
	encryptMeta := true
	if b, ok := resolve(enc["EncryptMetadata"]).(bool); ok {
		encryptMeta = b
	}
	h := &securityHandler{}
	switch v {
	case 1, 2:
		h.strM, h.stmM = cryptRC4, cryptRC4
	case 4, 5:
		cf, _ := resolve(enc["CF"]).(dict)
		method := func(filter object) (cryptMethod, int64, error) {
			fn, _ := resolve(filter).(name)
			if fn == "" || fn == "Identity" {
				return cryptNone, 0, nil
			}
			fd, _ := resolve(cf[fn]).(dict)
			if fd == nil {
				return 0, 0, fmt.Errorf("%w: crypt filter %q not defined", ErrMalformed, fn)
			}
			l, _ := resolve(fd["Length"]).(int64)
			switch fd.name("CFM") {
			case "V2":
				return cryptRC4, l, nil
			case "AESV2":
				return cryptAESV2, 16, nil
			case "AESV3":
				return cryptAESV3, 32, nil
			case "None", "":
				return cryptNone, 0, nil
			}
			return 0, 0, fmt.Errorf("%w: crypt filter method %q", ErrUnsupported, fd.name("CFM"))
		}
		var err error
		var l1, l2 int64
		if h.stmM, l1, err = method(enc["StmF"]); err != nil {
			return nil, err
		}
		if h.strM, l2, err = method(enc["StrF"]); err != nil {
			return nil, err
		}
		if v == 4 {
			// /Length in a crypt filter is in bytes (sometimes given in bits).
			for _, l := range []int64{l1, l2} {
				if l >= 40 {
					l /= 8
				}
				if l >= 5 && l <= 16 {
					length = l * 8
				}
			}
			if h.stmM == cryptAESV2 || h.strM == cryptAESV2 {
				length = 128
			}
		}
	default:
		return nil, fmt.Errorf("%w: encryption version V=%d", ErrUnsupported, v)
	}
	if r >= 5 {
		key, err := aes256Key(enc, r, password, resolve)
		if errors.Is(err, ErrWrongPassword) {
			// ISO 32000-2 §7.6.4.3.3: R6 passwords are SASLprep-ed, whose
			// normalisation is NFKC; a password typed with combining marks
			// (Vietnamese in NFD) must match its precomposed form.
			if np := norm.NFKC.Bytes(password); !bytes.Equal(np, password) {
				key, err = aes256Key(enc, r, np, resolve)
			}
		}
		if err != nil {
			return nil, err
		}
		h.key = key
		return h, nil
	}
	if r < 2 || r > 4 || len(o) < 32 || len(u) < 32 || length < 40 || length > 128 || length%8 != 0 {
		return nil, fmt.Errorf("%w: bad standard security handler parameters (R=%d)", ErrMalformed, r)
	}
	n := int(length / 8)
	if r == 2 {
		n = 5
	}
	userKey := func(pw []byte) []byte {
		m := md5.New()
		m.Write(padPassword(pw))
		m.Write(o[:32])
		var pb [4]byte
		binary.LittleEndian.PutUint32(pb[:], uint32(int32(p)))
		m.Write(pb[:])
		m.Write(id0)
		if r >= 4 && !encryptMeta {
			m.Write([]byte{0xff, 0xff, 0xff, 0xff})
		}
		key := m.Sum(nil)
		if r >= 3 {
			for i := 0; i < 50; i++ {
				s := md5.Sum(key[:n])
				key = s[:]
			}
		}
		key = key[:n]
		// Algorithm 6: check the key against /U.
		var check []byte
		if r == 2 {
			check = rc4Crypt(key, passwordPad)
			if bytes.Equal(check, u[:32]) {
				return key
			}
			return nil
		}
		m = md5.New()
		m.Write(passwordPad)
		m.Write(id0)
		check = rc4Crypt(key, m.Sum(nil))
		for i := 1; i <= 19; i++ {
			check = rc4Crypt(xorKey(key, byte(i)), check)
		}
		if bytes.Equal(check[:16], u[:16]) {
			return key
		}
		return nil
	}
	if key := userKey(password); key != nil {
		h.key = key
		return h, nil
	}
	// Algorithm 7: treat password as the owner password.
	ok := md5.Sum(padPassword(password))
	okey := ok[:]
	if r >= 3 {
		for i := 0; i < 50; i++ {
			s := md5.Sum(okey)
			okey = s[:]
		}
	}
	okey = okey[:n]
	upw := append([]byte(nil), o[:32]...)
	if r == 2 {
		upw = rc4Crypt(okey, upw)
	} else {
		for i := 19; i >= 0; i-- {
			upw = rc4Crypt(xorKey(okey, byte(i)), upw)
		}
	}
	if key := userKey(upw); key != nil {
		h.key = key
		return h, nil
	}
	return nil, ErrWrongPassword
}

func xorKey(key []byte, x byte) []byte {
	k := make([]byte, len(key))
	for i := range key {
		k[i] = key[i] ^ x
	}
	return k
}

func rc4Crypt(key, data []byte) []byte {
	c, err := rc4.NewCipher(key)
	if err != nil {
		return append([]byte(nil), data...)
	}
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out
}

func aes256Key(enc dict, r int64, password []byte, resolve func(object) object) ([]byte, error) {
	o, _ := resolve(enc["O"]).(pdfString)
	u, _ := resolve(enc["U"]).(pdfString)
	oe, _ := resolve(enc["OE"]).(pdfString)
	ue, _ := resolve(enc["UE"]).(pdfString)
	if len(o) < 48 || len(u) < 48 || len(oe) < 32 || len(ue) < 32 {
		return nil, fmt.Errorf("%w: bad AES-256 security handler parameters", ErrMalformed)
	}
	if len(password) > 127 {
		password = password[:127]
	}
	hashFn := func(pw, salt, udata []byte) []byte {
		if r == 5 {
			h := sha256.New()
			h.Write(pw)
			h.Write(salt)
			h.Write(udata)
			return h.Sum(nil)
		}
		return pdfcrypt.Hash2B(pw, salt, udata)
	}
	decryptKey := func(ik, e []byte) []byte {
		b, _ := aes.NewCipher(ik)
		out := make([]byte, 32)
		cipher.NewCBCDecrypter(b, make([]byte, 16)).CryptBlocks(out, e[:32])
		return out
	}
	if bytes.Equal(hashFn(password, u[32:40], nil), u[:32]) {
		return decryptKey(hashFn(password, u[40:48], nil), ue), nil
	}
	if bytes.Equal(hashFn(password, o[32:40], u[:48]), o[:32]) {
		return decryptKey(hashFn(password, o[40:48], u[:48]), oe), nil
	}
	return nil, ErrWrongPassword
}

func (h *securityHandler) objectKey(r ref, m cryptMethod) []byte {
	if m == cryptAESV3 {
		return h.key
	}
	mh := md5.New()
	mh.Write(h.key)
	mh.Write([]byte{byte(r.Num), byte(r.Num >> 8), byte(r.Num >> 16), byte(r.Gen), byte(r.Gen >> 8)})
	if m == cryptAESV2 {
		mh.Write([]byte("sAlT"))
	}
	k := mh.Sum(nil)
	n := len(h.key) + 5
	if n > 16 {
		n = 16
	}
	return k[:n]
}

func (h *securityHandler) decrypt(r ref, m cryptMethod, data []byte) ([]byte, error) {
	switch m {
	case cryptNone:
		return data, nil
	case cryptRC4:
		return rc4Crypt(h.objectKey(r, m), data), nil
	}
	if len(data) < 32 || len(data)%16 != 0 {
		if len(data) == 16 || len(data) == 0 {
			return nil, nil // an IV alone: empty string
		}
		return nil, fmt.Errorf("%w: AES data of %d bytes", ErrMalformed, len(data))
	}
	b, err := aes.NewCipher(h.objectKey(r, m))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out := make([]byte, len(data)-16)
	cipher.NewCBCDecrypter(b, data[:16]).CryptBlocks(out, data[16:])
	pad := int(out[len(out)-1])
	if pad < 1 || pad > 16 || pad > len(out) {
		return nil, fmt.Errorf("%w: bad AES padding", ErrMalformed)
	}
	return out[:len(out)-pad], nil
}

func (h *securityHandler) encrypt(r ref, m cryptMethod, data []byte) ([]byte, error) {
	switch m {
	case cryptNone:
		return data, nil
	case cryptRC4:
		return rc4Crypt(h.objectKey(r, m), data), nil
	}
	b, err := aes.NewCipher(h.objectKey(r, m))
	if err != nil {
		return nil, fmt.Errorf("pdf: encrypting object %v: %w", r, err)
	}
	pad := 16 - len(data)%16
	out := make([]byte, 16+len(data)+pad)
	if _, err := rand.Read(out[:16]); err != nil {
		return nil, fmt.Errorf("pdf: encrypting object %v: %w", r, err)
	}
	copy(out[16:], data)
	for i := 16 + len(data); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(b, out[:16]).CryptBlocks(out[16:], out[16:])
	return out, nil
}
