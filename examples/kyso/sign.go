package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

func (e *env) sign(ctx context.Context, args []string) (int, error) {
	if len(args) == 0 {
		return 0, usagef("sign: say what to sign: kyso sign pdf IN OUT | kyso sign xml IN OUT")
	}
	switch args[0] {
	case "pdf":
		return e.signPDF(ctx, args[1:])
	case "xml":
		return e.signXML(ctx, args[1:])
	case "file":
		return e.signFile(ctx, args[1:])
	}
	return 0, usagef("sign: unknown format %q (pdf, xml or file)", args[0])
}

func (e *env) signPDF(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("sign pdf", flag.ContinueOnError)
	var k keyFlags
	k.register(fs)
	level := fs.String("level", "", "PAdES level: B-B, B-T (default B-T with --tsa, else B-B), B-LT (B-T plus certificates and OCSP/CRL answers in a DSS) or B-LTA (B-LT plus a document time-stamp)")
	vri := fs.Bool("vri", false, "with B-LT/B-LTA: also write per-signature VRI dictionaries")
	tsa := fs.String("tsa", "", "RFC 3161 time-stamping `URL` (needed for B-T, B-LT and B-LTA)")
	reason := fs.String("reason", "", "reason for signing (Lý do)")
	location := fs.String("location", "", "place of signing (Nơi ký)")
	field := fs.String("field", "", "signature field to sign or create (default SignatureN)")
	visible := fs.String("visible", "", "visible signature: `PAGE:X,Y,W,H` in points from the bottom left (PAGE -1 = last)")
	image := fs.String("image", "", "PNG or JPEG `FILE` drawn in the visible signature (a seal or a handwritten signature)")
	var look appearanceFlags
	look.register(fs)
	var flow flowFlags
	flow.register(fs)
	certify := fs.Int("certify", 0, "certification signature with DocMDP permissions 1, 2 or 3 (default: approval signature)")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	cc := registerCertCheck(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso sign pdf IN OUT [flags]", err)
	}
	if len(pos) != 2 && k.outDir == "" {
		return 0, usagef("sign pdf: want IN and OUT (or IN... --out-dir DIR), got %d arguments", len(pos))
	}
	in, out := batchArgs(pos, k.outDir)

	opts := &pdf.Options{Reason: *reason, Location: *location, Field: *field, Certify: *certify}
	switch *level {
	case "":
		opts.TimestampURL = *tsa
	case "B-B":
		if *tsa != "" {
			return 0, usagef("--level B-B takes no --tsa (use B-T)")
		}
	case "B-T":
		if *tsa == "" {
			return 0, usagef("--level B-T needs --tsa URL")
		}
		opts.TimestampURL = *tsa
	case "B-LT", "B-LTA":
		if *tsa == "" {
			return 0, usagef("--level %s needs --tsa URL (the signature time-stamp, and the document time-stamp of B-LTA)", *level)
		}
		opts.TimestampURL = *tsa
		opts.Level, _ = pdf.ParseLevel(*level)
		// OCSP responses and CRLs are fetched with the default client,
		// which honours HTTP_PROXY / HTTPS_PROXY.
		opts.LTV = &pdf.LTVOptions{VRI: *vri}
	default:
		return 0, usagef("--level %q: want B-B, B-T, B-LT or B-LTA", *level)
	}
	if *vri && opts.Level < pdf.LevelLT {
		return 0, usagef("--vri needs --level B-LT or B-LTA")
	}
	if *certify < 0 || *certify > 3 {
		return 0, usagef("--certify %d: want 1, 2 or 3", *certify)
	}
	if *visible != "" {
		page, rect, err := parseVisible(*visible)
		if err != nil {
			return 0, usageError{err}
		}
		opts.Page = page
		opts.Appearance = &pdf.Appearance{Rect: rect}
	}
	if *image != "" {
		if opts.Appearance == nil {
			return 0, usagef("--image needs --visible PAGE:X,Y,W,H")
		}
		b, err := os.ReadFile(*image)
		if err != nil {
			return 0, inputErr(fmt.Errorf("--image: %w", err))
		}
		opts.Appearance.Image = b
	}
	if err := look.apply(opts, e.stderr); err != nil {
		return 0, err
	}

	if k.outDir != "" {
		return e.signPDFBatch(ctx, &k, pos, opts)
	}
	f, err := os.Open(in)
	if err != nil {
		return 0, inputErr(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, inputErr(err)
	}
	s, release, err := k.open(ctx, e, filepath.Base(in))
	if err != nil {
		return 0, err
	}
	defer release()
	if code := cc.run(ctx, e, s); code != exitOK {
		return code, nil
	}
	if opts, err = flow.plan(f, st.Size(), s, opts); err != nil {
		return 0, classifySignErr(fmt.Errorf("%s: %w", in, err))
	}

	// pdf.Sign reads the input twice (hash, then copy).
	r := io.ReaderAt(f)
	var prog *progress
	if !*quiet && st.Size() > progressMin {
		prog = newProgress(e.stderr, "ký / signing "+filepath.Base(in), 2*st.Size())
		r = prog.readerAt(f)
	}
	err = writeAtomic(out, func(w io.Writer) error {
		return signPDFWith(ctx, w, r, st.Size(), s, opts)
	})
	prog.done()
	if err != nil {
		return 0, classifySignErr(fmt.Errorf("signing %s: %w%s", in, err, proxyHint(err)))
	}
	lvl := "B-B"
	if opts.TimestampURL != "" {
		lvl = "B-T"
	}
	if opts.Level >= pdf.LevelLT {
		lvl = opts.Level.String()
	}
	fmt.Fprintf(e.stdout, "Đã ký / signed %s → %s (PAdES %s) by %s\n", in, out, lvl, s.Certificate().Subject.CommonName)
	return exitOK, nil
}

// parseVisible parses PAGE:X,Y,W,H.
func parseVisible(v string) (int, pdf.Rect, error) {
	var rect pdf.Rect
	pageS, rest, ok := strings.Cut(v, ":")
	if !ok {
		return 0, rect, fmt.Errorf("--visible %q: want PAGE:X,Y,W,H", v)
	}
	page, err := strconv.Atoi(pageS)
	if err != nil || page == 0 || page < -1 {
		return 0, rect, fmt.Errorf("--visible %q: page must be 1, 2, … or -1 for the last", v)
	}
	parts := strings.Split(rest, ",")
	if len(parts) != 4 {
		return 0, rect, fmt.Errorf("--visible %q: want four numbers X,Y,W,H", v)
	}
	var n [4]float64
	for i, p := range parts {
		if n[i], err = strconv.ParseFloat(strings.TrimSpace(p), 64); err != nil || math.IsNaN(n[i]) || math.IsInf(n[i], 0) || math.Abs(n[i]) > 1e6 {
			return 0, rect, fmt.Errorf("--visible %q: %q is not a coordinate", v, p)
		}
	}
	if n[2] <= 0 || n[3] <= 0 {
		return 0, rect, fmt.Errorf("--visible %q: width and height must be positive", v)
	}
	return page, pdf.Rect{X: n[0], Y: n[1], W: n[2], H: n[3]}, nil
}

// proxyHint explains a failure to reach the revocation servers of a test
// PKI made by "kyso pki init": its certificates name hosts that only "kyso
// pki serve" answers, as an HTTP proxy.
func proxyHint(err error) string {
	if strings.Contains(err.Error(), pkitest.DeterministicOCSPHost) || strings.Contains(err.Error(), pkitest.DeterministicRepositoryHost) {
		return "\n(the test PKI's OCSP and CRL hosts are reached through \"kyso pki serve\": set HTTP_PROXY to the URL it prints)"
	}
	return ""
}

// classifySignErr makes errors caused by the input or the options exit
// with status 2.
func classifySignErr(err error) error {
	for _, target := range []error{
		pdf.ErrMalformed, pdf.ErrUnsupported, pdf.ErrWrongPassword, pdf.ErrFieldNotFound,
		pdf.ErrFieldSigned, pdf.ErrNotPermitted, pdf.ErrBadOptions,
		kxml.ErrSyntax, kxml.ErrDOCTYPE, kxml.ErrNotFound, kxml.ErrAmbiguous, kxml.ErrSlotOccupied,
		kxml.ErrLimit, kxml.ErrEncoding, kxml.ErrUndeclaredPrefix, kxml.ErrDuplicateAttr,
		signer.ErrWrongPassword,
	} {
		if errors.Is(err, target) {
			return usageError{err}
		}
	}
	return err
}

// writeAtomic writes a file through a temporary file in the same
// directory, renamed over path only when write succeeded.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return inputErr(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

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
	pos, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso sign xml IN OUT [flags]", err)
	}
	if len(pos) != 2 && k.outDir == "" {
		return 0, usagef("sign xml: want IN and OUT (or IN... --out-dir DIR), got %d arguments", len(pos))
	}
	in, out := batchArgs(pos, k.outDir)

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
	switch *xades {
	case "":
		if *tsa != "" {
			return 0, usagef("--tsa needs --xades B-T")
		}
	case "B-B":
		opts.XAdES = kxml.XAdESBaselineB
	case "B-T", "B-LT":
		if *tsa == "" {
			return 0, usagef("--xades %s needs --tsa URL", *xades)
		}
		opts.XAdES = kxml.XAdESBaselineT
		opts.TSA = kxml.TSA(*tsa, nil)
		if *xades == "B-LT" {
			// OCSP responses and CRLs come through the default client,
			// which honours HTTP_PROXY / HTTPS_PROXY.
			opts.XAdES = kxml.XAdESBaselineLT
		}
	default:
		return 0, usagef("--xades %q: want B-B, B-T or B-LT", *xades)
	}

	if k.outDir != "" {
		if len(refs) > 0 {
			return 0, usagef("--ref names elements of one document; it cannot be used with --out-dir")
		}
		return e.signXMLBatch(ctx, &k, pos, opts)
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
	s, release, err := k.open(ctx, e, filepath.Base(in))
	if err != nil {
		return 0, err
	}
	defer release()
	if code := cc.run(ctx, e, s); code != exitOK {
		return code, nil
	}
	signed, err := kxml.Sign(ctx, doc, s, opts)
	if err != nil {
		if *profile == "cqt" && *mccqt == "" && errors.Is(err, kxml.ErrNotFound) {
			err = fmt.Errorf("%w (an invoice without MCCQT needs --mccqt CODE)", err)
		}
		return 0, classifySignErr(fmt.Errorf("signing %s: %w%s", in, err, proxyHint(err)))
	}
	if err := writeAtomic(out, func(w io.Writer) error { _, err := w.Write(signed); return err }); err != nil {
		return 0, err
	}
	where := opts.Location
	if where == "" {
		where = "the document element"
	}
	fmt.Fprintf(e.stdout, "Đã ký / signed %s → %s (%s, in %s) by %s\n", in, out, *profile, where, s.Certificate().Subject.CommonName)
	return exitOK, nil
}

// resolveRefs turns --ref values into references: "#ID" names the element
// whose Id (or ID, id) attribute is ID, "" the whole document, anything else
// is a path.
func resolveRefs(doc []byte, refs []string) ([]kxml.Ref, error) {
	var d *kxml.Document
	var out []kxml.Ref
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
			for _, a := range kxml.DefaultIDAttrs() {
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
