//lint:file-ignore ST1005 the error strings are CSC error_description texts, worded as the CSC specification words them

// Package remotetest simulates remote-signing services on loopback for
// tests: a CSC API v2 service (info, auth/login, oauth2/token,
// credentials/list, credentials/info, credentials/authorize with
// authorizeCheck, signatures/signHash synchronous and asynchronous with
// signPolling) and an sp769 service (get_certificate, sign, the status
// poll and call-backs), both over the same users and keys.
//
// Keys come from signer/pkitest (any signer.Signer works). A scripted user
// confirms on the "phone" after a delay, declines, or lets the request
// expire; PINs are checked and lock after three wrong tries; SADs expire;
// credentials can be disabled; a rate limit answers 429. The simulator
// counts every call, so a test can assert that a batch took exactly one
// authorization and one signing request.
//
// # Entry points
//
// [New] (for tests; closed by t.Cleanup) or [Start] + [Server.Close], then
// [Server.AddUser], [Server.CSCURL] or [Server.SP769URL] for the clients,
// [Server.Calls] and [Server.Phone] for what happened:
//
//	srv := remotetest.New(t, remotetest.Config{})
//	srv.AddUser(remotetest.User{ID: "nguyenvana", Password: "pw", Credentials: []remotetest.Credential{
//		{ID: "cred-1", Key: id.Signer(), PIN: "123456", Script: []remotetest.Step{{Delay: time.Second}}},
//	}})
//	c, _ := remote.NewCSCClient(remote.CSCConfig{BaseURL: srv.CSCURL(), Username: "nguyenvana", Password: "pw"})
package remotetest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/signer"
)

// Outcome is what the simulated user does with a request on the phone.
type Outcome int

const (
	// Approve: the user confirms after Step.Delay.
	Approve Outcome = iota
	// Decline: the user refuses after Step.Delay.
	Decline
	// Expire: the user never answers; the service reports the request
	// expired after Step.Delay (or Config.ConfirmTimeout when zero).
	Expire
	// BadSignature: the user confirms but the service returns signatures
	// over other data — a broken service a client must refuse.
	BadSignature
)

// Step scripts one confirmation. The zero Step approves at once, without
// a phone round trip (the CSC authorize answers 200 with the SAD; sp769
// answers sign synchronously).
type Step struct {
	Outcome Outcome
	Delay   time.Duration
}

// Credential is one key of a user.
type Credential struct {
	// ID is the CSC credentialID (default "cred-N").
	ID string
	// Key is the key and certificate chain.
	Key signer.Signer
	// PIN, when set, must be sent as the "PIN" authentication object;
	// three wrong PINs in a row lock the credential.
	PIN string
	// Disabled makes the key disabled (credentials/info key/status, and
	// every authorization or signature refused).
	Disabled bool
	// Multisign is the most signatures one authorization allows (default
	// 1000).
	Multisign int
	// Script scripts successive confirmations; the last step repeats.
	Script []Step
}

// User is an account at the service: the CSC user (auth/login) and the
// sp769 user_id.
type User struct {
	ID          string
	Password    string
	Credentials []Credential
}

// Config configures the simulator. The zero value works.
type Config struct {
	// SPID and SPPassword are the sp769 service-provider credentials
	// (default "kyso-sp" / "kyso-sp-password").
	SPID, SPPassword string
	// ClientID and ClientSecret are the OAuth2 client-credentials client
	// (default "kyso-client" / "kyso-secret"); its token acts for the user
	// named by ClientUser.
	ClientID, ClientSecret, ClientUser string
	// SADLifetime is how long a SAD is valid (default 5 minutes).
	SADLifetime time.Duration
	// ConfirmTimeout is how long an Expire step waits when its Delay is
	// zero (default 2 minutes).
	ConfirmTimeout time.Duration
	// RateLimit, when positive, is the most requests per second; more get
	// HTTP 429 with Retry-After.
	RateLimit int
	// CallbackURL, when set, receives the sp769 result of every
	// transaction that waited for the user, as a POST of the status body.
	CallbackURL string
	// CallbackClient posts the call-backs (default http.DefaultClient).
	CallbackClient *http.Client
}

// Server is a running simulator.
type Server struct {
	cfg Config
	srv *httptest.Server

	mu       sync.Mutex
	users    map[string]*user
	tokens   map[string]string // access token → user ID
	sads     map[string]*sad
	pending  map[string]*pending // CSC handles and sp769 transactions
	async    map[string]*asyncResult
	calls    map[string]int
	phone    map[string][]string
	window   time.Time
	inWindow int
	seq      int
}

type user struct {
	User
	creds []*credential
}

