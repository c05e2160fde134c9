package revinfo

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCacheExpiry(t *testing.T) {
	var c Cache
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	_, _, ok := c.Get("a", now)
	require.False(t, ok, "empty cache")

	c.Put("a", []byte("body"), nil, now, now.Add(time.Minute))
	d, err, ok := c.Get("a", now.Add(time.Minute))
	require.True(t, ok)
	require.NoError(t, err)
	require.Equal(t, []byte("body"), d)
	_, _, ok = c.Get("a", now.Add(time.Minute+time.Second))
	require.False(t, ok, "expired")

	boom := errors.New("boom")
	c.Put("f", nil, boom, now, now.Add(time.Second))
	_, err, ok = c.Get("f", now)
	require.True(t, ok)
	require.ErrorIs(t, err, boom, "failures are served like bodies")

	c.Put("z", []byte("kept"), nil, now, time.Time{})
	d, _, ok = c.Get("z", now.Add(1000*time.Hour))
	require.True(t, ok, "zero expiry: never expires")
	require.Equal(t, []byte("kept"), d)
}

func TestCacheBound(t *testing.T) {
	var c Cache
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	for i := 0; i <= maxCacheEntries; i++ {
		c.Put(fmt.Sprint("old", i), []byte("x"), nil, now, now.Add(time.Minute))
	}
	c.Put("live", []byte("y"), nil, now, time.Time{})
	later := now.Add(time.Hour)
	c.Put("new", []byte("z"), nil, later, time.Time{})
	require.Len(t, c.entries, 2, "expired entries are dropped past the bound")
	_, _, ok := c.Get("live", later)
	require.True(t, ok)

	for i := 0; i <= maxCacheEntries; i++ {
		c.Put(fmt.Sprint("k", i), []byte("x"), nil, later, time.Time{})
	}
	require.LessOrEqual(t, len(c.entries), maxCacheEntries+1, "never above the bound")
}
