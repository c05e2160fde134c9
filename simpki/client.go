package simpki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/certparse"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/simpki/internal/wire"
)

// Mode is a TS 102 204 messaging mode.
type Mode int

// Messaging modes. The zero Mode means "the Config's mode" in a Request and
// Synch in a Config.
const (
	// Synch: one HTTP exchange that lasts until the user answers.
	Synch Mode = iota + 1
	// AsynchClientServer: the MSSP acknowledges at once and the client
	// polls with MSS_StatusReq.
	AsynchClientServer
	// AsynchServerServer: the MSSP acknowledges at once and later POSTs an
	// MSS_Notification to Config.NotificationURL, served by a
	// NotificationHandler.
	AsynchServerServer
)

// String returns the mode's MessagingMode name, e.g. "asynchClientServer".
func (m Mode) String() string {
	switch m {
	case Synch:
		return "synch"
	case AsynchClientServer:
		return "asynchClientServer"
	case AsynchServerServer:
		return "asynchServerServer"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Format is an MSS_Format URI: what the MSSP returns.
type Format string

// Signature formats.
const (
	// FormatPKCS1 asks for the raw signature (FiCom PKCS1): an RSA PKCS#1
	// v1.5 signature, or an ECDSA signature, over the digest.
	FormatPKCS1 Format = "http://mss.ficom.fi/TS102204/v1.0.0#PKCS1"
	// FormatCMS asks for a CMS SignedData; the client unpacks it, checks it
	// is over the requested digest and takes the certificate from it.
	FormatCMS Format = "http://uri.etsi.org/TS102204/v1.1.2#CMS-Signature"
	// FormatPKCS7 is the older name some MSSPs use for FormatCMS.
	FormatPKCS7 Format = "http://uri.etsi.org/TS102204/v1.1.2#PKCS7"
)

// IsCMS reports whether f asks for a CMS SignedData.
func (f Format) IsCMS() bool { return f == FormatCMS || f == FormatPKCS7 }

// Config configures a Client for one MSSP and one application provider.
type Config struct {
	// URL is the MSSP's SOAP endpoint. Every operation is POSTed there
	// unless StatusURL, ReceiptURL, ProfileURL or RegistrationURL name
	// their own endpoints, or the Profile derives them from URL.
	URL                                                string
	StatusURL, ReceiptURL, ProfileURL, RegistrationURL string

	// Profile is the MSSP's dialect (nil: [ProfileETSI]). It supplies the
	// defaults of MSSPID, SignatureProfile and Format, the SOAP form of
	// requests, the per-operation endpoints, the digest form and the
	// meaning of its status codes.
	Profile *Profile
	// DigestInfo sends DataToBeSigned as a DER DigestInfo even when the
	// Profile does not (RSA keys only: a DigestInfo is what PKCS#1 v1.5
	// signs).
	DigestInfo bool

	// APID and APPassword identify the application provider (AP_Info).
	APID       string
	APPassword string
	// MSSPID is the MSSP_ID URI the operator assigned (default: the
	// Profile's).
	MSSPID string

	// SignatureProfile is the mssURI the operator assigned for signing
	// (empty: the Profile's; none sent when it has none).
	SignatureProfile string
	// Format is the MSS_Format asked for; empty means the Profile's.
	Format Format
	// Mode is the messaging mode; zero means Synch.
	Mode Mode
	// TimeOut is how long the MSSP waits for the user (the TimeOut
	// attribute, whole seconds). Zero means 80 s. A caller's context
	// deadline that comes sooner shortens it for that request.
	TimeOut time.Duration

	// PollDelay is the wait before the first MSS_StatusReq (default 2 s);
	// later waits grow by half each time up to PollMaxInterval (default
	// 10 s). MaxWait caps the whole wait for an answer, polling or
	// notification (default TimeOut + 10 s); the caller's context may end
	// it sooner.
	PollDelay, PollMaxInterval, MaxWait time.Duration
	// RequestTimeout bounds each HTTP exchange except a synch signature,
	// which may last TimeOut + 10 s. Zero means 10 s.
	RequestTimeout time.Duration
	// MaxPollErrors is how many consecutive transport failures polling
	// tolerates before giving up (default 3).
	MaxPollErrors int

	// HTTPClient sends the requests. When nil the client builds one from
	// TLSClientCertificates and RootCAs (nil RootCAs: the system roots)
	// that never follows redirects, so the AP password is only ever sent to
	// the configured endpoint; a redirect answer is a protocol error.
	HTTPClient            *http.Client
	TLSClientCertificates []tls.Certificate
	RootCAs               *x509.CertPool

	// RequestSigner, when set, signs every request with the AP's key: an
	// XML-DSig signature over the message element in an
	// mss:MSS_MessageSignature SOAP header (as Viettel MobileCA requires).
	RequestSigner signer.Signer

	// NotificationURL is the AP_URL the MSSP calls back in
	// AsynchServerServer mode; Notifications is the handler serving it.
	NotificationURL string
	Notifications   *NotificationHandler

	// DisableCancelReceipt stops the client from telling the MSSP that it
	// gave up on a transaction. By default, when the caller's context ends
	// or MaxWait passes while the user has not answered, the client sends
	// an MSS_ReceiptReq with status 401 and a message for the phone, which
	// MSSPs that support it (and mssptest) take as a cancellation.
	DisableCancelReceipt bool

	// MSISDNPlus sends numbers as +84… instead of 84….
	MSISDNPlus bool
}

// Client talks to one MSSP. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	for _, u := range []string{cfg.URL, cfg.StatusURL, cfg.ReceiptURL, cfg.ProfileURL, cfg.RegistrationURL, cfg.NotificationURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("simpki: %q is not an http(s) URL", u)
		}
	}
	if cfg.URL == "" {
		return nil, errors.New("simpki: Config.URL is empty")
	}
	if cfg.APID == "" {
		return nil, errors.New("simpki: Config.APID is empty")
	}
	if cfg.Mode == 0 {
		cfg.Mode = Synch
	}
	if cfg.Mode < Synch || cfg.Mode > AsynchServerServer {
		return nil, fmt.Errorf("simpki: unknown messaging mode %d", cfg.Mode)
	}
	if cfg.Profile == nil {
		cfg.Profile = ProfileETSI()
	}
	pr := cfg.Profile
	if cfg.MSSPID == "" {
		cfg.MSSPID = pr.MSSPID
	}
	if cfg.SignatureProfile == "" {
		cfg.SignatureProfile = pr.SignatureProfile
	}
	if cfg.Format == "" {
		cfg.Format = pr.Format
	}
	if cfg.Format == "" {
		cfg.Format = FormatPKCS1
	}
	cfg.DigestInfo = cfg.DigestInfo || pr.DigestInfo
	if err := checkFormat(cfg.Format); err != nil {
		return nil, err
	}
	if cfg.Mode == AsynchServerServer && (cfg.NotificationURL == "" || cfg.Notifications == nil) {
		return nil, errors.New("simpki: asynchServerServer needs NotificationURL and Notifications")
	}
	if cfg.TimeOut <= 0 {
		cfg.TimeOut = 80 * time.Second
	}
	if cfg.TimeOut < time.Second {
		cfg.TimeOut = time.Second
	}
	if cfg.PollDelay <= 0 {
		cfg.PollDelay = 2 * time.Second
	}
	if cfg.PollMaxInterval <= 0 {
		cfg.PollMaxInterval = 10 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = cfg.TimeOut + 10*time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.MaxPollErrors <= 0 {
		cfg.MaxPollErrors = 3
	}
	for _, e := range []struct {
		u  *string
		op Operation
	}{{&cfg.StatusURL, OpStatus}, {&cfg.ReceiptURL, OpReceipt}, {&cfg.ProfileURL, OpProfileQuery}, {&cfg.RegistrationURL, OpRegistration}} {
		if *e.u == "" {
			*e.u = pr.Endpoint(cfg.URL, e.op)
		}
	}
	if cfg.RequestSigner != nil && cfg.RequestSigner.Certificate() == nil {
		return nil, fmt.Errorf("simpki: RequestSigner: %w", signer.ErrNoCertificate)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: cfg.TLSClientCertificates,
			RootCAs:      cfg.RootCAs,
		}
		// Never follow redirects: a 307/308 would resend the body, with
		// AP_PWD, to wherever the redirect points.
		hc = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

func checkFormat(f Format) error {
	switch f {
	case FormatPKCS1, FormatETSIPKCS1, FormatCMS, FormatPKCS7:
		return nil
	}
	return fmt.Errorf("simpki: unknown MSS_Format %q", f)
}

// Request is one signature request.
type Request struct {
	// MSISDN is the signer's phone number in any form NormalizeMSISDN takes.
	MSISDN string
	// Digest is the hash to be signed, computed with Hash (SHA-1, SHA-256,
	// SHA-384 or SHA-512). It is sent as DataToBeSigned with the MimeType
	// application/x-sha256 (etc.), base64-encoded — or, with a DigestInfo
	// profile or Config.DigestInfo, as its DER DigestInfo with the
	// profile's MimeType.
	Digest []byte
	Hash   crypto.Hash
	// Display is the text shown on the phone (DataToBeDisplayed), UTF-8;
	// it is normalised to NFC.
	Display string
	// Certificate, when known, is the certificate the signature must
	// verify under; a CMS response must be signed with it.
	Certificate *x509.Certificate

	// Overrides of the Config for this request; zero values keep it.
	Mode             Mode
	Format           Format
	SignatureProfile string
}

// Response is a completed signature.
type Response struct {
	MSISDN      string     // normalised number
	APTransID   string     // our transaction id (AP_TransID)
	MSSPTransID string     // the MSSP's transaction id, for its logs and support
	Status      StatusCode // final status, normally 500 SIGNATURE or 502 VALID_SIGNATURE
	// SignatureProfile is the profile the MSSP reports it used, if any.
	SignatureProfile string
	// Signature is the raw signature over the requested digest (RSA
	// PKCS#1 v1.5, or ECDSA as ASN.1 DER). It is nil only when the MSSP
	// returned a CMS whose signature covers its own signed attributes.
	Signature []byte
	// CMS is the CMS SignedData as the MSSP returned it (CMS formats).
	CMS []byte
	// Certificate is the certificate the signature was checked against
	// (Request.Certificate, or the one the MSSP returned); Chain the other
	// certificates the MSSP returned. Verified reports whether a
	// certificate was available to check the signature at all.
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
	Verified    bool
}

var mimeTypes = map[crypto.Hash]string{
	crypto.SHA1:   "application/x-sha1",
	crypto.SHA256: "application/x-sha256",
	crypto.SHA384: "application/x-sha384",
	crypto.SHA512: "application/x-sha512",
}

// DigestMimeType returns the DataToBeSigned MimeType for h, or "" when h
// cannot be sent to an MSSP.
func DigestMimeType(h crypto.Hash) string { return mimeTypes[h] }

func newTransID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("simpki: crypto/rand failed: " + err.Error())
	}
	return "kyso" + hex.EncodeToString(b[:])
}

