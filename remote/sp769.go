package remote

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/kyso-vn/kyso/signer"
)

// SP769Config configures a client of a remote-signing service with the API
// of Decision 769/QĐ-BTTTT ("sp769"), as NEAC's eSign gateway and VNPT
// SmartCA expose it.
type SP769Config struct {
	// BaseURL is the API root, such as https://host/sca/sp769/v1.
	BaseURL string
	// SPID and SPPassword identify the service provider (sp_id,
	// sp_password).
	SPID, SPPassword string
	// Paths override the method paths below BaseURL. The defaults are
	// those of SmartCA: credentials/get_certificate, signatures/sign and
	// signatures/sign/{id}/status ({id} is the tran_code, or the
	// transaction_id when the service gives no tran_code). NEAC's gateway
	// as the laverca client calls it uses get_certificate and sign.
	GetCertificatePath, SignPath, StatusPath string
	// FileOptions sends file_type and sign_type inside a file_options
	// object of each sign_files entry, as methics/laverca's NEAC client
	// does, instead of beside doc_id as SmartCA clients do.
	FileOptions bool
	// HTTPClient is used for every request; nil means a 30 s timeout.
	HTTPClient *http.Client
	// Timeout bounds a whole signing operation including the user's
	// confirmation. Zero means 3 minutes.
	Timeout time.Duration
	// PollInterval is the delay between status requests. Zero means 2 s.
	PollInterval time.Duration
	// Callbacks, when set, receives the service's call-back with the
	// result instead of polling (the URL it is mounted at is registered
	// with the service out of band).
	Callbacks *SP769Callbacks
	// OnWait is called when a wait for the user's confirmation starts and
	// at each poll.
	OnWait func(Waiting)
}

// SP769Client talks to one sp769 service. It is safe for concurrent use.
type SP769Client struct {
	cfg  SP769Config
	base string
	hc   *http.Client
}

// NewSP769Client checks cfg and returns a client. It makes no request.
func NewSP769Client(cfg SP769Config) (*SP769Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("remote: sp769 base URL %q: want https://host/path", cfg.BaseURL)
	}
	if cfg.SPID == "" {
		return nil, fmt.Errorf("remote: sp769: no sp_id")
	}
	if cfg.GetCertificatePath == "" {
		cfg.GetCertificatePath = "credentials/get_certificate"
	}
	if cfg.SignPath == "" {
		cfg.SignPath = "signatures/sign"
	}
	if cfg.StatusPath == "" {
		cfg.StatusPath = "signatures/sign/{id}/status"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &SP769Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), hc: hc}, nil
}

