package remote

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
)

// CSCConfig configures a client of a CSC API v2 service.
type CSCConfig struct {
	// BaseURL is the API root, such as https://host/csc/v2 (methods are
	// appended: BaseURL + "/credentials/list").
	BaseURL string
	// Username and Password log in with auth/login (HTTP Basic).
	Username, Password string
	// ClientID and ClientSecret use the OAuth 2.0 client-credentials grant
	// instead, at TokenURL (default: the "oauth2" base URI announced by
	// info, plus "oauth2/token").
	ClientID, ClientSecret, TokenURL string
	// AccessToken, when set, is used as is (obtained elsewhere).
	AccessToken string
	// HTTPClient is used for every request; nil means a client with a
	// 30 s timeout per request.
	HTTPClient *http.Client
	// Timeout bounds a whole signing operation, including the wait for the
	// user's confirmation on the phone. Zero means 3 minutes.
	Timeout time.Duration
	// PollInterval is the delay between credentials/authorizeCheck and
	// signatures/signPolling requests. Zero means 1 s.
	PollInterval time.Duration
	// Async asks signatures/signHash for the asynchronous operation mode
	// ("A"): the service answers with a responseID and the client polls
	// signatures/signPolling.
	Async bool
	// OnWait, when set, is called when a wait for the user's confirmation
	// starts and at each poll.
	OnWait func(Waiting)
	// ClientData is sent as clientData with every request, for the
	// service's logs.
	ClientData string
}

// CSCClient talks to one CSC API v2 service. It is safe for concurrent use.
type CSCClient struct {
	cfg  CSCConfig
	base string
	hc   *http.Client

	mu    sync.Mutex
	token string
	exp   time.Time
}

// NewCSCClient checks cfg and returns a client. It makes no request.
func NewCSCClient(cfg CSCConfig) (*CSCClient, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("remote: CSC base URL %q: want https://host/csc/v2", cfg.BaseURL)
	}
	if cfg.AccessToken == "" && cfg.Username == "" && cfg.ClientID == "" {
		return nil, fmt.Errorf("remote: CSC: give a user and password, an OAuth2 client or an access token")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	return &CSCClient{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), hc: hc, token: cfg.AccessToken}, nil
}

// cscErrorBody is the CSC error message (section 10.2).
type cscErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// cscError maps an error answer of the CSC service to an *Error.
func cscError(op string, status int, body []byte, hdr http.Header) *Error {
	var b cscErrorBody
	_ = json.Unmarshal(body, &b)
	e := &Error{API: "csc", Op: op, HTTPStatus: status, Code: b.Error, Message: b.Description}
	desc := strings.ToLower(b.Description)
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = ErrRateLimited, retryAfter(hdr)
	case b.Error == "access_denied":
		e.Kind = ErrDeclined
	case b.Error == "invalid_authentication_data" || b.Error == "invalid_pin" || b.Error == "invalid_otp":
		e.Kind = ErrPINIncorrect
	case b.Error == "expired_token" && (op == "credentials/authorizeCheck" || op == "signatures/signPolling"):
		e.Kind = ErrTimeout
	case strings.Contains(desc, "sad") && strings.Contains(desc, "expired"):
		e.Kind = ErrSADExpired
	case strings.Contains(desc, "disabled") || strings.Contains(desc, "locked") || strings.Contains(desc, "suspended") ||
		strings.Contains(desc, "revoked") || strings.Contains(desc, "certificate is expired"):
		e.Kind = ErrCredentialDisabled
	case op == "auth/login" || op == "oauth2/token" || status == http.StatusUnauthorized ||
		b.Error == "authentication_error" || b.Error == "invalid_client" || b.Error == "unauthorized_client" ||
		b.Error == "invalid_token" || b.Error == "expired_token":
		e.Kind = ErrWrongCredentials
	case strings.Contains(desc, "invalid parameter credentialid") || strings.Contains(desc, "invalid parameter requestid") ||
		strings.Contains(desc, "invalid parameter handle") || status == http.StatusNotFound:
		e.Kind = ErrNotFound
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Kind = ErrTimeout
	}
	return e
}

