package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kyso-vn/kyso/pdf"
)

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
	pos, in, out, err := e.inOut(fs, &k, args, "kyso sign pdf IN OUT [flags]", "sign pdf", "OUT")
	if err != nil {
		return 0, err
	}
	if err := e.checkBinaryStdout(out); err != nil {
		return 0, err
	}
	*quiet = *quiet || !isTerminal(e.stderr)

	opts := &pdf.Options{Reason: *reason, Location: *location, Field: *field, Certify: *certify}
	// The level as pdf reads it ("b-t", "lta"), judged once parsed.
	l, err := pdf.ParseLevel(*level)
	switch {
	case *level == "":
		opts.TimestampURL = *tsa
	case err != nil:
		return 0, usagef("--level %q: want B-B, B-T, B-LT or B-LTA", *level)
	case l == pdf.LevelBB:
		if *tsa != "" {
			return 0, usagef("--level B-B takes no --tsa (use B-T)")
		}
	case l == pdf.LevelBT:
		if *tsa == "" {
			return 0, usagef("--level B-T needs --tsa URL")
		}
		opts.TimestampURL = *tsa
	default: // B-LT, B-LTA
		if *tsa == "" {
			return 0, usagef("--level %s needs --tsa URL (the signature time-stamp, and the document time-stamp of B-LTA)", l)
		}
		opts.TimestampURL = *tsa
		opts.Level = l
		// OCSP responses and CRLs are fetched with the default client,
		// which honours HTTP_PROXY / HTTPS_PROXY.
		opts.LTV = &pdf.LTVOptions{VRI: *vri}
	}
	if *vri && opts.Level < pdf.LevelBLT {
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
		return e.signPDFBatch(ctx, &k, pos, opts, cc)
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
	s, release, code, err := cc.openChecked(ctx, e, &k, filepath.Base(in))
	if s == nil {
		return code, err
	}
	defer release()
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
	err = e.writeOutput(out, k.force, func(w io.Writer) error {
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
	if opts.Level >= pdf.LevelBLT {
		lvl = opts.Level.String()
	}
	fmt.Fprintf(e.messages(out), "Đã ký / signed %s → %s (PAdES %s) by %s\n", in, shownName(out), lvl, s.Certificate().Subject.CommonName)
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
