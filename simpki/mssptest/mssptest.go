// Package mssptest runs an in-process MSSP (mobile signature service
// provider) on loopback that speaks ETSI TS 102 204 over SOAP 1.2 exactly as
// package simpki's client does, so applications can test SIM PKI signing
// without an operator.
//
// Each subscriber is a phone number with a SIM key (any signer.Signer, for
// example a signer/pkitest identity) and a script saying what the user does
// with each request: approve after a delay, cancel, let it expire, enter a
// wrong PIN until the PIN blocks, or hit an over-the-air error. Unknown
// numbers get UNKNOWN_CLIENT. Every request is recorded, together with what
// the phone displayed, so tests can assert what the user was shown.
//
// Config.Profile makes the simulator play one of simpki's MSSP profiles:
// it answers in that profile's SOAP form (document/literal or rpc/literal,
// SOAP 1.2 or 1.1), serves each operation at the profile's endpoint
// ([Server.URLFor]), writes the profile's status codes (the Government
// CA's 408/405/406 …), requires the DigestInfo form where the profile
// does, and answers MSS_Registration with the certificate where the
// profile looks certificates up that way. Config.CMSSignedAttributes makes
// CMS answers carry signed attributes, as Swisscom's do. Requests are read
// in every form whatever the profile.
//
// # Entry points
//
// [New] (for tests; closed by t.Cleanup) or [Start] + Close,
// then [Server.AddSubscriber], [Server.URL], [Server.Requests] and
// [Server.Phone].
package mssptest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/internal/wire"
)

// Outcome is what the simulated user does with a signature request.
type Outcome int

const (
	// Approve: the user enters the right PIN after Step.Delay; the SIM signs.
	Approve Outcome = iota
	// Cancel: the user presses Cancel after Step.Delay (401 USER_CANCEL).
	Cancel
	// Expire: the user never answers; after the request's TimeOut (or
	// Step.Delay when set) the MSSP reports 208 EXPIRED_TRANSACTION.
	Expire
	// WrongPIN: the user enters a wrong PIN Step.WrongPINs times (default
	// 3), each after Step.Delay. Below the SIM's limit of 3 the user then
	// enters the right PIN and the SIM signs; at 3 the PIN blocks: this and
	// every later request of the subscriber fail with 402 PIN_NR_BLOCKED.
	WrongPIN
	// OTAFailure: the MSSP cannot reach the SIM (209 OTA_ERROR).
	OTAFailure
	// CardBlocked: the SIM card is blocked (403 CARD_BLOCKED).
	CardBlocked
	// NoKey: the SIM has no signature key (404 NO_KEY_FOUND).
	NoKey
	// NoCert: the MSSP has no certificate for the key (422 NO_CERT_FOUND).
	NoCert
	// InternalError: the MSSP fails (900 INTERNAL_ERROR).
	InternalError
	// BadSignature: the SIM "signs" but the signature is over other data —
	// a broken MSSP, which a client must refuse.
	BadSignature
)

// PINTries is the number of wrong PINs after which a simulated SIM blocks.
const PINTries = 3

// Step scripts one request.
type Step struct {
	Outcome   Outcome       // what the user does
	Delay     time.Duration // how long the user takes (per PIN attempt)
	WrongPINs int           // for WrongPIN
}

// Subscriber is a phone number with its SIM.
type Subscriber struct {
	// MSISDN in any form simpki.NormalizeMSISDN accepts.
	MSISDN string
	// Key is the SIM's key and certificate chain.
	Key signer.Signer
	// Script scripts successive requests; the last step repeats. Empty
	// means approve at once.
	Script []Step
}

