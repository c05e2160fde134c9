package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/kyso-vn/kyso/cades"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/remote"
	"github.com/kyso-vn/kyso/remote/remotetest"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// remoteFlags are the remote-signing key sources (CSC API v2, sp769) and
// the batch output directory of "sign pdf" and "sign xml".
type remoteFlags struct {
	csc, cscUser, cscPassEnv, cscCredential, cscPINEnv string
	sp769, spID, spPassEnv, spUser, spSerial           string
	remoteWait                                         time.Duration
	outDir                                             string
}

func (k *remoteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.csc, "csc", "", "remote signing: CSC API v2 root `BASE_URL` (e.g. https://host/csc/v2)")
	fs.StringVar(&k.cscUser, "csc-user", "", "CSC `USER` name for auth/login (with --csc)")
	fs.StringVar(&k.cscPassEnv, "csc-pass-env", "", "environment variable `VAR` holding the CSC password (with --csc)")
	fs.StringVar(&k.cscCredential, "csc-credential", "", "CSC credential `ID` (default: the user's only credential)")
	fs.StringVar(&k.cscPINEnv, "csc-pin-env", "", "environment variable `VAR` holding the signing PIN (with --csc)")
	fs.StringVar(&k.sp769, "sp769", "", "remote signing: sp769 (Decision 769, NEAC / SmartCA) API root `BASE_URL`")
	fs.StringVar(&k.spID, "sp-id", "", "service provider `ID` (sp_id, with --sp769)")
	fs.StringVar(&k.spPassEnv, "sp-pass-env", "", "environment variable `VAR` holding sp_password (with --sp769)")
	fs.StringVar(&k.spUser, "sp-user", "", "signer's `USER_ID` at the sp769 service (with --sp769)")
	fs.StringVar(&k.spSerial, "sp-serial", "", "certificate `SERIAL` (hex) when the sp769 user has several")
	fs.DurationVar(&k.remoteWait, "remote-timeout", 3*time.Minute, "how long to wait for the confirmation on the phone (with --csc or --sp769)")
	fs.StringVar(&k.outDir, "out-dir", "", "sign several inputs into `DIR` (same file names) as one batch: one confirmation, all or nothing")
}

// isRemote reports whether a remote key source was chosen.
func (k *remoteFlags) isRemote() bool { return k.csc != "" || k.sp769 != "" }

// envValue returns the value of the environment variable name that flag
// --flagName gives ("" when name is empty), or a usage error when it is not
// set.
func envValue(flagName, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	v, ok := os.LookupEnv(name)
	if !ok {
		return "", usagef("--%s: environment variable %s is not set", flagName, name)
	}
	return v, nil
}

// openRemote returns the remote Signer the flags select.
func (k *remoteFlags) openRemote(ctx context.Context, e *env, what string) (signer.Signer, func(), error) {
	if k.csc != "" && k.sp769 != "" {
		return nil, nil, usagef("give --csc or --sp769, not both")
	}
	wait := (&waitNotice{w: e.stderr}).show
	if k.csc != "" {
		if k.cscUser == "" || k.cscPassEnv == "" {
			return nil, nil, usagef("--csc needs --csc-user USER and --csc-pass-env VAR")
		}
		pass, err := envValue("csc-pass-env", k.cscPassEnv)
		if err != nil {
			return nil, nil, err
		}
		pin, err := envValue("csc-pin-env", k.cscPINEnv)
		if err != nil {
			return nil, nil, err
		}
		c, err := remote.NewCSCClient(remote.CSCConfig{BaseURL: k.csc, Username: k.cscUser, Password: pass, Timeout: k.remoteWait, OnWait: wait})
		if err != nil {
			return nil, nil, usageError{err}
		}
		s, err := c.Signer(ctx, k.cscCredential, remote.Authorization{PIN: pin, Description: "Ký số " + what})
		if err != nil {
			return nil, nil, remoteErr(err)
		}
		return s, func() {}, nil
	}
	if k.spID == "" || k.spUser == "" {
		return nil, nil, usagef("--sp769 needs --sp-id ID, --sp-pass-env VAR and --sp-user USER_ID")
	}
	pass, err := envValue("sp-pass-env", k.spPassEnv)
	if err != nil {
		return nil, nil, err
	}
	if k.spPassEnv == "" {
		return nil, nil, usagef("--sp769 needs --sp-pass-env VAR")
	}
	c, err := remote.NewSP769Client(remote.SP769Config{BaseURL: k.sp769, SPID: k.spID, SPPassword: pass, Timeout: k.remoteWait, OnWait: wait})
	if err != nil {
		return nil, nil, usageError{err}
	}
	s, err := c.Signer(ctx, k.spUser, k.spSerial)
	if err != nil {
		return nil, nil, remoteErr(err)
	}
	s.Description = "Ký số " + what
	return s, func() {}, nil
}