// call POSTs in to the method op and decodes the answer into out. It logs
// in first when needed, and once more when the token was refused.
func (c *CSCClient) call(ctx context.Context, op string, in, out any) (int, error) {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return 0, err
		}
		status, body, hdr, err := postJSON(ctx, c.hc, c.base+"/"+op, http.Header{"Authorization": {"Bearer " + tok}}, in, out)
		if err != nil {
			if ctx.Err() != nil {
				return 0, waitError("csc", op, ctx.Err())
			}
			return status, fmt.Errorf("remote: csc %s: %w", op, err)
		}
		if status/100 == 2 {
			return status, nil
		}
		e := cscError(op, status, body, hdr)
		if e.Kind == ErrWrongCredentials && attempt == 0 && c.canLogin() {
			c.mu.Lock()
			if c.token == tok {
				c.token = ""
			}
			c.mu.Unlock()
			continue
		}
		return status, e
	}
}

func (c *CSCClient) canLogin() bool { return c.cfg.Username != "" || c.cfg.ClientID != "" }

// accessToken returns a valid service access token, logging in if needed.
func (c *CSCClient) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && (c.exp.IsZero() || time.Now().Before(c.exp)) {
		return c.token, nil
	}
	if !c.canLogin() {
		return "", &Error{API: "csc", Op: "auth/login", Message: "the access token was refused and no login is configured", Kind: ErrWrongCredentials}
	}
	var out struct {
		AccessToken string  `json:"access_token"`
		ExpiresIn   float64 `json:"expires_in"`
	}
	var op, u string
	var status int
	var body []byte
	var hdr http.Header
	var err error
	if c.cfg.ClientID != "" {
		op = "oauth2/token"
		if u, err = c.tokenURL(ctx); err != nil {
			return "", err
		}
		status, body, hdr, err = c.postForm(ctx, u, &out)
	} else {
		op = "auth/login"
		h := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(c.cfg.Username+":"+c.cfg.Password))}}
		in := map[string]any{}
		if c.cfg.ClientData != "" {
			in["clientData"] = c.cfg.ClientData
		}
		status, body, hdr, err = postJSON(ctx, c.hc, c.base+"/auth/login", h, in, &out)
	}
	if err != nil {
		return "", fmt.Errorf("remote: csc %s: %w", op, err)
	}
	if status/100 != 2 {
		return "", cscError(op, status, body, hdr)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("remote: csc %s: %w: no access_token", op, ErrProtocol)
	}
	c.token = out.AccessToken
	c.exp = time.Time{}
	if out.ExpiresIn > 0 {
		// Renew a little early.
		c.exp = time.Now().Add(time.Duration(out.ExpiresIn*0.9) * time.Second)
	}
	return c.token, nil
}

func (c *CSCClient) tokenURL(ctx context.Context) (string, error) {
	if c.cfg.TokenURL != "" {
		return c.cfg.TokenURL, nil
	}
	info, err := c.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.OAuth2 == "" {
		return "", fmt.Errorf("remote: csc: %w: the service announces no oauth2 base URI; set TokenURL", ErrProtocol)
	}
	return strings.TrimRight(info.OAuth2, "/") + "/oauth2/token", nil
}

// postForm runs the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
func (c *CSCClient) postForm(ctx context.Context, u string, out any) (int, []byte, http.Header, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"service"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, nil, err
	}
	req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doJSON(c.hc, req, out)
}

// CSCInfo is the answer of the info method.
type CSCInfo struct {
	Specs          string   `json:"specs"`
	Name           string   `json:"name"`
	Logo           string   `json:"logo"`
	Region         string   `json:"region"`
	Lang           string   `json:"lang"`
	Description    string   `json:"description"`
	AuthType       []string `json:"authType"`
	OAuth2         string   `json:"oauth2"`
	OAuth2Issuer   string   `json:"oauth2Issuer"`
	AsyncMode      bool     `json:"asynchronousOperationMode"`
	Methods        []string `json:"methods"`
	SignAlgorithms struct {
		Algos      []string `json:"algos"`
		AlgoParams []string `json:"algoParams"`
	} `json:"signAlgorithms"`
}

