package remotetest

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// cscErr writes a CSC error message (section 10.2 of the specification).
func cscErr(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) serveCSC(w http.ResponseWriter, r *http.Request, method string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["csc/"+method]++
	if s.limited() {
		w.Header().Set("Retry-After", "1")
		cscErr(w, http.StatusTooManyRequests, "temporarily_unavailable", "Too many requests")
		return
	}
	var in map[string]json.RawMessage
	if len(bytes.TrimSpace(body)) > 0 && method != "oauth2/token" {
		if err := json.Unmarshal(body, &in); err != nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Malformed JSON body")
			return
		}
	}
	str := func(k string) string {
		var v string
		_ = json.Unmarshal(in[k], &v)
		return v
	}
	switch method {
	case "info":
		writeJSON(w, http.StatusOK, map[string]any{
			"specs": "2.0.0.2", "name": "kyso CSC simulator", "logo": s.srv.URL + "/logo.png", "region": "VN", "lang": "vi-VN",
			"description": "Remote signing simulator for tests", "authType": []string{"basic", "oauth2client"},
			"oauth2": s.srv.URL + "/csc/v2/", "asynchronousOperationMode": true,
			"methods": []string{"auth/login", "auth/revoke", "credentials/list", "credentials/info", "credentials/authorize",
				"credentials/authorizeCheck", "signatures/signHash", "signatures/signPolling"},
			"signAlgorithms":     map[string]any{"algos": []string{"1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10", "1.2.840.10045.2.1"}},
			"signature_formats":  map[string]any{"formats": []string{}},
			"conformance_levels": []string{},
		})
		return
	case "auth/login":
		u, p, ok := r.BasicAuth()
		if !ok {
			cscErr(w, http.StatusUnauthorized, "invalid_request", "Malformed authentication parameter")
			return
		}
		acc := s.users[u]
		if acc == nil || acc.Password != p {
			cscErr(w, http.StatusBadRequest, "authentication_error", "An error occurred during authentication process")
			return
		}
		tok := s.newID("at-")
		s.tokens[tok] = u
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3600})
		return
	case "oauth2/token":
		form, _ := url.ParseQuery(string(body))
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = form.Get("client_id"), form.Get("client_secret")
		}
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if form.Get("grant_type") != "client_credentials" || id != s.cfg.ClientID || secret != s.cfg.ClientSecret || s.users[s.cfg.ClientUser] == nil {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
			return
		}
		tok := s.newID("at-")
		s.tokens[tok] = s.cfg.ClientUser
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
		return
	}

	// Every other method needs a service access token.
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	acc := s.users[s.tokens[tok]]
	if acc == nil {
		cscErr(w, http.StatusUnauthorized, "invalid_token", "The access token is not valid")
		return
	}
	findCred := func() *credential {
		id := str("credentialID")
		for _, c := range acc.creds {
			if c.ID == id {
				return c
			}
		}
		return nil
	}
	// enabledCred is findCred for a request that needs an enabled
	// credential; it answers the error itself and returns nil otherwise.
	enabledCred := func() *credential {
		c := findCred()
		if c == nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid parameter credentialID")
			return nil
		}
		if c.Disabled {
			cscErr(w, http.StatusBadRequest, "invalid_request", "The credential identified by credentialID is disabled")
			return nil
		}
		return c
	}
	now := time.Now()
	switch method {
	case "auth/revoke":
		delete(s.tokens, str("token"))
		w.WriteHeader(http.StatusNoContent)

	case "credentials/list":
		ids := []string{}
		for _, c := range acc.creds {
			ids = append(ids, c.ID)
		}
		writeJSON(w, http.StatusOK, map[string]any{"credentialIDs": ids})

	case "credentials/info":
		c := findCred()
		if c == nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid parameter credentialID")
			return
		}
		status := "enabled"
		if c.Disabled || c.locked {
			status = "disabled"
		}
		cert := c.Key.Certificate()
		objects := []map[string]string{}
		expr := ""
		if c.PIN != "" {
			objects = append(objects, map[string]string{"type": "Password", "id": "PIN", "format": "N", "label": "PIN", "description": "Nhập mã PIN ký số"})
			expr = "PIN"
		}
		if len(c.Script) > 0 {
			objects = append(objects, map[string]string{"type": "ChallengeResponseOOB", "id": "mobile", "label": "Xác nhận trên điện thoại"})
			if expr != "" {
				expr += " AND mobile"
			} else {
				expr = "mobile"
			}
		}
		certs := certsB64(c.Key)
		if str("certificates") == "single" {
			certs = certs[:1]
		} else if str("certificates") == "none" {
			certs = nil
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"description": "Chứng thư số của " + cert.Subject.CommonName,
			"key":         map[string]any{"status": status, "algo": keyAlgos(cert.PublicKey), "len": keyLen(cert.PublicKey)},
			"cert": map[string]any{"status": "valid", "certificates": certs, "issuerDN": cert.Issuer.String(),
				"serialNumber": serialHex(cert), "subjectDN": cert.Subject.String(),
				"validFrom": cert.NotBefore.UTC().Format("20060102150405Z"), "validTo": cert.NotAfter.UTC().Format("20060102150405Z")},
			"auth":      map[string]any{"mode": "explicit", "expression": expr, "objects": objects},
			"SCAL":      "2",
			"multisign": c.Multisign,
			"lang":      "vi-VN",
		})

	case "credentials/authorize":
		c := enabledCred()
		if c == nil {
			return
		}
		if c.locked {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Credential locked")
			return
		}
		var n int
		if err := json.Unmarshal(in["numSignatures"], &n); err != nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Missing (or invalid type) integer parameter numSignatures")
			return
		}
		if n < 1 {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid value for parameter numSignatures")
			return
		}
		if n > c.Multisign {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Numbers of signatures is too high")
			return
		}
		var hashes []string
		_ = json.Unmarshal(in["hashes"], &hashes)
		if len(hashes) != n {
			// SCAL 2: the SAD is bound to the hashes.
			cscErr(w, http.StatusBadRequest, "invalid_request", "Missing (or invalid type) array parameter hashes")
			return
		}
		if _, ok := hashByOID[str("hashAlgorithmOID")]; !ok {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid parameter hashAlgorithmOID")
			return
		}
		var auth []struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		}
		_ = json.Unmarshal(in["authData"], &auth)
		if c.PIN != "" {
			pin := ""
			for _, a := range auth {
				if a.ID == "PIN" {
					pin = a.Value
				}
			}
			if pin != c.PIN {
				c.wrongPINs++
				if c.wrongPINs >= 3 {
					c.locked = true
				}
				cscErr(w, http.StatusBadRequest, "invalid_authentication_data", "The authentication data is invalid")
				return
			}
			c.wrongPINs = 0
		}
		set := map[string]bool{}
		for _, h := range hashes {
			set[h] = true
		}
		step := c.nextStep()
		desc := str("description")
		if desc == "" {
			desc = "Ký số"
		}
		if step.Delay == 0 && (step.Outcome == Approve || step.Outcome == BadSignature) {
			writeJSON(w, http.StatusOK, map[string]any{"SAD": s.newSAD(c, set, n, step.Outcome == BadSignature, now), "expiresIn": int(s.cfg.SADLifetime.Seconds())})
			return
		}
		s.phone[acc.ID] = append(s.phone[acc.ID], phoneText(desc, n))
		h := s.newID("h-")
		s.pending[h] = &pending{cred: c, step: step, start: now, n: n, hashSet: set}
		writeJSON(w, http.StatusAccepted, map[string]any{"handle": h})

	case "credentials/authorizeCheck":
		h := str("handle")
		p := s.pending[h]
		if p == nil || p.cred.user != acc.ID {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid parameter handle")
			return
		}
		switch s.state(p, now) {
		case "wait":
			writeJSON(w, http.StatusAccepted, map[string]any{"handle": h})
		case "declined":
			delete(s.pending, h)
			cscErr(w, http.StatusBadRequest, "access_denied", "The user declined the request on the phone")
		case "expired":
			delete(s.pending, h)
			cscErr(w, http.StatusBadRequest, "expired_token", "The user did not confirm in time")
		default:
			delete(s.pending, h)
			writeJSON(w, http.StatusOK, map[string]any{"SAD": s.newSAD(p.cred, p.hashSet, p.n, p.step.Outcome == BadSignature, now), "expiresIn": int(s.cfg.SADLifetime.Seconds())})
		}

	case "signatures/signHash":
		c := enabledCred()
		if c == nil {
			return
		}
		sd := s.sads[str("SAD")]
		if sd == nil || sd.cred != c {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid parameter SAD")
			return
		}
		if now.After(sd.expires) {
			delete(s.sads, str("SAD"))
			cscErr(w, http.StatusBadRequest, "invalid_request", "SAD expired")
			return
		}
		var hashes []string
		if err := json.Unmarshal(in["hashes"], &hashes); err != nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Missing (or invalid type) array parameter hash")
			return
		}
		if len(hashes) == 0 {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Empty hash array")
			return
		}
		opts, err := signOpts(c.Key.Certificate().PublicKey, str("signAlgo"), str("hashAlgorithmOID"), str("signAlgoParams"))
		if err != nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		digests := make([][]byte, len(hashes))
		all := make([]crypto.SignerOpts, len(hashes))
		for i, h := range hashes {
			d, err := base64.StdEncoding.DecodeString(h)
			if err != nil {
				cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid Base64 hash string parameter")
				return
			}
			if len(d) != opts.HashFunc().Size() {
				cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid digest value length")
				return
			}
			if !sd.hashes[h] {
				cscErr(w, http.StatusBadRequest, "invalid_request", "Hash is not authorized by the SAD")
				return
			}
			digests[i], all[i] = d, opts
		}
		if len(hashes) > sd.left {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Numbers of signatures is too high")
			return
		}
		sigs, err := signAll(c, digests, all, sd.bad)
		if err != nil {
			cscErr(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		sd.left -= len(hashes)
		if sd.left == 0 {
			delete(s.sads, str("SAD"))
		}
		if str("operationMode") == "A" {
			id := s.newID("r-")
			s.async[id] = &asyncResult{sigs: sigs}
			writeJSON(w, http.StatusOK, map[string]any{"responseID": id})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"signatures": sigs})

	case "signatures/signPolling":
		id := str("requestID")
		a := s.async[id]
		if a == nil {
			cscErr(w, http.StatusBadRequest, "invalid_request", "Invalid parameter requestID")
			return
		}
		// The first poll finds the request still running.
		if a.polls++; a.polls == 1 {
			cscErr(w, http.StatusAccepted, "accepted_request", "The previous async request has been accepted but not yet completed")
			return
		}
		delete(s.async, id)
		writeJSON(w, http.StatusOK, map[string]any{"signatures": a.sigs})

	default:
		cscErr(w, http.StatusNotFound, "invalid_request", "Unknown method "+method)
	}
}

func (s *Server) newSAD(c *credential, hashes map[string]bool, n int, bad bool, now time.Time) string {
	id := s.newID("sad-")
	s.sads[id] = &sad{cred: c, hashes: hashes, left: n, expires: now.Add(s.cfg.SADLifetime), bad: bad}
	return id
}

func phoneText(desc string, n int) string {
	if n == 1 {
		return desc
	}
	return desc + " (" + itoa(n) + " tài liệu)"
}