// remoteErr makes refusals of what the user typed exit with status 2.
func remoteErr(err error) error {
	if errorsIsAny(err, remote.ErrWrongCredentials, remote.ErrPINIncorrect, remote.ErrNotFound, remote.ErrAmbiguous) {
		return usageError{err}
	}
	return err
}

// waitNotice prints "waiting for confirmation on the phone" with the time
// left: when a wait starts, then every 10 seconds.
type waitNotice struct {
	w    io.Writer
	mu   sync.Mutex
	last time.Time
	tx   string
}

func (n *waitNotice) show(w remote.Waiting) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	if w.Transaction == n.tx && now.Sub(n.last) < 10*time.Second {
		return
	}
	n.tx, n.last = w.Transaction, now
	docs := ""
	if w.Documents > 1 {
		docs = fmt.Sprintf(" (%d tài liệu / documents)", w.Documents)
	}
	left := "?"
	if !w.Deadline.IsZero() {
		left = w.Left(now).Round(time.Second).String()
	}
	fmt.Fprintf(n.w, "Đang chờ xác nhận trên điện thoại%s, còn %s / waiting for confirmation on the phone, %s left\n", docs, left, left)
}

// batchSigner is s as a remote.BatchSigner: remote signers sign a batch
// under one confirmation, others one document after the other.
func batchSigner(s signer.Signer) remote.BatchSigner {
	if b, ok := s.(remote.BatchSigner); ok {
		return b
	}
	return remote.Sequential(s)
}

// batchOutputs checks the inputs of a batch and returns their outputs in
// dir.
func batchOutputs(inputs []string, dir string, force bool, ext string) ([]string, error) {
	if len(inputs) == 0 {
		return nil, usagef("--out-dir: give one or more input files")
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, usagef("--out-dir %s: not a directory", dir)
	}
	seen := map[string]string{}
	outs := make([]string, len(inputs))
	for i, in := range inputs {
		out := filepath.Join(dir, filepath.Base(in)) + ext
		if prev, dup := seen[out]; dup {
			return nil, usagef("--out-dir: %s and %s would both be written to %s", prev, in, out)
		}
		ai, _ := filepath.Abs(in)
		ao, _ := filepath.Abs(out)
		if ai == ao {
			return nil, usagef("--out-dir: %s would overwrite its input", out)
		}
		if err := checkOutput(out, force); err != nil {
			return nil, err
		}
		seen[out] = in
		outs[i] = out
	}
	return outs, nil
}

// signBatch signs inputs into --out-dir as one batch: the outputs are
// checked first, the key is opened and its certificate checked once, each
// input is prepared by prepare (cleanup, when not nil, runs at the end),
// and all are signed under one confirmation, written only if every one
// finishes. noun names the documents in the closing line.
func (e *env) signBatch(ctx context.Context, k *keyFlags, cc *certCheckFlags, inputs []string, ext, noun string,
	prepare func(s signer.Signer, in string) (job remote.Job, cleanup func(), err error)) (int, error) {
	outs, err := batchOutputs(inputs, k.outDir, k.force, ext)
	if err != nil {
		return 0, err
	}
	s, release, code, err := cc.openChecked(ctx, e, k, fmt.Sprintf("%d tài liệu", len(inputs)))
	if s == nil {
		return code, err
	}
	defer release()
	jobs := make([]remote.Job, len(inputs))
	for i, in := range inputs {
		job, cleanup, err := prepare(s, in)
		if cleanup != nil {
			defer cleanup()
		}
		if err != nil {
			return 0, err
		}
		job.Out = outs[i]
		jobs[i] = job
	}
	if err := remote.SignFiles(ctx, batchSigner(s), jobs); err != nil {
		return 0, batchErr(err)
	}
	fmt.Fprintf(e.stdout, "Đã ký / signed %d %s → %s by %s\n", len(inputs), noun, k.outDir, s.Certificate().Subject.CommonName)
	return exitOK, nil
}

// signPDFBatch signs every input PDF into dir as one batch.
func (e *env) signPDFBatch(ctx context.Context, k *keyFlags, inputs []string, opts *pdf.Options, cc *certCheckFlags) (int, error) {
	return e.signBatch(ctx, k, cc, inputs, "", "PDF", func(s signer.Signer, in string) (remote.Job, func(), error) {
		f, err := os.Open(in)
		if err != nil {
			return remote.Job{}, nil, inputErr(err)
		}
		st, err := f.Stat()
		if err != nil {
			return remote.Job{}, func() { f.Close() }, inputErr(err)
		}
		o := *opts
		p, err := pdf.Prepare(ctx, f, st.Size(), s.Certificate(), s.Chain(), &o)
		if err != nil {
			return remote.Job{}, func() { f.Close() }, classifySignErr(fmt.Errorf("preparing %s: %w%s", in, err, proxyHint(err)))
		}
		return remote.Job{Prepared: p, Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
			return p.Finish(ctx, w, f, st.Size(), sig)
		}}, func() { f.Close() }, nil
	})
}