// sp769Status is the envelope of every sp769 answer.
type sp769Status struct {
	StatusCode json.Number     `json:"status_code"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
}

// ok reports whether status_code says success: absent, 200 or 0.
func (st sp769Status) ok() bool {
	return st.StatusCode == "" || st.StatusCode == "200" || st.StatusCode == "0"
}

// decodeStatus reads the status envelope of an answer or a call-back,
// keeping status_code as the service wrote it.
func decodeStatus(body []byte) (sp769Status, error) {
	var st sp769Status
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&st)
	return st, err
}

// Messages of the sp769 services that public clients act on.
const (
	// SP769WaitMessage is SmartCA's message for "the user has not
	// confirmed yet".
	SP769WaitMessage = "sig_wait_for_user_confirm"
)

// sp769Error maps a failed sp769 answer to an *Error. Only status_code 200
// and the wait message are established by public clients; the other codes
// follow HTTP's meaning (as SmartCA's do where clients show them), and
// the message is searched for the usual words as a fallback.
func sp769Error(op string, httpStatus int, st sp769Status, hdr http.Header) *Error {
	code, _ := strconv.Atoi(st.StatusCode.String())
	e := &Error{API: "sp769", Op: op, HTTPStatus: httpStatus, Code: st.StatusCode.String(), Message: st.Message}
	msg := strings.ToLower(st.Message)
	words := strings.FieldsFunc(msg, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	has := func(keys ...string) bool {
		for _, k := range keys {
			if strings.Contains(k, " ") || strings.Contains(k, "_") {
				if strings.Contains(msg, k) {
					return true
				}
				continue
			}
			for _, w := range words {
				if strings.HasPrefix(w, k) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case code == 429 || httpStatus == http.StatusTooManyRequests || has("rate limit", "too many"):
		e.Kind, e.RetryAfter = ErrRateLimited, retryAfter(hdr)
	case has("reject", "declin", "từ chối", "tu choi", "cancel"):
		e.Kind = ErrDeclined
	case has("expire", "timeout", "time out", "hết hạn", "het han", "quá thời gian") || code == 408:
		e.Kind = ErrTimeout
	case has("disabled", "locked", "revoked", "suspend", "thu hồi", "tạm dừng", "khóa") || code == 423:
		e.Kind = ErrCredentialDisabled
	case has("sp_id", "sp_password", "service provider", "unauthori") || code == 401 || httpStatus == http.StatusUnauthorized:
		e.Kind = ErrWrongCredentials
	case has("pin", "otp") || code == 403:
		e.Kind = ErrPINIncorrect
	case has("not found", "không tìm thấy", "khong tim thay") || code == 404 || httpStatus == http.StatusNotFound:
		e.Kind = ErrNotFound
	}
	return e
}

// post sends in to path and decodes the envelope, returning its data.
func (c *SP769Client) post(ctx context.Context, op, path string, in any) (*sp769Status, error) {
	status, body, hdr, err := postJSON(ctx, c.hc, c.base+"/"+path, nil, in, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, waitError("sp769", op, ctx.Err())
		}
		return nil, fmt.Errorf("remote: sp769 %s: %w", op, err)
	}
	st, derr := decodeStatus(body)
	if derr != nil {
		if status/100 != 2 {
			return nil, sp769Error(op, status, sp769Status{Message: http.StatusText(status)}, hdr)
		}
		return nil, fmt.Errorf("remote: sp769 %s: %w: %v", op, ErrProtocol, derr)
	}
	if status/100 != 2 || !st.ok() {
		return nil, sp769Error(op, status, st, hdr)
	}
	return &st, nil
}

func newTransactionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// UserCertificate is one certificate get_certificate returned.
type UserCertificate struct {
	ID           string // cert_id
	SerialNumber string // serial_number, as the service spells it
	Certificate  *x509.Certificate
	Chain        []*x509.Certificate
}

// GetCertificate calls get_certificate for userID (and serial, when not
// empty) and returns the user's certificates with their chains.
func (c *SP769Client) GetCertificate(ctx context.Context, userID, serial string) ([]UserCertificate, error) {
	in := map[string]any{
		"sp_id": c.cfg.SPID, "sp_password": c.cfg.SPPassword, "user_id": userID,
		"transaction_id": newTransactionID(),
	}
	if serial != "" {
		in["serial_number"] = serial
	}
	st, err := c.post(ctx, "get_certificate", c.cfg.GetCertificatePath, in)
	if err != nil {
		return nil, err
	}
	var data struct {
		UserCertificates []struct {
			CertID       string          `json:"cert_id"`
			SerialNumber string          `json:"serial_number"`
			CertData     string          `json:"cert_data"`
			ChainData    json.RawMessage `json:"chain_data"`
		} `json:"user_certificates"`
	}
	if err := json.Unmarshal(st.Data, &data); err != nil {
		return nil, fmt.Errorf("remote: sp769 get_certificate: %w: %v", ErrProtocol, err)
	}
	var out []UserCertificate
	for i, uc := range data.UserCertificates {
		cert, err := parseCertB64(uc.CertData)
		if err != nil {
			return nil, fmt.Errorf("remote: sp769 get_certificate: %w: certificate %d: %v", ErrProtocol, i+1, err)
		}
		chain, err := parseChainData(uc.ChainData)
		if err != nil {
			return nil, fmt.Errorf("remote: sp769 get_certificate: %w: chain %d: %v", ErrProtocol, i+1, err)
		}
		out = append(out, UserCertificate{ID: uc.CertID, SerialNumber: uc.SerialNumber, Certificate: cert, Chain: chain})
	}
	if len(out) == 0 {
		return nil, &Error{API: "sp769", Op: "get_certificate", Message: "no certificate for user " + userID, Kind: ErrNotFound}
	}
	return out, nil
}

func parseCertB64(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "-----BEGIN CERTIFICATE-----")
	s = strings.TrimSuffix(s, "-----END CERTIFICATE-----")
	s = strings.Join(strings.Fields(s), "")
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// parseChainData reads chain_data, which public clients show as a string,
// an array of strings, or an object of named strings (ca_cert, root_cert).
func parseChainData(raw json.RawMessage) ([]*x509.Certificate, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	var one string
	var named map[string]string
	switch {
	case json.Unmarshal(raw, &list) == nil:
	case json.Unmarshal(raw, &one) == nil:
		if one != "" {
			list = []string{one}
		}
	case json.Unmarshal(raw, &named) == nil:
		for _, k := range []string{"ca_cert", "issuer_cert", "root_cert"} {
			if v := named[k]; v != "" {
				list = append(list, v)
			}
		}
	default:
		return nil, fmt.Errorf("chain_data is %s", strings.SplitN(string(raw), "", 2)[0])
	}
	var out []*x509.Certificate
	for _, s := range list {
		c, err := parseCertB64(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SignFile is one entry of sign_files.
type SignFile struct {
	DocID          string `json:"doc_id"`
	FileType       string `json:"file_type"`         // "pdf", "xml", "other"
	SignType       string `json:"sign_type"`         // "hash"
	DataToBeSigned string `json:"data_to_be_signed"` // the digest, hex
}

// SP769SignRequest is one sign call.
type SP769SignRequest struct {
	UserID       string
	SerialNumber string
	Description  string // transaction_desc, shown to the user
	Files        []SignFile
}

// SignedFile is one entry of the answer's signed_files.
type SignedFile struct {
	DocID              string `json:"doc_id"`
	SignatureValue     string `json:"signature_value"`
	TimestampSignature string `json:"timestamp_signature,omitempty"`
}

type sp769SignData struct {
	TransactionID string       `json:"transaction_id"`
	TranCode      string       `json:"tran_code"`
	SignedFiles   []SignedFile `json:"signed_files"`
	Signatures    []SignedFile `json:"signatures"` // SmartCA's status answer
}

// signData decodes the data of a sign or status answer (op), which may be
// absent or null.
func signData(raw json.RawMessage, op string) (sp769SignData, error) {
	var d sp769SignData
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &d); err != nil {
			return d, fmt.Errorf("remote: sp769 %s: %w: %v", op, ErrProtocol, err)
		}
	}
	return d, nil
}

func (d *sp769SignData) files() []SignedFile {
	if len(d.SignedFiles) > 0 {
		return d.SignedFiles
	}
	return d.Signatures
}

// Sign calls sign with all files in one transaction (one confirmation) and
// waits for the user: by polling the status method, or through
// cfg.Callbacks. It returns the signed files in the order of r.Files.
func (c *SP769Client) Sign(ctx context.Context, r SP769SignRequest) ([]SignedFile, error) {
	if len(r.Files) == 0 || r.UserID == "" {
		return nil, fmt.Errorf("%w: no user or no file to sign", ErrBatch)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	txID := newTransactionID()
	in := map[string]any{
		"sp_id": c.cfg.SPID, "sp_password": c.cfg.SPPassword, "user_id": r.UserID,
		"transaction_id": txID, "time_stamp": time.Now().UTC().Format("20060102150405") + "Z",
		"sign_files": c.signFiles(r.Files),
	}
	if r.SerialNumber != "" {
		in["serial_number"] = r.SerialNumber
	}
	if r.Description != "" {
		in["transaction_desc"] = r.Description
	}
	var wait chan sp769Status
	if c.cfg.Callbacks != nil {
		wait = c.cfg.Callbacks.expect(txID)
		defer c.cfg.Callbacks.forget(txID)
	}
	st, err := c.post(ctx, "sign", c.cfg.SignPath, in)
	if err != nil {
		return nil, err
	}
	data, err := signData(st.Data, "sign")
	if err != nil {
		return nil, err
	}
	if files := data.files(); len(files) > 0 {
		return orderFiles(files, r.Files)
	}
	id := data.TranCode
	if id == "" {
		id = data.TransactionID
	}
	if id == "" {
		id = txID
	}
	if c.cfg.Callbacks != nil {
		c.cfg.Callbacks.alias(txID, data.TransactionID, data.TranCode)
	}
	deadline, _ := ctx.Deadline()
	for {
		if c.cfg.OnWait != nil {
			c.cfg.OnWait(Waiting{API: "sp769", Transaction: id, Documents: len(r.Files), Deadline: deadline})
		}
		var got *sp769Status
		if wait != nil {
			select {
			case <-ctx.Done():
				return nil, waitError("sp769", "sign", ctx.Err())
			case s := <-wait:
				got = &s
				if !s.ok() {
					return nil, sp769Error("callback", 0, s, nil)
				}
			case <-time.After(c.cfg.PollInterval):
				continue // only to refresh OnWait
			}
		} else {
			if err := sleep(ctx, c.cfg.PollInterval); err != nil {
				return nil, waitError("sp769", "sign", err)
			}
			path := strings.ReplaceAll(c.cfg.StatusPath, "{id}", url.PathEscape(id))
			got, err = c.post(ctx, "status", path, map[string]any{
				"sp_id": c.cfg.SPID, "sp_password": c.cfg.SPPassword, "user_id": r.UserID, "transaction_id": data.TransactionID,
			})
			if err != nil {
				return nil, err
			}
		}
		d, err := signData(got.Data, "status")
		if err != nil {
			return nil, err
		}
		if files := d.files(); len(files) > 0 {
			return orderFiles(files, r.Files)
		}
	}
}

// signFiles renders the sign_files entries in the configured shape.
func (c *SP769Client) signFiles(files []SignFile) any {
	if !c.cfg.FileOptions {
		return files
	}
	out := make([]map[string]any, len(files))
	for i, f := range files {
		out[i] = map[string]any{"doc_id": f.DocID, "data_to_be_signed": f.DataToBeSigned,
			"file_options": map[string]string{"file_type": f.FileType, "sign_type": f.SignType}}
	}
	return out
}

// orderFiles returns got in the order of sent, matched by doc_id.
func orderFiles(got []SignedFile, sent []SignFile) ([]SignedFile, error) {
	if len(got) != len(sent) {
		return nil, fmt.Errorf("remote: sp769 sign: %w: %d signed files for %d sent", ErrProtocol, len(got), len(sent))
	}
	byID := map[string]SignedFile{}
	for _, g := range got {
		byID[g.DocID] = g
	}
	out := make([]SignedFile, len(sent))
	for i, s := range sent {
		g, ok := byID[s.DocID]
		if !ok {
			return nil, fmt.Errorf("remote: sp769 sign: %w: no signature for doc_id %q", ErrProtocol, s.DocID)
		}
		out[i] = g
	}
	return out, nil
}

// SP769Callbacks is an http.Handler receiving a service's call-backs: a
// POST whose body has the shape of the status answer ({status_code,
// message, data:{transaction_id, tran_code, signed_files}}). Mount it
// where the service was told to call, and set it in SP769Config.
type SP769Callbacks struct {
	mu      sync.Mutex
	waiting map[string]chan sp769Status
}

// NewSP769Callbacks returns an empty call-back handler.
func NewSP769Callbacks() *SP769Callbacks {
	return &SP769Callbacks{waiting: map[string]chan sp769Status{}}
}

func (h *SP769Callbacks) expect(id string) chan sp769Status {
	ch := make(chan sp769Status, 1)
	h.mu.Lock()
	h.waiting[id] = ch
	h.mu.Unlock()
	return ch
}

func (h *SP769Callbacks) alias(id string, more ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.waiting[id]
	for _, m := range more {
		if m != "" && ch != nil {
			h.waiting[m] = ch
		}
	}
}

func (h *SP769Callbacks) forget(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.waiting[id]
	for k, v := range h.waiting {
		if v == ch {
			delete(h.waiting, k)
		}
	}
}

// ServeHTTP accepts one call-back. Unknown transactions get 404.
func (h *SP769Callbacks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	st, err := decodeStatus(body)
	if err != nil {
		http.Error(w, "malformed call-back", http.StatusBadRequest)
		return
	}
	var d sp769SignData
	_ = json.Unmarshal(st.Data, &d)
	h.mu.Lock()
	ch := h.waiting[d.TransactionID]
	if ch == nil {
		ch = h.waiting[d.TranCode]
	}
	h.mu.Unlock()
	if ch == nil {
		http.Error(w, "unknown transaction", http.StatusNotFound)
		return
	}
	select {
	case ch <- st:
	default: // a duplicate call-back
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status_code":200,"message":"ok"}`)
}