// Config configures the simulator. The zero value accepts AP_ID "kyso-ap"
// with any password over plain HTTP.
type Config struct {
	// APID and APPassword are the credentials the AP must present (empty
	// APID: "kyso-ap"; empty APPassword: not checked). Wrong ones get 104
	// UNAUTHORIZED_ACCESS.
	APID, APPassword string
	// MSSPID is the MSSP_ID URI (default DefaultMSSPID).
	MSSPID string
	// NetworkDelay delays every HTTP answer: a slow network.
	NetworkDelay time.Duration
	// APCertificate, when set, makes the simulator require every request
	// to be signed by this certificate's key (mss:MSS_MessageSignature).
	APCertificate *x509.Certificate
	// TLS serves HTTPS; with ClientCAs, the AP must present a client
	// certificate issued by one of them.
	TLS       bool
	ClientCAs *x509.CertPool
	// NoProfileQuery makes MSS_ProfileQuery fail with 101 WRONG_PARAM, as
	// at MSSPs without the certificate query extension.
	NoProfileQuery bool
	// StatusErrors reports failed transactions to MSS_StatusReq as a status
	// code in an MSS_StatusResp instead of a SOAP fault.
	StatusErrors bool
	// ECDSAPlain returns ECDSA signatures in the PKCS1 format as r‖s
	// instead of ASN.1 DER.
	ECDSAPlain bool
	// DefaultTimeOut applies to requests without a TimeOut (default 80 s).
	DefaultTimeOut time.Duration
	// NotificationClient posts asynchServerServer notifications to the
	// AP_URL (default: http.DefaultClient).
	NotificationClient *http.Client
	// Profile is the MSSP dialect the simulator plays (nil:
	// [simpki.ProfileETSI]). Its MSSPID is the default MSSP_ID.
	Profile *simpki.Profile
	// CMSSignedAttributes answers CMS formats with a CMS whose signature
	// covers signed attributes (content-type, message-digest,
	// signing-certificate-v2), as Swisscom's MSSP does, instead of one
	// whose signature is over the bare digest.
	CMSSignedAttributes bool
}

// DefaultMSSPID is the simulator's MSSP_ID.
const DefaultMSSPID = "http://mssp.kyso.test/"

// Request is one request as the simulator received it.
type Request struct {
	Time                             time.Time // when it arrived
	Operation                        string    // MSS_SignatureReq, MSS_StatusReq, MSS_ReceiptReq, MSS_ProfileReq
	APID                             string    // AP_Info AP_ID
	APTransID                        string    // AP_Info AP_TransID
	MSSPTransID                      string    // assigned or referenced transaction
	MSISDN                           string    // as sent
	MessagingMode                    string    // synch, asynchClientServer or asynchServerServer
	MimeType                         string    // of DataToBeSigned
	DataToBeSigned                   []byte    // the digest to sign (of a DigestInfo: the digest in it)
	Display                          string    // DataToBeDisplayed
	DisplayMimeType, DisplayEncoding string    // attributes of DataToBeDisplayed
	SignatureProfile                 string    // the requested signature profile URI
	MSSFormat                        string    // the requested signature format URI
	DigestInfo                       bool      // DataToBeSigned was a DER DigestInfo
	RPC, SOAP11                      bool      // the SOAP form of the request
	Path                             string    // the URL path it was posted to
	TimeOut                          int       // the request's TimeOut in seconds (0: none)
	APURL                            string    // AP_URL for notifications
	ReceiptStatus                    int       // MSS_ReceiptReq: the status code sent
	ReceiptMessage                   string    // MSS_ReceiptReq: the message sent
	// Signed reports a valid AP request signature.
	Signed bool
	// Body is the SOAP message as received.
	Body []byte
}

// State is a transaction's state.
type State string

// Transaction states.
const (
	Outstanding   State = "OUTSTANDING"
	Signed        State = "SIGNED"
	Failed        State = "FAILED"
	CancelledByAP State = "CANCELLED_BY_AP"
)

// Transaction is the simulator's view of one signature transaction.
type Transaction struct {
	MSSPTransID string            // the id the simulator assigned
	MSISDN      string            // normalised
	State       State             // where the transaction stands
	Code        simpki.StatusCode // final status or fault code
}

// Server is a running simulator.
type Server struct {
	cfg  Config
	srv  *httptest.Server
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu       sync.Mutex
	subs     map[string]*subscriber
	txs      map[string]*transaction
	apTrans  map[string]bool
	requests []Request
	phone    map[string][]string
	seq      int
}

type subscriber struct {
	Subscriber
	msisdn     string
	next       int
	pinBlocked bool
}

type transaction struct {
	id     string
	sub    *subscriber
	req    *wire.SignatureReq
	hash   crypto.Hash
	digest []byte
	done   chan struct{}
	cancel chan struct{}
	state  State
	code   simpki.StatusCode
	sig    *wire.Signature
}

