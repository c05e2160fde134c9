package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxResponse caps what the client reads from a service (certificate
// chains and a few hundred signatures fit easily).
const maxResponse = 8 << 20

// Waiting describes a request that waits for the user to confirm on the
// phone. It is passed to the OnWait callback of a client configuration
// when the wait starts and at every poll, so that a program can show
// "waiting for confirmation on the phone" with the time left.
type Waiting struct {
	API         string    // "csc" or "sp769"
	Transaction string    // the service's handle, responseID or transaction id
	Documents   int       // how many signatures the confirmation covers
	Deadline    time.Time // when the client gives up
}

// Left returns the time left until the deadline, at now.
func (w Waiting) Left(now time.Time) time.Duration {
	if d := w.Deadline.Sub(now); d > 0 {
		return d
	}
	return 0
}

// postJSON sends in as JSON to url and decodes a 2xx answer into out. It
// returns the HTTP status and body of any answer so the caller can map
// errors; err is only set for transport failures and undecodable 2xx
// bodies.
func postJSON(ctx context.Context, hc *http.Client, url string, hdr http.Header, in, out any) (int, []byte, http.Header, error) {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header[k] = v
	}
	return doJSON(hc, req, out)
}

// doJSON sends req and reads the answer (at most maxResponse bytes),
// decoding a non-empty 2xx body into out, as postJSON describes.
func doJSON(hc *http.Client, req *http.Request, out any) (int, []byte, http.Header, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return resp.StatusCode, nil, resp.Header, err
	}
	if len(data) > maxResponse {
		return resp.StatusCode, nil, resp.Header, fmt.Errorf("%w: answer over %d bytes", ErrProtocol, maxResponse)
	}
	if resp.StatusCode/100 == 2 && out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, data, resp.Header, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
	}
	return resp.StatusCode, data, resp.Header, nil
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if n, err := strconv.Atoi(h.Get("Retry-After")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
