package pdf

import (
	"context"
	"crypto"
	"fmt"
	"net/http"

	"github.com/kyso-vn/kyso/internal/cms"
)

// probeTimestampSize asks the TSA for one token over a dummy digest and
// returns its size, so the placeholder fits the real token.
func probeTimestampSize(ctx context.Context, url string, c *http.Client, h crypto.Hash) (int, error) {
	tc := &cms.TSAClient{URL: url, HTTPClient: c, Hash: h}
	n, err := tc.TokenSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrTimestamp, err)
	}
	return n, nil
}

// addTimestamp adds a signature time-stamp (PAdES B-T) to the CMS.
func addTimestamp(ctx context.Context, der []byte, url string, c *http.Client, h crypto.Hash) ([]byte, error) {
	tc := &cms.TSAClient{URL: url, HTTPClient: c, Hash: h}
	out, err := cms.AddTimestamp(ctx, der, tc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTimestamp, err)
	}
	return out, nil
}
