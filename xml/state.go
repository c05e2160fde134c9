package xml

import (
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"

	"github.com/kyso-vn/kyso/internal/certparse"
)

const stateMagic = "KYSO-XML-PREPARED-1\n"

// ErrBadState: serialized prepared state is corrupt or from another version.
var ErrBadState = errors.New("xml: invalid prepared state")

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
	if p.tsaURL != "" {
		put([]byte(p.tsaURL))
	}
	return b, nil
}

// UnmarshalBinary restores a state written by MarshalBinary (the TSA URL
// included; the HTTPClient and LTV fields already set are kept). The state
// is checked for
// consistency (it parses the prepared document once): a state whose
// SignedInfo, SignatureValue slot or certificate do not fit together is
// refused with ErrBadState rather than finished into a document that cannot
// verify.
func (p *Prepared) UnmarshalBinary(data []byte) error {
	if len(data) < len(stateMagic) || string(data[:len(stateMagic)]) != stateMagic {
		return fmt.Errorf("%w: bad header", ErrBadState)
	}
	rest := data[len(stateMagic):]
	var err error
	get := func() []byte {
		if err != nil {
			return nil
		}
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			err = fmt.Errorf("%w: truncated", ErrBadState)
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
			err = fmt.Errorf("%w: truncated", ErrBadState)
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
	q.level = Level(getInt())
	q.hash = crypto.Hash(getInt())
	q.svPrefix = string(get())
	q.svSuffix = string(get())
	if len(rest) > 0 {
		q.tsaURL = string(get()) // absent from states without a TSA
	}
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: trailing data", ErrBadState)
	}
	if q.tsaURL != "" {
		u, uerr := url.Parse(q.tsaURL)
		if q.level < LevelBT || uerr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: time-stamp authority %q", ErrBadState, q.tsaURL)
		}
	}
	alg, ok := sigAlgs[q.method]
	if !ok {
		return fmt.Errorf("%w: signature method %q", ErrBadState, q.method)
	}
	if q.hash != alg.hash || len(q.digest) != alg.hash.Size() {
		return fmt.Errorf("%w: digest does not match the method", ErrBadState)
	}
	if q.valueOff < 0 || q.valueOff > len(q.out) || q.unsignedOff < -1 || q.unsignedOff > len(q.out) ||
		(q.unsignedOff >= 0 && q.unsignedOff < q.valueOff) || q.level < LevelNone || q.level > LevelBLT {
		return fmt.Errorf("%w: offsets", ErrBadState)
	}
	if q.cert, err = certparse.Parse(certDER); err != nil {
		return fmt.Errorf("%w: certificate: %v", ErrBadState, err)
	}
	if err := q.checkConsistent(); err != nil {
		return err
	}
	q.HTTPClient, q.LTV = p.HTTPClient, p.LTV
	*p = q
	return nil
}

// checkConsistent checks that a restored state is what Prepare produces:
// the SignatureValue slot is an empty SignatureValue right after the
// SignedInfo whose canonical form hashes to the digest, with the state's
// signature method, and KeyInfo names the state's certificate first (and,
// for B-T, the unsigned-properties slot closes that signature's
// QualifyingProperties). Otherwise Finish would return a document whose
// signature cannot verify.
func (q *Prepared) checkConsistent() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadState, fmt.Sprintf(format, args...))
	}
	lim := DefaultLimits()
	lim.MaxBytes = max(lim.MaxBytes, len(q.out))
	d, err := ParseWithLimits([]byte(q.out), lim)
	if err != nil {
		return bad("prepared document: %v", err)
	}
	var sv *Node
	walkElements(d.root, func(n *Node) bool {
		if int(n.tagEnd)+1 == q.valueOff && int(n.closeStart) == q.valueOff && n.Is(NamespaceDSig, "SignatureValue") {
			sv = n
			return false
		}
		return true
	})
	if sv == nil || sv.parent == nil || !sv.parent.Is(NamespaceDSig, "Signature") {
		return bad("the SignatureValue slot is not an empty SignatureValue")
	}
	sig := sv.parent
	kids, err := dsChildren(sig)
	if err != nil || len(kids) < 3 || !kids[0].Is(NamespaceDSig, "SignedInfo") || kids[1] != sv || !kids[2].Is(NamespaceDSig, "KeyInfo") {
		return bad("the prepared Signature does not have the shape Prepare writes")
	}
	si := kids[0]
	siKids, err := dsChildren(si)
	if err != nil || len(siKids) < 2 || !siKids[0].Is(NamespaceDSig, "CanonicalizationMethod") || !siKids[1].Is(NamespaceDSig, "SignatureMethod") {
		return bad("malformed SignedInfo")
	}
	if m, _ := siKids[1].Attr("Algorithm"); m != q.method {
		return bad("SignedInfo names %q, the state %q", m, q.method)
	}
	cm, _ := siKids[0].Attr("Algorithm")
	prefixes, err := inclusivePrefixes(siKids[0], lim.MaxNamespaces)
	if err != nil {
		return bad("%v", err)
	}
	h := q.hash.New()
	if err := (Canonicalizer{Method: cm, InclusivePrefixes: prefixes}).Element(h, si); err != nil {
		return bad("canonicalizing SignedInfo: %v", err)
	}
	if string(h.Sum(nil)) != string(q.digest) {
		return bad("the digest is not that of the prepared SignedInfo")
	}
	var first *Node
	walkElements(kids[2], func(n *Node) bool {
		if n.Is(NamespaceDSig, "X509Certificate") {
			first = n
			return false
		}
		return true
	})
	if first == nil {
		return bad("KeyInfo holds no certificate")
	}
	if der, err := decodeBase64(first.Text()); err != nil || string(der) != string(q.cert.Raw) {
		return bad("KeyInfo names another certificate than the state")
	}
	if q.level >= LevelBT {
		var buf byteSink
		if err := (Canonicalizer{Method: C14N10}).Element(&buf, sv); err != nil || string(buf.b) != q.svPrefix+q.svSuffix {
			return bad("the time-stamped SignatureValue form does not match")
		}
		ok := false
		for _, o := range kids[3:] {
			for c := o.first; c != nil; c = c.next {
				if c.kind == ElementNode && c.LocalName() == "QualifyingProperties" && int(c.closeStart) == q.unsignedOff {
					ok = true
				}
			}
		}
		if !ok {
			return bad("the unsigned-properties slot does not close QualifyingProperties")
		}
	} else if q.unsignedOff != -1 {
		return bad("unsigned-properties slot without XAdES B-T")
	}
	return nil
}
