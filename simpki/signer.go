package simpki

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/simpki/internal/wire"
)

// CertificateSource says where New finds the subscriber's certificate.
type CertificateSource int

const (
	// CertAuto uses Options.Certificate when set, else asks the MSSP
	// (CertFromProfileQuery), else — when the MSSP offers no query — asks
	// the user to sign a challenge once (CertFromSignature).
	CertAuto CertificateSource = iota
	// CertFromConfig uses Options.Certificate and Options.Chain only.
	CertFromConfig
	// CertFromProfileQuery asks the MSSP for the subscriber's
	// certificates in the way its Profile says: an MSS_ProfileQuery (the
	// Kiuru/Swisscom "certs" extension) or an MSS_Registration (the
	// Government CA). The user sees nothing.
	CertFromProfileQuery
	// CertFromSignature asks the user to sign a random challenge in CMS
	// format and takes the certificate from the MSSP's CMS, after checking
	// the challenge signature under it. The phone shows
	// Options.DiscoveryDisplay.
	CertFromSignature
)

// Options configures New.
type Options struct {
	// Certificate and Chain, when known from configuration (a directory,
	// an earlier session), spare a round trip to the MSSP.
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
	// Source selects where the certificate comes from; zero is CertAuto.
	Source CertificateSource
	// Display is the text shown on the phone for each signature unless
	// the context carries one (WithDisplay): typically the document title.
	// The Signer appends a short verification code (VerificationCode) that
	// the application shows on its own screen too, so the user can tell
	// the request is theirs. Empty means DefaultDisplay.
	Display string
	// NoVerificationCode leaves the code out of the displayed text.
	NoVerificationCode bool
	// MaxDisplayRunes, when positive, caps the displayed text (SIM toolkit
	// screens are small, and an MSSP may refuse a long text with 103
	// WRONG_DATA_LENGTH): the title is shortened with "…" so that the
	// whole text, verification code included, fits.
	MaxDisplayRunes int
	// DiscoveryDisplay is the text shown for a CertFromSignature challenge
	// (default: DefaultDiscoveryDisplay).
	DiscoveryDisplay string
}

// Texts shown on the phone by default.
const (
	DefaultDisplay          = "Ký số tài liệu"
	DefaultDiscoveryDisplay = "Xác nhận lấy chứng thư số để ký tài liệu"
)

// Signer is a SIM-held key as a signer.Signer: each SignDigest is one
// MSS_Signature round trip, lasting until the user enters the PIN on the
// phone (or declines, or the request expires). It is safe for concurrent
// use; each call is its own MSSP transaction.
type Signer struct {
	client *Client
	msisdn string
	cert   *x509.Certificate
	chain  []*x509.Certificate
	opts   Options
}

var _ signer.Signer = (*Signer)(nil)

