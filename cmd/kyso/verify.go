package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/verify"
)

// fileResult is one file's entry in the --json output.
type fileResult struct {
	File string `json:"file"`
	// Indication is the file's overall result: the worst of its
	// signatures, or NO_SIGNATURE_FOUND; empty when Error is set.
	Indication verify.Indication `json:"indication,omitempty"`
	// Error says why the file could not be examined (exit status 2).
	Error string `json:"error,omitempty"`
	*verify.Report
}

// jsonOutput is the single JSON document "kyso verify --json" prints.
type jsonOutput struct {
	Files []fileResult `json:"files"`
}

func (e *env) verify(ctx context.Context, args []string) (int, error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var trust multiFlag
	fs.Var(&trust, "trust", "trusted root certificate(s) in `FILE` (PEM, DER or .p7b); repeatable")
	trustDir := fs.String("trust-dir", "", "directory of trusted root certificates (.pem .crt .cer .der .p7b .p7c)")
	offline := fs.Bool("offline", false, "no network: use only revocation data embedded in the documents")
	at := fs.String("at", "", "validate as of this time (RFC 3339, e.g. 2026-01-31T09:00:00+07:00); default now")
	asJSON := fs.Bool("json", false, "print one JSON document with every file's report")
	lang := fs.String("lang", "vi", "language of the text report: vi or en")
	quiet := fs.Bool("quiet", false, "no progress on standard error")
	pf := registerPolicyFlags(fs)
	content := fs.String("content", "", "the signed `FILE` of a detached .p7s (default: the .p7s name without its extension)")
	files, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso verify FILE... [--trust ROOT.pem]... [--trust-dir DIR] [flags]", err)
	}
	*quiet = *quiet || !isTerminal(e.stderr)
	if len(files) == 0 {
		return 0, usagef("verify: no files given")
	}
	var language verify.Language
	switch *lang {
	case "vi":
		language = verify.Vietnamese
	case "en":
		language = verify.English
	default:
		return 0, usagef("--lang %q: want vi or en", *lang)
	}
	opts := verify.Options{Trust: verify.NewTrustStore(), Revocation: verify.RevocationOnline}
	if *offline {
		opts.Revocation = verify.RevocationOffline
	}
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return 0, usagef("--at %q: want an RFC 3339 time such as 2026-01-31T09:00:00+07:00", *at)
		}
		opts.Time = t
	}
	for _, f := range trust {
		if _, err := opts.Trust.AddFile(f); err != nil {
			return 0, inputErr(fmt.Errorf("--trust: %w", err))
		}
	}
	if *trustDir != "" {
		if _, err := opts.Trust.AddDir(*trustDir); err != nil {
			return 0, inputErr(fmt.Errorf("--trust-dir: %w", err))
		}
	}
	if err := pf.apply(&opts); err != nil {
		return 0, err
	}
	if opts.Trust.Len() == 0 {
		fmt.Fprintln(e.stderr, "kyso: chưa có chứng thư số gốc tin cậy (--trust, --trust-dir): chỉ kiểm tra được tính toàn vẹn / no trust anchors given: no chain can be trusted, only integrity is checked")
	}
	v, err := verify.New(opts)
	if err != nil {
		return 0, err
	}
	var mux verify.Mux
	mux.Handle("PDF", verify.IsPDF, verify.NewPDFVerifier(v))
	mux.Handle("XML", verify.IsXML, verify.NewXMLVerifier(v))

	code := exitOK
	var out jsonOutput
	for _, name := range files {
		res := fileResult{File: name}
		rep, err := verifyPath(ctx, &mux, v, name, *content, e.stderr, *quiet)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			res.Error = message(err)
			code = exitUsage
			if !*asJSON {
				fmt.Fprintf(e.stderr, "kyso: %s\n", message(fmt.Errorf("%s: %w", name, err)))
			}
		} else {
			res.Report, res.Indication = rep, rep.Indication()
			if res.Indication != verify.TotalPassed && code == exitOK {
				code = exitFailed
			}
			if !*asJSON {
				fmt.Fprintf(e.stdout, "══ %s\n%s\n", name, rep.Text(language))
			}
		}
		out.Files = append(out.Files, res)
	}
	if *asJSON {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
	}
	return code, nil
}

// verifyFile verifies the open file f, named name, with progress when it
// is big.
func verifyFile(ctx context.Context, v verify.Verifier, f *os.File, name string, stderr io.Writer, quiet bool) (*verify.Report, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a directory")
	}
	r := io.ReaderAt(f)
	var prog *progress
	if !quiet && st.Size() > progressMin {
		// Verification reads the signed ranges once per signature and the
		// structure besides; show bytes read against the file size.
		prog = newProgress(stderr, "kiểm tra / verifying "+filepath.Base(name), st.Size())
		r = prog.readerAt(f)
	}
	rep, err := v.Verify(ctx, r, st.Size())
	prog.done()
	return rep, err
}

// verifyPath verifies one file for "kyso verify": a CMS signature file
// (.p7s/.p7m) with its content (content, or the file next to it named
// without the .p7s/.sig extension), anything else through mux.
func verifyPath(ctx context.Context, mux verify.Verifier, v *verify.Validator, name, content string, stderr io.Writer, quiet bool) (*verify.Report, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := f.ReadAt(head, 0)
	if !verify.IsCMS(head[:n]) {
		return verifyFile(ctx, mux, f, name, stderr, quiet)
	}
	sig, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if content == "" && !isEnveloping(sig) {
		for _, ext := range []string{".p7s", ".sig", ".P7S", ".SIG"} {
			if c := strings.TrimSuffix(name, ext); c != name {
				if _, err := os.Stat(c); err == nil {
					content = c
				}
				break
			}
		}
		if content == "" {
			fmt.Fprintf(stderr, "kyso: %s là chữ ký tách rời, không tìm thấy tệp được ký: dùng --content FILE / %s is a detached signature and its content was not found: give --content FILE\n", name, name)
		}
	}
	if content == "" {
		return v.VerifyDetached(ctx, sig, nil)
	}
	c, err := os.Open(content)
	if err != nil {
		return nil, fmt.Errorf("--content: %w", err)
	}
	defer c.Close()
	r := progressReader(c, stderr, "kiểm tra / verifying "+filepath.Base(content), quiet)
	return v.VerifyDetached(ctx, sig, r)
}
