package revinfo

import (
	"crypto/sha256"
	"crypto/x509"
)

// Set is validation data: DER certificates, OCSP responses (full
// OCSPResponse structures) and CRLs, each list without duplicates and in
// the order items were added. The zero value is empty and ready to use.
type Set struct {
	// Certs are DER certificates.
	Certs [][]byte
	// OCSPs are DER OCSPResponse structures.
	OCSPs [][]byte
	// CRLs are DER certificate revocation lists.
	CRLs [][]byte

	seen map[[32]byte]bool
}

func (s *Set) add(list *[][]byte, der []byte) bool {
	if len(der) == 0 {
		return false
	}
	if s.seen == nil {
		s.seen = map[[32]byte]bool{}
		for _, l := range [][][]byte{s.Certs, s.OCSPs, s.CRLs} {
			for _, d := range l {
				s.seen[sha256.Sum256(d)] = true
			}
		}
	}
	k := sha256.Sum256(der)
	if s.seen[k] {
		return false
	}
	s.seen[k] = true
	*list = append(*list, append([]byte(nil), der...))
	return true
}

// AddCert adds a DER certificate; it reports whether it was new.
func (s *Set) AddCert(der []byte) bool { return s.add(&s.Certs, der) }

// AddCertificate adds c.Raw.
func (s *Set) AddCertificate(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	return s.AddCert(c.Raw)
}

// AddOCSP adds a DER OCSPResponse; it reports whether it was new.
func (s *Set) AddOCSP(der []byte) bool { return s.add(&s.OCSPs, der) }

// AddCRL adds a DER CRL; it reports whether it was new.
func (s *Set) AddCRL(der []byte) bool { return s.add(&s.CRLs, der) }

// Merge adds every item of o that s does not hold yet.
func (s *Set) Merge(o *Set) {
	if o == nil {
		return
	}
	s.addAll(o.Certs, o.OCSPs, o.CRLs)
}

// AddSupplied adds the evidence a caller supplies (the Certificates,
// OCSPResponses and CRLs fields of the formats' LTV options): certificates,
// then DER OCSP responses, then DER CRLs.
func (s *Set) AddSupplied(certs []*x509.Certificate, ocsps, crls [][]byte) {
	for _, c := range certs {
		s.AddCertificate(c)
	}
	s.addAll(nil, ocsps, crls)
}

func (s *Set) addAll(certs, ocsps, crls [][]byte) {
	for _, d := range certs {
		s.AddCert(d)
	}
	for _, d := range ocsps {
		s.AddOCSP(d)
	}
	for _, d := range crls {
		s.AddCRL(d)
	}
}

// Len is the number of items in s.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.Certs) + len(s.OCSPs) + len(s.CRLs)
}
