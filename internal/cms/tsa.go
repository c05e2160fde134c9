package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// DefaultMaxResponseSize caps a TSA response when TSAClient.MaxResponseSize
// is zero (1 MiB; real tokens are 2–10 KiB).
const DefaultMaxResponseSize = 1 << 20

// TSAClient requests RFC 3161 time-stamp tokens over HTTP.
type TSAClient struct {
	// URL of the TSA (HTTP POST, application/timestamp-query).
	URL string
	// HTTPClient is used for the request; nil means a client with a
	// 60-second timeout. Cancellation follows the ctx given to Timestamp.
	HTTPClient *http.Client
	// Timeout bounds each request (connection, query and response)
	// whatever HTTPClient and the ctx say, so a TSA that stops answering
	// cannot hang a signature. Zero means DefaultTSATimeout; a negative
	// value leaves the bound to the ctx and HTTPClient.
	Timeout time.Duration
	// Hash is the message-imprint hash used by AddTimestamp and
	// TokenSize; zero means SHA-256.
	Hash crypto.Hash
	// Policy, when set, is sent as reqPolicy and must be the token's policy.
	Policy asn1.ObjectIdentifier
	// Username and Password, when Username is set, are sent as HTTP basic
	// authentication.
	Username, Password string
	// MaxResponseSize caps the response body; zero means
	// DefaultMaxResponseSize.
	MaxResponseSize int64
}

// DefaultTSATimeout bounds a time-stamp request when TSAClient.Timeout is
// zero.
const DefaultTSATimeout = 60 * time.Second

