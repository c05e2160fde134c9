package verify

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

type countingTransport struct {
	base http.RoundTripper
	gets atomic.Int64
	post atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		c.gets.Add(1)
	} else {
		c.post.Add(1)
	}
	return c.base.RoundTrip(r)
}

// A signature carrying only the leaf: the issuer comes from the AIA
// caIssuers URL, revocation from OCSP; a shared cache avoids fetching the
// issuer twice.
func TestOnlineAIAAndCache(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue()
	id.Chain = nil // the CMS will carry the signer certificate only
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true})
	sd, err := cms.Parse(sig)
	require.NoError(t, err)
	require.Len(t, sd.Certificates, 1)
	e.pki.SetTime(checkAt)

	ct := &countingTransport{base: e.pki.HTTPClient().Transport}
	o := e.online()
	o.HTTPClient = &http.Client{Transport: ct}
	o.Cache = NewCache()
	r := verifyOne(t, o, sig, content)
	assert.Equal(t, TotalPassed, r.Indication, "%+v", r.Findings)
	assert.Len(t, r.Chain, 3)
	gets := ct.gets.Load()
	assert.Positive(t, gets, "the issuer was fetched")

	r = verifyOne(t, o, sig, content)
	assert.Equal(t, TotalPassed, r.Indication)
	assert.Equal(t, gets, ct.gets.Load(), "the second validation is served from the cache")

	// Offline, the same signature has no path.
	r = verifyOne(t, e.offline(), sig, content)
	assert.Equal(t, NoCertificateChainFound, r.SubIndication)
}

// Size caps apply to every fetch.
func TestFetchSizeCap(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true})
	e.pki.SetTime(checkAt)
	o := e.online()
	o.MaxFetchSize = 64
	r := verifyOne(t, o, sig, content)
	assert.Equal(t, TryLater, r.SubIndication, "%+v", r.Findings)
	require.NotEmpty(t, r.Revocation)
	assert.True(t, strings.Contains(strings.Join(texts(r.Revocation[0].Problems), "\n"), "cap"), r.Revocation[0].Problems)
	// The text report says why the status is unknown, under its line.
	for _, lang := range []Language{Vietnamese, English} {
		text := r.Text(lang)
		line := word(lang, "label.revocation") + " [" + r.Revocation[0].Subject + "]: " + word(lang, "label.unknown")
		i := strings.Index(text, line)
		require.GreaterOrEqual(t, i, 0, text)
		assert.Contains(t, text[i:], "\n   - "+r.Revocation[0].Problems[0].Text(lang), text)
	}
}

// Key usage policy: nonRepudiation required.
func TestKeyUsagePolicy(t *testing.T) {
	e := newEnv(t)
	ds := e.pki.MustIssue(pkitest.KeyUsage(0x1)) // digitalSignature only
	e.pki.SetTime(signAt)
	sig := e.sign(t, ds, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	o := e.online()
	assert.Equal(t, TotalPassed, verifyOne(t, o, sig, content).Indication)
	o.KeyUsage = KeyUsageNonRepudiation
	assert.Equal(t, ChainConstraintsFailure, verifyOne(t, o, sig, content).SubIndication)
	o.KeyUsage = KeyUsageWarn
	r := verifyOne(t, o, sig, content)
	assert.Equal(t, TotalPassed, r.Indication)
	assert.NotEmpty(t, r.Warnings)
}

type stallingTransport struct{}

func (stallingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// A responder that never answers costs at most FetchTimeout per request.
func TestFetchTimeout(t *testing.T) {
	e := newEnv(t)
	id := e.pki.MustIssue()
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true})
	e.pki.SetTime(checkAt)
	o := e.online()
	o.HTTPClient = &http.Client{Transport: stallingTransport{}}
	o.FetchTimeout = 100 * time.Millisecond
	start := time.Now()
	r := verifyOne(t, o, sig, content)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, TryLater, r.SubIndication)
	assert.True(t, r.Revocation[0].FetchFailed)
}
