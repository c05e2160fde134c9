package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	kxml "github.com/kyso-vn/kyso/xml"
)

func (e *env) signXML(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("sign xml", flag.ContinueOnError)
	var k keyFlags
	k.register(fs)
	profile := fs.String("profile", "seller", "signature layout: seller (NBan), buyer (NMua), cqt (tax authority), nnt (taxpayer registration), generic")
	var refs multiFlag
	fs.Var(&refs, "ref", "data to sign: `'#ID'` (element with that Id), a path such as //HDon/DLHDon, or '' for the whole document; repeatable (default: the profile's)")
	into := fs.String("into", "", "path of the element that receives the Signature, e.g. //HDon/DSCKS/NBan (default: the profile's; the document element for generic)")
	xades := fs.String("xades", "", "add XAdES qualifying properties: B-B, B-T (with --tsa) or B-LT (B-T plus certificates and OCSP/CRL answers)")
	tsa := fs.String("tsa", "", "RFC 3161 time-stamping `URL` (for --xades B-T and B-LT)")
	mccqt := fs.String("mccqt", "", "tax-authority code to insert as MCCQT when the invoice has none (--profile cqt)")
	chain := fs.Bool("chain", true, "include the issuer certificates in KeyInfo")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	cc := registerCertCheck(fs)
	pos, in, out, err := e.inOut(fs, &k, args, "kyso sign xml IN OUT [flags]", "sign xml", "OUT")
	if err != nil {
		return 0, err
	}
	*quiet = *quiet || !isTerminal(e.stderr)

	var opts *kxml.SignOptions
	switch *profile {
	case "seller":
		opts = kxml.Seller()
	case "buyer":
		opts = kxml.Buyer()
	case "cqt":
		opts = kxml.TaxAuthority(*mccqt)
	case "nnt":
		opts = kxml.Registrant()
	case "generic":
		opts = &kxml.SignOptions{Enveloped: true, AddMissingIDs: false}
		if len(refs) == 0 {
			opts.References = []kxml.Ref{{Path: ""}}
		}
	default:
		return 0, usagef("--profile %q: want seller, buyer, cqt, nnt or generic", *profile)
	}
	if *mccqt != "" && *profile != "cqt" {
		return 0, usagef("--mccqt is for --profile cqt")
	}
	if *into != "" {
		opts.Location = *into
	}
	opts.IncludeChain = *chain
	level, err := kxml.ParseLevel(*xades)
	if err != nil {
		return 0, usagef("--xades %q: want B-B, B-T or B-LT", *xades)
	}
	switch opts.Level = level; {
	case level < kxml.LevelBT && *tsa != "":
		return 0, usagef("--tsa needs --xades B-T")
	case level >= kxml.LevelBT && *tsa == "":
		return 0, usagef("--xades %s needs --tsa URL", level)
	}
	// At B-LT, OCSP responses and CRLs come through the default client,
	// which honours HTTP_PROXY / HTTPS_PROXY.
	opts.TimestampURL = *tsa

	if k.outDir != "" {
		if len(refs) > 0 {
			return 0, usagef("--ref names elements of one document; it cannot be used with --out-dir")
		}
		return e.signXMLBatch(ctx, &k, pos, opts, cc)
	}
	doc, err := readFile(in, e.stderr, *quiet, "đọc / reading "+filepath.Base(in))
	if err != nil {
		return 0, inputErr(err)
	}
	if len(refs) > 0 {
		if opts.References, err = resolveRefs(doc, refs); err != nil {
			return 0, inputErr(err)
		}
	}
	s, release, code, err := cc.openChecked(ctx, e, &k, filepath.Base(in))
	if s == nil {
		return code, err
	}
	defer release()
	signed, err := kxml.Sign(ctx, doc, s, opts)
	if err != nil {
		if *profile == "cqt" && *mccqt == "" && errors.Is(err, kxml.ErrNotFound) {
			err = fmt.Errorf("%w (an invoice without MCCQT needs --mccqt CODE)", err)
		}
		return 0, classifySignErr(fmt.Errorf("signing %s: %w%s", in, err, proxyHint(err)))
	}
	if err := e.writeOutput(out, k.force, func(w io.Writer) error { _, err := w.Write(signed); return err }); err != nil {
		return 0, err
	}
	where := opts.Location
	if where == "" {
		where = "the document element"
	}
	fmt.Fprintf(e.messages(out), "Đã ký / signed %s → %s (%s, in %s) by %s\n", in, shownName(out), *profile, where, s.Certificate().Subject.CommonName)
	return exitOK, nil
}

// resolveRefs turns --ref values into references: "#ID" names the element
// whose Id (or ID, id) attribute is ID, "" the whole document, anything else
// is a path.
func resolveRefs(doc []byte, refs []string) ([]kxml.Ref, error) {
	var d *kxml.Document
	var out []kxml.Ref
	idAttrs := kxml.DefaultIDAttrs() // a new slice each call: once, not per element
	for _, r := range refs {
		if !strings.HasPrefix(r, "#") {
			out = append(out, kxml.Ref{Path: r})
			continue
		}
		id := r[1:]
		if id == "" {
			return nil, fmt.Errorf("--ref %q: empty Id (use '' for the whole document)", r)
		}
		if d == nil {
			var err error
			if d, err = kxml.Parse(doc); err != nil {
				return nil, err
			}
		}
		var found []*kxml.Node
		var walk func(n *kxml.Node)
		walk = func(n *kxml.Node) {
			for _, a := range idAttrs {
				if v, ok := n.Attr(a); ok && v == id {
					found = append(found, n)
					break
				}
			}
			for _, c := range n.Elements() {
				walk(c)
			}
		}
		walk(d.Root())
		switch len(found) {
		case 0:
			return nil, fmt.Errorf("--ref %q: no element has this Id: %w", r, kxml.ErrNotFound)
		case 1:
			out = append(out, kxml.Ref{Path: found[0].Path()})
		default:
			return nil, fmt.Errorf("--ref %q: %d elements have this Id: %w", r, len(found), kxml.ErrAmbiguous)
		}
	}
	return out, nil
}
