//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/sample"
	"github.com/kyso-vn/kyso/internal/softhsm"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// The CLI behaves differently on a terminal (password prompts without
// echo, progress on standard error); these helpers run the binary on a
// real pseudo-terminal of the kernel.

// openPTY returns a new pseudo-terminal: the side the test reads and
// writes (what the user sees and types) and the terminal the child uses.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		testutil.Missing(t, "no pseudo-terminal (/dev/ptmx): "+err.Error())
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Fatalf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Fatalf("ptsname: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatalf("opening the terminal: %v", err)
	}
	return m, s
}

// echoOn reports whether the terminal echoes what is typed.
func echoOn(t *testing.T, tty *os.File) bool {
	var tio syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&tio))); e != 0 {
		t.Fatalf("tcgetattr: %v", e)
	}
	return tio.Lflag&syscall.ECHO != 0
}

// ttyResult is one run of the binary on a terminal.
type ttyResult struct {
	code   int
	stdout string // standard output (a pipe)
	screen string // what the terminal showed: standard error and the echo of what was typed
	echo   bool   // whether the terminal echoed again when the program ended
}

// kysoTTY runs the binary with standard input and standard error on a new
// pseudo-terminal and standard output on a pipe. dialog alternates a text
// to wait for on the screen and a line to type once it appeared; each line
// is typed only after the program has turned echo off, as a user answering
// a password prompt would (typed earlier, the kernel would echo it whatever
// the program does).
func kysoTTY(t *testing.T, env []string, dialog []string, args ...string) ttyResult {
	t.Helper()
	return kysoTTYOut(t, false, env, dialog, args...)
}

// kysoTTYOut is kysoTTY with standard output on the terminal too when
// stdoutTTY is set.
func kysoTTYOut(t *testing.T, stdoutTTY bool, env []string, dialog []string, args ...string) ttyResult {
	t.Helper()
	master, tty := openPTY(t)
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kysoBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdin, cmd.Stderr, cmd.Stdout = tty, tty, &out
	if stdoutTTY {
		cmd.Stdout = tty
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())

	var mu sync.Mutex
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil { // EIO once no process holds the terminal
				return
			}
		}
	}()
	shown := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }

	from := 0
	for i := 0; i+1 < len(dialog); i += 2 {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if j := strings.Index(shown()[from:], dialog[i]); j >= 0 {
				from += j + len(dialog[i])
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("the terminal never showed %q:\n%s", dialog[i], shown())
			}
			time.Sleep(20 * time.Millisecond)
		}
		for echoOn(t, tty) {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("echo stayed on after %q:\n%s", dialog[i], shown())
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, err := master.Write([]byte(dialog[i+1]))
		require.NoError(t, err)
	}
	err := cmd.Wait()
	echo := echoOn(t, tty)
	tty.Close()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal stayed open")
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return ttyResult{code: code, stdout: out.String(), screen: shown(), echo: echo}
}

// Without --pass-env or --pass-file, the PKCS#12 password is asked on the
// terminal without echo; a wrong one is an input error.
func TestPasswordPromptNoEcho(t *testing.T) {
	_, p12, pass, _ := testPKI(t)
	dir := t.TempDir()
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(dir, "prompted.pdf")

	r := kysoTTY(t, nil, []string{"password of signer.p12: ", pass + "\n"}, "sign", "pdf", pdfIn, out, "--p12", p12, "--no-cert-check")
	require.Equal(t, 0, r.code, r.screen)
	assert.NotContains(t, r.screen, pass, "the password is not echoed")
	assert.True(t, r.echo, "echo is back on")
	assert.Contains(t, r.stdout, "Đã ký / signed")
	check.PDFSig(t, out, 1)

	r = kysoTTY(t, nil, []string{"password of signer.p12: ", "sai-mat-khau\n"}, "sign", "pdf", pdfIn, filepath.Join(dir, "x.pdf"), "--p12", p12, "--no-cert-check")
	assert.Equal(t, 2, r.code, r.screen)
	assert.NotContains(t, r.screen, "sai-mat-khau")
	assert.Contains(t, r.screen, "type it again, or use --pass-env / --pass-file")
	assert.NoFileExists(t, filepath.Join(dir, "x.pdf"))

	// Not a terminal: no prompt, a usage error naming the flags.
	res := kyso(t, nil, pass+"\n", "sign", "pdf", pdfIn, filepath.Join(dir, "y.pdf"), "--p12", p12, "--no-cert-check")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "--pass-env VAR or --pass-file FILE")
}

// The token PIN asked by "kyso sign" is not echoed either.
func TestTokenPINPromptNoEcho(t *testing.T) {
	_, tok, env := tokenEnv(t)
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(t.TempDir(), "token.pdf")
	r := kysoTTY(t, env, []string{`PIN cho / for "` + softhsm.Label + `": `, tok.PIN + "\n"},
		"sign", "pdf", pdfIn, out, "--pkcs11", tok.Module, "--token", softhsm.Label, "--no-cert-check")
	require.Equal(t, 0, r.code, r.screen)
	assert.NotContains(t, r.screen, tok.PIN, "the PIN is not echoed")
	check.PDFSig(t, out, 1)
}

