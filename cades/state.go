package cades

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kyso-vn/kyso/internal/cms"
)

const stateVersion = 1

// preparedState is the JSON form of a Prepared.
type preparedState struct {
	Version     int             `json:"v"`
	CMS         json.RawMessage `json:"cms"`
	Level       string          `json:"level"`
	TSA         string          `json:"tsa,omitempty"`
	SigningTime time.Time       `json:"signingTime"`
	Hash        string          `json:"hash"`
	Mode        string          `json:"mode,omitempty"`
	Base        []byte          `json:"base,omitempty"`
	Index       int             `json:"index,omitempty"`
}

var modeNames = map[mode]string{modeNew: "", modeParallel: "parallel", modeCounter: "countersignature"}

var hashByName = map[string]crypto.Hash{}

func init() {
	for _, h := range signingHashes {
		hashByName[h.String()] = h
	}
}

// MarshalBinary serialises p (versioned JSON: the signed attributes as
// their exact DER, the level, the TSA URL and, for AddSigner and
// CounterSign, the .p7s being extended) so that another process can
// finish it with UnmarshalBinary and Finish. The HTTPClient and LTV fields
// are not serialised (UnmarshalBinary keeps those already set).
func (p *Prepared) MarshalBinary() ([]byte, error) {
	c, err := p.cms.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return json.Marshal(preparedState{
		Version: stateVersion, CMS: c, Level: p.level.String(), TSA: p.tsa, SigningTime: p.sigAt,
		Hash: p.hash.String(), Mode: modeNames[p.mode], Base: p.base, Index: p.index,
	})
}

// UnmarshalBinary restores a state written by MarshalBinary, checking that
// it is consistent: the signed attributes bind the certificate, the
// signing time and (for a countersignature) the countersigned signature
// value; the .p7s being extended parses. A state that does not fit
// together fails with ErrBadState.
func (p *Prepared) UnmarshalBinary(data []byte) error {
	var st preparedState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%w: %v", ErrBadState, err)
	}
	bad := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadState, what, err)
		}
		return fmt.Errorf("%w: %s", ErrBadState, what)
	}
	if st.Version != stateVersion {
		return bad(fmt.Sprintf("version %d", st.Version), nil)
	}
	var cp cms.Prepared
	if err := cp.UnmarshalBinary(st.CMS); err != nil {
		return bad("signed attributes", err)
	}
	lvl, err := ParseLevel(st.Level)
	if err != nil {
		return bad("level", err)
	}
	if lvl >= LevelBT && st.TSA == "" {
		return bad("B-T without a TSA URL", nil)
	}
	h, ok := hashByName[st.Hash]
	if !ok || len(cp.ContentDigest()) != h.Size() {
		return bad("hash "+st.Hash, nil)
	}
	var m mode = -1
	for k, v := range modeNames {
		if v == st.Mode {
			m = k
		}
	}
	if m < 0 {
		return bad("mode "+st.Mode, nil)
	}
	if cp.IsCountersignature() != (m == modeCounter) {
		return bad("countersignature state mismatch", nil)
	}
	// The pinned signing time must be the one the signed attributes hold.
	attrs := cp.SignedAttributes()
	tdec, err := signingTimeOf(attrs)
	if err != nil || !tdec.Equal(st.SigningTime) {
		return bad("signing time differs from the signed attributes", err)
	}
	if m == modeNew {
		if len(st.Base) > 0 {
			return bad("unexpected base signature", nil)
		}
	} else {
		sd, err := cms.Parse(st.Base)
		if err != nil {
			return bad("base signature", err)
		}
		if m == modeCounter {
			if st.Index < 0 || st.Index >= len(sd.SignerInfos) {
				return bad("countersigned SignerInfo index", nil)
			}
			if !bytes.Equal(hashOf(h, sd.SignerInfos[st.Index].Signature), cp.ContentDigest()) {
				return bad("countersignature does not bind the base signature value", nil)
			}
		}
	}
	*p = Prepared{cms: &cp, level: lvl, tsa: st.TSA, sigAt: st.SigningTime, hash: h, base: st.Base, index: st.Index, mode: m,
		HTTPClient: p.HTTPClient, LTV: p.LTV}
	return nil
}

// signingTimeOf returns the signing-time in a DER SET OF signed attributes.
func signingTimeOf(set []byte) (time.Time, error) {
	t, ok, err := cms.SigningTimeOfAttributes(set)
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return time.Time{}, fmt.Errorf("no signing-time attribute")
	}
	return t, nil
}
