package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kyso-vn/kyso/internal/revinfo"
)

// Cache keeps fetched CRLs, OCSP responses and AIA certificates in memory
// so that validating many signatures from the same CAs fetches each only
// once. Entries are kept for MaxAge, failures for FailureTTL; OCSP
// requests, which carry a nonce, are never cached. It is safe for
// concurrent use.
type Cache struct {
	// MaxAge bounds how long any entry is kept; zero means one hour.
	MaxAge time.Duration
	// FailureTTL is how long a failed fetch is remembered; zero means 30 s.
	FailureTTL time.Duration

	store revinfo.Cache
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{} }

func (c *Cache) get(key string, now time.Time) ([]byte, error, bool) {
	return c.store.Get(key, now)
}

func (c *Cache) put(key string, data []byte, err error, now time.Time) {
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
	}
	c.store.Put(key, data, err, now, exp)
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

func (f *fetcher) request() revinfo.Request {
	return revinfo.Request{Client: f.client, Timeout: f.timeout, MaxSize: f.max}
}

// get fetches a URL with GET (CRLs, AIA certificates), through the cache.
// Only http and https URLs are fetched (LDAP URLs are ignored by the
// caller).
func (f *fetcher) get(ctx context.Context, u string) ([]byte, error) {
	key, now := "GET "+u, time.Now()
	if data, err, ok := f.cache.get(key, now); ok {
		return data, err
	}
	data, err := f.request().Get(ctx, u)
	err = fetchErr(err)
	if ctx.Err() == nil {
		f.cache.put(key, data, err, now)
	}
	return data, err
}

// postOCSP sends an OCSP request. It is not cached: each carries a nonce.
func (f *fetcher) postOCSP(ctx context.Context, u string, req []byte) ([]byte, error) {
	data, err := f.request().PostOCSP(ctx, u, req)
	return data, fetchErr(err)
}

// fetchErr wraps a failed request in ErrFetch.
func fetchErr(err error) error {
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFetch, err)
	}
	return nil
}
