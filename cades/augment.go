package cades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/signer"
)

// parse parses a .p7s (DER, BER or a PEM "PKCS7"/"CMS" block), mapping
// errors to ErrMalformed. It returns the bytes parsed too (cms.UnPEM(p7s)).
func parse(p7s []byte) (*cms.SignedData, []byte, error) {
	der := cms.UnPEM(p7s)
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return sd, der, nil
}

// Detached reports whether the .p7s p7s is detached (holds no content).
func Detached(p7s []byte) (bool, error) {
	sd, _, err := parse(p7s)
	if err != nil {
		return false, err
	}
	return sd.Content == nil, nil
}

// Augment raises the .p7s p7s to opts.Level: B-T adds a signature
// time-stamp from opts.TimestampURL to every SignerInfo that has no valid one; B-LT
// does that, then adds the certificates and revocation answers of every
// signer's, countersigner's and TSA's chain (those already present are
// kept and not fetched again). Only unsigned parts change: the signed
// attributes and signature values are kept byte for byte, so every
// existing signature stays valid. A .p7s from another producer (openssl,
// VGCA's agent) can be augmented too. Asking for B-B returns p7s unchanged
// once it parses.
func Augment(ctx context.Context, p7s []byte, opts *Options) ([]byte, error) {
	if opts == nil {
		opts = &Options{}
	}
	lvl, err := opts.level()
	if err != nil {
		return nil, err
	}
	sd, der, err := parse(p7s)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), der...)
	if lvl == LevelBB {
		return out, nil
	}
	h := opts.hash()
	client := &cms.TSAClient{URL: opts.TimestampURL, HTTPClient: opts.HTTPClient, Hash: h}
	// Signatures needing a time-stamp, by value: re-encoding may reorder
	// the SignerInfos SET.
	var need [][]byte
	for _, si := range sd.SignerInfos {
		if !hasValidTimestamp(si) {
			need = append(need, si.Signature)
		}
	}
	for _, sig := range need {
		tok, err := client.Timestamp(ctx, hashOf(h, sig), h)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("cades: %w", ctx.Err())
			}
			return nil, fmt.Errorf("%w: %w", ErrTimestamp, err)
		}
		cur, err := cms.Parse(out)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		idx := -1
		for i, si := range cur.SignerInfos {
			if bytes.Equal(si.Signature, sig) {
				idx = i
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("cades: SignerInfo lost while adding time-stamps: %w", ErrMalformed)
		}
		if out, err = cms.AddUnsignedAttributes(out, idx, cms.TimestampAttribute(tok.DER)); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	if lvl < LevelBLT {
		return out, nil
	}
	if len(need) > 0 {
		sd = nil // out has changed: addLTV parses it again
	}
	return addLTV(ctx, out, sd, opts)
}

// hasValidTimestamp reports whether si carries a signature time-stamp
// that parses and matches its signature value.
func hasValidTimestamp(si *cms.SignerInfo) bool {
	for _, t := range si.Timestamps {
		if t.VerifyData(si.Signature) == nil {
			return true
		}
	}
	return false
}

func hashOf(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

// addLTV adds the B-LT validation data to p7s; sd is p7s parsed, or nil.
func addLTV(ctx context.Context, p7s []byte, sd *cms.SignedData, opts *Options) ([]byte, error) {
	if sd == nil {
		var err error
		if sd, _, err = parse(p7s); err != nil {
			return nil, err
		}
	}
	lo := opts.LTV
	if lo == nil {
		lo = &LTVOptions{}
	}
	var targets []*x509.Certificate
	cands := append(append([]*x509.Certificate(nil), sd.Certificates...), lo.Certificates...)
	sup := &revinfo.Set{}
	addChoices(sup, sd.RawCRLs)
	for _, si := range sd.SignerInfos {
		if c, err := sd.SignerCertificate(si); err == nil {
			targets = append(targets, c)
		} else {
			return nil, fmt.Errorf("%w: %w", ErrValidationData, err)
		}
		cs, _ := si.Countersignatures()
		for _, c := range cs {
			if cert, err := sd.SignerCertificate(c); err == nil {
				targets = append(targets, cert)
			}
		}
		for _, t := range si.Timestamps {
			if t.VerifyData(si.Signature) != nil {
				continue
			}
			if t.TSACertificate != nil {
				targets = append(targets, t.TSACertificate)
			}
			cands = append(cands, t.Certificates...)
			if t.SignedData != nil {
				addChoices(sup, t.SignedData.RawCRLs)
			}
		}
	}
	sup.AddSupplied(lo.Certificates, lo.OCSPResponses, lo.CRLs)
	f := &revinfo.Fetcher{HTTPClient: opts.HTTPClient, Timeout: lo.Timeout, Offline: lo.Offline}
	set, err := f.Collect(ctx, targets, cands, sup)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("cades: %w", ctx.Err())
		}
		return nil, fmt.Errorf("%w: %w", ErrValidationData, err)
	}
	out, err := cms.AddValidationData(p7s, set.Certs, set.CRLs, set.OCSPs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return out, nil
}

