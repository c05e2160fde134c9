package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/kyso-vn/kyso/internal/certparse"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/text/unicode/norm"
)

// Object identifiers used in certificate profiles. They are read-only:
// compare with them (Equal), never change them.
var (
	// OIDUserID is the UID attribute (0.9.2342.19200300.100.1.1) that
	// Vietnamese CAs use for "CCCD:…", "CMND:…", "MST:…" identifiers.
	OIDUserID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	// OIDDocumentSigning is id-kp-documentSigning (RFC 9336).
	OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	// OIDOCSPNoCheck is id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
	OIDOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	// OIDTestPolicy is the certificate policy placed in certificates by
	// [Policies] when it is called without arguments. It lies under the
	// example arc 2.999 and means nothing outside tests.
	OIDTestPolicy = asn1.ObjectIdentifier{2, 999, 1, 1}

	oidCountry        = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidState          = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidLocality       = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidOrganization   = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrgUnit        = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCommonName     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidExtKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	errForeignCA      = errors.New("pkitest: the issuing CA does not belong to this PKI")
)

// Default identity data: a civil servant of a Vietnamese provincial
// department, as on real e-office certificates.
const (
	DefaultPersonName   = "Nguyễn Văn An"
	DefaultCCCD         = "075089001234"
	DefaultOrganization = "Sở Thông tin và Truyền thông tỉnh Đồng Nai"
	DefaultMST          = "3600123456"
	DefaultLocality     = "Thành phố Biên Hòa"
	DefaultProvince     = "Đồng Nai"
)

// CertOption adjusts a certificate issued by [PKI.Issue] or [PKI.NewCA].
type CertOption func(*certConfig)

type certConfig struct {
	cn, o, ou, l, st, c string
	uids                []string
	name                *pkix.Name // custom subject, replaces the fields above

	key       keySpec
	pub       crypto.PublicKey
	validity  func(now time.Time) (time.Time, time.Time)
	ku        x509.KeyUsage
	eku       []x509.ExtKeyUsage
	ekuOIDs   []asn1.ObjectIdentifier
	critEKU   bool
	weak      bool
	sigAlg    x509.SignatureAlgorithm
	issuer    *CA
	policies  []asn1.ObjectIdentifier
	isCA      bool
	noCheck   bool
	noRevInfo bool
	negSerial bool
	appPols   []asn1.ObjectIdentifier
	noAIA     bool
}

// Person sets the subject to a natural person: CN=name and UID=CCCD:cccd
// (replacing earlier UIDs). The organisation, locality and province stay.
func Person(name, cccd string) CertOption {
	return func(c *certConfig) {
		c.name = nil
		c.cn = name
		c.uids = []string{"CCCD:" + cccd}
	}
}

// Organization sets the subject to an organisation: CN=O=name and
// UID=MST:mst (its tax code), replacing earlier UIDs.
func Organization(name, mst string) CertOption {
	return func(c *certConfig) {
		c.name = nil
		c.cn, c.o = name, name
		c.uids = []string{"MST:" + mst}
	}
}

// UID adds UID attributes to the subject, each a value such as
// "CMND:012345678", "MST:0101234567-001", "HC:B1234567" or "MNS:…".
func UID(values ...string) CertOption {
	return func(c *certConfig) { c.uids = append(c.uids, values...) }
}

// OrgUnit sets the subject's organisational unit (OU).
func OrgUnit(ou string) CertOption { return func(c *certConfig) { c.ou = ou } }

// Locality sets the subject's locality (L) and province (ST).
func Locality(locality, province string) CertOption {
	return func(c *certConfig) { c.l, c.st = locality, province }
}

// Subject replaces the whole subject with name, encoded by crypto/x509
// (PrintableString where possible, otherwise UTF8String).
func Subject(name pkix.Name) CertOption {
	return func(c *certConfig) { n := name; c.name = &n }
}

// RSAKey gives the certificate a fresh RSA key of bits bits (1024, 2048,
// 3072 or 4096 come from the embedded cache and cost nothing).
func RSAKey(bits int) CertOption {
	return func(c *certConfig) { c.key = keySpec{rsaBits: bits} }
}