// Info calls the info method (no authentication needed).
func (c *CSCClient) Info(ctx context.Context) (*CSCInfo, error) {
	var info CSCInfo
	status, body, hdr, err := postJSON(ctx, c.hc, c.base+"/info", nil, map[string]any{}, &info)
	if err != nil {
		return nil, fmt.Errorf("remote: csc info: %w", err)
	}
	if status/100 != 2 {
		return nil, cscError("info", status, body, hdr)
	}
	return &info, nil
}

// Credentials calls credentials/list and returns the credential IDs of the
// logged-in user.
func (c *CSCClient) Credentials(ctx context.Context) ([]string, error) {
	var out struct {
		CredentialIDs []string `json:"credentialIDs"`
	}
	if _, err := c.call(ctx, "credentials/list", c.withClientData(map[string]any{}), &out); err != nil {
		return nil, err
	}
	return out.CredentialIDs, nil
}

func (c *CSCClient) withClientData(m map[string]any) map[string]any {
	if c.cfg.ClientData != "" {
		m["clientData"] = c.cfg.ClientData
	}
	return m
}

// AuthObjectType is one authentication object a credential accepts
// (credentials/info auth/objects).
type AuthObjectType struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Format      string `json:"format,omitempty"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	Generator   string `json:"generator,omitempty"`
}

// Credential is what credentials/info says about a credential.
type Credential struct {
	ID          string
	Description string
	KeyStatus   string   // "enabled" or "disabled"
	KeyAlgo     []string // OIDs
	KeyLen      int
	CertStatus  string // "valid", "expired", "revoked", "suspended" or ""
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // issuers, nearest first
	AuthMode    string              // "explicit" or "oauth2code" (v1: "implicit", "explicit", "oauth2code")
	AuthObjects []AuthObjectType
	SCAL        string
	Multisign   int
}

// cscCredentialInfo is the JSON of credentials/info. The v1 field names
// (authMode, PIN, OTP) are read too, as some services still send them.
type cscCredentialInfo struct {
	Description string `json:"description"`
	Key         struct {
		Status string   `json:"status"`
		Algo   []string `json:"algo"`
		Len    int      `json:"len"`
	} `json:"key"`
	Cert struct {
		Status       string   `json:"status"`
		Certificates []string `json:"certificates"`
	} `json:"cert"`
	Auth struct {
		Mode    string           `json:"mode"`
		Objects []AuthObjectType `json:"objects"`
	} `json:"auth"`
	AuthMode  string          `json:"authMode"`
	SCAL      json.RawMessage `json:"SCAL"`
	Multisign int             `json:"multisign"`
}

// CredentialInfo calls credentials/info for the credential id, asking for
// the whole certificate chain and the authorization objects.
func (c *CSCClient) CredentialInfo(ctx context.Context, id string) (*Credential, error) {
	var out cscCredentialInfo
	in := c.withClientData(map[string]any{"credentialID": id, "certificates": "chain", "certInfo": true, "authInfo": true})
	if _, err := c.call(ctx, "credentials/info", in, &out); err != nil {
		return nil, err
	}
	cr := &Credential{
		ID: id, Description: out.Description, KeyStatus: out.Key.Status, KeyAlgo: out.Key.Algo, KeyLen: out.Key.Len,
		CertStatus: out.Cert.Status, AuthMode: out.Auth.Mode, AuthObjects: out.Auth.Objects, Multisign: out.Multisign,
		SCAL: strings.Trim(string(out.SCAL), `"`),
	}
	if cr.AuthMode == "" {
		cr.AuthMode = out.AuthMode
	}
	if cr.Multisign < 1 {
		cr.Multisign = 1
	}
	if len(out.Cert.Certificates) == 0 {
		return nil, fmt.Errorf("remote: csc credentials/info %s: %w: no certificate", id, ErrProtocol)
	}
	for i, b64 := range out.Cert.Certificates {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("remote: csc credentials/info %s: %w: certificate %d: %v", id, ErrProtocol, i, err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("remote: csc credentials/info %s: %w: certificate %d: %v", id, ErrProtocol, i, err)
		}
		if i == 0 {
			cr.Certificate = cert
		} else {
			cr.Chain = append(cr.Chain, cert)
		}
	}
	return cr, nil
}