// Progress is drawn only when standard error is a terminal, and not with
// --quiet.
func TestProgressOnTerminal(t *testing.T) {
	pkiDir, p12, _, env := testPKI(t)
	big := bigPDF(t, 6<<20)
	dir := t.TempDir()
	out := filepath.Join(dir, "big-signed.pdf")
	key := []string{"--p12", p12, "--pass-env", "KYSO_TEST_PASS", "--no-cert-check"}

	r := kysoTTY(t, env, nil, append([]string{"sign", "pdf", big, out}, key...)...)
	require.Equal(t, 0, r.code, r.screen)
	assert.Contains(t, r.screen, "signing big.pdf: 100%")
	r = kysoTTY(t, env, nil, append([]string{"sign", "pdf", big, filepath.Join(dir, "quiet.pdf"), "--quiet"}, key...)...)
	require.Equal(t, 0, r.code, r.screen)
	assert.NotContains(t, r.screen, "signing big.pdf")

	bigBin := filepath.Join(dir, "big.bin")
	require.NoError(t, os.WriteFile(bigBin, bytes.Repeat([]byte{7}, 6<<20), 0o600))
	r = kysoTTY(t, env, nil, "sign", "file", bigBin, bigBin+".p7s", "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
	require.Equal(t, 0, r.code, r.screen)
	assert.Contains(t, r.screen, "signing big.bin: 100%")

	root := filepath.Join(pkiDir, pkitest.FileRoot)
	r = kysoTTY(t, nil, nil, "verify", "--offline", "--trust", root, out)
	assert.Equal(t, 1, r.code, "offline: revocation unknown")
	assert.Contains(t, r.screen, "verifying big-signed.pdf: 100%")
	r = kysoTTY(t, nil, nil, "verify", "--offline", "--quiet", "--trust", root, out)
	assert.NotContains(t, r.screen, "verifying big-signed.pdf")
	r = kysoTTY(t, nil, nil, "verify", "--offline", "--trust", root, bigBin+".p7s")
	assert.Contains(t, r.screen, "verifying big.bin: 100%")
}

// A write that fails names the output the user gave, not the temporary
// file it goes through (/proc takes no new files, even from root).
func TestWriteErrorNamesOutput(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		testutil.Missing(t, "no /proc: "+err.Error())
	}
	_, p12, _, env := testPKI(t)
	pdfIn := testutil.SamplePath(t, sample.PDF)
	r := kyso(t, env, "", "sign", "pdf", pdfIn, "/proc/kyso-out.pdf", "--p12", p12, "--pass-env", "KYSO_TEST_PASS", "--no-cert-check")
	assert.Equal(t, 2, r.code, r.stderr)
	assert.Contains(t, r.stderr, "writing /proc/kyso-out.pdf: ")
	assert.NotContains(t, r.stderr, ".tmp")
	assert.NotContains(t, r.stderr, "kyso-out.pdf.")
}

// OUT "-" does not spill a binary document onto a terminal; XML is text and
// is shown.
func TestStdoutTerminal(t *testing.T) {
	_, p12, _, env := testPKI(t)
	pdfIn, xmlIn := samples(t)
	for _, cmd := range []string{"pdf", "file"} {
		in := pdfIn
		r := kysoTTYOut(t, true, env, nil, "sign", cmd, in, "-", "--p12", p12, "--pass-env", "KYSO_TEST_PASS")
		assert.Equal(t, 2, r.code, r.screen)
		assert.Contains(t, r.screen, "standard output is a terminal")
		assert.NotContains(t, r.screen, "%PDF")
	}
	r := kysoTTYOut(t, true, env, nil, "sign", "xml", xmlIn, "-", "--p12", p12, "--pass-env", "KYSO_TEST_PASS", "--no-cert-check")
	assert.Equal(t, 0, r.code, r.screen)
	assert.Contains(t, r.screen, "<SignatureValue>")
}

// Ctrl-C at a password or PIN prompt stops the program (exit status 1)
// and leaves the terminal echoing.
func TestPromptInterrupt(t *testing.T) {
	_, p12, _, _ := testPKI(t)
	pdfIn := testutil.SamplePath(t, sample.PDF)
	out := filepath.Join(t.TempDir(), "x.pdf")
	r := kysoTTY(t, nil, []string{"password of signer.p12: ", "\x03"}, "sign", "pdf", pdfIn, out, "--p12", p12, "--no-cert-check")
	assert.Equal(t, 1, r.code, r.screen)
	assert.Contains(t, r.screen, "kyso: đã dừng / interrupted")
	assert.True(t, r.echo, "echo is back on")
	assert.NoFileExists(t, out)

	_, tok, env := tokenEnv(t)
	r = kysoTTY(t, env, []string{"PIN hiện tại / current PIN: ", "\x03"}, "token", "change-pin", "--pkcs11", tok.Module, "--token", softhsm.Label)
	assert.Equal(t, 1, r.code, r.screen)
	assert.Contains(t, r.screen, "interrupted")
	assert.True(t, r.echo, "echo is back on")
}