// addChoices adds the CRLs and RFC 5940 OCSP responses of a SignedData's
// RevocationInfoChoices to s.
func addChoices(s *revinfo.Set, choices [][]byte) {
	for _, raw := range choices {
		var v asn1.RawValue
		if _, err := asn1.Unmarshal(raw, &v); err != nil {
			continue
		}
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence:
			s.AddCRL(raw)
		case v.Class == asn1.ClassContextSpecific && v.Tag == 1:
			var oid asn1.ObjectIdentifier
			rest, err := asn1.Unmarshal(v.Bytes, &oid)
			if err != nil || !oid.Equal(cms.OIDRIOCSPResponse) {
				continue
			}
			var resp asn1.RawValue
			if r2, err := asn1.Unmarshal(rest, &resp); err == nil && len(r2) == 0 {
				s.AddOCSP(resp.FullBytes)
			}
		}
	}
}

// AddSigner adds s as a further signer of the content the .p7s p7s signs:
// a parallel SignerInfo over the same content (see the package
// documentation for why this, not a countersignature, is the default for
// a second signer). For a detached .p7s the content is read once from r,
// and the existing signatures are checked against it first: if it is not
// what they signed, AddSigner fails with ErrContentMismatch and nothing is
// made. For an enveloping .p7m, r is not read (it may be nil). The new
// signer is brought to opts's level; earlier SignerInfos are kept byte for
// byte (those without a time-stamp get one at B-T).
func AddSigner(ctx context.Context, p7s []byte, r io.Reader, s signer.Signer, opts *Options) ([]byte, error) {
	return signWith(ctx, s, opts, "add signer", func(o *Options) (*Prepared, error) {
		return PrepareAddSigner(ctx, p7s, r, s.Certificate(), s.Chain(), o)
	})
}

// PrepareAddSigner is the first phase of AddSigner: it checks the existing
// signatures against the content (read once from r; nil for an enveloping
// .p7m) and fixes the new signer's signed attributes. Finish returns the
// .p7s with both signers.
func PrepareAddSigner(ctx context.Context, p7s []byte, r io.Reader, cert *x509.Certificate, chain []*x509.Certificate, opts *Options) (*Prepared, error) {
	if opts == nil {
		opts = &Options{}
	}
	sd, der, err := parse(p7s)
	if err != nil {
		return nil, err
	}
	if sd.SignerInfos[0].RawSignedAttrs == nil {
		return nil, fmt.Errorf("%w: the existing signature has no signed attributes (a PKCS#7 -noattr signature); a CAdES signer cannot be added beside it", ErrMalformed)
	}
	o := *opts
	h := o.hash()
	o.Enveloping = sd.Content != nil
	if sd.Content == nil && r == nil {
		return nil, fmt.Errorf("cades: adding a signer to a detached .p7s needs its content: %w", ErrBadOptions)
	}
	digest, err := checkSigners(ctx, sd, r, h)
	if err != nil {
		return nil, err
	}
	// The content is copied: the caller may reuse p7s before Finish.
	p, err := Prepare(ctx, digestReader{digest: digest, content: bytes.Clone(sd.Content)}, cert, chain, &o)
	if err != nil {
		return nil, err
	}
	p.base = append([]byte(nil), der...)
	p.mode = modeParallel
	return p, nil
}

// CheckContent verifies every SignerInfo of p7s cryptographically over
// the content, read once from r (nil for an enveloping .p7m, whose own
// content is used): ErrContentMismatch when the content is not what was
// signed, ErrMalformed when a signature does not verify or the .p7s does
// not parse. It makes no trust decision (no chain, validity or revocation
// check: that is the verify package's job); it is the check to make before
// extending a .p7s, and AddSigner makes it.
func CheckContent(ctx context.Context, p7s []byte, r io.Reader) error {
	sd, _, err := parse(p7s)
	if err != nil {
		return err
	}
	if sd.Content == nil && r == nil {
		return fmt.Errorf("cades: checking a detached .p7s needs its content: %w", ErrBadOptions)
	}
	_, err = checkSigners(ctx, sd, r, 0)
	return err
}