// signFileBatch signs every input file into dir as one batch of CAdES
// signatures, each written as the input's name plus .p7s (.p7m when
// enveloping).
func (e *env) signFileBatch(ctx context.Context, k *keyFlags, inputs []string, opts *cades.Options, cc *certCheckFlags) (int, error) {
	ext := ".p7s"
	if opts.Enveloping {
		ext = ".p7m"
	}
	noun := "tệp / files (CAdES " + levelOf(opts) + ")"
	return e.signBatch(ctx, k, cc, inputs, ext, noun, func(s signer.Signer, in string) (remote.Job, func(), error) {
		f, err := os.Open(in)
		if err != nil {
			return remote.Job{}, nil, inputErr(err)
		}
		defer f.Close()
		o := *opts
		p, err := cades.Prepare(ctx, f, s.Certificate(), s.Chain(), &o)
		if err != nil {
			return remote.Job{}, nil, classifyCAdESErr(fmt.Errorf("preparing %s: %w%s", in, err, proxyHint(err)))
		}
		return remote.Job{Prepared: p, Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
			der, err := p.Finish(ctx, sig)
			if err != nil {
				return err
			}
			_, err = w.Write(der)
			return err
		}}, nil, nil
	})
}

// signXMLBatch signs every input XML document into dir as one batch.
func (e *env) signXMLBatch(ctx context.Context, k *keyFlags, inputs []string, opts *kxml.SignOptions, cc *certCheckFlags) (int, error) {
	return e.signBatch(ctx, k, cc, inputs, "", "XML", func(s signer.Signer, in string) (remote.Job, func(), error) {
		doc, err := os.ReadFile(in)
		if err != nil {
			return remote.Job{}, nil, inputErr(err)
		}
		p, err := kxml.Prepare(ctx, doc, s.Certificate(), s.Chain(), opts)
		if err != nil {
			return remote.Job{}, nil, classifySignErr(fmt.Errorf("preparing %s: %w", in, err))
		}
		return remote.Job{Prepared: p, Finish: func(ctx context.Context, w io.Writer, sig []byte) error {
			signed, err := p.Finish(ctx, sig)
			if err != nil {
				return err
			}
			_, err = w.Write(signed)
			return err
		}}, nil, nil
	})
}

func batchErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("đã hủy, không ghi tệp nào / cancelled, no file written: %w", err)
	}
	return remoteErr(classifySignErr(fmt.Errorf("%w (không ghi tệp nào / no file written)%s", err, proxyHint(err))))
}

// Demo accounts of the remote-signing simulators "kyso pki serve" runs.
const (
	demoCSCUser = "kyso"
	demoCSCPass = "kyso-demo"
	demoPIN     = "123456"
)

// startRemoteSim starts the CSC and sp769 simulators with the test signer's
// key behind a PIN and a phone that confirms after delay.
func startRemoteSim(id *pkitest.Identity, cccd string, delay time.Duration) (*remotetest.Server, error) {
	srv, err := remotetest.Start(remotetest.Config{})
	if err != nil {
		return nil, err
	}
	script := []remotetest.Step{{Delay: delay}}
	if err := srv.AddUser(remotetest.User{ID: demoCSCUser, Password: demoCSCPass, Credentials: []remotetest.Credential{{ID: "kyso-credential", Key: id.Signer(), PIN: demoPIN, Script: script}}}); err != nil {
		srv.Close()
		return nil, err
	}
	if err := srv.AddUser(remotetest.User{ID: cccd, Credentials: []remotetest.Credential{{ID: "kyso-sp769", Key: id.Signer(), Script: script}}}); err != nil {
		srv.Close()
		return nil, err
	}
	return srv, nil
}

// printRemoteSim tells how to sign through the simulators.
func printRemoteSim(w io.Writer, srv *remotetest.Server, id *pkitest.Identity, cccd string, delay time.Duration) {
	fmt.Fprintf(w, `  CSC   %s
  SP769 %s
Remote-signing simulators: %s's key, PIN %s, the phone confirms after %v:
  KYSO_CSC_PASS=%s KYSO_PIN=%s kyso sign pdf IN... --out-dir DIR --csc %s --csc-user %s --csc-pass-env KYSO_CSC_PASS --csc-pin-env KYSO_PIN
  KYSO_SP_PASS=%s kyso sign xml IN OUT --sp769 %s --sp-id %s --sp-pass-env KYSO_SP_PASS --sp-user %s
`, srv.CSCURL(), srv.SP769URL(), id.Cert.Subject.CommonName, demoPIN, delay,
		demoCSCPass, demoPIN, srv.CSCURL(), demoCSCUser, srv.SPPassword(), srv.SP769URL(), srv.SPID(), cccd)
}

// batchArgs returns IN and OUT of a one-document run; with --out-dir the
// positional arguments are all inputs and both are empty.
func batchArgs(pos []string, outDir string) (string, string) {
	if outDir != "" || len(pos) != 2 {
		return "", ""
	}
	return pos[0], pos[1]
}