// AuthObject is one authentication value sent to credentials/authorize
// (authData). An object without Value asks the service to collect the
// factor out of band (a push to the signer's phone).
type AuthObject struct {
	ID    string `json:"id"`
	Value string `json:"value,omitempty"`
}

// Authorization is what credentials/authorize needs besides the hashes.
type Authorization struct {
	// PIN and OTP fill the authentication objects the credential asks for
	// whose id is "PIN" or "OTP" (or whose type is Password), when AuthData
	// is empty.
	PIN, OTP string
	// AuthData, when set, is sent as is.
	AuthData []AuthObject
	// Description is shown to the user (at most 500 characters).
	Description string
}

// authData builds the authData array for cr from a.
func (a Authorization) authData(cr *Credential) []AuthObject {
	if len(a.AuthData) > 0 {
		return a.AuthData
	}
	var out []AuthObject
	for _, o := range cr.AuthObjects {
		id := strings.ToUpper(o.ID)
		switch {
		case id == "OTP" || o.Generator != "":
			if a.OTP != "" {
				out = append(out, AuthObject{ID: o.ID, Value: a.OTP})
			} else if strings.HasSuffix(o.Type, "OOB") {
				out = append(out, AuthObject{ID: o.ID})
			}
		case id == "PIN" || o.Type == "Password":
			if a.PIN != "" {
				out = append(out, AuthObject{ID: o.ID, Value: a.PIN})
			}
		default: // out of band: a push to the phone, an SMS
			out = append(out, AuthObject{ID: o.ID})
		}
	}
	if len(cr.AuthObjects) == 0 && a.PIN != "" {
		out = append(out, AuthObject{ID: "PIN", Value: a.PIN})
	}
	return out
}

// Authorize calls credentials/authorize for n signatures of hashes (which
// may be nil for SCAL 1 credentials) and, when the service answers 202,
// polls credentials/authorizeCheck until the user has confirmed on the
// phone. It returns the SAD.
func (c *CSCClient) Authorize(ctx context.Context, cr *Credential, hashes [][]byte, h crypto.Hash, n int, a Authorization) (string, error) {
	if cr == nil || n < 1 {
		return "", fmt.Errorf("%w: no credential, or no signature to authorize", ErrBatch)
	}
	in := map[string]any{"credentialID": cr.ID, "numSignatures": n}
	if len(hashes) > 0 {
		in["hashes"] = b64All(hashes)
		in["hashAlgorithmOID"] = hashOIDs[h].String()
	}
	ad := a.authData(cr)
	if ad == nil && cr.AuthMode == "explicit" {
		ad = []AuthObject{} // RSSP-managed authorization (section 13.10)
	}
	if ad != nil {
		in["authData"] = ad
	}
	if a.Description != "" {
		in["description"] = a.Description
	}
	var out struct {
		SAD       string  `json:"SAD"`
		Handle    string  `json:"handle"`
		ExpiresIn float64 `json:"expiresIn"`
	}
	status, err := c.call(ctx, "credentials/authorize", c.withClientData(in), &out)
	if err != nil {
		return "", err
	}
	if status == http.StatusAccepted || (out.SAD == "" && out.Handle != "") {
		return c.authorizeCheck(ctx, out.Handle, n)
	}
	if out.SAD == "" {
		return "", fmt.Errorf("remote: csc credentials/authorize: %w: no SAD", ErrProtocol)
	}
	return out.SAD, nil
}

// authorizeCheck polls until the authorization behind handle completes.
func (c *CSCClient) authorizeCheck(ctx context.Context, handle string, n int) (string, error) {
	if handle == "" {
		return "", fmt.Errorf("remote: csc credentials/authorize: %w: 202 without a handle", ErrProtocol)
	}
	deadline, _ := ctx.Deadline()
	for {
		if c.cfg.OnWait != nil {
			c.cfg.OnWait(Waiting{API: "csc", Transaction: handle, Documents: n, Deadline: deadline})
		}
		if err := sleep(ctx, c.cfg.PollInterval); err != nil {
			return "", waitError("csc", "credentials/authorizeCheck", err)
		}
		var out struct {
			SAD    string `json:"SAD"`
			Handle string `json:"handle"`
		}
		status, err := c.call(ctx, "credentials/authorizeCheck", map[string]any{"handle": handle}, &out)
		if err != nil {
			return "", err
		}
		if status == http.StatusAccepted || out.SAD == "" {
			if out.Handle != "" {
				handle = out.Handle
			}
			continue
		}
		return out.SAD, nil
	}
}

