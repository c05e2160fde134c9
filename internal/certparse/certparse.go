// Package certparse is kyso's one entry point for parsing X.509
// certificates as Vietnamese CAs issue them, on top of crypto/x509:
//
//   - Negative serial numbers (some CA and test certificates, the RUB PDF
//     corpus) are refused by crypto/x509 since Go 1.23 unless the process
//     runs with GODEBUG x509negativeserial=1. [Parse] reads them whatever
//     the process setting: it parses a copy whose serial's first byte is
//     made positive (same length, so every offset is unchanged), then puts
//     the original byte back into that copy, so Raw, RawTBSCertificate and
//     every other Raw* slice hold exactly the original DER and signatures
//     over it verify; SerialNumber is set to the original negative value.
//   - Microsoft's application-policies extension (1.3.6.1.4.1.311.21.10),
//     which CA2 RS certificates mark critical, is removed from
//     UnhandledCriticalExtensions: its content (a list of purpose OIDs with
//     the syntax of certificatePolicies) is read by [AppPolicies] and
//     evaluated by package verify like an extended key usage.
//
// Every package of the module that parses certificates (signer's loaders,
// verify's trust store and evidence, internal/cms, internal/revinfo, xml)
// calls Parse instead of x509.ParseCertificate.
package certparse

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"unsafe"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDAppPolicies is Microsoft's application-policies extension
// (szOID_APPLICATION_CERT_POLICIES).
var OIDAppPolicies = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 10}

// ErrMalformed wraps every parse failure of this package's own DER reading.
var ErrMalformed = errors.New("certparse: malformed certificate")

// parsed caches the certificates Parse returned, keyed by their DER, as
// crypto/tls caches its peers' certificates: verifying a document parses
// the same signer, CA and TSA certificates every time (a third of the
// allocations of verifying a small PDF). Entries are parsed from the
// cache's own copy of the DER, so no caller's buffer is aliased; the
// returned certificates are shared and must not be modified (crypto/x509
// treats them as immutable too). The cache is cleared when full.
var parsed struct {
	sync.Mutex
	m map[string]*x509.Certificate
}

const maxParsed = 512

// Parse parses one DER certificate (no trailing data) like
// x509.ParseCertificate, also accepting negative serial numbers and treating
// the application-policies extension as handled. The result is shared with
// other callers parsing the same DER: do not modify it.
func Parse(der []byte) (*x509.Certificate, error) {
	parsed.Lock()
	c, ok := parsed.m[string(der)]
	parsed.Unlock()
	if ok {
		return c, nil
	}
	own := bytes.Clone(der)
	c, err := parse(own)
	if err != nil {
		return nil, err
	}
	parsed.Lock()
	if parsed.m == nil || len(parsed.m) >= maxParsed {
		parsed.m = make(map[string]*x509.Certificate)
	}
	// own is never written again: the key may share its bytes.
	parsed.m[unsafe.String(unsafe.SliceData(own), len(own))] = c
	parsed.Unlock()
	return c, nil
}

// parse parses der, which it owns: the negative-serial path edits one byte
// and puts it back.
func parse(der []byte) (*x509.Certificate, error) {
	idx, elem, neg, err := serialOffset(der)
	if err != nil || !neg {
		// Not our case (or not even a certificate): crypto/x509 decides
		// and words the error.
		c, perr := x509.ParseCertificate(der)
		if perr != nil {
			return nil, perr
		}
		return Handle(c), nil
	}
	serial := new(big.Int)
	{
		s := cryptobyte.String(elem)
		if !s.ReadASN1Integer(serial) {
			return nil, fmt.Errorf("%w: serial number", ErrMalformed)
		}
	}
	orig := der[idx]
	der[idx] = 0x01 // positive, minimally encoded, same length
	c, err := x509.ParseCertificate(der)
	der[idx] = orig
	if err != nil {
		return nil, err
	}
	// The original byte is back: every Raw* slice (and Signature,
	// extension values) points into der, which is the input again.
	c.SerialNumber = serial
	return Handle(c), nil
}

// serialOffset finds the first content byte of the serial number INTEGER
// and reports whether the serial is negative.
// It also returns the whole INTEGER element.
func serialOffset(der []byte) (int, []byte, bool, error) {
	s := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !s.Empty() {
		return 0, nil, false, ErrMalformed
	}
	if !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return 0, nil, false, ErrMalformed
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return 0, nil, false, ErrMalformed
	}
	var elem cryptobyte.String
	if !tbs.ReadASN1Element(&elem, cbasn1.INTEGER) {
		return 0, nil, false, ErrMalformed
	}
	e := elem
	var serial cryptobyte.String
	if !e.ReadASN1(&serial, cbasn1.INTEGER) || len(serial) == 0 {
		return 0, nil, false, ErrMalformed
	}
	// serial is a sub-slice of der: its offset follows from the capacities.
	off := cap(der) - cap(serial)
	if off < 0 || off >= len(der) || &der[off] != &serial[0] {
		return 0, nil, false, ErrMalformed
	}
	return off, elem, serial[0]&0x80 != 0, nil
}

// ParseAll parses a concatenation of DER certificates.
func ParseAll(der []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	s := cryptobyte.String(der)
	for !s.Empty() {
		var el cryptobyte.String
		if !s.ReadASN1Element(&el, cbasn1.SEQUENCE) {
			return nil, fmt.Errorf("%w: certificate %d: bad DER", ErrMalformed, len(out))
		}
		c, err := Parse(el)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Handle returns c itself, or a shallow copy of c without the
// application-policies extension in UnhandledCriticalExtensions when c
// carries it critical. It is for certificates parsed elsewhere (by
// crypto/x509 inside another module); Parse already applies it.
func Handle(c *x509.Certificate) *x509.Certificate {
	if c == nil {
		return nil
	}
	i := slices.IndexFunc(c.UnhandledCriticalExtensions, func(o asn1.ObjectIdentifier) bool { return o.Equal(OIDAppPolicies) })
	if i < 0 {
		return c
	}
	if _, err := AppPolicies(c); err != nil {
		// Unreadable: leave it unhandled so that chains are refused.
		return c
	}
	cc := *c
	cc.UnhandledCriticalExtensions = slices.Delete(slices.Clone(c.UnhandledCriticalExtensions), i, i+1)
	if len(cc.UnhandledCriticalExtensions) == 0 {
		cc.UnhandledCriticalExtensions = nil
	}
	return &cc
}

// AppPolicies returns the purpose OIDs of c's application-policies
// extension, or nil when c has none.
func AppPolicies(c *x509.Certificate) ([]asn1.ObjectIdentifier, error) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(OIDAppPolicies) {
			continue
		}
		s := cryptobyte.String(e.Value)
		var seq cryptobyte.String
		if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
			return nil, fmt.Errorf("%w: application policies", ErrMalformed)
		}
		var out []asn1.ObjectIdentifier
		for !seq.Empty() {
			var pi cryptobyte.String
			var oid asn1.ObjectIdentifier
			if !seq.ReadASN1(&pi, cbasn1.SEQUENCE) || !pi.ReadASN1ObjectIdentifier(&oid) {
				return nil, fmt.Errorf("%w: application policy", ErrMalformed)
			}
			out = append(out, oid)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: empty application policies", ErrMalformed)
		}
		return out, nil
	}
	return nil, nil
}
