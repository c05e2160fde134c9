package main

// Algorithm-policy flags of "kyso verify" (Circular 15/2025/TT-BKHCN): the
// caller's SHA-1 date and proof of existence.

import (
	"flag"
	"time"

	"github.com/kyso-vn/kyso/verify"
)

type policyFlags struct {
	sha1Before, poe string
}

// registerPolicyFlags adds --sha1-before and --poe to fs.
func registerPolicyFlags(fs *flag.FlagSet) *policyFlags {
	p := &policyFlags{}
	fs.StringVar(&p.sha1Before, "sha1-before", "", "accept SHA-1 signatures (e-invoices and tax messages signed with rsa-sha1 until about 2021) proven to exist before this `DATE` (YYYY-MM-DD or RFC 3339) by a timestamp or --poe; reported as such")
	fs.StringVar(&p.poe, "poe", "", "proof of existence: the documents are known to have existed at this `TIME` (YYYY-MM-DD or RFC 3339, e.g. the tax authority's acceptance); used for the algorithm policy only")
	return p
}

// apply sets opts from the flags.
func (p *policyFlags) apply(opts *verify.Options) error {
	if p.sha1Before != "" {
		t, err := parseDateFlag(p.sha1Before)
		if err != nil {
			return usagef("--sha1-before %q: want YYYY-MM-DD or an RFC 3339 time", p.sha1Before)
		}
		pol := opts.Algorithms
		if pol == nil {
			pol = verify.VietnamPolicy()
		}
		pol.SHA1ProvenBefore = t
		opts.Algorithms = pol
	}
	if p.poe != "" {
		t, err := parseDateFlag(p.poe)
		if err != nil {
			return usagef("--poe %q: want YYYY-MM-DD or an RFC 3339 time", p.poe)
		}
		opts.ProofOfExistence = t
	}
	return nil
}

func parseDateFlag(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", s, time.FixedZone("GMT+7", 7*3600))
}