// ECDSAKey gives the certificate a fresh ECDSA key on curve (P-256, P-384
// or P-521). P-256 is the default.
func ECDSAKey(curve elliptic.Curve) CertOption {
	return func(c *certConfig) { c.key = keySpec{curve: curve} }
}

// PublicKey certifies pub, whose private key lives elsewhere (a PKCS#11
// token, a SIM card). The resulting Identity has no Key.
func PublicKey(pub crypto.PublicKey) CertOption {
	return func(c *certConfig) { c.pub = pub }
}

// Validity sets the validity period explicitly.
func Validity(notBefore, notAfter time.Time) CertOption {
	return func(c *certConfig) {
		c.validity = func(time.Time) (time.Time, time.Time) { return notBefore, notAfter }
	}
}

// Expired makes a certificate that was valid from two years to one day
// before the PKI's current time.
func Expired() CertOption {
	return func(c *certConfig) {
		c.validity = func(now time.Time) (time.Time, time.Time) {
			return now.AddDate(-2, 0, 0), now.Add(-24 * time.Hour)
		}
	}
}

// NotYetValid makes a certificate valid from 30 days after the PKI's
// current time.
func NotYetValid() CertOption {
	return func(c *certConfig) {
		c.validity = func(now time.Time) (time.Time, time.Time) {
			return now.AddDate(0, 0, 30), now.AddDate(2, 0, 0)
		}
	}
}

// KeyUsage replaces the key usage bits (the extension is always critical).
func KeyUsage(ku x509.KeyUsage) CertOption { return func(c *certConfig) { c.ku = ku } }

// WrongKeyUsage gives the certificate keyEncipherment only: it is not fit
// for signatures.
func WrongKeyUsage() CertOption { return KeyUsage(x509.KeyUsageKeyEncipherment) }

// ExtKeyUsage adds extended key usages.
func ExtKeyUsage(ekus ...x509.ExtKeyUsage) CertOption {
	return func(c *certConfig) { c.eku = append(c.eku, ekus...) }
}

// ExtKeyUsageOID adds extended key usages by OID.
func ExtKeyUsageOID(oids ...asn1.ObjectIdentifier) CertOption {
	return func(c *certConfig) { c.ekuOIDs = append(c.ekuOIDs, oids...) }
}

// DocumentSigning adds the id-kp-documentSigning extended key usage (RFC 9336).
func DocumentSigning() CertOption { return ExtKeyUsageOID(OIDDocumentSigning) }

// Weak makes a certificate that modern policy rejects: an RSA-1024 key,
// signed by its issuer with SHA-1 (sha1WithRSAEncryption or ecdsa-with-SHA1).
func Weak() CertOption { return func(c *certConfig) { c.weak = true } }

// SignatureAlgorithm sets the algorithm the issuer signs with, e.g.
// x509.SHA256WithRSAPSS (needs an RSA issuer, see [CAOptions]) or
// x509.ECDSAWithSHA384.
func SignatureAlgorithm(alg x509.SignatureAlgorithm) CertOption {
	return func(c *certConfig) { c.sigAlg = alg }
}

// IssuedBy makes ca issue the certificate instead of the PKI's issuing CA.
func IssuedBy(ca *CA) CertOption { return func(c *certConfig) { c.issuer = ca } }

// Policies adds certificate policies ([OIDTestPolicy] when none are given).
func Policies(oids ...asn1.ObjectIdentifier) CertOption {
	return func(c *certConfig) {
		if len(oids) == 0 {
			oids = []asn1.ObjectIdentifier{OIDTestPolicy}
		}
		c.policies = append(c.policies, oids...)
	}
}

// NegativeSerial gives the certificate a negative serial number (its first
// byte becomes 0x85), as some Vietnamese CA and e-invoice test certificates
// have. crypto/x509 refuses to create or parse such certificates, so the
// certificate is re-signed after the serial is patched and parsed with
// kyso's internal/certparse.
func NegativeSerial() CertOption { return func(c *certConfig) { c.negSerial = true } }

