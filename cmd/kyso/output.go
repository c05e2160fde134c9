package main

import (
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// asn1SyntaxText is Go's wording of an ASN.1 syntax error ("asn1: syntax
// error: data truncated") when it was flattened into a string below.
var asn1SyntaxText = regexp.MustCompile(`asn1: syntax error: ([^:]+)`)

// Where the sign commands write, and how errors are worded for people.

// stdoutName is the OUT argument that means standard output.
const stdoutName = "-"

// errOutputExists is returned for an OUT that exists when --force is not
// given (exit status 2).
var errOutputExists = errors.New("đã có, thêm --force để ghi đè / already exists (give --force to replace it)")

// checkOutput refuses an existing path unless force, and a path whose
// directory does not exist; it is called before
// the key is opened, so that no PIN is asked and no phone rings for
// nothing.
func checkOutput(path string, force bool) error {
	if path == "" {
		return nil
	}
	if path == stdoutName {
		return nil
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return usagef("%s: the directory %s does not exist", path, filepath.Dir(path))
	}
	if st, err := os.Lstat(path); err == nil && (!force || st.IsDir()) {
		if st.IsDir() {
			return usagef("%s: is a directory", path)
		}
		return usageError{fmt.Errorf("%s: %w", path, errOutputExists)}
	}
	return nil
}

// checkBinaryStdout refuses to write a binary document (a PDF, a CMS
// signature) to standard output when it is a terminal, which it would
// only garble.
func (e *env) checkBinaryStdout(out string) error {
	if out == stdoutName && isTerminal(e.stdout) {
		return usagef("OUT is - but standard output is a terminal: redirect it to a file or a pipe")
	}
	return nil
}

// messages is where a command's messages go: standard error when the
// document itself goes to standard output.
func (e *env) messages(out string) io.Writer {
	if out == stdoutName {
		return e.stderr
	}
	return e.stdout
}

// shownName is how OUT is named in messages.
func shownName(out string) string {
	if out == stdoutName {
		return "standard output"
	}
	return out
}

// writeOutput writes the output of a sign command: to standard output for
// "-", else to a file through a temporary file in the same directory,
// moved to path only when write succeeded. An existing path is replaced
// only when force is set. Nothing is written when write fails: standard
// output gets the document only once it is complete.
func (e *env) writeOutput(path string, force bool, write func(io.Writer) error) (err error) {
	if path == stdoutName {
		return e.writeStdout(write)
	}
	if err := checkOutput(path, force); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return inputErr(fmt.Errorf("writing %s: %w", path, bareErr(err)))
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
		return fmt.Errorf("writing %s: %w", path, bareErr(err))
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, bareErr(err))
	}
	if !force {
		// A hard link fails if path appeared meanwhile, where a rename
		// would silently replace it.
		switch lerr := os.Link(tmp.Name(), path); {
		case lerr == nil:
			os.Remove(tmp.Name())
			return nil
		case errors.Is(lerr, fs.ErrExist):
			err = usageError{fmt.Errorf("%s: %w", path, errOutputExists)}
			return err
		}
		// No hard links on this file system: check, then rename.
		if err = checkOutput(path, false); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, bareErr(err))
	}
	return nil
}

// writeStdout writes the document to standard output once it is complete:
// it is first written to a temporary file (a signed PDF may be large).
func (e *env) writeStdout(write func(io.Writer) error) error {
	tmp, err := os.CreateTemp("", "kyso-out-*")
	if err != nil {
		return fmt.Errorf("buffering the output: %w", bareErr(err))
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("buffering the output: %w", bareErr(err))
	}
	if _, err := io.Copy(e.stdout, tmp); err != nil {
		return fmt.Errorf("writing to standard output: %w", bareErr(err))
	}
	return nil
}

// bareErr drops the file names of *fs.PathError and *os.LinkError (the
// caller names the file the user gave, not a temporary one).
func bareErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// message words err for people: Go's ASN.1 decoder describes a mismatch
// with a dump of its internal field parameters, which says nothing to a
// user; it is replaced by what it means.
func message(err error) string {
	msg := err.Error()
	var se asn1.StructuralError
	if errors.As(err, &se) {
		msg = strings.Replace(msg, se.Error(), "malformed ASN.1 (DER) data", 1)
	}
	var sy asn1.SyntaxError
	if errors.As(err, &sy) {
		msg = strings.Replace(msg, sy.Error(), "malformed ASN.1 (DER) data", 1)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		// "open x.pdf: no such file or directory" names a system call;
		// "x.pdf: no such file or directory" is what the user needs, once.
		msg = strings.Replace(msg, pe.Error(), pe.Path+": "+pe.Err.Error(), 1)
		msg = strings.Replace(msg, pe.Path+": "+pe.Path+": ", pe.Path+": ", 1)
	}
	if errors.Is(err, context.Canceled) {
		msg = strings.Replace(msg, context.Canceled.Error(), errInterrupted.Error(), 1)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		msg = strings.Replace(msg, context.DeadlineExceeded.Error(), "hết thời gian chờ / timed out", 1)
	}
	var ue *url.Error
	var op *net.OpError
	if errors.As(err, &ue) {
		msg = strings.Replace(msg, ue.Error(), netReason(ue), 1)
	} else if errors.As(err, &op) && op.Op == "listen" && op.Addr != nil {
		// "listen tcp 127.0.0.1:8080: bind: address already in use"
		msg = strings.Replace(msg, op.Error(), "không mở được cổng / cannot listen on "+op.Addr.String()+": "+innerReason(op), 1)
	}
	if m := asn1SyntaxText.FindStringSubmatch(msg); m != nil {
		// Wrapped with %v rather than %w somewhere below.
		msg = strings.Replace(msg, m[0], "malformed ASN.1 (DER) data ("+m[1]+")", 1)
	}
	if i := strings.Index(msg, "asn1: structure error:"); i >= 0 {
		// Wrapped with %v rather than %w somewhere below: cut the dump.
		msg = msg[:i] + "malformed ASN.1 (DER) data"
	}
	return plainKeyTypes(msg)
}