// checkSigners hashes the content (r, or the encapsulated content) once
// with every digest algorithm in use plus h, checks every SignerInfo, and
// returns the digest made with h (nil when h is 0: no further digest).
func checkSigners(ctx context.Context, sd *cms.SignedData, r io.Reader, h crypto.Hash) ([]byte, error) {
	if sd.Content != nil {
		r = bytes.NewReader(sd.Content)
	}
	hs := map[crypto.Hash]hash.Hash{}
	if h != 0 {
		hs[h] = h.New()
	}
	for _, si := range sd.SignerInfos {
		if _, ok := hs[si.Hash]; !ok && si.Hash.Available() {
			hs[si.Hash] = si.Hash.New()
		}
	}
	ws := make([]io.Writer, 0, len(hs))
	for _, d := range hs {
		ws = append(ws, d)
	}
	if err := copyContent(ctx, io.MultiWriter(ws...), r); err != nil {
		return nil, err
	}
	for i, si := range sd.SignerInfos {
		d, ok := hs[si.Hash]
		if !ok {
			return nil, fmt.Errorf("%w: SignerInfo %d uses an unsupported digest", ErrMalformed, i+1)
		}
		if err := checkExisting(sd, si, d.Sum(nil)); err != nil {
			return nil, fmt.Errorf("cades: existing SignerInfo %d: %w", i+1, err)
		}
	}
	if h == 0 {
		return nil, nil
	}
	return hs[h].Sum(nil), nil
}

// checkExisting verifies one existing SignerInfo against the content
// digest, mapping a digest mismatch to ErrContentMismatch.
func checkExisting(sd *cms.SignedData, si *cms.SignerInfo, digest []byte) error {
	err := sd.VerifySignerInfo(si, digest)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, cms.ErrHashMismatch):
		return fmt.Errorf("%w: %w", ErrContentMismatch, err)
	}
	return fmt.Errorf("%w: it does not verify: %w", ErrMalformed, err)
}

// copyContent copies r to w in chunks, honouring ctx.
func copyContent(ctx context.Context, w io.Writer, r io.Reader) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("cades: %w", err)
		}
		n, rerr := io.ReadFull(r, buf)
		if _, err := w.Write(buf[:n]); err != nil {
			return fmt.Errorf("cades: hashing content: %w", err)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("cades: reading content: %w", rerr)
		}
	}
}

// digestReader stands for content whose digest is already known (and,
// for an enveloping signature, the content itself): Prepare recognises it
// and does not read or hash again.
type digestReader struct{ digest, content []byte }

func (digestReader) Read([]byte) (int, error) { return 0, io.EOF }

// Merge returns the .p7s p7s with the SignerInfos of other (a signature of
// the same content finished elsewhere, e.g. by Prepare and Finish in
// another process) added as parallel signers, with other's certificates
// and revocation data. Both must be detached or both envelop the same
// content; for detached signatures Merge cannot see the content, so verify
// the result against it (or use AddSigner, which checks).
func Merge(p7s, other []byte) ([]byte, error) {
	_, der, err := parse(p7s)
	if err != nil {
		return nil, err
	}
	_, otherDER, err := parse(other)
	if err != nil {
		return nil, err
	}
	out, err := cms.Merge(der, otherDER)
	if err != nil {
		if errors.Is(err, cms.ErrHashMismatch) {
			return nil, fmt.Errorf("%w: %w", ErrContentMismatch, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return out, nil
}

// CounterSign adds an RFC 5652 countersignature by s of SignerInfo index
// (0-based, in file order) of p7s: a signature over that signer's
// signature value, stored as its countersignature unsigned attribute. The
// content is not needed. opts's Hash, PSS and SigningTime shape the
// countersignature; at B-T and B-LT the .p7s is then augmented (the
// countersigner's chain is included at B-LT).
func CounterSign(ctx context.Context, p7s []byte, index int, s signer.Signer, opts *Options) ([]byte, error) {
	return signWith(ctx, s, opts, "countersign", func(o *Options) (*Prepared, error) {
		return PrepareCounterSign(ctx, p7s, index, s.Certificate(), s.Chain(), o)
	})
}

// PrepareCounterSign is the first phase of CounterSign. It does no network
// I/O; ctx is checked before the work starts.
func PrepareCounterSign(ctx context.Context, p7s []byte, index int, cert *x509.Certificate, chain []*x509.Certificate, opts *Options) (*Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &Options{}
	}
	if cert == nil {
		return nil, fmt.Errorf("cades: countersign: %w", signer.ErrNoCertificate)
	}
	lvl, err := opts.level()
	if err != nil {
		return nil, err
	}
	if opts.Enveloping {
		return nil, fmt.Errorf("cades: a countersignature has no content to envelop: %w", ErrBadOptions)
	}
	sd, der, err := parse(p7s)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(sd.SignerInfos) {
		return nil, fmt.Errorf("cades: countersign: no SignerInfo %d (the .p7s has %d): %w", index, len(sd.SignerInfos), ErrBadOptions)
	}
	at := opts.signingTime()
	h := opts.hash()
	cp, err := cms.PrepareCountersignature(cert, chain, sd.SignerInfos[index].Signature, cms.Options{Hash: h, PSS: opts.PSS, SigningTime: at})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	return &Prepared{cms: cp, level: lvl, tsa: opts.TimestampURL, sigAt: at, hash: h, HTTPClient: opts.HTTPClient, LTV: opts.LTV,
		base: append([]byte(nil), der...), index: index, mode: modeCounter}, nil
}