func (c *Client) header(apTransID string) wire.Header {
	return wire.Header{
		MajorVersion: 1, MinorVersion: 1,
		APID: c.cfg.APID, APTransID: apTransID, APPWD: c.cfg.APPassword,
		Instant: time.Now(), MSSPID: c.cfg.MSSPID,
	}
}

func (c *Client) msisdn(canonical string) string {
	if c.cfg.MSISDNPlus {
		return "+" + canonical
	}
	return canonical
}

// Sign sends req to the MSSP and waits, in the configured messaging mode,
// until the user answers, the MSSP reports an error, ctx ends or MaxWait
// passes. A returned Response always carries a signature that was checked
// against the requested digest, under the response's or the requested
// certificate whenever one is known.
//
// Errors: *StatusError (matching ErrDeclined, ErrExpired, ErrPINLocked,
// …) for what the MSSP reports; ErrProtocol for anything malformed; ctx's
// error when the caller gave up; ErrTimeout at MaxWait.
func (c *Client) Sign(ctx context.Context, req *Request) (*Response, error) {
	msisdn, err := NormalizeMSISDN(req.MSISDN)
	if err != nil {
		return nil, err
	}
	mime := DigestMimeType(req.Hash)
	if mime == "" {
		return nil, fmt.Errorf("simpki: %w: an MSSP cannot sign a %v digest", signer.ErrUnsupportedAlgorithm, req.Hash)
	}
	if len(req.Digest) != req.Hash.Size() {
		return nil, fmt.Errorf("simpki: digest is %d bytes, %v needs %d", len(req.Digest), req.Hash, req.Hash.Size())
	}
	mode := c.cfg.Mode
	if req.Mode != 0 {
		mode = req.Mode
	}
	if mode < Synch || mode > AsynchServerServer {
		return nil, fmt.Errorf("simpki: unknown messaging mode %d", mode)
	}
	if mode == AsynchServerServer && (c.cfg.NotificationURL == "" || c.cfg.Notifications == nil) {
		return nil, errors.New("simpki: asynchServerServer needs Config.NotificationURL and Config.Notifications")
	}
	dtbs := wire.Data{Value: base64.StdEncoding.EncodeToString(req.Digest), MimeType: mime, Encoding: "base64"}
	if c.cfg.DigestInfo {
		if req.Certificate != nil {
			if _, ok := req.Certificate.PublicKey.(*rsa.PublicKey); !ok {
				return nil, fmt.Errorf("simpki: %w: a DigestInfo is signed with RSA PKCS#1 v1.5; the certificate has a %T key", signer.ErrUnsupportedAlgorithm, req.Certificate.PublicKey)
			}
		}
		di, err := DigestInfo(req.Hash, req.Digest)
		if err != nil {
			return nil, err
		}
		dtbs = wire.Data{Value: base64.StdEncoding.EncodeToString(di), MimeType: c.cfg.Profile.DigestInfoMimeType, Encoding: "base64"}
		if dtbs.MimeType == "" {
			dtbs.MimeType = "application/octet-stream"
		}
	}
	format := c.cfg.Format
	if req.Format != "" {
		if err := checkFormat(req.Format); err != nil {
			return nil, err
		}
		format = req.Format
	}
	profile := c.cfg.SignatureProfile
	if req.SignatureProfile != "" {
		profile = req.SignatureProfile
	}
	apTransID := newTransID()
	m := &wire.SignatureReq{
		Header:             c.header(apTransID),
		MSISDN:             c.msisdn(msisdn),
		DataToBeSigned:     dtbs,
		SignatureProfile:   profile,
		MSSFormat:          string(format),
		TimeOut:            timeOutSeconds(ctx, c.cfg.TimeOut),
		MessagingMode:      mode.String(),
		AdditionalServices: c.cfg.Profile.AdditionalServices,
	}
	if req.Display != "" {
		m.DataToBeDisplayed = &wire.Data{Value: norm.NFC.String(req.Display), MimeType: "text/plain", Encoding: "UTF-8"}
	}
	tx := &transaction{c: c, apTransID: apTransID, msisdn: msisdn, start: time.Now()}
	var pend *pending
	if mode == AsynchServerServer {
		m.APURL = c.cfg.NotificationURL
		pend = c.cfg.Notifications.expect(apTransID)
		defer c.cfg.Notifications.forget(apTransID)
	}
	timeout := c.cfg.RequestTimeout
	if mode == Synch {
		timeout = c.cfg.TimeOut + 10*time.Second
	}
	env, err := c.call(ctx, c.cfg.URL, m, timeout)
	if err != nil {
		return nil, c.ctxErr(ctx, err)
	}
	resp, ok := env.Message.(*wire.SignatureResp)
	if !ok {
		return nil, fmt.Errorf("%w: expected MSS_SignatureResp, got %T", ErrProtocol, env.Message)
	}
	tx.msspTransID = resp.MSSPTransID
	code := c.cfg.Profile.Canonical(resp.Status.Code)
	switch {
	case code == Signature || code == ValidSignature:
		return c.finish(req, tx, resp.Signature, format, code, resp.SignatureProfile)
	case code == RequestOK && mode != Synch:
	default:
		return nil, c.statusError(resp.Status, tx.msspTransID)
	}
	var st *wire.StatusResp
	if mode == AsynchClientServer {
		st, err = tx.poll(ctx)
	} else {
		pend.setMSSPTransID(tx.msspTransID)
		st, err = tx.await(ctx, pend)
	}
	if err != nil {
		return nil, err
	}
	out, err := c.finish(req, tx, st.Signature, format, c.cfg.Profile.Canonical(st.Status.Code), resp.SignatureProfile)
	return out, err
}

