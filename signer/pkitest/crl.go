package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"
)

// CRLMode selects how the CRL server answers; see [PKI.SetCRLMode].
type CRLMode int

const (
	// CRLNormal serves a current CRL (thisUpdate = now, nextUpdate = now + 1 day).
	CRLNormal CRLMode = iota
	// CRLUnavailable answers HTTP 503.
	CRLUnavailable
	// CRLStale serves a correctly signed CRL whose nextUpdate has passed.
	CRLStale
	// CRLMalformed serves bytes that are not a CRL.
	CRLMalformed
)

// SetCRLMode makes the CRL server fail in the given way (or recover with CRLNormal).
func (p *PKI) SetCRLMode(m CRLMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crlMode = m
}

// CRL returns a freshly signed CRL of ca (DER) as the CRL server would
// serve it now: thisUpdate is the PKI's current time, nextUpdate a day
// later, the CRL number grows with every CRL, and it lists the
// certificates revoked at or before the current time.
func (p *PKI) CRL(ca *CA) ([]byte, error) { return p.crl(ca, false) }

func (p *PKI) crl(ca *CA, stale bool) ([]byte, error) {
	if ca == nil || ca.Cert == nil {
		return nil, fmt.Errorf("pkitest: CRL of a nil CA")
	}
	p.mu.Lock()
	now := p.clock().UTC().Truncate(time.Second)
	ca.crlNumber++
	num := ca.crlNumber
	var entries []x509.RevocationListEntry
	for serial, r := range ca.revoked {
		if r.at.After(now) {
			continue
		}
		n, _ := new(big.Int).SetString(serial, 16)
		entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: r.at, ReasonCode: r.reason})
	}
	p.mu.Unlock()
	sort.Slice(entries, func(i, j int) bool { return entries[i].SerialNumber.Cmp(entries[j].SerialNumber) < 0 })
	this, next := now, now.Add(24*time.Hour)
	if stale {
		this, next = now.AddDate(0, 0, -8), now.AddDate(0, 0, -1)
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(num),
		ThisUpdate:                this,
		NextUpdate:                next,
		RevokedCertificateEntries: entries,
	}, ca.Cert, p.certSigner(ca.Key))
	if err != nil {
		return nil, fmt.Errorf("pkitest: signing CRL of %q: %w", ca.Cert.Subject.CommonName, err)
	}
	return der, nil
}

// loopback starts an httptest server on 127.0.0.1.
func loopback(h http.Handler) *httptest.Server {
	s := httptest.NewUnstartedServer(h)
	if l, err := net.Listen("tcp4", "127.0.0.1:0"); err == nil {
		s.Listener.Close()
		s.Listener = l
	}
	s.Start()
	return s
}

func (p *PKI) startServers() {
	p.crlSrv = loopback(http.HandlerFunc(p.serveRepository))
	p.ocspSrv = loopback(http.HandlerFunc(p.serveOCSP))
	p.tsaSrv = loopback(http.HandlerFunc(p.serveTSA))
}

func (p *PKI) caByName(name string) *CA {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ca := range p.cas {
		if ca.name == name {
			return ca
		}
	}
	return nil
}

// serveRepository serves /crl/<ca>.crl and /cert/<ca>.crt.
func (p *PKI) serveRepository(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/crl/") && strings.HasSuffix(r.URL.Path, ".crl"):
		ca := p.caByName(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/crl/"), ".crl"))
		if ca == nil {
			http.NotFound(w, r)
			return
		}
		p.mu.Lock()
		mode := p.crlMode
		p.mu.Unlock()
		var der []byte
		var err error
		switch mode {
		case CRLUnavailable:
			http.Error(w, "CRL service unavailable (test mode)", http.StatusServiceUnavailable)
			return
		case CRLMalformed:
			der = []byte("this is not a CRL")
		default:
			der, err = p.crl(ca, mode == CRLStale)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		_, _ = w.Write(der)
	case strings.HasPrefix(r.URL.Path, "/cert/") && strings.HasSuffix(r.URL.Path, ".crt"):
		ca := p.caByName(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/cert/"), ".crt"))
		if ca == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(ca.Cert.Raw)
	default:
		http.NotFound(w, r)
	}
}

var (
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

// signatureParams picks the hash and signature AlgorithmIdentifier for
// signing OCSP responses and time-stamp tokens with key: SHA-256 with RSA,
// and the curve's matching hash with ECDSA (or SHA-256 when fixed is set).
func signatureParams(pub crypto.PublicKey, fixed crypto.Hash) (crypto.Hash, pkix.AlgorithmIdentifier, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return crypto.SHA256, pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue}, nil
	case *ecdsa.PublicKey:
		h := crypto.SHA256
		if fixed == 0 {
			switch k.Curve {
			case elliptic.P384():
				h = crypto.SHA384
			case elliptic.P521():
				h = crypto.SHA512
			}
		}
		oid := map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA256: oidECDSAWithSHA256, crypto.SHA384: oidECDSAWithSHA384, crypto.SHA512: oidECDSAWithSHA512}[h]
		return h, pkix.AlgorithmIdentifier{Algorithm: oid}, nil
	default:
		return 0, pkix.AlgorithmIdentifier{}, fmt.Errorf("pkitest: unsupported key type %T", pub)
	}
}