// New returns the Signer for the subscriber msisdn (any form
// NormalizeMSISDN accepts), finding the certificate as opts.Source says.
func New(ctx context.Context, c *Client, msisdn string, opts Options) (*Signer, error) {
	n, err := NormalizeMSISDN(msisdn)
	if err != nil {
		return nil, err
	}
	s := &Signer{client: c, msisdn: n, opts: opts}
	switch opts.Source {
	case CertAuto, CertFromConfig:
		if opts.Certificate != nil {
			s.cert, s.chain = opts.Certificate, append([]*x509.Certificate(nil), opts.Chain...)
			return s, nil
		}
		if opts.Source == CertFromConfig {
			return nil, fmt.Errorf("simpki: CertFromConfig without Options.Certificate: %w", signer.ErrNoCertificate)
		}
		cert, chain, err := c.lookup(ctx, n)
		if err == nil {
			s.cert, s.chain = cert, chain
			return s, nil
		}
		if !queryUnsupported(err) {
			return nil, err
		}
		if s.cert, s.chain, err = s.discover(ctx); err != nil {
			return nil, err
		}
		return s, nil
	case CertFromProfileQuery:
		if s.cert, s.chain, err = c.lookup(ctx, n); err != nil {
			return nil, err
		}
		return s, nil
	case CertFromSignature:
		if s.cert, s.chain, err = s.discover(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("simpki: unknown certificate source %d", opts.Source)
}

// queryUnsupported reports whether a profile query failed because the MSSP
// does not offer it (rather than because of the subscriber or the caller).
func queryUnsupported(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case WrongParam, MissingParam, IncompatibleInterface, UnsupportedProfile, InappropriateData:
			return true
		}
		return false
	}
	if errors.Is(err, errNoQueryCertificate) {
		return true
	}
	// HTTP 404/405 and other non-SOAP answers from an endpoint that does
	// not implement the operation.
	return errors.Is(err, ErrProtocol) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

var errNoQueryCertificate = errors.New("the profile query returned no certificate")

// lookup finds the subscriber's certificate as the profile says.
func (c *Client) lookup(ctx context.Context, msisdn string) (*x509.Certificate, []*x509.Certificate, error) {
	switch c.cfg.Profile.Lookup {
	case LookupRegistration:
		return c.RegisteredCertificate(ctx, msisdn)
	case LookupNone:
		return nil, nil, fmt.Errorf("simpki: profile %q: %w", c.cfg.Profile.Name, errNoQueryCertificate)
	}
	return c.QueryCertificate(ctx, msisdn)
}

// RegisteredCertificate asks the MSSP for the subscriber's certificate
// with an MSS_Registration request, as the Government CA's mPKI offers it:
// the answer's CertificateResponse elements carry the certificate (and
// possibly its issuers). The user sees nothing.
func (c *Client) RegisteredCertificate(ctx context.Context, msisdn string) (*x509.Certificate, []*x509.Certificate, error) {
	n, err := NormalizeMSISDN(msisdn)
	if err != nil {
		return nil, nil, err
	}
	env, err := c.call(ctx, c.cfg.RegistrationURL, &wire.RegistrationReq{
		Header: c.header(newTransID()), MSISDN: c.msisdn(n),
	}, c.cfg.RequestTimeout)
	if err != nil {
		return nil, nil, c.ctxErr(ctx, err)
	}
	rr, ok := env.Message.(*wire.RegistrationResp)
	if !ok {
		return nil, nil, fmt.Errorf("%w: expected MSS_RegistrationResp, got %T", ErrProtocol, env.Message)
	}
	switch c.cfg.Profile.Canonical(rr.Status.Code) {
	case RequestOK, Signature, ValidSignature:
	default:
		return nil, nil, c.statusError(rr.Status, "")
	}
	var leaf *x509.Certificate
	var chain []*x509.Certificate
	for _, der := range rr.Certificates {
		x, err := certparse.Parse(der)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: certificate in the registration response: %v", ErrProtocol, err)
		}
		if leaf == nil && !x.IsCA {
			leaf = x
		} else {
			chain = append(chain, x)
		}
	}
	if leaf == nil {
		return nil, nil, fmt.Errorf("simpki: %s: %w", n, errNoQueryCertificate)
	}
	return leaf, chain, nil
}