// timeOutSeconds is the TimeOut attribute: the configured time-out, cut
// to the caller's deadline so that the MSSP withdraws the prompt from the
// phone when the caller stops waiting.
func timeOutSeconds(ctx context.Context, d time.Duration) int {
	if dl, ok := ctx.Deadline(); ok {
		if rest := time.Until(dl); rest < d {
			d = rest
		}
	}
	n := int(d / time.Second)
	if n < 1 {
		n = 1
	}
	return n
}

// ctxErr prefers the caller's context error over the transport's.
func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("simpki: %w (%v)", ctx.Err(), err)
	}
	return err
}

// statusError is the error for a Status the MSSP reported, its code read
// through the profile.
func (c *Client) statusError(s wire.Status, msspTransID string) error {
	e := &StatusError{Code: c.cfg.Profile.Canonical(s.Code), Message: s.Message, MSSPTransID: msspTransID}
	if int(e.Code) != s.Code {
		e.Raw = s.Code
	}
	return e
}

type transaction struct {
	c           *Client
	apTransID   string
	msspTransID string
	msisdn      string
	start       time.Time
}

// poll queries the status until a final answer.
func (tx *transaction) poll(ctx context.Context) (*wire.StatusResp, error) {
	c := tx.c
	deadline := tx.start.Add(c.cfg.MaxWait)
	delay := c.cfg.PollDelay
	failures := 0
	for {
		wait := delay
		if rest := time.Until(deadline); rest < wait {
			wait = rest
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				tx.abandon(ctx)
				return nil, fmt.Errorf("simpki: waiting for %s: %w", tx.msspTransID, ctx.Err())
			case <-t.C:
			}
		}
		if !time.Now().Before(deadline) {
			tx.abandon(ctx)
			return nil, fmt.Errorf("%w: no final status for %s after %v", ErrTimeout, tx.msspTransID, c.cfg.MaxWait)
		}
		delay = delay * 3 / 2
		if delay > c.cfg.PollMaxInterval {
			delay = c.cfg.PollMaxInterval
		}
		// A status query may not outlast the ceiling either.
		timeout := c.cfg.RequestTimeout
		if rest := time.Until(deadline); rest < timeout {
			timeout = rest
		}
		env, err := c.call(ctx, c.cfg.StatusURL, &wire.StatusReq{
			Header: c.header(newTransID()), MSSPTransID: tx.msspTransID, MSISDN: c.msisdn(tx.msisdn),
		}, timeout)
		if err != nil {
			if ctx.Err() != nil {
				tx.abandon(ctx)
				return nil, c.ctxErr(ctx, err)
			}
			var se *StatusError
			if errors.As(err, &se) {
				if se.Code == OutstandingTransaction {
					failures = 0
					continue
				}
				se.MSSPTransID = tx.msspTransID
				return nil, se
			}
			if errors.Is(err, ErrProtocol) && !errors.Is(err, errTransport) {
				return nil, err
			}
			failures++
			if failures > c.cfg.MaxPollErrors {
				return nil, fmt.Errorf("simpki: polling %s: %d failures in a row: %w", tx.msspTransID, failures, err)
			}
			continue
		}
		failures = 0
		st, ok := env.Message.(*wire.StatusResp)
		if !ok {
			return nil, fmt.Errorf("%w: expected MSS_StatusResp, got %T", ErrProtocol, env.Message)
		}
		switch code := c.cfg.Profile.Canonical(st.Status.Code); code {
		case OutstandingTransaction, RequestOK:
			continue
		case Signature, ValidSignature:
			return st, nil
		default:
			return nil, c.statusError(st.Status, tx.msspTransID)
		}
	}
}

