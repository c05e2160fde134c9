package testutil

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// Context returns a context that ends after d, or when t ends.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// RunExample runs an example program's run function as its main does —
// with a context that ends after a minute, writing what it prints into a
// buffer and its files into dir — fails t when it returns an error (with
// what it printed), and returns its result and what it printed.
func RunExample[R any](t testing.TB, run func(ctx context.Context, w io.Writer, dir string) (R, error), dir string) (R, string) {
	t.Helper()
	var out bytes.Buffer
	res, err := run(Context(t, time.Minute), &out, dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return res, out.String()
}