// QueryCertificate asks the MSSP for the subscriber's certificate with an
// MSS_ProfileQuery carrying Params "certs" and returns the first active
// certificate and its issuers. The user sees nothing.
func (c *Client) QueryCertificate(ctx context.Context, msisdn string) (*x509.Certificate, []*x509.Certificate, error) {
	n, err := NormalizeMSISDN(msisdn)
	if err != nil {
		return nil, nil, err
	}
	env, err := c.call(ctx, c.cfg.ProfileURL, &wire.ProfileReq{
		Header: c.header(newTransID()), MSISDN: c.msisdn(n), Params: "certs",
	}, c.cfg.RequestTimeout)
	if err != nil {
		return nil, nil, c.ctxErr(ctx, err)
	}
	pr, ok := env.Message.(*wire.ProfileResp)
	if !ok {
		return nil, nil, fmt.Errorf("%w: expected MSS_ProfileResp, got %T", ErrProtocol, env.Message)
	}
	if code := c.cfg.Profile.Canonical(pr.Status.Code); code != RequestOK {
		return nil, nil, c.statusError(pr.Status, "")
	}
	for _, uc := range pr.Certificates {
		if (uc.State != "" && uc.State != "ACTIVE") || len(uc.Chain) == 0 {
			continue
		}
		var certs []*x509.Certificate
		for _, der := range uc.Chain {
			x, err := certparse.Parse(der)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: certificate in the profile response: %v", ErrProtocol, err)
			}
			certs = append(certs, x)
		}
		return certs[0], certs[1:], nil
	}
	return nil, nil, fmt.Errorf("simpki: %s: %w", n, errNoQueryCertificate)
}

