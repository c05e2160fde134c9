package cms

import (
	"context"
	"crypto"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
)

// tsaMode selects a misbehaviour of the in-test TSA.
type tsaMode int

const (
	tsaGood tsaMode = iota
	tsaBadNonce
	tsaBadImprint
	tsaReject
	tsaNoNonce
	tsaHuge
)

var testPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 3161, 1}

// testTSA is a minimal RFC 3161 TSA on loopback, signing TSTInfo with this
// package's own builder. It is a second implementation against which the
// client is checked; signer/pkitest's TSA is checked in pkitest_test.go.
type testTSA struct {
	t      testing.TB
	s      signer.Signer
	srv    *httptest.Server
	mode   atomic.Int32
	serial atomic.Int64
	user   string
	pass   string
}

func newTestTSA(t testing.TB, pki *testPKI, kind leafKind) *testTSA {
	ts := &testTSA{t: t, s: pki.issue(t, kind, "Kyso Test TSA")}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *testTSA) client() *TSAClient {
	return &TSAClient{URL: ts.srv.URL, HTTPClient: ts.srv.Client(), Username: ts.user, Password: ts.pass}
}

func (ts *testTSA) serve(w http.ResponseWriter, r *http.Request) {
	if ts.user != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != ts.user || p != ts.pass {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
	}
	if r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "bad content type", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req timeStampReq
	if err := unmarshalExact(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	mode := tsaMode(ts.mode.Load())
	if mode == tsaReject {
		resp, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{
			Status:       StatusRejection,
			StatusString: []string{"thuật toán không hỗ trợ"},
			FailInfo:     asn1.BitString{Bytes: []byte{0x80}, BitLength: 1},
		}})
		require.NoError(ts.t, err)
		w.Write(resp)
		return
	}
	if mode == tsaHuge {
		w.Write(make([]byte, 2<<20))
		return
	}
	imprint := req.MessageImprint
	if mode == tsaBadImprint {
		imprint.HashedMessage = append([]byte(nil), imprint.HashedMessage...)
		imprint.HashedMessage[0] ^= 0xff
	}
	nonce := req.Nonce
	switch mode {
	case tsaBadNonce:
		nonce = new(big.Int).Add(nonce, big.NewInt(1))
	case tsaNoNonce:
		nonce = nil
	}
	policy := req.ReqPolicy
	if policy == nil {
		policy = testPolicy
	}
	info, err := asn1.Marshal(tstInfoASN{
		Version:        1,
		Policy:         policy,
		MessageImprint: imprint,
		SerialNumber:   big.NewInt(ts.serial.Add(1)),
		GenTime:        time.Now().UTC().Truncate(time.Second),
		Accuracy:       accuracyASN{Seconds: 1, Millis: 500},
		Nonce:          nonce,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	tok, err := Sign(context.Background(), ts.s, nil, Options{Hash: crypto.SHA256, ContentType: OIDTSTInfo, Content: info})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: StatusGranted}, TimeStampToken: asn1.RawValue{FullBytes: tok}})
	require.NoError(ts.t, err)
	w.Write(resp)
}