var defaultHTTPClient = &http.Client{Timeout: DefaultTSATimeout}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
	Extensions     asn1.RawValue         `asn1:"optional,tag:0"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

// PKIStatus values (RFC 3161 §2.4.2).
const (
	StatusGranted                = 0
	StatusGrantedWithMods        = 1
	StatusRejection              = 2
	StatusWaiting                = 3
	StatusRevocationWarning      = 4
	StatusRevocationNotification = 5
)

var failInfoNames = map[int]string{
	0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable",
	15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure",
}

// TSAStatusError is the error for a TSA response whose PKIStatus is neither
// granted nor grantedWithMods. It wraps ErrTSARejected.
type TSAStatusError struct {
	Status   int      // PKIStatus: 2 rejection, 3 waiting, 4 revocationWarning, 5 revocationNotification
	Text     []string // statusString
	FailInfo []string // names of the failInfo bits set
}

// Error says the TSA refused, with the status, failure bits and text.
func (e *TSAStatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cms: TSA refused the time-stamp request: status %d", e.Status)
	if len(e.FailInfo) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.FailInfo, ", "))
	}
	if len(e.Text) > 0 {
		fmt.Fprintf(&b, ": %q", strings.Join(e.Text, "; "))
	}
	return b.String()
}

// Unwrap returns ErrTSARejected, so errors.Is(err, ErrTSARejected) holds.
func (e *TSAStatusError) Unwrap() error { return ErrTSARejected }

// TimestampRequest returns a DER TimeStampReq for digest (made with hash)
// with the given nonce (nil for none), certReq set, and policy if not nil.
func TimestampRequest(digest []byte, hash crypto.Hash, nonce *big.Int, policy asn1.ObjectIdentifier) ([]byte, error) {
	oid, err := hashOID(hash)
	if err != nil {
		return nil, err
	}
	if len(digest) != hash.Size() {
		return nil, fmt.Errorf("cms: time-stamp digest is %d bytes, %v needs %d", len(digest), hash, hash.Size())
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1NULL}
	if isSHA3(hash) {
		alg.Parameters = asn1.RawValue{} // SHA-3 identifiers have no parameters
	}
	return asn1.Marshal(timeStampReq{
		Version:        1,
		MessageImprint: messageImprint{HashAlgorithm: alg, HashedMessage: digest},
		ReqPolicy:      policy,
		Nonce:          nonce,
		CertReq:        true,
	})
}

// ParseTimestampResponse parses a DER TimeStampResp. A PKIStatus other than
// granted / grantedWithMods gives a *TSAStatusError; otherwise the token is
// parsed (not verified: Timestamp does that against its request).
func ParseTimestampResponse(der []byte) (*Token, error) {
	var resp timeStampResp
	if err := unmarshalExact(der, &resp); err != nil {
		return nil, fmt.Errorf("cms: TimeStampResp: %w: %v", ErrFormat, err)
	}
	st := resp.Status
	if st.Status != StatusGranted && st.Status != StatusGrantedWithMods {
		e := &TSAStatusError{Status: st.Status, Text: st.StatusString}
		for bit := 0; bit < st.FailInfo.BitLength && bit < 64; bit++ {
			if st.FailInfo.At(bit) == 1 {
				name, ok := failInfoNames[bit]
				if !ok {
					name = fmt.Sprintf("bit%d", bit)
				}
				e.FailInfo = append(e.FailInfo, name)
			}
		}
		return nil, e
	}
	if len(resp.TimeStampToken.FullBytes) == 0 {
		return nil, fmt.Errorf("cms: TSA granted the request but sent no token: %w", ErrFormat)
	}
	return ParseToken(resp.TimeStampToken.FullBytes)
}

// Timestamp asks the TSA for a token over digest, which was computed with
// hash (zero means c.Hash, then SHA-256). The request carries a random
// nonce and certReq; the answer must be granted, echo the nonce and the
// message imprint, carry the TSA certificate with the critical
// id-kp-timeStamping EKU, and verify. Check failures wrap ErrTimestamp; a
// refusal is a *TSAStatusError.
func (c *TSAClient) Timestamp(ctx context.Context, digest []byte, hash crypto.Hash) (*Token, error) {
	if hash == 0 {
		hash = c.hash()
	}
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("cms: time-stamp nonce: %w", err)
	}
	nonce := n.Add(n, big.NewInt(1))
	req, err := TimestampRequest(digest, hash, nonce, c.Policy)
	if err != nil {
		return nil, err
	}
	body, err := c.post(ctx, req)
	if err != nil {
		return nil, err
	}
	tok, err := ParseTimestampResponse(body)
	if err != nil {
		return nil, fmt.Errorf("cms: time-stamp from %s: %w", c.URL, err)
	}
	if tok.Nonce == nil || tok.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("cms: time-stamp from %s: nonce not echoed: %w", c.URL, ErrTimestamp)
	}
	if tok.HashAlgorithm != hash {
		return nil, fmt.Errorf("cms: time-stamp from %s: imprint uses %v, asked %v: %w", c.URL, tok.HashAlgorithm, hash, ErrTimestamp)
	}
	if c.Policy != nil && !tok.Policy.Equal(c.Policy) {
		return nil, fmt.Errorf("cms: time-stamp from %s: policy %v, asked %v: %w", c.URL, tok.Policy, c.Policy, ErrTimestamp)
	}
	if tok.GenTime.IsZero() {
		return nil, fmt.Errorf("cms: time-stamp from %s: no genTime: %w", c.URL, ErrTimestamp)
	}
	if err := tok.VerifyDigest(digest); err != nil {
		return nil, fmt.Errorf("cms: time-stamp from %s: %w", c.URL, err)
	}
	return tok, nil
}

func (c *TSAClient) hash() crypto.Hash {
	if c.Hash == 0 {
		return crypto.SHA256
	}
	return c.Hash
}

func (c *TSAClient) post(ctx context.Context, body []byte) ([]byte, error) {
	if c.URL == "" {
		return nil, errors.New("cms: TSAClient has no URL")
	}
	if c.Timeout >= 0 {
		d := c.Timeout
		if d == 0 {
			d = DefaultTSATimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cms: time-stamp request: %w", err)
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	req.Header.Set("Accept", "application/timestamp-reply")
	if c.Username != "" {
		req.SetBasicAuth(c.Username, c.Password)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = defaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cms: time-stamp request to %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("cms: time-stamp request to %s: HTTP %s", c.URL, resp.Status)
	}
	max := c.MaxResponseSize
	if max <= 0 {
		max = DefaultMaxResponseSize
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("cms: reading time-stamp response from %s: %w", c.URL, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("cms: time-stamp response from %s exceeds %d bytes: %w", c.URL, max, ErrFormat)
	}
	return data, nil
}

// TokenSize asks the TSA for one token (over a dummy digest) and returns its
// DER length: with EstimateSize it sizes a PDF signature placeholder.
// Tokens of one TSA vary by a few bytes (serial number, genTime fraction,
// nonce); EstimateSize adds headroom.
func (c *TSAClient) TokenSize(ctx context.Context) (int, error) {
	h := c.hash()
	tok, err := c.Timestamp(ctx, make([]byte, h.Size()), h)
	if err != nil {
		return 0, err
	}
	return len(tok.DER), nil
}

// AddTimestamp returns cmsDER with a signature time-stamp token from client
// added to every SignerInfo, as the unsigned attribute
// id-aa-signatureTimeStampToken over the SignerInfo's signature value
// (CAdES-T / PAdES B-T). The signed part of the SignedData is kept byte for
// byte.
func AddTimestamp(ctx context.Context, cmsDER []byte, client *TSAClient) ([]byte, error) {
	if client == nil {
		return nil, errors.New("cms: AddTimestamp: no TSA client")
	}
	sd, err := Parse(cmsDER)
	if err != nil {
		return nil, err
	}
	cmsDER = toDER(cmsDER)
	var ci contentInfo
	var raw signedDataASN
	if err := unmarshalExact(cmsDER, &ci); err != nil {
		return nil, formatErr("ContentInfo: %v", err)
	}
	if err := unmarshalExact(ci.Content.Bytes, &raw); err != nil {
		return nil, formatErr("SignedData: %v", err)
	}
	h := client.hash()
	for i, si := range sd.SignerInfos {
		tok, err := client.Timestamp(ctx, hashBytes(h, si.Signature), h)
		if err != nil {
			return nil, err
		}
		attrs := append(append([]Attribute(nil), si.UnsignedAttributes...),
			Attribute{Type: OIDAttrTimestampToken, Values: []asn1.RawValue{{FullBytes: tok.DER}}})
		u, err := encodeAttributes(attrs)
		if err != nil {
			return nil, fmt.Errorf("cms: encoding unsigned attributes: %w", err)
		}
		raw.SignerInfos[i].UnsignedAttrs = asn1.RawValue{FullBytes: retag(u, 0xA1)}
	}
	return marshalContentInfo(raw)
}

// EstimateSize returns an upper bound of the DER size of the SignedData that
// Sign or Prepare+Finish make for cert, chain and opts (the content digest
// does not change the size), plus a signature time-stamp token of
// timestampSize bytes when timestampSize > 0 (measure it with
// TSAClient.TokenSize). A PDF placeholder needs twice that in hex; add
// room for revocation data if it goes in the CMS.
func EstimateSize(cert *x509.Certificate, chain []*x509.Certificate, opts Options, timestampSize int) (int, error) {
	if cert == nil {
		return 0, errors.New("cms: EstimateSize: no certificate")
	}
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	var digest []byte
	if opts.Content == nil {
		digest = make([]byte, h.Size())
	}
	if !opts.SigningTime.IsZero() {
		// The time itself is not known yet: size its longest form
		// (GeneralizedTime).
		opts.SigningTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	p, err := Prepare(cert, chain, digest, opts)
	if err != nil {
		return 0, err
	}
	sigLen, err := maxSignatureSize(cert.PublicKey)
	if err != nil {
		return 0, err
	}
	der, err := p.assemble(bytes.Repeat([]byte{0xff}, sigLen))
	if err != nil {
		return 0, err
	}
	n := len(der)
	if timestampSize > 0 {
		// Attribute SEQUENCE, OID, SET, [1] headers and outer length growth,
		// plus the size variation of tokens from one TSA.
		n += timestampSize + 64 + timestampSize/16
	}
	return n, nil
}

func maxSignatureSize(pub crypto.PublicKey) (int, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k.Size(), nil
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		// SEQUENCE { INTEGER r, INTEGER s }, each with a possible 0x00 pad.
		inner := 2 * (2 + size + 1)
		if inner >= 128 {
			return 3 + inner, nil
		}
		return 2 + inner, nil
	}
	return 0, fmt.Errorf("cms: public key type %T: %w", pub, ErrUnsupportedAlgorithm)
}