// AppPolicies adds Microsoft's application-policies extension
// (1.3.6.1.4.1.311.21.10) marked critical, listing oids, as CA2 RS
// certificates carry it.
func AppPolicies(oids ...asn1.ObjectIdentifier) CertOption {
	return func(c *certConfig) { c.appPols = append(c.appPols, oids...) }
}

// TimeStamping gives the certificate the profile of a time-stamping unit:
// keyUsage digitalSignature and a critical extendedKeyUsage holding only
// id-kp-timeStamping (RFC 3161 §2.3), for TSAs other than the PKI's own
// (an independent TSA run with openssl ts, for instance).
func TimeStamping() CertOption {
	return func(c *certConfig) {
		c.ku = x509.KeyUsageDigitalSignature
		c.eku = nil
		c.ekuOIDs = []asn1.ObjectIdentifier{oidKPTimeStamping}
		c.critEKU = true
	}
}

// NoCAIssuers leaves the authorityInfoAccess caIssuers URL out of the
// certificate (the CRL distribution point and OCSP URL stay), so that its
// issuer cannot be fetched: a relying party must have it at hand.
func NoCAIssuers() CertOption { return func(c *certConfig) { c.noAIA = true } }

func defaultEE() *certConfig {
	return &certConfig{
		cn: DefaultPersonName, o: DefaultOrganization, l: DefaultLocality, st: DefaultProvince, c: "VN",
		uids: []string{"CCCD:" + DefaultCCCD},
		ku:   x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		validity: func(now time.Time) (time.Time, time.Time) {
			return now.Add(-time.Hour), now.AddDate(1, 0, 0)
		},
	}
}

func tsaProfile(id string) CertOption {
	return func(c *certConfig) {
		c.name = nil
		c.cn = "Kyso Test TSA"
		c.o = "Trung tâm Chứng thực Thử nghiệm Kyso"
		c.ou = "Kyso test PKI " + id
		c.l, c.st, c.uids = "", "Hà Nội", nil
		c.ku = x509.KeyUsageDigitalSignature
		c.ekuOIDs = []asn1.ObjectIdentifier{oidKPTimeStamping}
		c.critEKU = true
		c.validity = func(now time.Time) (time.Time, time.Time) {
			return now.Add(-time.Hour), now.AddDate(5, 0, 0)
		}
	}
}

// rdn is one subject attribute.
type rdn struct {
	oid       asn1.ObjectIdentifier
	value     string
	printable bool
}

// rawSubject encodes the subject: country as PrintableString, everything
// else as NFC-normalised UTF8String, one attribute per RDN, in the order
// Vietnamese CAs use (C, ST, L, O, OU, CN, UID…).
func (c *certConfig) rawSubject() ([]byte, error) {
	if c.name != nil {
		return asn1.Marshal(c.name.ToRDNSequence())
	}
	var attrs []rdn
	add := func(oid asn1.ObjectIdentifier, v string, printable bool) {
		if v != "" {
			attrs = append(attrs, rdn{oid, v, printable})
		}
	}
	add(oidCountry, c.c, true)
	add(oidState, c.st, false)
	add(oidLocality, c.l, false)
	add(oidOrganization, c.o, false)
	add(oidOrgUnit, c.ou, false)
	add(oidCommonName, c.cn, false)
	for _, u := range c.uids {
		add(OIDUserID, u, false)
	}
	var seq pkix.RDNSequence
	for _, a := range attrs {
		tag := asn1.TagUTF8String
		v := norm.NFC.String(a.value)
		if a.printable {
			tag = asn1.TagPrintableString
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{
			Type:  a.oid,
			Value: asn1.RawValue{Tag: tag, Bytes: []byte(v)},
		}})
	}
	return asn1.Marshal(seq)
}