// await waits for the MSSP's notification.
func (tx *transaction) await(ctx context.Context, p *pending) (*wire.StatusResp, error) {
	t := time.NewTimer(time.Until(tx.start.Add(tx.c.cfg.MaxWait)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			tx.abandon(ctx)
			return nil, fmt.Errorf("simpki: waiting for the notification of %s: %w", tx.msspTransID, ctx.Err())
		case <-t.C:
			tx.abandon(ctx)
			return nil, fmt.Errorf("%w: no notification for %s after %v", ErrTimeout, tx.msspTransID, tx.c.cfg.MaxWait)
		case st := <-p.ch:
			// One that arrived before the MSSP_TransID was known was not
			// checked by the handler: it may be of another transaction.
			if st.MSSPTransID != tx.msspTransID {
				continue
			}
			switch code := tx.c.cfg.Profile.Canonical(st.Status.Code); code {
			case Signature, ValidSignature:
				return st, nil
			default:
				return nil, tx.c.statusError(st.Status, tx.msspTransID)
			}
		}
	}
}

// CancelMessage is shown on the phone when the client abandons a request.
const CancelMessage = "Yêu cầu ký số đã bị hủy bởi ứng dụng"

// abandon tells the MSSP the AP no longer waits for the transaction.
func (tx *transaction) abandon(ctx context.Context) {
	c := tx.c
	if c.cfg.DisableCancelReceipt || tx.msspTransID == "" {
		return
	}
	timeout := 3 * time.Second
	if c.cfg.RequestTimeout < timeout {
		timeout = c.cfg.RequestTimeout
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	_, _ = c.call(rctx, c.cfg.ReceiptURL, &wire.ReceiptReq{
		Header:      c.header(newTransID()),
		MSSPTransID: tx.msspTransID,
		MSISDN:      c.msisdn(tx.msisdn),
		Status:      &wire.Status{Code: c.cfg.Profile.Code(UserCancel), Message: "CANCELLED_BY_AP"},
		Message:     &wire.Data{Value: CancelMessage, MimeType: "text/plain", Encoding: "UTF-8"},
	}, timeout)
}

var errTransport = errors.New("transport")

// call POSTs m and decodes the answer. SOAP faults become *StatusError;
// HTTP errors and malformed answers wrap ErrProtocol.
func (c *Client) call(ctx context.Context, endpoint string, m wire.Message, timeout time.Duration) (*wire.Envelope, error) {
	dialect := c.cfg.Profile.dialect()
	doc, err := dialect.NewDocument(m)
	if err != nil {
		return nil, fmt.Errorf("simpki: %w", err)
	}
	if c.cfg.RequestSigner != nil {
		id := "req-" + newTransID()
		if err := wire.SignMessage(ctx, doc, id, c.cfg.RequestSigner); err != nil {
			return nil, fmt.Errorf("simpki: signing the request with the AP key: %w", err)
		}
	}
	body, err := wire.Serialize(doc)
	if err != nil {
		return nil, fmt.Errorf("simpki: %w", err)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(rctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("simpki: %w", err)
	}
	wrapper, _ := wire.Operation(m)
	if dialect.SOAP11 {
		hreq.Header.Set("Content-Type", dialect.ContentType())
		hreq.Header.Set("SOAPAction", `"#`+wrapper+`"`)
	} else {
		hreq.Header.Set("Content-Type", wire.ContentType+`; action="`+wrapper+`"`)
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: POST %s: %w", ErrProtocol, errTransport, endpoint, err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, wire.MaxMessageSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w: reading the answer of %s: %w", ErrProtocol, errTransport, endpoint, err)
	}
	env, derr := wire.Decode(data)
	if derr != nil {
		if hresp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%w: %w: HTTP %s from %s", ErrProtocol, errTransport, hresp.Status, endpoint)
		}
		return nil, fmt.Errorf("%w: %v", ErrProtocol, derr)
	}
	if f, ok := env.Message.(*wire.Fault); ok {
		return nil, faultError(f)
	}
	if hresp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %w: HTTP %s from %s with a non-fault body", ErrProtocol, errTransport, hresp.Status, endpoint)
	}
	return env, nil
}

