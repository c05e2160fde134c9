package remotetest

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The simulator's sp769 answers. status_code 200 with the wait message is
// what SmartCA clients expect while the user has not confirmed; the error
// codes and messages are the simulator's own (the public sources do not
// establish the real ones), chosen so that their meaning is plain.
const (
	waitMessage     = "sig_wait_for_user_confirm"
	rejectedMessage = "sig_user_rejected"
	expiredMessage  = "sig_transaction_expired"
)

type sp769Resp struct {
	StatusCode int    `json:"status_code"`
	Message    string `json:"message"`
	Data       any    `json:"data"`
}

func spReply(w http.ResponseWriter, code int, msg string, data any) {
	writeJSON(w, http.StatusOK, sp769Resp{StatusCode: code, Message: msg, Data: data})
}

var hashBySize = map[int]crypto.Hash{20: crypto.SHA1, 32: crypto.SHA256, 48: crypto.SHA384, 64: crypto.SHA512}

func (s *Server) serveSP769(w http.ResponseWriter, method string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := method
	if strings.HasPrefix(method, "signatures/sign/") && strings.HasSuffix(method, "/status") {
		name = "status"
	}
	name = strings.TrimPrefix(strings.TrimPrefix(name, "credentials/"), "signatures/")
	s.calls["sp769/"+name]++
	if s.limited() {
		w.Header().Set("Retry-After", "1")
		spReply(w, 429, "too many requests", nil)
		return
	}
	var in struct {
		SPID          string `json:"sp_id"`
		SPPassword    string `json:"sp_password"`
		UserID        string `json:"user_id"`
		TransactionID string `json:"transaction_id"`
		SerialNumber  string `json:"serial_number"`
		Desc          string `json:"transaction_desc"`
		SignFiles     []struct {
			DocID          string `json:"doc_id"`
			FileType       string `json:"file_type"`
			SignType       string `json:"sign_type"`
			DataToBeSigned string `json:"data_to_be_signed"`
			FileOptions    *struct {
				FileType string `json:"file_type"`
				SignType string `json:"sign_type"`
			} `json:"file_options"` // NEAC's shape in methics/laverca
		} `json:"sign_files"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		spReply(w, 400, "malformed request", nil)
		return
	}
	if in.SPID != s.cfg.SPID || in.SPPassword != s.cfg.SPPassword {
		spReply(w, 401, "invalid sp_id or sp_password", nil)
		return
	}
	acc := s.users[in.UserID]
	if acc == nil {
		spReply(w, 404, "user not found", nil)
		return
	}
	pick := func() *credential {
		for _, c := range acc.creds {
			if in.SerialNumber == "" || strings.EqualFold(in.SerialNumber, serialHex(c.Key.Certificate())) {
				return c
			}
		}
		return nil
	}
	now := time.Now()
	switch name {
	case "get_certificate":
		var list []map[string]any
		for _, c := range acc.creds {
			if in.SerialNumber != "" && !strings.EqualFold(in.SerialNumber, serialHex(c.Key.Certificate())) {
				continue
			}
			all := certsB64(c.Key)
			list = append(list, map[string]any{"cert_id": c.ID, "serial_number": serialHex(c.Key.Certificate()),
				"cert_data": all[0], "chain_data": all[1:]})
		}
		if len(list) == 0 {
			spReply(w, 404, "certificate not found", nil)
			return
		}
		spReply(w, 200, "success", map[string]any{"user_certificates": list})

	case "sign":
		c := pick()
		if c == nil {
			spReply(w, 404, "certificate not found", nil)
			return
		}
		if c.Disabled || c.locked {
			spReply(w, 400, "certificate locked or revoked", nil)
			return
		}
		if len(in.SignFiles) == 0 || len(in.SignFiles) > c.Multisign {
			spReply(w, 400, "sign_files: want 1 to "+itoa(c.Multisign)+" files", nil)
			return
		}
		p := &pending{cred: c, start: now, n: len(in.SignFiles), txID: in.TransactionID}
		seen := map[string]bool{}
		for _, f := range in.SignFiles {
			if f.FileOptions != nil {
				f.SignType = f.FileOptions.SignType
			}
			d, err := hex.DecodeString(f.DataToBeSigned)
			if err != nil || f.SignType != "hash" || hashBySize[len(d)] == 0 || f.DocID == "" || seen[f.DocID] {
				spReply(w, 400, "invalid sign_files entry "+f.DocID, nil)
				return
			}
			seen[f.DocID] = true
			p.hashes = append(p.hashes, d)
			p.ids = append(p.ids, f.DocID)
		}
		p.step = c.nextStep()
		if p.step.Delay == 0 && (p.step.Outcome == Approve || p.step.Outcome == BadSignature) {
			files, err := s.spSign(p)
			if err != nil {
				spReply(w, 500, err.Error(), nil)
				return
			}
			spReply(w, 200, "success", map[string]any{"transaction_id": in.TransactionID, "signed_files": files})
			return
		}
		desc := in.Desc
		if desc == "" {
			desc = "Ký số"
		}
		s.phone[acc.ID] = append(s.phone[acc.ID], phoneText(desc, p.n))
		code := s.newID("tc-")
		s.pending[code] = p
		if s.cfg.CallbackURL != "" {
			s.scheduleCallback(code, p)
		}
		spReply(w, 200, waitMessage, map[string]any{"transaction_id": in.TransactionID, "tran_code": code})

	case "status":
		code := strings.TrimSuffix(strings.TrimPrefix(method, "signatures/sign/"), "/status")
		p := s.pending[code]
		if p == nil || p.cred.user != acc.ID {
			spReply(w, 404, "transaction not found", nil)
			return
		}
		code2, msg, data := s.spResult(code, p, now)
		spReply(w, code2, msg, data)

	default:
		spReply(w, 404, "unknown method "+method, nil)
	}
}

// spResult is the status answer for the transaction code at now.
func (s *Server) spResult(code string, p *pending, now time.Time) (int, string, any) {
	switch s.state(p, now) {
	case "wait":
		return 200, waitMessage, map[string]any{"transaction_id": p.txID, "tran_code": code}
	case "declined":
		delete(s.pending, code)
		return 400, rejectedMessage, map[string]any{"transaction_id": p.txID, "tran_code": code}
	case "expired":
		delete(s.pending, code)
		return 400, expiredMessage, map[string]any{"transaction_id": p.txID, "tran_code": code}
	}
	delete(s.pending, code)
	files, err := s.spSign(p)
	if err != nil {
		return 500, err.Error(), nil
	}
	return 200, "success", map[string]any{"transaction_id": p.txID, "tran_code": code, "signed_files": files}
}

func (s *Server) spSign(p *pending) ([]map[string]string, error) {
	opts := make([]crypto.SignerOpts, len(p.hashes))
	for i, d := range p.hashes {
		opts[i] = hashBySize[len(d)]
	}
	sigs, err := signAll(p.cred, p.hashes, opts, p.step.Outcome == BadSignature)
	if err != nil {
		return nil, err
	}
	files := make([]map[string]string, len(sigs))
	for i, sig := range sigs {
		files[i] = map[string]string{"doc_id": p.ids[i], "signature_value": sig,
			"timestamp_signature": time.Now().UTC().Format("20060102150405Z")}
	}
	return files, nil
}

// scheduleCallback posts the transaction's outcome to cfg.CallbackURL when
// the user has acted.
func (s *Server) scheduleCallback(code string, p *pending) {
	d := p.step.Delay
	if p.step.Outcome == Expire && d == 0 {
		d = s.cfg.ConfirmTimeout
	}
	time.AfterFunc(d, func() {
		s.mu.Lock()
		if s.pending[code] != p {
			s.mu.Unlock()
			return
		}
		c, msg, data := s.spResult(code, p, p.start.Add(d))
		s.calls["sp769/callback"]++
		s.mu.Unlock()
		b, _ := json.Marshal(sp769Resp{StatusCode: c, Message: msg, Data: data})
		resp, err := s.cfg.CallbackClient.Post(s.cfg.CallbackURL, "application/json", bytes.NewReader(b))
		if err == nil {
			resp.Body.Close()
		}
	})
}