// subjectKeyID is RFC 5280 method 1: SHA-1 of the subjectPublicKey bits.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// Issue issues an end-entity certificate (by default: ECDSA P-256, the
// person [DefaultPersonName] with CCCD [DefaultCCCD] of
// [DefaultOrganization], keyUsage digitalSignature+nonRepudiation, valid
// for a year from the PKI's current time) and returns it with its key.
func (p *PKI) Issue(opts ...CertOption) (*Identity, error) {
	c := defaultEE()
	for _, o := range opts {
		o(c)
	}
	return p.issue(c)
}

// MustIssue is [PKI.Issue] that panics on error, for test set-up.
func (p *PKI) MustIssue(opts ...CertOption) *Identity {
	id, err := p.Issue(opts...)
	if err != nil {
		panic(err)
	}
	return id
}

// NewCA creates another issuing CA, issued by the root unless [IssuedBy]
// says otherwise, with its own CRL and OCSP responder. Use it for CA-level
// variants: p.NewCA(Expired()), or a CA revoked by the root with
// [PKI.Revoke]. Issue certificates from it with [IssuedBy].
func (p *PKI) NewCA(opts ...CertOption) (*CA, error) {
	p.mu.Lock()
	p.caCount++
	name := fmt.Sprintf("ca-%d", p.caCount+1)
	p.mu.Unlock()
	parent := p.Root
	probe := &certConfig{}
	for _, o := range opts {
		o(probe)
	}
	if probe.issuer != nil {
		parent = probe.issuer
	}
	if !p.owns(parent) {
		return nil, errForeignCA
	}
	return p.newCA(parent, name, opts)
}

// MustNewCA is [PKI.NewCA] that panics on error, for test set-up.
func (p *PKI) MustNewCA(opts ...CertOption) *CA {
	ca, err := p.NewCA(opts...)
	if err != nil {
		panic(err)
	}
	return ca
}

func (p *PKI) newCA(parent *CA, name string, opts []CertOption) (*CA, error) {
	c := &certConfig{
		c: "VN", st: "Hà Nội",
		o:    "Trung tâm Chứng thực Thử nghiệm Kyso",
		ou:   "Kyso test PKI " + p.id,
		ku:   x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		isCA: true,
	}
	switch {
	case parent == nil:
		c.cn = "Kyso Test Root CA"
		c.validity = func(now time.Time) (time.Time, time.Time) { return now.AddDate(-5, 0, 0), now.AddDate(20, 0, 0) }
	case name == "ca":
		c.cn = "Kyso Test CA G1"
		c.validity = func(now time.Time) (time.Time, time.Time) { return now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0) }
	default:
		c.cn = "Kyso Test CA " + name
		c.validity = func(now time.Time) (time.Time, time.Time) { return now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0) }
	}
	c.issuer = parent
	for _, o := range opts {
		o(c)
	}
	c.isCA = true
	ca := &CA{name: name, parent: parent, issued: map[string]*x509.Certificate{}, revoked: map[string]revocation{}}
	spec := c.key
	if c.weak {
		spec = keySpec{rsaBits: 1024}
	}
	key, err := p.newKey(spec)
	if err != nil {
		return nil, err
	}
	ca.Key = key
	var cert *x509.Certificate
	if parent == nil {
		cert, err = p.sign(c, key.Public(), &CA{Key: key, name: name})
	} else {
		cert, err = p.sign(c, key.Public(), parent)
		if err == nil {
			ca.Chain = append([]*x509.Certificate{parent.Cert}, parent.Chain...)
		}
	}
	if err != nil {
		return nil, err
	}
	ca.Cert = cert
	if !p.cfg.ocspByCA {
		if err := p.makeResponder(ca, c); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	p.cas = append(p.cas, ca)
	p.mu.Unlock()
	return ca, nil
}

