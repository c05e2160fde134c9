package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/signer/pkitest"
)

// "kyso pki init": a throwaway test PKI written to a directory.

func (e *env) pkiInit(args []string) (int, error) {
	fs := flag.NewFlagSet("pki init", flag.ContinueOnError)
	name := fs.String("name", pkitest.DefaultPersonName, "signer's name")
	cccd := fs.String("cccd", pkitest.DefaultCCCD, "signer's citizen identity number (CCCD)")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, helpFor(fs, e.stdout, "kyso pki init DIR [--name NAME] [--cccd NUMBER]", err)
	}
	if len(pos) != 1 {
		return 0, usagef("pki init: want one directory")
	}
	dir := pos[0]
	if _, err := os.Stat(filepath.Join(dir, pkiStateFile)); err == nil {
		return 0, usagef("pki init: %s already holds a test PKI", dir)
	}
	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return 0, err
	}
	st := pkiState{
		Note:    "kyso test PKI: for trying kyso only; never trust these certificates. The seed regenerates every key.",
		Seed:    binary.BigEndian.Uint64(seed[:]),
		Created: time.Now().UTC().Truncate(time.Second),
		Signer:  *name,
		CCCD:    *cccd,
	}
	p, id, err := buildPKI(st)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	password, err := randomPassword()
	if err != nil {
		return 0, err
	}
	if err := p.WriteDir(dir, id, password); err != nil {
		return 0, inputErr(err)
	}
	// WriteDir's README.txt names this process's servers, which stop when
	// it exits: point to "kyso pki serve" instead.
	readme := filepath.Join(dir, pkitest.FileReadme)
	if text, err := os.ReadFile(readme); err == nil {
		head, _, _ := strings.Cut(string(text), "\nTSA:")
		text = fmt.Appendf(nil, "%s\nServers: run \"kyso pki serve %s\" for the TSA, OCSP, CRL and an MSSP simulator\non loopback; it prints their URLs.\n", head, dir)
		if err := os.WriteFile(readme, text, 0o644); err != nil {
			return 0, inputErr(err)
		}
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, pkiStateFile), b, 0o600); err != nil {
		return 0, inputErr(err)
	}
	fmt.Fprintf(e.stdout, `Test PKI written to %s (for trying kyso only — never trust it elsewhere):
  %-11s root CA (give it to kyso verify --trust)
  %-11s issuing CA
  %-11s signer %s: key and certificate chain
  %-11s time-stamping authority certificate
PKCS#12 password: %s

Next:
  kyso pki serve %s        # TSA, OCSP, CRL and an MSSP simulator on loopback
  KYSO_P12_PASS=%s kyso sign pdf in.pdf out.pdf --p12 %s --pass-env KYSO_P12_PASS --tsa URL
`, dir, pkitest.FileRoot, pkitest.FileCA, pkitest.FileSigner, id.Cert.Subject.CommonName, pkitest.FileTSA, password,
		dir, password, filepath.Join(dir, pkitest.FileSigner))
	return exitOK, nil
}

// randomPassword returns 16 characters from an unambiguous alphabet.
func randomPassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}
