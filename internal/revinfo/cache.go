package revinfo

import (
	"sync"
	"time"
)

// maxCacheEntries bounds a Cache: past it, expired entries are dropped,
// and everything when none has expired.
const maxCacheEntries = 10000

// Cache keeps fetched bodies (OCSP responses, CRLs, certificates) and,
// when the caller stores them, failures, by key, each until the time it
// was stored with. It is the one fetch cache of kyso: a [Fetcher] keeps
// what it fetched in one, and the verify package's exported Cache is one
// with verify's expiry policy. The zero value is empty and ready to use;
// a Cache is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	data    []byte
	err     error
	expires time.Time // zero: never
}

// Get returns the body or failure stored under key, and whether there was
// one that had not expired at now.
func (c *Cache) Get(key string, now time.Time) (data []byte, err error, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.expired(now) {
		return nil, nil, false
	}
	return e.data, e.err, true
}

// Put stores data (or the failure err) under key until expires; a zero
// expires keeps it for the cache's lifetime.
func (c *Cache) Put(key string, data []byte, err error, now, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	if len(c.entries) > maxCacheEntries {
		for k, e := range c.entries {
			if e.expired(now) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) > maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = cacheEntry{data: data, err: err, expires: expires}
}

func (e cacheEntry) expired(now time.Time) bool {
	return !e.expires.IsZero() && now.After(e.expires)
}