// makeResponder issues ca's delegated OCSP responder certificate
// (id-kp-OCSPSigning, ocsp-nocheck), with the same key type as ca.
func (p *PKI) makeResponder(ca *CA, caCfg *certConfig) error {
	c := &certConfig{
		c: "VN", o: "Trung tâm Chứng thực Thử nghiệm Kyso", ou: "Kyso test PKI " + p.id,
		cn:        "Kyso Test OCSP Responder (" + ca.Cert.Subject.CommonName + ")",
		key:       caCfg.key,
		ku:        x509.KeyUsageDigitalSignature,
		eku:       []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		noCheck:   true,
		noRevInfo: true,
		validity: func(time.Time) (time.Time, time.Time) {
			return ca.Cert.NotBefore, ca.Cert.NotAfter
		},
	}
	key, err := p.newKey(c.key)
	if err != nil {
		return fmt.Errorf("OCSP responder key: %w", err)
	}
	cert, err := p.sign(c, key.Public(), ca)
	if err != nil {
		return fmt.Errorf("OCSP responder certificate: %w", err)
	}
	ca.responder = &Identity{Cert: cert, Key: key, Chain: append([]*x509.Certificate{ca.Cert}, ca.Chain...)}
	return nil
}

func (p *PKI) issue(c *certConfig) (*Identity, error) {
	issuer := c.issuer
	if issuer == nil {
		issuer = p.CA
	}
	if !p.owns(issuer) {
		return nil, errForeignCA
	}
	var key crypto.Signer
	pub := c.pub
	if pub == nil {
		spec := c.key
		if c.weak {
			spec = keySpec{rsaBits: 1024}
		}
		var err error
		if key, err = p.newKey(spec); err != nil {
			return nil, err
		}
		pub = key.Public()
	}
	cert, err := p.sign(c, pub, issuer)
	if err != nil {
		return nil, err
	}
	id := &Identity{Cert: cert, Key: key, root: p.Root.Cert}
	id.Chain = append([]*x509.Certificate{issuer.Cert}, issuer.Chain...)
	if n := len(id.Chain); n > 0 && id.Chain[n-1].Equal(p.Root.Cert) {
		id.Chain = id.Chain[:n-1]
	}
	if issuer == p.Root {
		id.Chain = nil
	}
	return id, nil
}

// sign creates the certificate described by c for pub, signed by issuer.
// issuer.Cert is nil for a self-signed root.
func (p *PKI) sign(c *certConfig, pub crypto.PublicKey, issuer *CA) (*x509.Certificate, error) {
	if issuer.Key == nil {
		return nil, fmt.Errorf("pkitest: issuer %q has no private key", c.cn)
	}
	raw, err := c.rawSubject()
	if err != nil {
		return nil, fmt.Errorf("pkitest: encoding subject: %w", err)
	}
	serial, err := p.nextSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, fmt.Errorf("pkitest: public key: %w", err)
	}
	nb, na := c.validity(p.Now())
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            raw,
		NotBefore:             nb.UTC().Truncate(time.Second),
		NotAfter:              na.UTC().Truncate(time.Second),
		KeyUsage:              c.ku,
		ExtKeyUsage:           c.eku,
		UnknownExtKeyUsage:    c.ekuOIDs,
		BasicConstraintsValid: true,
		IsCA:                  c.isCA,
		SubjectKeyId:          ski,
	}
	for _, oid := range c.policies {
		o, err := x509.OIDFromInts(toUint64s(oid))
		if err != nil {
			return nil, fmt.Errorf("pkitest: policy %v: %w", oid, err)
		}
		tmpl.Policies = append(tmpl.Policies, o)
	}
	if c.critEKU {
		ext, err := ekuExtension(c.eku, c.ekuOIDs)
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, ext)
	}
	if len(c.appPols) > 0 {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, o := range c.appPols {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(o) })
			}
		})
		v, err := b.Bytes()
		if err != nil {
			return nil, fmt.Errorf("pkitest: application policies: %w", err)
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: certparse.OIDAppPolicies, Critical: true, Value: v})
	}
	if c.noCheck {
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: OIDOCSPNoCheck, Value: []byte{0x05, 0x00}})
	}
	parent := issuer.Cert
	if parent == nil { // self-signed
		parent = tmpl
	} else if !c.noRevInfo {
		tmpl.CRLDistributionPoints = []string{p.certCRLURL(issuer)}
		tmpl.OCSPServer = []string{p.certOCSPURL()}
		if !c.noAIA {
			tmpl.IssuingCertificateURL = []string{p.certCAIssuersURL(issuer)}
		}
	}
	switch {
	case c.weak:
		switch issuer.Key.Public().(type) {
		case *rsa.PublicKey:
			tmpl.SignatureAlgorithm = x509.SHA1WithRSA
		case *ecdsa.PublicKey:
			tmpl.SignatureAlgorithm = x509.ECDSAWithSHA1
		}
	case c.sigAlg != x509.UnknownSignatureAlgorithm:
		tmpl.SignatureAlgorithm = c.sigAlg
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, p.certSigner(issuer.Key))
	if err != nil {
		return nil, fmt.Errorf("pkitest: creating certificate %q: %w", c.cn, err)
	}
	if c.negSerial {
		if der, err = p.negateSerial(der, issuer.Key); err != nil {
			return nil, err
		}
	}
	cert, err := certparse.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("pkitest: parsing new certificate: %w", err)
	}
	if issuer.Cert != nil {
		p.mu.Lock()
		issuer.issued[serialKey(cert.SerialNumber)] = cert
		p.mu.Unlock()
	}
	return cert, nil
}