// SignHashRequest is a signatures/signHash call.
type SignHashRequest struct {
	Credential *Credential
	SAD        string
	Hashes     [][]byte
	Opts       crypto.SignerOpts // crypto.Hash, or *rsa.PSSOptions
}

// SignHash calls signatures/signHash and returns one raw signature per
// hash, in order (ECDSA as ASN.1 DER). In asynchronous mode it polls
// signatures/signPolling. Every signature is checked against the
// credential's certificate; one that does not verify fails the call with
// signer.ErrBadSignature.
func (c *CSCClient) SignHash(ctx context.Context, r SignHashRequest) ([][]byte, error) {
	if r.Credential == nil || r.Credential.Certificate == nil || len(r.Hashes) == 0 {
		return nil, fmt.Errorf("%w: no credential certificate, or no hash", ErrBatch)
	}
	algo, params, hashOID, err := signAlgorithm(r.Credential, r.Opts)
	if err != nil {
		return nil, err
	}
	in := map[string]any{"credentialID": r.Credential.ID, "SAD": r.SAD, "hashes": b64All(r.Hashes), "signAlgo": algo}
	if hashOID != "" {
		in["hashAlgorithmOID"] = hashOID
	}
	if params != "" {
		in["signAlgoParams"] = params
	}
	if c.cfg.Async {
		in["operationMode"] = "A"
	}
	var out struct {
		Signatures []string `json:"signatures"`
		ResponseID string   `json:"responseID"`
	}
	status, err := c.call(ctx, "signatures/signHash", c.withClientData(in), &out)
	if err != nil {
		return nil, err
	}
	if out.Signatures == nil && (out.ResponseID != "" || status == http.StatusAccepted) {
		if out.Signatures, err = c.signPolling(ctx, out.ResponseID, len(r.Hashes)); err != nil {
			return nil, err
		}
	}
	if len(out.Signatures) != len(r.Hashes) {
		return nil, fmt.Errorf("remote: csc signatures/signHash: %w: %d signatures for %d hashes", ErrProtocol, len(out.Signatures), len(r.Hashes))
	}
	return checkSignatures("csc", r.Credential.Certificate, r.Hashes, r.Opts, out.Signatures)
}

func (c *CSCClient) signPolling(ctx context.Context, id string, n int) ([]string, error) {
	if id == "" {
		return nil, fmt.Errorf("remote: csc signatures/signHash: %w: asynchronous answer without a responseID", ErrProtocol)
	}
	deadline, _ := ctx.Deadline()
	for {
		if c.cfg.OnWait != nil {
			c.cfg.OnWait(Waiting{API: "csc", Transaction: id, Documents: n, Deadline: deadline})
		}
		if err := sleep(ctx, c.cfg.PollInterval); err != nil {
			return nil, waitError("csc", "signatures/signPolling", err)
		}
		var out struct {
			Signatures []string `json:"signatures"`
		}
		status, err := c.call(ctx, "signatures/signPolling", c.withClientData(map[string]any{"requestID": id}), &out)
		if err != nil {
			return nil, err
		}
		if status == http.StatusAccepted || out.Signatures == nil {
			continue
		}
		return out.Signatures, nil
	}
}

// checkSignatures decodes base64 signatures and checks each against cert.
func checkSignatures(api string, cert *x509.Certificate, hashes [][]byte, opts crypto.SignerOpts, b64 []string) ([][]byte, error) {
	sigs := make([][]byte, len(b64))
	for i, s := range b64 {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("remote: %s: %w: signature %d is not base64: %v", api, ErrProtocol, i, err)
		}
		sig = cms.NormalizeSignature(cert.PublicKey, sig)
		if err := signer.CheckSignature(cert.PublicKey, hashes[i], opts, sig); err != nil {
			return nil, fmt.Errorf("remote: %s: signature %d of %d: %w", api, i+1, len(b64), err)
		}
		sigs[i] = sig
	}
	return sigs, nil
}

