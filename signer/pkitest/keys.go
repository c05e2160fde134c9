package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"embed"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"sync"
)

// The RSA keys embedded here are test keys, published with the source code:
// never trust anything they sign outside tests.
//
//go:embed rsakeys/*.pem
var rsaKeyFiles embed.FS

var rsaCache struct {
	mu   sync.Mutex
	keys map[int][]*rsa.PrivateKey
}

// embeddedRSAKeys returns the embedded keys of the given size, parsed once
// per process.
func embeddedRSAKeys(bits int) ([]*rsa.PrivateKey, error) {
	rsaCache.mu.Lock()
	defer rsaCache.mu.Unlock()
	if keys, ok := rsaCache.keys[bits]; ok {
		return keys, nil
	}
	data, err := rsaKeyFiles.ReadFile(fmt.Sprintf("rsakeys/rsa%d.pem", bits))
	if err != nil {
		return nil, fmt.Errorf("pkitest: no embedded RSA-%d keys (have 1024, 2048, 3072, 4096)", bits)
	}
	var keys []*rsa.PrivateKey
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pkitest: embedded RSA-%d key: %w", bits, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok || rk.N.BitLen() != bits {
			return nil, fmt.Errorf("pkitest: embedded RSA-%d key has the wrong type or size", bits)
		}
		keys = append(keys, rk)
	}
	if rsaCache.keys == nil {
		rsaCache.keys = map[int][]*rsa.PrivateKey{}
	}
	rsaCache.keys[bits] = keys
	return keys, nil
}

// keySpec names a key type: RSA when rsaBits > 0, otherwise ECDSA on curve
// (P-256 when nil).
type keySpec struct {
	rsaBits int
	curve   elliptic.Curve
}

// newKey returns a fresh key for spec. RSA keys come from the embedded
// pool: each PKI takes distinct keys, starting at a random offset (or at an
// offset derived from the seed in deterministic mode); past the pool,
// non-deterministic PKIs generate new keys.
func (p *PKI) newKey(spec keySpec) (crypto.Signer, error) {
	if spec.rsaBits > 0 {
		return p.rsaKey(spec.rsaBits)
	}
	curve := spec.curve
	if curve == nil {
		curve = elliptic.P256()
	}
	switch curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
	default:
		return nil, fmt.Errorf("pkitest: unsupported curve %s", curve.Params().Name)
	}
	if p.det != nil {
		return p.det.ecdsaKey(curve)
	}
	return ecdsa.GenerateKey(curve, rand.Reader)
}

func (p *PKI) rsaKey(bits int) (crypto.Signer, error) {
	pool, err := embeddedRSAKeys(bits)
	if err != nil {
		if p.det != nil || bits < 2048 {
			return nil, err
		}
		return rsa.GenerateKey(rand.Reader, bits)
	}
	p.mu.Lock()
	off, ok := p.rsaOff[bits]
	if !ok {
		if p.det != nil {
			off = int(p.det.seed % uint64(len(pool)))
		} else {
			var b [2]byte
			_, _ = rand.Read(b[:])
			off = int(binary.BigEndian.Uint16(b[:])) % len(pool)
		}
		p.rsaOff[bits] = off
	}
	i := p.rsaIdx[bits]
	p.rsaIdx[bits] = i + 1
	p.mu.Unlock()
	if i < len(pool) {
		return pool[(off+i)%len(pool)], nil
	}
	if p.det != nil {
		return nil, fmt.Errorf("pkitest: a deterministic PKI has only %d embedded RSA-%d keys", len(pool), bits)
	}
	return rsa.GenerateKey(rand.Reader, bits)
}

// detSource derives keys from a seed.
type detSource struct {
	mu    sync.Mutex
	seed  uint64
	count uint64
}

func newDetSource(seed uint64) *detSource { return &detSource{seed: seed} }

func (d *detSource) seedBytes() []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], d.seed)
	return b[:]
}

// ecdsaKey derives the next ECDSA key: d = 1 + (H mod (n-1)), where H is
// 1024 bits of SHA-512 output over the seed and a counter.
func (d *detSource) ecdsaKey(curve elliptic.Curve) (*ecdsa.PrivateKey, error) {
	d.mu.Lock()
	d.count++
	n := d.count
	d.mu.Unlock()
	var buf []byte
	for i := byte(0); i < 2; i++ {
		h := sha512.New()
		h.Write([]byte("pkitest ecdsa key"))
		h.Write(d.seedBytes())
		_ = binary.Write(h, binary.BigEndian, n)
		h.Write([]byte{i})
		buf = h.Sum(buf)
	}
	order := curve.Params().N
	x := new(big.Int).SetBytes(buf)
	x.Mod(x, new(big.Int).Sub(order, big.NewInt(1)))
	x.Add(x, big.NewInt(1))
	raw := x.FillBytes(make([]byte, (order.BitLen()+7)/8))
	return ecdsa.ParseRawPrivateKey(curve, raw)
}

// detSigner signs deterministically: ECDSA with RFC 6979 nonces (a nil
// random reader), RSA PKCS#1 v1.5 as always.
type detSigner struct{ crypto.Signer }

func (s detSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, ok := opts.(*rsa.PSSOptions); ok {
		return s.Signer.Sign(rand.Reader, digest, opts)
	}
	if _, ok := s.Signer.(*ecdsa.PrivateKey); ok {
		return s.Signer.Sign(nil, digest, opts)
	}
	return s.Signer.Sign(rand.Reader, digest, opts)
}

// certSigner returns the signer used for certificates and CRLs.
func (p *PKI) certSigner(k crypto.Signer) crypto.Signer {
	if p.det != nil {
		return detSigner{k}
	}
	return k
}
