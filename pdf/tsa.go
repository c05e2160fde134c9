package pdf

import (
	"context"
	"crypto"
	"errors"
	"net/http"
)

var errNoTSA = errors.New("pdf: RFC 3161 client not available yet")

func probeTimestampSize(ctx context.Context, url string, c *http.Client, h crypto.Hash) (int, error) {
	return 0, errNoTSA
}

func addTimestamp(ctx context.Context, der []byte, url string, c *http.Client, h crypto.Hash) ([]byte, error) {
	return nil, errNoTSA
}