// SP769Signer is a user's certificate at an sp769 service as a
// signer.Signer and a BatchSigner: each call is one sign transaction with
// one sign_files entry per digest, confirmed once on the phone.
type SP769Signer struct {
	c      *SP769Client
	userID string
	uc     UserCertificate
	// FileType is sent as file_type ("pdf", "xml", …); default "other".
	FileType string
	// Description is sent as transaction_desc.
	Description string
}

var (
	_ signer.Signer = (*SP769Signer)(nil)
	_ BatchSigner   = (*SP769Signer)(nil)
)

// Signer returns a Signer for userID's certificate with the given serial
// number (or the user's only certificate when serial is empty).
func (c *SP769Client) Signer(ctx context.Context, userID, serial string) (*SP769Signer, error) {
	ucs, err := c.GetCertificate(ctx, userID, serial)
	if err != nil {
		return nil, err
	}
	var pick []UserCertificate
	for _, uc := range ucs {
		if serial == "" || strings.EqualFold(uc.SerialNumber, serial) || strings.EqualFold(uc.Certificate.SerialNumber.Text(16), strings.TrimLeft(serial, "0")) {
			pick = append(pick, uc)
		}
	}
	switch len(pick) {
	case 0:
		return nil, &Error{API: "sp769", Op: "get_certificate", Message: "no certificate with serial " + serial, Kind: ErrNotFound}
	case 1:
	default:
		var s []string
		for _, p := range pick {
			s = append(s, p.SerialNumber)
		}
		return nil, fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(s, ", "))
	}
	return &SP769Signer{c: c, userID: userID, uc: pick[0], FileType: "other"}, nil
}

