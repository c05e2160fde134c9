package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/kyso-vn/kyso/signer/pkitest"
)

// pkiState is written by "kyso pki init" next to the certificates: with the
// seed and the creation time, "kyso pki serve" rebuilds the very same PKI
// (pkitest.Deterministic) and serves its TSA, OCSP and CRL.
type pkiState struct {
	Note    string    `json:"note"`
	Seed    uint64    `json:"seed"`
	Created time.Time `json:"created"`
	Signer  string    `json:"signer"`
	CCCD    string    `json:"cccd"`
}

const pkiStateFile = "kyso-pki.json"

func (e *env) pki(ctx context.Context, args []string) (int, error) {
	if ok, code, err := e.groupHelp(args, pkiUsage, "pki"); ok {
		return code, err
	}
	switch args[0] {
	case "init":
		return e.pkiInit(args[1:])
	case "serve":
		return e.pkiServe(ctx, args[1:])
	}
	return 0, usagef("pki: unknown command %q (init or serve)", args[0])
}

// buildPKI builds the test PKI of st. Its clock reads st.Created while the
// certificates are issued (so that they come out byte for byte the same
// every time) and the real time afterwards (for OCSP, CRLs and time-stamps).
func buildPKI(st pkiState) (*pkitest.PKI, *pkitest.Identity, error) {
	var live atomic.Bool
	clock := func() time.Time {
		if live.Load() {
			return time.Now()
		}
		return st.Created
	}
	p, err := pkitest.Start(pkitest.Deterministic(st.Seed), pkitest.WithClock(clock))
	if err != nil {
		return nil, nil, err
	}
	id, err := p.Issue(pkitest.Person(st.Signer, st.CCCD), pkitest.Validity(st.Created.Add(-time.Hour), st.Created.AddDate(2, 0, 0)))
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	live.Store(true)
	return p, id, nil
}
