package main

import (
	"net"
	"net/http"

	"github.com/kyso-vn/kyso/simpki"
)

// serveNotifications serves h on a loopback port and returns its URL.
func serveNotifications(h *simpki.NotificationHandler) (stop func(), url string, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/mss/notify", h)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, "http://" + ln.Addr().String() + "/mss/notify", nil
}
