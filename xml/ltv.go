package xml

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/revinfo"
)

// LTVOptions control how XAdES B-LT validation data is collected
// (SignOptions.LTV, Prepared.LTV).
type LTVOptions struct {
	// HTTPClient fetches OCSP responses, CRLs and missing issuer
	// certificates (SignOptions.HTTPClient, then http.DefaultClient, when
	// nil); Timeout bounds each request (10 s when zero).
	HTTPClient *http.Client
	Timeout    time.Duration
	// Offline forbids network access: the evidence must be supplied.
	Offline bool
	// Certificates, OCSPResponses (DER OCSPResponse) and CRLs (DER) are
	// evidence supplied by the caller; an answer that checks out for a
	// certificate saves fetching one.
	Certificates  []*x509.Certificate
	OCSPResponses [][]byte
	CRLs          [][]byte
}

// ltValues returns the XAdES CertificateValues and RevocationValues for
// the signer's chain and the chain of the TSA that issued tok.
func (p *Prepared) ltValues(ctx context.Context, tok []byte) (string, error) {
	lo := &LTVOptions{}
	if p.LTV != nil {
		c := *p.LTV
		lo = &c
	}
	if lo.HTTPClient == nil {
		lo.HTTPClient = p.HTTPClient
	}
	targets := []*x509.Certificate{p.cert}
	cands := append(append([]*x509.Certificate(nil), p.chain...), lo.Certificates...)
	t, err := cms.ParseToken(tok)
	if err != nil {
		return "", fmt.Errorf("xml: XAdES B-LT: the TSA's token: %w", err)
	}
	if t.TSACertificate != nil {
		targets = append(targets, t.TSACertificate)
	}
	cands = append(cands, t.Certificates...)
	sup := &revinfo.Set{}
	sup.AddSupplied(lo.Certificates, lo.OCSPResponses, lo.CRLs)
	f := &revinfo.Fetcher{HTTPClient: lo.HTTPClient, Timeout: lo.Timeout, Offline: lo.Offline}
	set, err := f.Collect(ctx, targets, cands, sup)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrValidationData, err)
	}
	var b strings.Builder
	b.WriteString(`<xades:CertificateValues>`)
	writeEncapsulated(&b, "EncapsulatedX509Certificate", set.Certs)
	b.WriteString(`</xades:CertificateValues><xades:RevocationValues>`)
	if len(set.CRLs) > 0 {
		b.WriteString(`<xades:CRLValues>`)
		writeEncapsulated(&b, "EncapsulatedCRLValue", set.CRLs)
		b.WriteString(`</xades:CRLValues>`)
	}
	if len(set.OCSPs) > 0 {
		b.WriteString(`<xades:OCSPValues>`)
		writeEncapsulated(&b, "EncapsulatedOCSPValue", set.OCSPs)
		b.WriteString(`</xades:OCSPValues>`)
	}
	b.WriteString(`</xades:RevocationValues>`)
	return b.String(), nil
}

// writeEncapsulated writes each DER item as a xades:elem element holding
// its base64.
func writeEncapsulated(b *strings.Builder, elem string, items [][]byte) {
	for _, d := range items {
		b.WriteString(`<xades:` + elem + `>`)
		b.WriteString(base64.StdEncoding.EncodeToString(d))
		b.WriteString(`</xades:` + elem + `>`)
	}
}

// ErrValidationData: a certificate chain or a revocation answer needed for
// XAdES B-LT could not be found, fetched or checked.
var ErrValidationData = fmt.Errorf("xml: validation data unavailable")