func (s *Signer) discover(ctx context.Context) (*x509.Certificate, []*x509.Certificate, error) {
	var challenge [32]byte
	if _, err := rand.Read(challenge[:]); err != nil {
		return nil, nil, err
	}
	digest := sha256.Sum256(append([]byte("kyso simpki certificate discovery\x00"), challenge[:]...))
	text := s.opts.DiscoveryDisplay
	if text == "" {
		text = DefaultDiscoveryDisplay
	}
	resp, err := s.client.Sign(ctx, &Request{
		MSISDN: s.msisdn, Digest: digest[:], Hash: crypto.SHA256,
		Display: s.display(text, digest[:]), Format: FormatCMS,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("simpki: asking %s for the certificate: %w", s.msisdn, err)
	}
	if resp.Certificate == nil || !resp.Verified {
		return nil, nil, fmt.Errorf("%w: the MSSP returned no certificate for %s", ErrProtocol, s.msisdn)
	}
	return resp.Certificate, resp.Chain, nil
}

// MSISDN returns the subscriber's normalised number.
func (s *Signer) MSISDN() string { return s.msisdn }

// Certificate returns the subscriber's certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// Chain returns the issuing certificates known for it.
func (s *Signer) Chain() []*x509.Certificate { return append([]*x509.Certificate(nil), s.chain...) }

// SignDigest asks the subscriber to sign digest and waits for the answer.
// opts must be a crypto.Hash (SHA-1, SHA-256, SHA-384, SHA-512): SIM keys
// sign RSA PKCS#1 v1.5 or ECDSA, never RSA-PSS. The phone shows the text of
// WithDisplay(ctx, …) or Options.Display, with the verification code.
//
// The returned signature has been checked under Certificate(); a signature
// that does not verify is refused with an error matching
// signer.ErrBadSignature. Errors the MSSP reports match ErrDeclined,
// ErrExpired, ErrPINLocked and the other sentinels of this package.
func (s *Signer) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, fmt.Errorf("simpki: %w: no hash given", signer.ErrUnsupportedAlgorithm)
	}
	if _, ok := opts.(*rsa.PSSOptions); ok {
		return nil, fmt.Errorf("simpki: %w: SIM keys do not sign RSA-PSS", signer.ErrUnsupportedAlgorithm)
	}
	h := opts.HashFunc()
	if DigestMimeType(h) == "" {
		return nil, fmt.Errorf("simpki: %w: hash %v", signer.ErrUnsupportedAlgorithm, h)
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("simpki: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	text := s.opts.Display
	if t, ok := ctx.Value(displayKey{}).(string); ok && t != "" {
		text = t
	}
	if text == "" {
		text = DefaultDisplay
	}
	resp, err := s.client.Sign(ctx, &Request{
		MSISDN: s.msisdn, Digest: digest, Hash: h,
		Display: s.display(text, digest), Certificate: s.cert,
	})
	if err != nil {
		return nil, err
	}
	if resp.Signature == nil {
		return nil, fmt.Errorf("%w [transaction %s]", ErrNotRawSignature, resp.MSSPTransID)
	}
	if err := signer.CheckSignature(s.cert.PublicKey, digest, h, resp.Signature); err != nil {
		return nil, fmt.Errorf("simpki: refusing the MSSP's signature [transaction %s]: %w", resp.MSSPTransID, err)
	}
	return resp.Signature, nil
}

// SignCMS asks the subscriber to sign contentDigest (the hash, computed
// with h, of the data to be signed: a PDF's signed byte ranges) in a CMS
// format and returns the MSSP's CMS SignedData, for MSSPs that only answer
// with a CMS carrying their own signed attributes. The CMS has been
// checked: signed under Certificate(), its message-digest attribute equal
// to contentDigest. A format package that takes a whole CMS (pdf's
// Prepared.Finish with Prepared.DocumentDigest) makes it the document's
// signature. A CMS without signed attributes cannot serve (its signature
// is over the bare digest, not over attributes a PAdES signature needs):
// ErrNoSignedAttributes.
func (s *Signer) SignCMS(ctx context.Context, contentDigest []byte, h crypto.Hash) ([]byte, error) {
	if DigestMimeType(h) == "" {
		return nil, fmt.Errorf("simpki: %w: hash %v", signer.ErrUnsupportedAlgorithm, h)
	}
	text := s.opts.Display
	if t, ok := ctx.Value(displayKey{}).(string); ok && t != "" {
		text = t
	}
	if text == "" {
		text = DefaultDisplay
	}
	f := s.client.cfg.Format
	if !f.IsCMS() {
		f = FormatCMS
	}
	resp, err := s.client.Sign(ctx, &Request{
		MSISDN: s.msisdn, Digest: contentDigest, Hash: h, Format: f,
		Display: s.display(text, contentDigest), Certificate: s.cert,
	})
	if err != nil {
		return nil, err
	}
	if resp.CMS == nil {
		return nil, fmt.Errorf("%w: the MSSP answered with a raw signature, not a CMS [transaction %s]", ErrProtocol, resp.MSSPTransID)
	}
	if resp.Signature != nil {
		return nil, fmt.Errorf("%w [transaction %s]", ErrNoSignedAttributes, resp.MSSPTransID)
	}
	if !resp.Verified {
		return nil, fmt.Errorf("%w: the MSSP's CMS could not be checked [transaction %s]", ErrProtocol, resp.MSSPTransID)
	}
	return resp.CMS, nil
}

// Format returns the MSS_Format the Signer's client asks for.
func (s *Signer) Format() Format { return s.client.cfg.Format }

func (s *Signer) display(text string, digest []byte) string {
	text = norm.NFC.String(text)
	suffix := ""
	if !s.opts.NoVerificationCode {
		suffix = " - Mã xác nhận: " + VerificationCode(digest)
	}
	if limit := s.opts.MaxDisplayRunes; limit > 0 {
		room := limit - utf8.RuneCountInString(suffix)
		if r := []rune(text); len(r) > room {
			if room < 1 {
				text = ""
			} else {
				text = string(r[:room-1]) + "…"
			}
		}
	}
	return text + suffix
}

type displayKey struct{}

// WithDisplay returns a context whose SignDigest calls show text on the
// phone (for example the title of the document being signed). Format
// packages pass the context through untouched, so this is how an
// application sets the text per document.
func WithDisplay(ctx context.Context, text string) context.Context {
	return context.WithValue(ctx, displayKey{}, text)
}

// VerificationCode returns the six-digit code a Signer shows on the phone
// for digest. An application shows the same code on its own screen so the
// user can check that the request on the phone is the one they started.
func VerificationCode(digest []byte) string {
	sum := sha256.Sum256(digest)
	return fmt.Sprintf("%06d", binary.BigEndian.Uint32(sum[:4])%1000000)
}
