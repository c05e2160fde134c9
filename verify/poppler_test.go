package verify

import (
	"bytes"
	"crypto/elliptic"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// nssIdentity imports id (key, certificate and chain) into a new NSS
// database in a temporary directory and returns the database ("sql:DIR")
// and the key's nickname.
func nssIdentity(t *testing.T, id *pkitest.Identity) (db, nick string) {
	t.Helper()
	p12, err := id.PKCS12("pw")
	require.NoError(t, err)
	return testutil.NSSIdentity(t, p12, "pw")
}

// popplerSign signs in with pdfsig -add-signature into a new field. An
// ECDSA key is retried a few times: poppler 22.12 sizes /Contents from a
// trial signature, and when the real ECDSA signature comes out a byte longer
// (its DER integers vary in length) it fails with "signDocument: unable
// update signature" (seen about one time in two). RSA signatures have a
// fixed length.
func popplerSign(t *testing.T, db, nick, field string, in []byte) []byte {
	t.Helper()
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	dir := t.TempDir()
	inPath, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	require.NoError(t, os.WriteFile(inPath, in, 0o644))
	var res []byte
	var err error
	for range 20 {
		os.Remove(out) // a failed attempt may leave a partial file
		res, err = exec.Command(pdfsig, "-add-signature", "-nssdir", db, "-nick", nick, "-digest", "SHA256",
			"-new-signature-field-name", field, "-reason", "Phê duyệt", inPath, out).CombinedOutput()
		if err == nil || !strings.Contains(string(res), "unable update signature") {
			break
		}
	}
	require.NoError(t, err, string(res))
	signed, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(signed, in), "pdfsig appends an incremental update")
	require.Contains(t, string(signed), "/adbe.pkcs7.detached")
	return signed
}

// A signature made by poppler (pdfsig -add-signature, NSS) verifies, with
// RSA and ECDSA keys. pdfsig 22.12 writes adbe.pkcs7.detached (its -etsi
// is "not supported yet with -add-signature"), SHA-256, BER-encoded, with a
// signing-time attribute and no time-stamp, at the wall clock. So the
// signing time is self-declared, the chain is validated at the validation
// time with online OCSP from the test PKI, and everything holds:
// TOTAL_PASSED. Offline, with no revocation data, INDETERMINATE.
func TestPDFFromPoppler(t *testing.T) {
	testutil.Tool(t, "pdfsig", "poppler-utils")
	src, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "pdf", "testdata", "simple.pdf"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		key    pkitest.CertOption
		scheme string
	}{
		{"RSA", pkitest.RSAKey(2048), "RSA PKCS#1 v1.5"},
		{"ECDSA", pkitest.ECDSAKey(elliptic.P256()), "ECDSA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.pki.MustIssue(tc.key)
			db, nick := nssIdentity(t, id)
			e.pki.SetTime(time.Now())
			signed := popplerSign(t, db, nick, "Poppler", src)

			o := e.online()
			o.Time = time.Now()
			rep := verifyPDF(t, o, signed)
			require.Len(t, rep.Signatures, 1, "%s", rep.Text(English))
			s := rep.Signatures[0]
			assert.Equal(t, "Poppler", s.ID)
			assert.True(t, s.Integrity.Intact, "%+v", s.Findings)
			assert.Equal(t, "SHA-256", s.Integrity.DigestAlgorithm)
			assert.Contains(t, s.Integrity.SignatureAlgorithm, tc.scheme)
			assert.True(t, s.Coverage.WholeDocument)
			assert.Empty(t, s.Coverage.ModifiedAfterSigning)
			assert.Equal(t, pkitest.DefaultPersonName, s.Signer.Name)
			require.NotNil(t, s.Anchor)
			assert.Equal(t, TotalPassed, s.Indication, "%+v\n%s", s.Findings, s.Text(English))
			// NSS writes the CMS in BER with indefinite lengths.
			assert.Contains(t, codes(s.Warnings), "cms.ber")
			require.NotNil(t, s.ClaimedSigningTime, "pdfsig writes a signing-time attribute")
			assert.WithinDuration(t, time.Now(), *s.ClaimedSigningTime, 10*time.Minute)
			assert.Nil(t, s.TimestampTime)
			assert.Equal(t, TimeFromValidation, s.TimeSource, "the claimed time is self-declared")
			assert.Len(t, s.Revocation, 2, "leaf and issuing CA checked online")

			// Offline, with no revocation data in the document, it cannot pass.
			off := e.offline()
			off.Time = time.Now()
			s = verifyPDF(t, off, signed).Signatures[0]
			assert.True(t, s.Integrity.Intact)
			assert.Equal(t, Indeterminate, s.Indication, "%+v", s.Findings)

			// A byte changed inside the signed range breaks it.
			bad := bytes.Clone(signed)
			i := bytes.Index(bad, []byte("/MediaBox"))
			require.Positive(t, i)
			bad[i+1] = 'm'
			s = verifyPDF(t, o, bad).Signatures[0]
			assert.Equal(t, TotalFailed, s.Indication)
			assert.Equal(t, HashFailure, s.SubIndication)
		})
	}
}

// A kyso signature, then poppler's: poppler's incremental update (new
// signature field, widget, appearance and fonts) is an allowed change for
// the first signature, and both verify.
func TestPDFKysoThenPoppler(t *testing.T) {
	testutil.Tool(t, "pdfsig", "poppler-utils")
	e := newEnv(t)
	alice := e.pki.MustIssue()
	bob := e.pki.MustIssue(pkitest.RSAKey(2048), pkitest.Person("Trần Thị Bình", "001190004321"))
	db, nick := nssIdentity(t, bob)
	e.pki.SetTime(time.Now())
	first := e.signPDF(t, minimalPDF("Hai chữ ký"), alice, &pdf.Options{Field: "Kyso"})
	both := popplerSign(t, db, nick, "Poppler", first)

	o := e.online()
	o.Time = time.Now()
	rep := verifyPDF(t, o, both)
	require.Len(t, rep.Signatures, 2, "%s", rep.Text(English))
	for _, s := range rep.Signatures {
		assert.True(t, s.Integrity.Intact, "%s: %+v", s.ID, s.Findings)
		assert.Equal(t, TotalPassed, s.Indication, "%s: %+v %v", s.ID, s.Findings, s.Coverage.ModifiedAfterSigning)
	}
}