func b64All(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

// Object identifiers used by the CSC API (sent as dotted strings).
var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:     {1, 3, 14, 3, 2, 26},
	crypto.SHA256:   {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384:   {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512:   {2, 16, 840, 1, 101, 3, 4, 2, 3},
	crypto.SHA3_256: {2, 16, 840, 1, 101, 3, 4, 2, 8},
	crypto.SHA3_384: {2, 16, 840, 1, 101, 3, 4, 2, 9},
	crypto.SHA3_512: {2, 16, 840, 1, 101, 3, 4, 2, 10},
}

var oidMGF1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}

const (
	oidRSA       = "1.2.840.113549.1.1.1"
	oidRSAPSS    = "1.2.840.113549.1.1.10"
	oidECPublic  = "1.2.840.10045.2.1"
	oidSHA256RSA = "1.2.840.113549.1.1.11"
)

var (
	rsaWithHash = map[crypto.Hash]string{
		crypto.SHA1: "1.2.840.113549.1.1.5", crypto.SHA256: oidSHA256RSA,
		crypto.SHA384: "1.2.840.113549.1.1.12", crypto.SHA512: "1.2.840.113549.1.1.13",
	}
	ecdsaWithHash = map[crypto.Hash]string{
		crypto.SHA1: "1.2.840.10045.4.1", crypto.SHA256: "1.2.840.10045.4.3.2",
		crypto.SHA384: "1.2.840.10045.4.3.3", crypto.SHA512: "1.2.840.10045.4.3.4",
	}
)

// signAlgorithm picks signAlgo (and signAlgoParams, hashAlgorithmOID) for
// opts among the algorithms the credential allows (key/algo). The generic
// key OIDs (rsaEncryption, id-ecPublicKey) are preferred with an explicit
// hashAlgorithmOID, as in the specification's examples; services that list
// only hash-specific OIDs get those.
func signAlgorithm(cr *Credential, opts crypto.SignerOpts) (algo, params, hashOID string, err error) {
	if opts == nil {
		return "", "", "", fmt.Errorf("remote: %w: no hash given", signer.ErrUnsupportedAlgorithm)
	}
	h := opts.HashFunc()
	hashOID = hashOIDs[h].String()
	if hashOID == "" {
		return "", "", "", fmt.Errorf("remote: %w: hash %v", signer.ErrUnsupportedAlgorithm, h)
	}
	allowed := func(oid string) bool {
		if len(cr.KeyAlgo) == 0 {
			return true
		}
		for _, a := range cr.KeyAlgo {
			if a == oid {
				return true
			}
		}
		return false
	}
	switch cr.Certificate.PublicKey.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			if !allowed(oidRSAPSS) {
				return "", "", "", fmt.Errorf("remote: %w: the credential does not allow RSASSA-PSS", signer.ErrUnsupportedAlgorithm)
			}
			p, err := pssParams(h, pss)
			return oidRSAPSS, p, hashOID, err
		}
		if allowed(oidRSA) {
			return oidRSA, "", hashOID, nil
		}
		if o := rsaWithHash[h]; o != "" && allowed(o) {
			return o, "", "", nil
		}
	case *ecdsa.PublicKey:
		if o := ecdsaWithHash[h]; o != "" && allowed(o) {
			return o, "", "", nil
		}
		if allowed(oidECPublic) {
			return oidECPublic, "", hashOID, nil
		}
	default:
		return "", "", "", fmt.Errorf("remote: %w: key type %T", signer.ErrUnsupportedAlgorithm, cr.Certificate.PublicKey)
	}
	return "", "", "", fmt.Errorf("remote: %w: the credential allows %v, none fits %v", signer.ErrUnsupportedAlgorithm, cr.KeyAlgo, h)
}