// New starts a simulator for a test and closes it when the test ends.
func New(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := Start(cfg)
	if err != nil {
		tb.Fatalf("mssptest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a simulator; Close stops it.
func Start(cfg Config) (*Server, error) {
	if cfg.APID == "" {
		cfg.APID = "kyso-ap"
	}
	if cfg.Profile == nil {
		cfg.Profile = simpki.ProfileETSI()
	}
	if cfg.MSSPID == "" {
		cfg.MSSPID = cfg.Profile.MSSPID
	}
	if cfg.MSSPID == "" {
		cfg.MSSPID = DefaultMSSPID
	}
	if cfg.DefaultTimeOut <= 0 {
		cfg.DefaultTimeOut = 80 * time.Second
	}
	if cfg.ClientCAs != nil && !cfg.TLS {
		return nil, errors.New("mssptest: ClientCAs needs TLS")
	}
	s := &Server{
		cfg: cfg, subs: map[string]*subscriber{}, txs: map[string]*transaction{},
		apTrans: map[string]bool{}, phone: map[string][]string{},
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if cfg.TLS {
		if cfg.ClientCAs != nil {
			s.srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: cfg.ClientCAs}
		}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	return s, nil
}

// Close stops the simulator and every transaction still running.
func (s *Server) Close() {
	s.stop()
	s.srv.Close()
	s.wg.Wait()
}

// URL is the SOAP endpoint of MSS_Signature, and of every operation
// unless the profile serves them separately (URLFor).
func (s *Server) URL() string { return s.URLFor(simpki.OpSignature) }

// URLFor is the endpoint of operation op.
func (s *Server) URLFor(op simpki.Operation) string {
	if name, ok := s.cfg.Profile.Endpoints[op]; ok {
		return s.srv.URL + "/soap/services/" + name
	}
	if name, ok := s.cfg.Profile.Endpoints[simpki.OpSignature]; ok {
		return s.srv.URL + "/soap/services/" + name
	}
	return s.srv.URL + "/soap/services/MSS"
}

// Profile returns the profile the simulator plays.
func (s *Server) Profile() *simpki.Profile { return s.cfg.Profile }

func (s *Server) dialect() wire.Dialect {
	p := s.cfg.Profile
	return wire.Dialect{SOAP11: p.SOAP11, RPC: p.RPC, WrapperNS: p.WrapperNS}
}

// status is a Status element with the profile's code for c.
func (s *Server) status(c simpki.StatusCode) wire.Status {
	return wire.Status{Code: s.cfg.Profile.Code(c), Message: c.String()}
}

// ownCode reports whether the profile writes c with a code of its own,
// which it then reports as a Status rather than a SOAP fault.
func (s *Server) ownCode(c simpki.StatusCode) bool { return s.cfg.Profile.Code(c) != int(c) }

// APID returns the AP_ID the simulator accepts.
func (s *Server) APID() string { return s.cfg.APID }

// MSSPID returns the simulator's MSSP_ID.
func (s *Server) MSSPID() string { return s.cfg.MSSPID }

// Certificate returns the TLS server certificate (nil without TLS), for
// the AP's RootCAs.
func (s *Server) Certificate() *x509.Certificate {
	if !s.cfg.TLS {
		return nil
	}
	return s.srv.Certificate()
}

// AddSubscriber registers a phone number. Registering a number again
// replaces its SIM and script and unblocks its PIN.
func (s *Server) AddSubscriber(sub Subscriber) error {
	n, err := simpki.NormalizeMSISDN(sub.MSISDN)
	if err != nil {
		return fmt.Errorf("mssptest: %w", err)
	}
	if sub.Key == nil || sub.Key.Certificate() == nil {
		return fmt.Errorf("mssptest: subscriber %s: %w", n, signer.ErrNoKey)
	}
	s.mu.Lock()
	s.subs[n] = &subscriber{Subscriber: sub, msisdn: n}
	s.mu.Unlock()
	return nil
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Phone returns, in order, every text the phone of msisdn displayed:
// signature prompts (DataToBeDisplayed) and receipt messages.
func (s *Server) Phone(msisdn string) []string {
	n, err := simpki.NormalizeMSISDN(msisdn)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.phone[n]...)
}

// Transactions returns every signature transaction, in order of creation.
func (s *Server) Transactions() []Transaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Transaction, 0, len(s.txs))
	for i := 1; i <= s.seq; i++ {
		if tx, ok := s.txs[txID(i)]; ok {
			out = append(out, Transaction{MSSPTransID: tx.id, MSISDN: tx.sub.msisdn, State: tx.state, Code: tx.code})
		}
	}
	return out
}

func txID(n int) string { return fmt.Sprintf("mssp%06d", n) }

// --- HTTP ---

type faultErr struct {
	code   simpki.StatusCode
	sender bool
	detail string
}

func (f *faultErr) Error() string { return fmt.Sprintf("%d %s: %s", int(f.code), f.code, f.detail) }

func fault(code simpki.StatusCode, detail string) error {
	sender := code < 200 || code == 401 || code == 402 || code == 403 || code == 404 || code == 422
	return &faultErr{code: code, sender: sender, detail: detail}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.cfg.NetworkDelay > 0 {
		select {
		case <-time.After(s.cfg.NetworkDelay):
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		}
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST a SOAP 1.2 envelope", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxMessageSize+1))
	if err != nil {
		return
	}
	resp, err := s.handle(r.Context(), r.URL.Path, body)
	d := s.dialect()
	if err != nil {
		var fe *faultErr
		if !errors.As(err, &fe) {
			fe = &faultErr{code: simpki.InternalError, detail: err.Error()}
		}
		code := "Receiver"
		if fe.sender {
			code = "Sender"
		}
		out, _ := d.Encode(&wire.Fault{Code: code, Subcode: int(fe.code), Reason: fe.code.String(), Detail: fe.detail})
		w.Header().Set("Content-Type", d.ContentType())
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(out)
		return
	}
	out, err := d.Encode(resp)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", d.ContentType())
	_, _ = w.Write(out)
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

func (s *Server) header(h wire.Header) wire.Header {
	return wire.Header{
		MajorVersion: 1, MinorVersion: 1,
		APID: h.APID, APTransID: h.APTransID, APPWD: h.APPWD, Instant: h.Instant,
		MSSPID: s.cfg.MSSPID, MSSPInstant: time.Now(),
	}
}

func (s *Server) handle(ctx context.Context, urlPath string, body []byte) (wire.Message, error) {
	env, err := wire.Decode(body)
	if err != nil {
		return nil, fault(simpki.WrongParam, err.Error())
	}
	rec := Request{Time: time.Now(), Body: body, Path: urlPath, RPC: env.Dialect.RPC, SOAP11: env.Dialect.SOAP11}
	var h *wire.Header
	var op simpki.Operation
	switch m := env.Message.(type) {
	case *wire.SignatureReq:
		h, op = &m.Header, simpki.OpSignature
	case *wire.StatusReq:
		h, op = &m.Header, simpki.OpStatus
	case *wire.ReceiptReq:
		h, op = &m.Header, simpki.OpReceipt
	case *wire.ProfileReq:
		h, op = &m.Header, simpki.OpProfileQuery
	case *wire.RegistrationReq:
		h, op = &m.Header, simpki.OpRegistration
	default:
		return nil, fault(simpki.WrongParam, fmt.Sprintf("unexpected message %T", env.Message))
	}
	_, rec.Operation = wire.Operation(env.Message)
	if want := s.URLFor(op); !strings.HasSuffix(want, urlPath) || urlPath == "" {
		s.record(rec)
		return nil, fault(simpki.WrongParam, fmt.Sprintf("%s is served at %s, not %s", op, want, urlPath))
	}
	rec.APID, rec.APTransID = h.APID, h.APTransID
	if s.cfg.APCertificate != nil {
		cert, err := wire.VerifyMessage(env)
		if err == nil && !cert.Equal(s.cfg.APCertificate) {
			err = errors.New("request signed by another certificate than the AP's")
		}
		if err != nil {
			s.record(rec)
			return nil, fault(simpki.UnauthorizedAccess, err.Error())
		}
		rec.Signed = true
	} else if env.Header != nil {
		if _, err := wire.VerifyMessage(env); err == nil {
			rec.Signed = true
		}
	}
	if h.APID != s.cfg.APID || (s.cfg.APPassword != "" && h.APPWD != s.cfg.APPassword) {
		s.record(rec)
		return nil, fault(simpki.UnauthorizedAccess, "unknown AP or wrong AP_PWD")
	}
	if h.MSSPID != "" && h.MSSPID != s.cfg.MSSPID {
		s.record(rec)
		return nil, fault(simpki.WrongParam, "MSSP_ID "+h.MSSPID+" is not this MSSP")
	}
	if h.APTransID == "" {
		s.record(rec)
		return nil, fault(simpki.MissingParam, "AP_TransID missing")
	}
	s.mu.Lock()
	dup := s.apTrans[h.APID+"\x00"+h.APTransID]
	s.apTrans[h.APID+"\x00"+h.APTransID] = true
	s.mu.Unlock()
	if dup {
		s.record(rec)
		return nil, fault(simpki.WrongParam, "AP_TransID "+h.APTransID+" was already used")
	}
	switch m := env.Message.(type) {
	case *wire.SignatureReq:
		return s.signature(ctx, m, rec)
	case *wire.StatusReq:
		rec.MSSPTransID, rec.MSISDN = m.MSSPTransID, m.MSISDN
		s.record(rec)
		return s.statusQuery(m)
	case *wire.ReceiptReq:
		rec.MSSPTransID, rec.MSISDN = m.MSSPTransID, m.MSISDN
		if m.Status != nil {
			rec.ReceiptStatus = m.Status.Code
		}
		if m.Message != nil {
			rec.ReceiptMessage = m.Message.Value
		}
		s.record(rec)
		return s.receipt(m)
	case *wire.ProfileReq:
		rec.MSISDN = m.MSISDN
		s.record(rec)
		return s.profile(m)
	case *wire.RegistrationReq:
		rec.MSISDN = m.MSISDN
		s.record(rec)
		return s.registration(m)
	}
	return nil, fault(simpki.InternalError, "unreachable")
}

var hashByMime = map[string]crypto.Hash{
	"application/x-sha1":   crypto.SHA1,
	"application/x-sha256": crypto.SHA256,
	"application/x-sha384": crypto.SHA384,
	"application/x-sha512": crypto.SHA512,
}

func (s *Server) signature(ctx context.Context, m *wire.SignatureReq, rec Request) (wire.Message, error) {
	rec.MSISDN, rec.MessagingMode, rec.MimeType = m.MSISDN, m.MessagingMode, m.DataToBeSigned.MimeType
	rec.SignatureProfile, rec.MSSFormat, rec.TimeOut, rec.APURL = m.SignatureProfile, m.MSSFormat, m.TimeOut, m.APURL
	if m.DataToBeDisplayed != nil {
		rec.Display, rec.DisplayMimeType, rec.DisplayEncoding = m.DataToBeDisplayed.Value, m.DataToBeDisplayed.MimeType, m.DataToBeDisplayed.Encoding
	}
	dtbs, derr := wire.DecodeBase64(m.DataToBeSigned.Value)
	rec.DataToBeSigned = dtbs
	s.mu.Lock()
	s.seq++
	id := txID(s.seq)
	s.mu.Unlock()
	rec.MSSPTransID = id
	s.record(rec)

	n, err := simpki.NormalizeMSISDN(m.MSISDN)
	if err != nil {
		return nil, fault(simpki.WrongParam, "illegal msisdn")
	}
	if !strings.EqualFold(m.DataToBeSigned.Encoding, "base64") || derr != nil {
		return nil, fault(simpki.WrongParam, "DataToBeSigned must be base64")
	}
	prof := s.cfg.Profile
	diMime := prof.DigestInfoMimeType
	if diMime == "" {
		diMime = "application/octet-stream"
	}
	h, ok := hashByMime[m.DataToBeSigned.MimeType]
	switch {
	case ok && prof.DigestInfo:
		return nil, fault(simpki.WrongParam, "this MSSP signs a DER DigestInfo sent as "+diMime+", not a bare digest")
	case ok:
		if len(dtbs) != h.Size() {
			return nil, fault(simpki.WrongDataLength, fmt.Sprintf("%d bytes for %s", len(dtbs), m.DataToBeSigned.MimeType))
		}
	case m.DataToBeSigned.MimeType == diMime:
		var err error
		if h, dtbs, err = simpki.ParseDigestInfo(dtbs); err != nil {
			return nil, fault(simpki.WrongDataLength, "DataToBeSigned is not a DER DigestInfo of SHA-1/SHA-2")
		}
		rec.DigestInfo = true
	default:
		return nil, fault(simpki.WrongParam, "DataToBeSigned must be a base64 SHA-1/SHA-2 digest or a DigestInfo as "+diMime)
	}
	s.mu.Lock()
	for i := len(s.requests) - 1; i >= 0; i-- {
		if s.requests[i].MSSPTransID == id {
			s.requests[i].DigestInfo, s.requests[i].DataToBeSigned = rec.DigestInfo, dtbs
			break
		}
	}
	s.mu.Unlock()
	switch simpki.Format(m.MSSFormat) {
	case "", simpki.FormatPKCS1, simpki.FormatETSIPKCS1, simpki.FormatCMS, simpki.FormatPKCS7:
	default:
		return nil, fault(simpki.WrongParam, "unsupported MSS_Format "+m.MSSFormat)
	}
	if m.MessagingMode == "asynchServerServer" && m.APURL == "" {
		return nil, fault(simpki.MissingParam, "asynchServerServer needs AP_URL")
	}
	s.mu.Lock()
	sub := s.subs[n]
	s.mu.Unlock()
	if sub == nil {
		return nil, fault(simpki.UnknownClient, "no mobile signature for "+n)
	}
	if _, isEC := sub.Key.Certificate().PublicKey.(*ecdsa.PublicKey); isEC && rec.DigestInfo {
		return nil, fault(simpki.InappropriateData, "an ECDSA SIM key signs a digest, not a DigestInfo")
	}
	tx := &transaction{
		id: id, sub: sub, req: m, hash: h, digest: dtbs,
		done: make(chan struct{}), cancel: make(chan struct{}), state: Outstanding,
	}
	s.mu.Lock()
	s.txs[id] = tx
	if m.DataToBeDisplayed != nil {
		s.phone[n] = append(s.phone[n], m.DataToBeDisplayed.Value)
	}
	step := Step{}
	if len(sub.Script) > 0 {
		i := sub.next
		if i >= len(sub.Script) {
			i = len(sub.Script) - 1
		}
		step = sub.Script[i]
		sub.next++
	}
	s.mu.Unlock()
	s.wg.Add(1)
	go s.run(tx, step)

	if m.MessagingMode != "synch" {
		return &wire.SignatureResp{
			Header: s.header(m.Header), MSSPTransID: id, MSISDN: m.MSISDN,
			SignatureProfile: m.SignatureProfile,
			Status:           s.status(simpki.RequestOK),
		}, nil
	}
	select {
	case <-tx.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		return nil, fault(simpki.InternalError, "MSSP shutting down")
	}
	s.mu.Lock()
	state, code, sig := tx.state, tx.code, tx.sig
	s.mu.Unlock()
	if state != Signed {
		if s.ownCode(code) {
			return &wire.SignatureResp{
				Header: s.header(m.Header), MSSPTransID: id, MSISDN: m.MSISDN,
				SignatureProfile: m.SignatureProfile, Status: s.status(code),
			}, nil
		}
		return nil, fault(code, "transaction "+id)
	}
	return &wire.SignatureResp{
		Header: s.header(m.Header), MSSPTransID: id, MSISDN: m.MSISDN, Signature: sig,
		SignatureProfile: m.SignatureProfile,
		Status:           s.status(simpki.Signature),
	}, nil
}

// run plays the user's part of tx.
func (s *Server) run(tx *transaction, step Step) {
	defer s.wg.Done()
	wait := func(d time.Duration) bool {
		if d <= 0 {
			select {
			case <-tx.cancel:
				return false
			case <-s.ctx.Done():
				return false
			default:
				return true
			}
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-tx.cancel:
			return false
		case <-s.ctx.Done():
			return false
		}
	}
	finish := func(code simpki.StatusCode, sig *wire.Signature) {
		s.mu.Lock()
		if tx.state == Outstanding {
			if code == simpki.Signature {
				tx.state, tx.sig = Signed, sig
			} else {
				tx.state = Failed
			}
			tx.code = code
		}
		s.mu.Unlock()
		close(tx.done)
		s.notify(tx)
	}
	s.mu.Lock()
	blocked := tx.sub.pinBlocked
	s.mu.Unlock()
	if blocked {
		finish(simpki.PINNRBlocked, nil)
		return
	}
	switch step.Outcome {
	case Approve, BadSignature:
		if !wait(step.Delay) {
			finish(s.abandonedCode(tx), nil)
			return
		}
	case Cancel:
		if wait(step.Delay) {
			finish(simpki.UserCancel, nil)
		} else {
			finish(s.abandonedCode(tx), nil)
		}
		return
	case Expire:
		d := step.Delay
		if d <= 0 {
			d = s.cfg.DefaultTimeOut
			if tx.req.TimeOut > 0 {
				d = time.Duration(tx.req.TimeOut) * time.Second
			}
		}
		if wait(d) {
			finish(simpki.ExpiredTransaction, nil)
		} else {
			finish(s.abandonedCode(tx), nil)
		}
		return
	case WrongPIN:
		n := step.WrongPINs
		if n <= 0 {
			n = PINTries
		}
		for i := 0; i < n && i < PINTries; i++ {
			if !wait(step.Delay) {
				finish(s.abandonedCode(tx), nil)
				return
			}
		}
		if n >= PINTries {
			s.mu.Lock()
			tx.sub.pinBlocked = true
			s.mu.Unlock()
			finish(simpki.PINNRBlocked, nil)
			return
		}
		if !wait(step.Delay) {
			finish(s.abandonedCode(tx), nil)
			return
		}
	case OTAFailure, CardBlocked, NoKey, NoCert, InternalError:
		if !wait(step.Delay) {
			finish(s.abandonedCode(tx), nil)
			return
		}
		finish(map[Outcome]simpki.StatusCode{
			OTAFailure: simpki.OTAError, CardBlocked: simpki.CardBlocked, NoKey: simpki.NoKeyFound,
			NoCert: simpki.NoCertFound, InternalError: simpki.InternalError,
		}[step.Outcome], nil)
		return
	}
	sig, err := s.sign(tx, step.Outcome == BadSignature)
	if err != nil {
		finish(simpki.InternalError, nil)
		return
	}
	finish(simpki.Signature, sig)
}

func (s *Server) abandonedCode(tx *transaction) simpki.StatusCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tx.state == CancelledByAP {
		return simpki.UserCancel
	}
	return simpki.InternalError
}

// sign makes the SIM's signature in the requested format.
func (s *Server) sign(tx *transaction, bad bool) (*wire.Signature, error) {
	key := tx.sub.Key
	digest := tx.digest
	if bad {
		h := tx.hash.New()
		h.Write([]byte("not what the AP asked for"))
		digest = h.Sum(nil)
	}
	cert := key.Certificate()
	if simpki.Format(tx.req.MSSFormat).IsCMS() && s.cfg.CMSSignedAttributes {
		der, err := cms.Sign(s.ctx, key, digest, cms.Options{Hash: tx.hash})
		if err != nil {
			return nil, err
		}
		return &wire.Signature{Base64: der}, nil
	}
	raw, err := key.SignDigest(s.ctx, digest, tx.hash)
	if err != nil {
		return nil, err
	}
	if simpki.Format(tx.req.MSSFormat) == simpki.FormatETSIPKCS1 {
		return &wire.Signature{Base64: raw}, nil
	}
	if simpki.Format(tx.req.MSSFormat).IsCMS() {
		var alg asn1.ObjectIdentifier
		switch cert.PublicKey.(type) {
		case *rsa.PublicKey:
			alg = wire.OIDRSA
		case *ecdsa.PublicKey:
			alg = wire.ECDSASignatureOID(tx.hash)
		default:
			return nil, fmt.Errorf("key type %T", cert.PublicKey)
		}
		der, err := wire.BuildCMS(tx.hash, alg, raw, cert, key.Chain()...)
		if err != nil {
			return nil, err
		}
		return &wire.Signature{Base64: der}, nil
	}
	if k, ok := cert.PublicKey.(*ecdsa.PublicKey); ok && s.cfg.ECDSAPlain {
		var v struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		plain := make([]byte, 2*size)
		v.R.FillBytes(plain[:size])
		v.S.FillBytes(plain[size:])
		raw = plain
	}
	return &wire.Signature{PKCS1: raw, PKCS1Certificate: cert.Raw}, nil
}

// notify delivers the result of an asynchServerServer transaction.
func (s *Server) notify(tx *transaction) {
	if tx.req.MessagingMode != "asynchServerServer" {
		return
	}
	s.mu.Lock()
	st := wire.StatusResp{
		Header: s.header(tx.req.Header), MSSPTransID: tx.id, MSISDN: tx.req.MSISDN,
		Signature: tx.sig, Status: s.status(tx.code),
	}
	s.mu.Unlock()
	d := s.dialect()
	body, err := d.Encode(&wire.Notification{StatusResp: st})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tx.req.APURL, strings.NewReader(string(body)))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", d.ContentType())
	hc := s.cfg.NotificationClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func (s *Server) statusQuery(m *wire.StatusReq) (wire.Message, error) {
	s.mu.Lock()
	tx := s.txs[m.MSSPTransID]
	var state State
	var code simpki.StatusCode
	var sig *wire.Signature
	if tx != nil {
		state, code, sig = tx.state, tx.code, tx.sig
	}
	s.mu.Unlock()
	if tx == nil {
		return nil, fault(simpki.WrongParam, "unknown MSSP_TransID "+m.MSSPTransID)
	}
	resp := &wire.StatusResp{Header: s.header(m.Header), MSISDN: tx.req.MSISDN}
	switch state {
	case Outstanding:
		resp.Status = s.status(simpki.OutstandingTransaction)
	case Signed:
		resp.Signature = sig
		resp.Status = s.status(simpki.Signature)
	default:
		if !s.cfg.StatusErrors && !s.ownCode(code) {
			return nil, fault(code, "transaction "+tx.id)
		}
		resp.Status = s.status(code)
	}
	return resp, nil
}

func (s *Server) receipt(m *wire.ReceiptReq) (wire.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.txs[m.MSSPTransID]
	if tx == nil {
		return nil, fault(simpki.WrongParam, "unknown MSSP_TransID "+m.MSSPTransID)
	}
	if m.Message != nil && m.Message.Value != "" {
		s.phone[tx.sub.msisdn] = append(s.phone[tx.sub.msisdn], m.Message.Value)
	}
	if m.Status != nil && s.cfg.Profile.Canonical(m.Status.Code) == simpki.UserCancel && tx.state == Outstanding {
		tx.state = CancelledByAP
		tx.code = simpki.UserCancel
		close(tx.cancel)
	}
	return &wire.ReceiptResp{Header: s.header(m.Header), Status: s.status(simpki.RequestOK)}, nil
}

// lookup finds the subscriber of a request's MSISDN, or returns the MSS
// fault to answer with.
func (s *Server) lookup(msisdn string) (*subscriber, error) {
	n, err := simpki.NormalizeMSISDN(msisdn)
	if err != nil {
		return nil, fault(simpki.WrongParam, "illegal msisdn")
	}
	s.mu.Lock()
	sub := s.subs[n]
	s.mu.Unlock()
	if sub == nil {
		return nil, fault(simpki.UnknownClient, "no mobile signature for "+n)
	}
	return sub, nil
}

// registration answers MSS_Registration with the subscriber's certificate
// and its issuers, where the profile looks certificates up that way.
func (s *Server) registration(m *wire.RegistrationReq) (wire.Message, error) {
	if s.cfg.Profile.Lookup != simpki.LookupRegistration {
		return nil, fault(simpki.WrongParam, "MSS_Registration is not offered")
	}
	sub, err := s.lookup(m.MSISDN)
	if err != nil {
		return nil, err
	}
	certs := [][]byte{sub.Key.Certificate().Raw}
	for _, c := range sub.Key.Chain() {
		certs = append(certs, c.Raw)
	}
	return &wire.RegistrationResp{Header: s.header(m.Header), MSISDN: m.MSISDN, Status: s.status(simpki.Signature), Certificates: certs}, nil
}

func (s *Server) profile(m *wire.ProfileReq) (wire.Message, error) {
	if s.cfg.NoProfileQuery {
		return nil, fault(simpki.WrongParam, "MSS_ProfileQuery is not offered")
	}
	sub, err := s.lookup(m.MSISDN)
	if err != nil {
		return nil, err
	}
	resp := &wire.ProfileResp{
		Header:            s.header(m.Header),
		SignatureProfiles: []string{s.cfg.MSSPID + "profiles/sign"},
		Status:            s.status(simpki.RequestOK),
	}
	if strings.Contains(" "+m.Params+" ", " certs ") {
		cert := sub.Key.Certificate()
		uc := wire.UserCertificate{State: "ACTIVE", Algorithm: "RSA", Chain: [][]byte{cert.Raw}}
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
			uc.Algorithm = "EC"
		}
		for _, c := range sub.Key.Chain() {
			uc.Chain = append(uc.Chain, c.Raw)
		}
		resp.Certificates = []wire.UserCertificate{uc}
	}
	return resp, nil
}