func faultError(f *wire.Fault) error {
	if f.Subcode == 0 {
		return fmt.Errorf("%w: SOAP fault without an MSS code: %s %s %s", ErrProtocol, f.Code, f.Reason, f.Detail)
	}
	return &StatusError{Code: StatusCode(f.Subcode), Message: f.Reason, Detail: f.Detail, Fault: true}
}

// finish turns the MSSP's MSS_Signature into a checked Response.
func (c *Client) finish(req *Request, tx *transaction, sig *wire.Signature, format Format, code StatusCode, profile string) (*Response, error) {
	if sig == nil || len(sig.Bytes()) == 0 {
		return nil, fmt.Errorf("%w: status %d %s without a signature [transaction %s]", ErrProtocol, int(code), code, tx.msspTransID)
	}
	out := &Response{
		MSISDN: tx.msisdn, APTransID: tx.apTransID, MSSPTransID: tx.msspTransID,
		Status: code, SignatureProfile: profile, Certificate: req.Certificate,
	}
	raw := sig.Bytes()
	var cs *wire.CMSSignature
	if sig.PKCS1 == nil {
		if parsed, err := wire.ParseCMS(raw); err == nil {
			cs = parsed
		} else if format.IsCMS() {
			return nil, fmt.Errorf("%w: the MSSP's CMS does not parse: %v [transaction %s]", ErrProtocol, err, tx.msspTransID)
		}
	}
	if cs == nil {
		if sig.PKCS1Certificate != nil {
			cert, err := certparse.Parse(sig.PKCS1Certificate)
			if err != nil {
				return nil, fmt.Errorf("%w: certificate in fi:PKCS1: %v", ErrProtocol, err)
			}
			if req.Certificate != nil && !req.Certificate.Equal(cert) {
				return nil, fmt.Errorf("%w: the MSSP returned the certificate %q, expected %q: %w", ErrProtocol,
					cert.Subject.CommonName, req.Certificate.Subject.CommonName, signer.ErrKeyMismatch)
			}
			out.Certificate = cert
		}
		if out.Certificate != nil {
			raw = cms.NormalizeSignature(out.Certificate.PublicKey, raw)
			if err := signer.CheckSignature(out.Certificate.PublicKey, req.Digest, req.Hash, raw); err != nil {
				return nil, fmt.Errorf("%w: %w [transaction %s]", ErrProtocol, err, tx.msspTransID)
			}
			out.Verified = true
		}
		out.Signature = raw
		return out, nil
	}
	// CMS.
	out.CMS = raw
	if cs.Hash != req.Hash {
		return nil, fmt.Errorf("%w: the MSSP's CMS uses %v, %v was requested", ErrProtocol, cs.Hash, req.Hash)
	}
	cert := cs.Signer
	switch {
	case cert == nil && req.Certificate == nil:
		return nil, fmt.Errorf("%w: the MSSP's CMS does not carry its signer's certificate", ErrProtocol)
	case cert == nil && !cs.Names(req.Certificate):
		// The CMS names a signer it does not carry, and it is not the
		// expected certificate: whoever verifies this CMS later looks for
		// that other certificate.
		return nil, fmt.Errorf("%w: the MSSP's CMS names another signer than %q and does not carry its certificate: %w", ErrProtocol,
			req.Certificate.Subject.CommonName, signer.ErrKeyMismatch)
	case cert == nil:
		cert = req.Certificate
	case req.Certificate != nil && !req.Certificate.Equal(cert):
		return nil, fmt.Errorf("%w: the MSSP's CMS is signed by %q, expected %q: %w", ErrProtocol,
			cert.Subject.CommonName, req.Certificate.Subject.CommonName, signer.ErrKeyMismatch)
	}
	out.Certificate = cert
	for _, x := range cs.Certificates {
		if !x.Equal(cert) {
			out.Chain = append(out.Chain, x)
		}
	}
	s := cms.NormalizeSignature(cert.PublicKey, cs.Signature)
	if cs.SignedAttrs == nil {
		if err := signer.CheckSignature(cert.PublicKey, req.Digest, req.Hash, s); err != nil {
			return nil, fmt.Errorf("%w: the MSSP's CMS: %w [transaction %s]", ErrProtocol, err, tx.msspTransID)
		}
		out.Signature = s
		out.Verified = true
		return out, nil
	}
	if !bytes.Equal(cs.MessageDigest, req.Digest) {
		return nil, fmt.Errorf("%w: the MSSP's CMS is over another digest than the one requested [transaction %s]", ErrProtocol, tx.msspTransID)
	}
	h := cs.Hash.New()
	h.Write(cs.SignedAttrs)
	if err := signer.CheckSignature(cert.PublicKey, h.Sum(nil), cs.Hash, s); err != nil {
		return nil, fmt.Errorf("%w: the MSSP's CMS: %w [transaction %s]", ErrProtocol, err, tx.msspTransID)
	}
	out.Verified = true
	return out, nil
}