type credential struct {
	Credential
	user      string
	wrongPINs int
	locked    bool
	steps     int
}

type sad struct {
	cred    *credential
	hashes  map[string]bool
	left    int
	expires time.Time
	bad     bool
}

type pending struct {
	cred    *credential
	step    Step
	start   time.Time
	n       int
	hashes  [][]byte // sp769: the digests
	ids     []string // sp769: the doc_ids
	txID    string
	hashSet map[string]bool
}

type asyncResult struct {
	polls int
	sigs  []string
}

// New starts a simulator that stops when the test ends.
func New(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a simulator on a loopback port; Close stops it.
func Start(cfg Config) (*Server, error) {
	if cfg.SPID == "" {
		cfg.SPID, cfg.SPPassword = "kyso-sp", "kyso-sp-password"
	}
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = "kyso-client", "kyso-secret"
	}
	if cfg.SADLifetime <= 0 {
		cfg.SADLifetime = 5 * time.Minute
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 2 * time.Minute
	}
	if cfg.CallbackClient == nil {
		cfg.CallbackClient = http.DefaultClient
	}
	s := &Server{
		cfg: cfg, users: map[string]*user{}, tokens: map[string]string{}, sads: map[string]*sad{},
		pending: map[string]*pending{}, async: map[string]*asyncResult{}, calls: map[string]int{}, phone: map[string][]string{},
	}
	s.srv = httptest.NewServer(s)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL returns the server's root URL.
func (s *Server) URL() string { return s.srv.URL }

// CSCURL returns the CSC API root (…/csc/v2).
func (s *Server) CSCURL() string { return s.srv.URL + "/csc/v2" }

// SP769URL returns the sp769 API root (…/sp769/v1).
func (s *Server) SP769URL() string { return s.srv.URL + "/sp769/v1" }

// SPID returns the sp769 sp_id and SPPassword its password.
func (s *Server) SPID() string       { return s.cfg.SPID }
func (s *Server) SPPassword() string { return s.cfg.SPPassword }

// AddUser adds an account.
func (s *Server) AddUser(u User) error {
	if u.ID == "" {
		return errors.New("remotetest: user without ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.users[u.ID]; dup {
		return fmt.Errorf("remotetest: user %q exists", u.ID)
	}
	uu := &user{User: u}
	for i, c := range u.Credentials {
		if c.Key == nil {
			return fmt.Errorf("remotetest: credential %d of %q has no key", i+1, u.ID)
		}
		if c.ID == "" {
			s.seq++
			c.ID = fmt.Sprintf("cred-%d", s.seq)
		}
		if c.Multisign <= 0 {
			c.Multisign = 1000
		}
		uu.creds = append(uu.creds, &credential{Credential: c, user: u.ID})
	}
	s.users[u.ID] = uu
	return nil
}

// SetDisabled disables or enables a credential.
func (s *Server) SetDisabled(credentialID string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		for _, c := range u.creds {
			if c.ID == credentialID {
				c.Disabled = disabled
			}
		}
	}
}

// Calls returns how many times a method was called, named as
// "csc/credentials/authorize", "csc/signatures/signHash", "sp769/sign",
// "sp769/status", "sp769/get_certificate", and so on.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// ResetCalls sets every call count to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
}

// Phone returns what the user's phone was asked to confirm, in order.
func (s *Server) Phone(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.phone[userID]...)
}

func (s *Server) newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// ServeHTTP routes both APIs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/csc/v2/"):
		s.serveCSC(w, r, strings.TrimPrefix(path, "/csc/v2/"), body)
	case strings.HasPrefix(path, "/sp769/v1/"):
		s.serveSP769(w, strings.TrimPrefix(path, "/sp769/v1/"), body)
	default:
		http.NotFound(w, r)
	}
}

// limited counts a request against the rate limit.
func (s *Server) limited() bool {
	if s.cfg.RateLimit <= 0 {
		return false
	}
	now := time.Now()
	if now.Sub(s.window) >= time.Second {
		s.window, s.inWindow = now, 0
	}
	s.inWindow++
	return s.inWindow > s.cfg.RateLimit
}

// nextStep returns the credential's next scripted confirmation.
func (c *credential) nextStep() Step {
	if len(c.Script) == 0 {
		return Step{}
	}
	i := min(c.steps, len(c.Script)-1)
	c.steps++
	return c.Script[i]
}

