package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Cache keeps fetched CRLs, OCSP responses and AIA certificates in memory
// so that validating many signatures from the same CAs fetches each only
// once. Entries expire at the data's nextUpdate (or after MaxAge); failures
// are remembered for FailureTTL. It is safe for concurrent use.
type Cache struct {
	// MaxAge bounds how long any entry is kept; zero means one hour.
	MaxAge time.Duration
	// FailureTTL is how long a failed fetch is remembered; zero means 30 s.
	FailureTTL time.Duration

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	data    []byte
	err     error
	expires time.Time
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{} }

func (c *Cache) get(key string, now time.Time) ([]byte, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.After(e.expires) {
		return nil, nil, false
	}
	return e.data, e.err, true
}

func (c *Cache) put(key string, data []byte, err error, now, until time.Time) {
	maxAge, failTTL := c.MaxAge, c.FailureTTL
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	if failTTL <= 0 {
		failTTL = 30 * time.Second
	}
	exp := now.Add(maxAge)
	if err != nil {
		exp = now.Add(failTTL)
	} else if !until.IsZero() && until.Before(exp) {
		exp = until
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	if len(c.entries) > 10000 {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = cacheEntry{data: data, err: err, expires: exp}
}

// ErrFetch wraps every failure to fetch revocation data or certificates.
var ErrFetch = errors.New("verify: fetch failed")

// fetcher does bounded HTTP requests.
type fetcher struct {
	client  *http.Client
	timeout time.Duration
	max     int64
	cache   *Cache
}

// get fetches a URL with GET (CRLs, AIA certificates). Only http and https
// URLs are fetched (LDAP URLs are ignored by the caller).
func (f *fetcher) get(ctx context.Context, u string) ([]byte, error) {
	return f.do(ctx, "GET "+u, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	})
}

// postOCSP sends an OCSP request. It is not cached: each carries a nonce.
func (f *fetcher) postOCSP(ctx context.Context, u string, req []byte) ([]byte, error) {
	return f.do(ctx, "", func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(req))
		if err == nil {
			r.Header.Set("Content-Type", "application/ocsp-request")
			r.Header.Set("Accept", "application/ocsp-response")
		}
		return r, err
	})
}

func (f *fetcher) do(ctx context.Context, key string, mk func(context.Context) (*http.Request, error)) ([]byte, error) {
	now := time.Now()
	if key != "" {
		if data, err, ok := f.cache.get(key, now); ok {
			return data, err
		}
	}
	data, err := f.fetch(ctx, mk)
	if key != "" && ctx.Err() == nil {
		f.cache.put(key, data, err, now, time.Time{})
	}
	return data, err
}

func (f *fetcher) fetch(ctx context.Context, mk func(context.Context) (*http.Request, error)) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := mk(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("%w: unsupported URL scheme %q", ErrFetch, req.URL.Scheme)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFetch, redact(req.URL), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: HTTP %s", ErrFetch, redact(req.URL), resp.Status)
	}
	if resp.ContentLength > f.max {
		return nil, fmt.Errorf("%w: %s: %d bytes exceeds the %d-byte cap", ErrFetch, redact(req.URL), resp.ContentLength, f.max)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFetch, redact(req.URL), err)
	}
	if int64(len(data)) > f.max {
		return nil, fmt.Errorf("%w: %s: response exceeds the %d-byte cap", ErrFetch, redact(req.URL), f.max)
	}
	return data, nil
}

// redact drops user information from a URL before it goes into a report.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
