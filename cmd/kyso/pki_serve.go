package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki/mssptest"
)

// "kyso pki serve": the test PKI's TSA, OCSP, CRL, an MSSP and the
// remote-signing simulators on loopback.

func (e *env) pkiServe(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("pki serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (loopback only)")
	sim := fs.String("sim", simMSISDN, "`MSISDN` of a simulated SIM holding the signer's key, served by an MSSP simulator (empty: no MSSP)")
	simDelay := fs.Duration("sim-delay", 2*time.Second, "how long the simulated user takes to approve on the phone")
	remoteDelay := fs.Duration("remote-delay", 2*time.Second, "how long the simulated user takes to confirm a remote-signing (CSC, sp769) request")
	simProfile := fs.String("sim-profile", "etsi", "MSSP `PROFILE` the simulator plays: etsi, vgca or ficom (sim.go)")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso pki serve DIR [--addr 127.0.0.1:PORT] [--sim MSISDN]", err)
	}
	if len(pos) != 1 {
		return 0, usagef("pki serve: want one directory")
	}
	dir := pos[0]
	b, err := os.ReadFile(filepath.Join(dir, pkiStateFile))
	if err != nil {
		return 0, inputErr(fmt.Errorf("%w (was the directory made by kyso pki init?)", err))
	}
	var st pkiState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, inputErr(fmt.Errorf("%s: %w", pkiStateFile, err))
	}
	p, id, err := buildPKI(st)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	root, err := os.ReadFile(filepath.Join(dir, pkitest.FileRoot))
	if err != nil {
		return 0, inputErr(err)
	}
	if !bytes.Equal(root, pkitest.PEM(p.Root.Cert)) {
		return 0, inputErr(errors.New("the rebuilt PKI does not match " + pkitest.FileRoot + " (files changed, or another kyso version)"))
	}

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return 0, usagef("--addr: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return 0, usagef("--addr %s: the test PKI is served on loopback only", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	var mssp *mssptest.Server
	if *sim != "" {
		prof, simKey, err := serveSIMKey(p, id, st.Signer, st.CCCD, *simProfile)
		if err != nil {
			return 0, err
		}
		if mssp, err = mssptest.Start(mssptest.Config{Profile: prof}); err != nil {
			return 0, err
		}
		defer mssp.Close()
		err = mssp.AddSubscriber(mssptest.Subscriber{MSISDN: *sim, Key: simKey,
			Script: []mssptest.Step{{Outcome: mssptest.Approve, Delay: *simDelay}}})
		if err != nil {
			return 0, usagef("--sim: %v", err)
		}
	}
	srv := &http.Server{Handler: newPKIProxy(p), ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, `Serving the test PKI of %s (Ctrl-C to stop):
  TSA   %s/tsa
  OCSP  %s/ocsp
  CRL   %s/crl/
The certificates name the hosts %s and %s; for online
revocation checks let kyso reach them through this server as an HTTP proxy:
  HTTP_PROXY=%s kyso verify --trust %s FILE
`, dir, base, base, base, pkitest.DeterministicRepositoryHost, pkitest.DeterministicOCSPHost,
		base, filepath.Join(dir, pkitest.FileRoot))
	if mssp != nil {
		fmt.Fprintf(e.stdout, `  MSSP  %s
An MSSP simulator: the SIM of %s holds %s's key, and the simulated phone
approves each request after %v:
  kyso sign pdf IN OUT --sim %s --mssp %s --sim-profile %s
`, mssp.URL(), *sim, id.Cert.Subject.CommonName, *simDelay, *sim, mssp.URL(), mssp.Profile().Name)
		go showPhone(ctx, e.stdout, mssp, *sim)
	}
	rsim, err := startRemoteSim(id, st.CCCD, *remoteDelay)
	if err != nil {
		return 0, err
	}
	defer rsim.Close()
	printRemoteSim(e.stdout, rsim, id, st.CCCD, *remoteDelay)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		fmt.Fprintln(e.stdout, "Stopped.")
		return exitOK, nil
	case err := <-errc:
		return 0, err
	}
}

// simMSISDN is the phone number "kyso pki serve" gives the simulated SIM.
const simMSISDN = "0912345678"

// showPhone prints what the simulated phone displays, as requests come in,
// until ctx is done.
func showPhone(ctx context.Context, w io.Writer, mssp *mssptest.Server, msisdn string) {
	shown := 0
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		texts := mssp.Phone(msisdn)
		for _, text := range texts[min(shown, len(texts)):] {
			fmt.Fprintf(w, "Điện thoại %s hiển thị / the phone shows: %s\n", msisdn, text)
		}
		shown = max(shown, len(texts))
	}
}

// pkiProxy answers the TSA, OCSP and CRL paths directly, and acts as an
// HTTP proxy for the fixed host names a deterministic pkitest PKI writes
// into its certificates. It forwards everything to the PKI's loopback
// servers and refuses other hosts.
type pkiProxy struct {
	p      *pkitest.PKI
	client *http.Client
	direct map[string]string // path prefix → base URL of the server
}

func newPKIProxy(p *pkitest.PKI) *pkiProxy {
	base := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			return ""
		}
		return u.Scheme + "://" + u.Host
	}
	return &pkiProxy{p: p, client: p.HTTPClient(), direct: map[string]string{
		"/tsa":  base(p.TSAURL()),
		"/ocsp": base(p.OCSPURL()),
		"/crl/": base(p.CRLURL()),
	}}
}

func (h *pkiProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var target string
	if r.URL.IsAbs() { // proxy request: GET http://ocsp.pkitest.invalid/… HTTP/1.1
		host := r.URL.Hostname()
		if host != pkitest.DeterministicRepositoryHost && host != pkitest.DeterministicOCSPHost {
			http.Error(w, "this proxy serves only the kyso test PKI", http.StatusForbidden)
			return
		}
		target = r.URL.String()
	} else {
		for prefix, base := range h.direct {
			if strings.HasPrefix(r.URL.Path, prefix) {
				target = base + r.URL.RequestURI()
				break
			}
		}
		if target == "" {
			http.NotFound(w, r)
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Cache-Control", "Expires", "Last-Modified"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