// ekuExtension encodes a critical extended key usage extension.
func ekuExtension(ekus []x509.ExtKeyUsage, oids []asn1.ObjectIdentifier) (pkix.Extension, error) {
	all := append([]asn1.ObjectIdentifier(nil), oids...)
	for _, e := range ekus {
		switch e {
		case x509.ExtKeyUsageTimeStamping:
			all = append(all, oidKPTimeStamping)
		default:
			return pkix.Extension{}, fmt.Errorf("pkitest: critical EKU %v: give it as an OID", e)
		}
	}
	v, err := asn1.Marshal(all)
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: v}, nil
}

func toUint64s(oid asn1.ObjectIdentifier) []uint64 {
	out := make([]uint64, len(oid))
	for i, v := range oid {
		out[i] = uint64(v)
	}
	return out
}

// owns reports whether ca is one of p's CAs.
func (p *PKI) owns(ca *CA) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cas {
		if c == ca {
			return true
		}
	}
	return false
}

// negateSerial makes the serial number of der negative (first byte 0x85)
// and signs the changed TBSCertificate again with key, keeping the
// signature algorithm.
func (p *PKI) negateSerial(der []byte, key crypto.Signer) ([]byte, error) {
	orig, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pkitest: %w", err)
	}
	s := cryptobyte.String(der)
	var certSeq, tbs, alg cryptobyte.String
	if !s.ReadASN1(&certSeq, cbasn1.SEQUENCE) || !certSeq.ReadASN1Element(&tbs, cbasn1.SEQUENCE) || !certSeq.ReadASN1Element(&alg, cbasn1.SEQUENCE) {
		return nil, errors.New("pkitest: malformed certificate")
	}
	newTBS := append([]byte(nil), tbs...)
	body := cryptobyte.String(newTBS)
	var inner cryptobyte.String
	if !body.ReadASN1(&inner, cbasn1.SEQUENCE) || !inner.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("pkitest: malformed TBSCertificate")
	}
	var serial cryptobyte.String
	if !inner.ReadASN1(&serial, cbasn1.INTEGER) || len(serial) == 0 {
		return nil, errors.New("pkitest: malformed serial")
	}
	serial[0] = 0x85 // aliases newTBS
	var h crypto.Hash
	switch orig.SignatureAlgorithm {
	case x509.SHA256WithRSA, x509.ECDSAWithSHA256:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512:
		h = crypto.SHA512
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1:
		h = crypto.SHA1
	default:
		return nil, fmt.Errorf("pkitest: negative serial with %v is not supported", orig.SignatureAlgorithm)
	}
	d := h.New()
	d.Write(newTBS)
	sig, err := p.certSigner(key).Sign(rand.Reader, d.Sum(nil), h)
	if err != nil {
		return nil, fmt.Errorf("pkitest: signing: %w", err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(newTBS)
		b.AddBytes(alg)
		b.AddASN1BitString(sig)
	})
	return b.Bytes()
}