// Certificate returns the user's certificate.
func (s *SP769Signer) Certificate() *x509.Certificate { return s.uc.Certificate }

// Chain returns the issuers the service sent.
func (s *SP769Signer) Chain() []*x509.Certificate {
	return append([]*x509.Certificate(nil), s.uc.Chain...)
}

// SignDigest signs one digest: a batch of one.
func (s *SP769Signer) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return signOne(ctx, s, digest, opts)
}

// SignDigests sends one sign request with a sign_files entry per digest
// (sign_type "hash", data_to_be_signed the hex digest) and returns the
// raw signatures, each checked against the certificate. The service is
// expected to sign with RSA PKCS#1 v1.5 (or ECDSA) over the digest as
// given; RSA-PSS cannot be asked for in sp769 and is refused.
func (s *SP769Signer) SignDigests(ctx context.Context, digests [][]byte, opts crypto.SignerOpts) ([][]byte, error) {
	if err := checkBatch(digests, opts, 0); err != nil {
		return nil, err
	}
	if _, ok := opts.(crypto.Hash); !ok {
		return nil, fmt.Errorf("remote: sp769: %w: only PKCS#1 v1.5 and ECDSA", signer.ErrUnsupportedAlgorithm)
	}
	files := make([]SignFile, len(digests))
	for i, d := range digests {
		files[i] = SignFile{DocID: strconv.Itoa(i + 1), FileType: s.FileType, SignType: "hash", DataToBeSigned: hex.EncodeToString(d)}
	}
	got, err := s.c.Sign(ctx, SP769SignRequest{UserID: s.userID, SerialNumber: s.uc.SerialNumber, Description: s.Description, Files: files})
	if err != nil {
		return nil, err
	}
	b64 := make([]string, len(got))
	for i, g := range got {
		b64[i] = g.SignatureValue
	}
	return checkSignatures("sp769", s.uc.Certificate, digests, opts, b64)
}
