package simpki

import (
	"io"
	"net/http"
	"sync"

	"github.com/kyso-vn/kyso/simpki/internal/wire"
)

// NotificationHandler receives the MSSP's MSS_Notification callbacks in
// AsynchServerServer mode. Mount it at the path of Config.NotificationURL;
// one handler may serve many Clients. It accepts a notification only for a
// transaction a Client is waiting for (matched by the AP_TransID, a random
// 96-bit value, and the MSSP_TransID), and answers anything else with a
// SOAP fault.
//
// Its only authentication is that secrecy: whoever learns a waiting
// transaction's AP_TransID (it travels between the AP and the MSSP only)
// can post to it. A signature in a notification is still checked against
// the subscriber's certificate like any other, so a forged notification
// can at most end the wait with an error. Where the network between the
// MSSP and the AP is not trusted, serve the handler over TLS and admit
// only the MSSP (client certificate or address).
type NotificationHandler struct {
	mu      sync.Mutex
	pending map[string]*pending
}

type pending struct {
	mu          sync.Mutex
	msspTransID string
	ch          chan *wire.StatusResp
}

func (p *pending) setMSSPTransID(id string) {
	p.mu.Lock()
	p.msspTransID = id
	p.mu.Unlock()
}

// NewNotificationHandler returns an empty handler.
func NewNotificationHandler() *NotificationHandler {
	return &NotificationHandler{pending: map[string]*pending{}}
}

// pendingQueue is how many notifications a transaction keeps while its
// MSSP_TransID is not known yet (the client sorts them out then); later
// ones are dropped.
const pendingQueue = 4

func (h *NotificationHandler) expect(apTransID string) *pending {
	p := &pending{ch: make(chan *wire.StatusResp, pendingQueue)}
	h.mu.Lock()
	h.pending[apTransID] = p
	h.mu.Unlock()
	return p
}

func (h *NotificationHandler) forget(apTransID string) {
	h.mu.Lock()
	delete(h.pending, apTransID)
	h.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (h *NotificationHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an MSS_Notification", http.StatusMethodNotAllowed)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxMessageSize+1))
	if err != nil {
		writeFault(w, "Sender", int(WrongParam), "WRONG_PARAM", "cannot read the request")
		return
	}
	env, err := wire.Decode(data)
	if err != nil {
		writeFault(w, "Sender", int(WrongParam), "WRONG_PARAM", err.Error())
		return
	}
	n, ok := env.Message.(*wire.Notification)
	if !ok {
		writeFault(w, "Sender", int(WrongParam), "WRONG_PARAM", "not an MSS_Notification")
		return
	}
	h.mu.Lock()
	p := h.pending[n.APTransID]
	h.mu.Unlock()
	if p == nil {
		writeFault(w, "Sender", int(WrongParam), "WRONG_PARAM", "no transaction waits for this notification")
		return
	}
	p.mu.Lock()
	known := p.msspTransID
	p.mu.Unlock()
	if known != "" && known != n.MSSPTransID {
		writeFault(w, "Sender", int(WrongParam), "WRONG_PARAM", "MSSP_TransID does not match the transaction")
		return
	}
	select {
	case p.ch <- &n.StatusResp:
	default: // a duplicate; the first ones count
	}
	// Acknowledge in the form the MSSP wrote (SOAP 1.1 or 1.2, rpc or
	// document/literal).
	body, err := env.Dialect.Encode(&wire.NotificationResp{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", env.Dialect.ContentType())
	_, _ = w.Write(body)
}

func writeFault(w http.ResponseWriter, code string, sub int, reason, detail string) {
	body, err := wire.Encode(&wire.Fault{Code: code, Subcode: sub, Reason: reason, Detail: detail})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", wire.ContentType)
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}