// pssParams returns the base64 DER RSASSA-PSS-params (RFC 8017 A.2.3)
// for hash h, MGF1 with h, and the salt length of opts (the hash size when
// it is automatic or "equals hash").
func pssParams(h crypto.Hash, o *rsa.PSSOptions) (string, error) {
	hashAlg := pkix.AlgorithmIdentifier{Algorithm: hashOIDs[h], Parameters: asn1.NullRawValue}
	hashDER, err := asn1.Marshal(hashAlg)
	if err != nil {
		return "", err
	}
	salt := o.SaltLength
	if salt <= 0 {
		salt = h.Size()
	}
	type params struct {
		Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
		MGF  pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
		Salt int                      `asn1:"explicit,tag:2"`
	}
	der, err := asn1.Marshal(params{
		Hash: hashAlg,
		MGF:  pkix.AlgorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: hashDER}},
		Salt: salt,
	})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// CSCSigner is a credential of a CSC service as a signer.Signer and a
// BatchSigner: each SignDigest or SignDigests call is one
// credentials/authorize (numSignatures = the number of digests, the
// digests bound to the SAD) and one signatures/signHash.
type CSCSigner struct {
	c    *CSCClient
	cr   *Credential
	auth Authorization
}

var (
	_ signer.Signer = (*CSCSigner)(nil)
	_ BatchSigner   = (*CSCSigner)(nil)
)

// ErrAmbiguous is returned by CSCClient.Signer when no credential ID is
// given and the user has several.
var ErrAmbiguous = errors.New("remote: several credentials; choose one")

// Signer returns a Signer for the credential id (or the user's only
// credential when id is empty), reading its certificate chain with
// credentials/info. A disabled key fails with ErrCredentialDisabled.
func (c *CSCClient) Signer(ctx context.Context, id string, auth Authorization) (*CSCSigner, error) {
	if id == "" {
		ids, err := c.Credentials(ctx)
		if err != nil {
			return nil, err
		}
		switch len(ids) {
		case 0:
			return nil, fmt.Errorf("remote: csc credentials/list: %w: the user has no credential", ErrNotFound)
		case 1:
			id = ids[0]
		default:
			return nil, fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(ids, ", "))
		}
	}
	cr, err := c.CredentialInfo(ctx, id)
	if err != nil {
		return nil, err
	}
	if cr.KeyStatus == "disabled" {
		return nil, &Error{API: "csc", Op: "credentials/info", Message: "credential " + id + " is disabled", Kind: ErrCredentialDisabled}
	}
	if cr.AuthMode == "oauth2code" {
		return nil, &Error{API: "csc", Op: "credentials/info", Message: "credential " + id + " needs OAuth2 authorization-code authorization (a browser), which this client does not drive", Kind: ErrService}
	}
	return &CSCSigner{c: c, cr: cr, auth: auth}, nil
}

// Credential returns what credentials/info said about the credential.
func (s *CSCSigner) Credential() *Credential { return s.cr }

// Certificate returns the credential's certificate.
func (s *CSCSigner) Certificate() *x509.Certificate { return s.cr.Certificate }

// Chain returns the issuers the service sent, nearest first.
func (s *CSCSigner) Chain() []*x509.Certificate {
	return append([]*x509.Certificate(nil), s.cr.Chain...)
}

// MaxBatch returns how many signatures one authorization allows (multisign).
func (s *CSCSigner) MaxBatch() int { return s.cr.Multisign }

// SignDigest signs one digest: a batch of one.
func (s *CSCSigner) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return signOne(ctx, s, digest, opts)
}

// SignDigests signs all digests under one authorization: one
// credentials/authorize with numSignatures = len(digests) and the digests
// as hashes, then one signatures/signHash with all of them.
func (s *CSCSigner) SignDigests(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error) {
	if err := checkBatch(digests, opts, s.cr.Multisign); err != nil {
		return nil, err
	}
	if _, _, _, err := signAlgorithm(s.cr, opts); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.c.cfg.Timeout)
	defer cancel()
	sad, err := s.c.Authorize(ctx, s.cr, digests, opts.HashFunc(), len(digests), s.auth)
	if err != nil {
		return nil, err
	}
	return s.c.SignHash(ctx, SignHashRequest{Credential: s.cr, SAD: sad, Hashes: digests, Opts: opts})
}