// state tells where a pending confirmation stands at now: "wait",
// "approved", "declined" or "expired".
func (s *Server) state(p *pending, now time.Time) string {
	switch p.step.Outcome {
	case Expire:
		d := p.step.Delay
		if d == 0 {
			d = s.cfg.ConfirmTimeout
		}
		if now.Sub(p.start) >= d {
			return "expired"
		}
		return "wait"
	case Decline:
		if now.Sub(p.start) >= p.step.Delay {
			return "declined"
		}
		return "wait"
	default:
		if now.Sub(p.start) >= p.step.Delay {
			return "approved"
		}
		return "wait"
	}
}

// signAll signs digests with the credential, or other data for a
// BadSignature step.
func signAll(c *credential, digests [][]byte, opts []crypto.SignerOpts, bad bool) ([]string, error) {
	out := make([]string, len(digests))
	for i, d := range digests {
		if bad {
			h := opts[i].HashFunc().New()
			h.Write([]byte("not the document"))
			d = h.Sum(nil)
		}
		sig, err := c.Key.SignDigest(context.Background(), d, opts[i])
		if err != nil {
			return nil, err
		}
		out[i] = base64.StdEncoding.EncodeToString(sig)
	}
	return out, nil
}

// hashByOID maps the hash OIDs the simulator accepts.
var hashByOID = map[string]crypto.Hash{
	"1.3.14.3.2.26":          crypto.SHA1,
	"2.16.840.1.101.3.4.2.1": crypto.SHA256,
	"2.16.840.1.101.3.4.2.2": crypto.SHA384,
	"2.16.840.1.101.3.4.2.3": crypto.SHA512,
}

var rsaSigHash = map[string]crypto.Hash{
	"1.2.840.113549.1.1.5": crypto.SHA1, "1.2.840.113549.1.1.11": crypto.SHA256,
	"1.2.840.113549.1.1.12": crypto.SHA384, "1.2.840.113549.1.1.13": crypto.SHA512,
}

var ecdsaSigHash = map[string]crypto.Hash{
	"1.2.840.10045.4.1": crypto.SHA1, "1.2.840.10045.4.3.2": crypto.SHA256,
	"1.2.840.10045.4.3.3": crypto.SHA384, "1.2.840.10045.4.3.4": crypto.SHA512,
}

// keyAlgos lists the signAlgo OIDs a key allows (credentials/info key/algo).
func keyAlgos(pub crypto.PublicKey) []string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return []string{"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.10"}
	case *ecdsa.PublicKey:
		return []string{"1.2.840.10045.2.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"}
	}
	return nil
}

// signOpts turns signAlgo, hashAlgorithmOID and signAlgoParams into the
// options to sign with.
func signOpts(pub crypto.PublicKey, algo, hashOID, params string) (crypto.SignerOpts, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		switch algo {
		case "1.2.840.113549.1.1.1":
			if h, ok := hashByOID[hashOID]; ok {
				return h, nil
			}
			return nil, errors.New("Missing (or invalid type) string parameter hashAlgorithmOID")
		case "1.2.840.113549.1.1.10":
			return pssOpts(params)
		}
		if h, ok := rsaSigHash[algo]; ok {
			return h, nil
		}
	case *ecdsa.PublicKey:
		if algo == "1.2.840.10045.2.1" {
			if h, ok := hashByOID[hashOID]; ok {
				return h, nil
			}
			return nil, errors.New("Missing (or invalid type) string parameter hashAlgorithmOID")
		}
		if h, ok := ecdsaSigHash[algo]; ok {
			return h, nil
		}
	}
	return nil, errors.New("Invalid parameter signAlgo")
}

func pssOpts(params string) (crypto.SignerOpts, error) {
	der, err := base64.StdEncoding.DecodeString(params)
	if err != nil || params == "" {
		return nil, errors.New("Missing (or invalid type) string parameter signAlgoParams")
	}
	var p struct {
		Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
		MGF  pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
		Salt int                      `asn1:"explicit,tag:2"`
	}
	if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) != 0 {
		return nil, errors.New("Invalid parameter signAlgoParams")
	}
	h, ok := hashByOID[p.Hash.Algorithm.String()]
	if !ok {
		return nil, errors.New("Invalid parameter signAlgoParams")
	}
	return &rsa.PSSOptions{Hash: h, SaltLength: p.Salt}, nil
}

func certsB64(s signer.Signer) []string {
	out := []string{base64.StdEncoding.EncodeToString(s.Certificate().Raw)}
	for _, c := range s.Chain() {
		out = append(out, base64.StdEncoding.EncodeToString(c.Raw))
	}
	return out
}

func serialHex(c *x509.Certificate) string { return strings.ToUpper(c.SerialNumber.Text(16)) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func keyLen(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	}
	return 0
}

func itoa(n int) string { return fmt.Sprint(n) }

// ExpireTokens invalidates every access token, as when they time out:
// clients must log in again.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]string{}
}
