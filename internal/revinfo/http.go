package revinfo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// ErrFetch: an HTTP request for an OCSP response, a CRL or a certificate
// failed (transport error, status other than 200, oversized body, a URL
// scheme other than http or https).
var ErrFetch = errors.New("revinfo: fetch failed")

// FetchError is a failed request. Its text names the URL without user
// information, so that it can go into a report.
type FetchError struct {
	URL string // redacted; empty when the URL could not be used at all
	Err error
}

func (e *FetchError) Error() string {
	if e.URL == "" {
		return e.Err.Error()
	}
	return e.URL + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// Is makes every FetchError match ErrFetch.
func (e *FetchError) Is(target error) bool { return target == ErrFetch }

// Request is one bounded HTTP request for revocation data.
type Request struct {
	Client  *http.Client  // nil: http.DefaultClient
	Timeout time.Duration // bounds the whole request; zero: DefaultTimeout
	MaxSize int64         // caps the body; zero: DefaultMaxResponseSize
}

// Get fetches a CRL or a certificate.
func (q Request) Get(ctx context.Context, u string) ([]byte, error) {
	return q.do(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	})
}

// PostOCSP sends a DER OCSP request (RFC 6960 Appendix A.1).
func (q Request) PostOCSP(ctx context.Context, u string, req []byte) ([]byte, error) {
	return q.do(ctx, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(req))
		if err == nil {
			r.Header.Set("Content-Type", "application/ocsp-request")
			r.Header.Set("Accept", "application/ocsp-response")
		}
		return r, err
	})
}

func (q Request) do(ctx context.Context, mk func(context.Context) (*http.Request, error)) ([]byte, error) {
	timeout, max, hc := q.Timeout, q.MaxSize, q.Client
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if max <= 0 {
		max = DefaultMaxResponseSize
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := mk(ctx)
	if err != nil {
		return nil, &FetchError{Err: err}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, &FetchError{Err: fmt.Errorf("unsupported URL scheme %q", req.URL.Scheme)}
	}
	where := redact(req.URL)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &FetchError{URL: where, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, &FetchError{URL: where, Err: fmt.Errorf("HTTP %s", resp.Status)}
	}
	if resp.ContentLength > max {
		return nil, &FetchError{URL: where, Err: fmt.Errorf("%d-byte response larger than %d bytes (the cap)", resp.ContentLength, max)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &FetchError{URL: where, Err: err}
	}
	if int64(len(data)) > max {
		return nil, &FetchError{URL: where, Err: fmt.Errorf("response larger than %d bytes (the cap)", max)}
	}
	return data, nil
}

// redact drops user information from a URL before it goes into a report.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
