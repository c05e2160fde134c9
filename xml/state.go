package xml

import (
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
)

const stateMagic = "KYSO-XML-PREPARED-1\n"

// ErrState: serialized prepared state is corrupt or from another version.
var ErrState = errors.New("xml: invalid prepared state")

// MarshalBinary serialises the prepared state (the prepared document
// included) so that Finish can run later, in another process.
func (p *Prepared) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(p.out)+len(p.cert.Raw)+512)
	b = append(b, stateMagic...)
	put := func(s []byte) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	putInt := func(v int) { b = binary.AppendVarint(b, int64(v)) }
	put([]byte(p.out))
	putInt(p.valueOff)
	putInt(p.unsignedOff)
	put(p.digest)
	put([]byte(p.method))
	put(p.cert.Raw)
	putInt(int(p.level))
	putInt(int(p.hash))
	put([]byte(p.svPrefix))
	put([]byte(p.svSuffix))
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary. A B-T
// signature needs SetTimestamper before Finish.
func (p *Prepared) UnmarshalBinary(data []byte) error {
	if len(data) < len(stateMagic) || string(data[:len(stateMagic)]) != stateMagic {
		return fmt.Errorf("%w: bad header", ErrState)
	}
	rest := data[len(stateMagic):]
	var err error
	get := func() []byte {
		if err != nil {
			return nil
		}
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			err = fmt.Errorf("%w: truncated", ErrState)
			return nil
		}
		v := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		return v
	}
	getInt := func() int {
		if err != nil {
			return 0
		}
		v, k := binary.Varint(rest)
		if k <= 0 {
			err = fmt.Errorf("%w: truncated", ErrState)
			return 0
		}
		rest = rest[k:]
		return int(v)
	}
	var q Prepared
	q.out = string(get())
	q.valueOff = getInt()
	q.unsignedOff = getInt()
	q.digest = append([]byte(nil), get()...)
	q.method = string(get())
	certDER := get()
	q.level = XAdESLevel(getInt())
	q.hash = crypto.Hash(getInt())
	q.svPrefix = string(get())
	q.svSuffix = string(get())
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: trailing data", ErrState)
	}
	alg, ok := sigAlgs[q.method]
	if !ok {
		return fmt.Errorf("%w: signature method %q", ErrState, q.method)
	}
	if q.hash != alg.hash || len(q.digest) != alg.hash.Size() {
		return fmt.Errorf("%w: digest does not match the method", ErrState)
	}
	if q.valueOff < 0 || q.valueOff > len(q.out) || q.unsignedOff < -1 || q.unsignedOff > len(q.out) ||
		(q.unsignedOff >= 0 && q.unsignedOff < q.valueOff) || q.level < XAdESNone || q.level > XAdESBaselineT {
		return fmt.Errorf("%w: offsets", ErrState)
	}
	if q.cert, err = x509.ParseCertificate(certDER); err != nil {
		return fmt.Errorf("%w: certificate: %v", ErrState, err)
	}
	*p = q
	return nil
}
