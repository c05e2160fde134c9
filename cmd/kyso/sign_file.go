package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kyso-vn/kyso/cades"
)

// "kyso sign file": CAdES signatures (.p7s) over any file; the CMS side of
// "kyso verify" is verifyPath in verify.go.

const signFileSynopsis = "kyso sign file IN OUT.p7s <key flags> [--level B-B|B-T|B-LT] [--tsa URL] [--enveloping] [--cosign P7S | --countersign P7S | --augment P7S]"

func (e *env) signFile(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("sign file", flag.ContinueOnError)
	var k keyFlags
	k.register(fs)
	level := fs.String("level", "", "CAdES level: B-B, B-T (default B-T with --tsa, else B-B) or B-LT (B-T plus certificates and OCSP/CRL answers)")
	tsa := fs.String("tsa", "", "RFC 3161 time-stamping `URL` (needed for B-T and B-LT)")
	enveloping := fs.Bool("enveloping", false, "put the content inside the signature (a .p7m; small files only, up to 16 MiB)")
	cosign := fs.String("cosign", "", "add this signer to the existing signature `P7S` of IN (a parallel signer of the same file); write the result to OUT")
	countersign := fs.String("countersign", "", "countersign the first signature of the existing `P7S` (a signature of that signature, checked against IN first); write the result to OUT")
	augment := fs.String("augment", "", "raise the existing signature `P7S` of IN to --level (B-T or B-LT) without signing again; no key needed")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	cc := registerCertCheck(fs)
	pos, in, out, err := e.inOut(fs, &k, args, signFileSynopsis, "sign file", "OUT.p7s")
	if err != nil {
		return 0, err
	}
	if err := e.checkBinaryStdout(out); err != nil {
		return 0, err
	}
	*quiet = *quiet || !isTerminal(e.stderr)
	n := 0
	for _, s := range []string{*cosign, *countersign, *augment} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return 0, usagef("give at most one of --cosign, --countersign, --augment")
	}
	opts := &cades.Options{TimestampURL: *tsa, Enveloping: *enveloping}
	if *level != "" {
		// The level as cades reads it ("b-b", "lt"), judged once parsed.
		l, err := cades.ParseLevel(*level)
		switch {
		case err != nil:
			return 0, usagef("--level %q: want B-B, B-T or B-LT", *level)
		case l == cades.LevelBB && *tsa != "":
			return 0, usagef("--level B-B takes no --tsa (use B-T)")
		case l != cades.LevelBB && *tsa == "":
			return 0, usagef("--level %s needs --tsa URL", l)
		}
		// OCSP responses and CRLs are fetched with the default client,
		// which honours HTTP_PROXY / HTTPS_PROXY.
		opts.Level = l
	}
	if *augment != "" && *tsa == "" {
		return 0, usagef("--augment needs --level B-T or B-LT and --tsa URL")
	}
	if *enveloping && n > 0 {
		return 0, usagef("--enveloping makes a new signature; an existing .p7m stays enveloping")
	}

	if k.outDir != "" {
		if n > 0 {
			return 0, usagef("--out-dir signs new signatures only (no --cosign, --countersign or --augment)")
		}
		return e.signFileBatch(ctx, &k, pos, opts, cc)
	}

	var existing []byte
	for _, p := range []string{*cosign, *countersign, *augment} {
		if p != "" {
			if existing, err = os.ReadFile(p); err != nil {
				return 0, inputErr(err)
			}
		}
	}
	label := "ký / signing " + filepath.Base(in)
	if existing != nil && *cosign == "" {
		// The existing signatures are checked against the content first
		// (AddSigner does that itself for --cosign).
		if err := cades.CheckContent(ctx, existing, e.contentReader(in, label, *quiet, existing)); err != nil {
			return 0, classifyCAdESErr(fmt.Errorf("%s does not sign %s: %w", filepathOf(*cosign, *countersign, *augment), in, err))
		}
	}
	if *augment != "" {
		p7s, err := cades.Augment(ctx, existing, opts)
		if err != nil {
			return 0, classifyCAdESErr(fmt.Errorf("augmenting %s: %w%s", *augment, err, proxyHint(err)))
		}
		if err := e.writeOutput(out, k.force, func(w io.Writer) error { _, err := w.Write(p7s); return err }); err != nil {
			return 0, err
		}
		fmt.Fprintf(e.messages(out), "Đã nâng cấp / augmented %s → %s (CAdES %s)\n", *augment, shownName(out), levelOf(opts))
		return exitOK, nil
	}

	s, release, code, err := cc.openChecked(ctx, e, &k, filepath.Base(in))
	if s == nil {
		return code, err
	}
	defer release()
	var p7s []byte
	what := "CAdES " + levelOf(opts)
	switch {
	case *cosign != "":
		p7s, err = cades.AddSigner(ctx, existing, e.contentReader(in, label, *quiet, existing), s, opts)
		what += ", second signer"
	case *countersign != "":
		p7s, err = cades.CounterSign(ctx, existing, 0, s, opts)
		what += ", countersignature"
	default:
		var f *os.File
		if f, err = os.Open(in); err != nil {
			return 0, inputErr(err)
		}
		defer f.Close()
		p7s, err = cades.Sign(ctx, progressReader(f, e.stderr, label, *quiet), s, opts)
		if *enveloping {
			what += ", enveloping"
		}
	}
	if err != nil {
		return 0, classifyCAdESErr(fmt.Errorf("signing %s: %w%s", in, err, proxyHint(err)))
	}
	if err := e.writeOutput(out, k.force, func(w io.Writer) error { _, err := w.Write(p7s); return err }); err != nil {
		return 0, err
	}
	fmt.Fprintf(e.messages(out), "Đã ký / signed %s → %s (%s) by %s\n", in, shownName(out), what, s.Certificate().Subject.CommonName)
	return exitOK, nil
}

func filepathOf(names ...string) string {
	for _, n := range names {
		if n != "" {
			return n
		}
	}
	return ""
}

func levelOf(o *cades.Options) string {
	if o.Level == cades.LevelBB && o.TimestampURL != "" {
		return cades.LevelBT.String()
	}
	return o.Level.String()
}

// contentReader opens the content file in for a detached p7s (nil for an
// enveloping one), with progress; a file that cannot be opened gives a
// reader that fails with the open error.
func (e *env) contentReader(in, label string, quiet bool, p7s []byte) io.Reader {
	if isEnveloping(p7s) {
		return nil
	}
	f, err := os.Open(in)
	if err != nil {
		return errReader{inputErr(err)}
	}
	// Closed when the process exits; the CLI opens at most two.
	return progressReader(f, e.stderr, label, quiet)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// isEnveloping reports whether the CMS p7s holds its content.
func isEnveloping(p7s []byte) bool {
	d, err := cades.Detached(p7s)
	return err == nil && !d
}

// classifyCAdESErr makes errors caused by the input or the options exit
// with status 2.
func classifyCAdESErr(err error) error {
	if errorsIsAny(err, cades.ErrMalformed, cades.ErrBadOptions, cades.ErrTooLarge, cades.ErrContentMismatch) {
		return usageError{err}
	}
	var u usageError
	if errors.As(err, &u) {
		return err
	}
	return classifySignErr(err)
}
