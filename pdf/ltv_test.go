package pdf

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/revinfo"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

// dssContents reads the DSS of the final revision: the DER items of each
// array, checking that none repeats.
type dssContents struct {
	certs, ocsps, crls [][]byte
	refs               map[name][]ref
	vri                dict
}

func readDSS(t *testing.T, data []byte, password string) dssContents {
	t.Helper()
	d := openBytes(t, data, password)
	_, cat, err := d.catalog()
	require.NoError(t, err)
	dss := d.dictOf(cat["DSS"])
	require.NotNil(t, dss, "the catalog has a /DSS")
	out := dssContents{refs: map[name][]ref{}}
	seen := map[string]bool{}
	for _, k := range []name{"Certs", "OCSPs", "CRLs"} {
		arr, _ := d.resolve(dss[k]).(array)
		for _, it := range arr {
			r := it.(ref)
			st, ok := d.resolve(r).(*stream)
			require.True(t, ok, "DSS /%s entries are streams", k)
			der, err := d.streamData(st, r, true)
			require.NoError(t, err)
			require.False(t, seen[string(der)], "DSS item repeated in /%s", k)
			seen[string(der)] = true
			out.refs[k] = append(out.refs[k], r)
			switch k {
			case "Certs":
				_, err := x509.ParseCertificate(der)
				require.NoError(t, err)
				out.certs = append(out.certs, der)
			case "OCSPs":
				out.ocsps = append(out.ocsps, der)
			case "CRLs":
				_, err := x509.ParseRevocationList(der)
				require.NoError(t, err)
				out.crls = append(out.crls, der)
			}
		}
	}
	out.vri = d.dictOf(dss["VRI"])
	return out
}

func hasCert(list [][]byte, c *x509.Certificate) bool {
	for _, d := range list {
		if bytes.Equal(d, c.Raw) {
			return true
		}
	}
	return false
}

// checkOCSPFor asserts that one of the OCSP responses answers for c.
func checkOCSPFor(t *testing.T, ocsps [][]byte, c, issuer *x509.Certificate) {
	t.Helper()
	for _, o := range ocsps {
		if _, err := revinfo.CheckOCSP(o, c, issuer, c.NotBefore.Add(2*60*60*1e9), 1<<62); err == nil {
			return
		}
	}
	t.Fatalf("no OCSP response for %q", c.Subject.CommonName)
}

// ltvTools checks a B-LT/B-LTA file with pdfsig, mutool sign -v and
// qpdf --check: sigs ordinary signatures (all valid, none covering the
// whole file, since validation data follows) then dts document
// time-stamps (the last one covering the whole file), and each document
// time-stamp with openssl ts -verify.
func ltvTools(t *testing.T, data []byte, sigs, dts int, password string, roots ...*x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "ltv.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o644))

	blocks, text := pdfsigBlocks(t, path, password)
	require.Len(t, blocks, sigs+dts, text)
	for i, b := range blocks {
		if i < sigs {
			require.Contains(t, b, "Signature Validation: Signature is Valid.", text)
			require.Contains(t, b, "Not total document signed", text)
			continue
		}
		// poppler 22.12 lists a document time-stamp with its TSA but does
		// not know the ETSI.RFC3161 SubFilter: it neither checks it nor
		// fails it.
		if password == "" && !encrypted(t, data) {
			// In an encrypted file poppler decrypts the /Contents of a
			// DocTimeStamp dictionary (it exempts only /Type /Sig), so it
			// shows no TSA there; ISO 32000-2 §7.6.2 exempts every
			// signature dictionary's /Contents, and kyso follows it.
			require.Contains(t, b, "Signer Certificate Common Name: Kyso Test TSA", text)
		}
		require.Contains(t, b, "Signature Type: unknown", text)
		require.Contains(t, b, "Signature has not yet been verified.", text)
		if i == sigs+dts-1 {
			require.Contains(t, b, "Total document signed", text)
		} else {
			require.Contains(t, b, "Not total document signed", text)
		}
	}

	parts, text := mutoolParts(t, path, password)
	require.Len(t, parts, sigs+dts, text)
	for i, p := range parts {
		require.NotContains(t, p, "Digest error", text)
		if i < sigs {
			require.Contains(t, p, "The signature is valid but there have been edits since signing.", text)
		} else {
			// MuPDF 1.21 takes only /Type /Sig values as signatures.
			require.Contains(t, p, "Signature is not signed.", text)
		}
	}

	checkQpdf(t, path, password)

	if dts == 0 {
		return
	}
	openssl := testutil.Tool(t, "openssl", "openssl")
	d := openBytes(t, data, password)
	all, err := d.signatures()
	require.NoError(t, err)
	var caFile bytes.Buffer
	for _, r := range roots {
		caFile.Write(pkitest.PEM(r))
	}
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, caFile.Bytes(), 0o644))
	n := 0
	for i, e := range all {
		if !e.docTS {
			continue
		}
		n++
		sd := d.dictOf(d.fieldValue(t, e.field))
		br, _ := d.resolve(sd["ByteRange"]).(array)
		require.Len(t, br, 4)
		a, b, c := br[1].(int64), br[2].(int64), br[3].(int64)
		signed := append(append([]byte(nil), data[:a]...), data[b:b+c]...)
		dataPath := filepath.Join(dir, "data"+itoa(int64(i)))
		tokPath := filepath.Join(dir, "tok"+itoa(int64(i)))
		require.NoError(t, os.WriteFile(dataPath, signed, 0o644))
		require.NoError(t, os.WriteFile(tokPath, e.der, 0o644))
		out, err := exec.Command(openssl, "ts", "-verify", "-data", dataPath, "-in", tokPath, "-token_in", "-CAfile", ca).CombinedOutput()
		require.NoError(t, err, "openssl ts -verify: %s", out)
		require.Contains(t, string(out), "Verification: OK", string(out))
	}
	require.Equal(t, dts, n)
}

// fieldValue returns the /V of the named field.
func (d *document) fieldValue(t *testing.T, fieldName string) object {
	t.Helper()
	fs, err := d.fields()
	require.NoError(t, err)
	for _, f := range fs {
		if f.fullName == fieldName {
			return f.dict["V"]
		}
	}
	t.Fatalf("no field %q", fieldName)
	return nil
}

func signLevel(t *testing.T, in []byte, level Level, extra func(*Options)) []byte {
	t.Helper()
	p := sharedPKI(t)
	o := &Options{Level: level, TimestampURL: p.TSAURL()}
	if extra != nil {
		extra(o)
	}
	return signBytes(t, in, testSigner(t), o)
}

func TestSignBLT(t *testing.T) {
	p := sharedPKI(t)
	in := corpus(t, "simple.pdf")
	id := p.MustIssue()
	var buf bytes.Buffer
	require.NoError(t, Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), id.Signer(),
		&Options{Level: LevelBLT, TimestampURL: p.TSAURL()}))
	out := buf.Bytes()
	require.True(t, bytes.HasPrefix(out, in))

	dss := readDSS(t, out, "")
	for _, c := range []*x509.Certificate{id.Cert, p.CA.Cert, p.Root.Cert, p.TSA.Cert} {
		require.True(t, hasCert(dss.certs, c), "DSS holds %q", c.Subject.CommonName)
	}
	// One answer each for the signer, the issuing CA and the TSA.
	require.Len(t, dss.ocsps, 3)
	require.Empty(t, dss.crls, "OCSP is preferred")
	checkOCSPFor(t, dss.ocsps, id.Cert, p.CA.Cert)
	checkOCSPFor(t, dss.ocsps, p.CA.Cert, p.Root.Cert)
	checkOCSPFor(t, dss.ocsps, p.TSA.Cert, p.CA.Cert)
	require.Nil(t, dss.vri, "VRI is off by default")

	// The signature update and the DSS update are separate revisions.
	require.Equal(t, 3, bytes.Count(out, []byte("%%EOF")))
	sig := readSignatures(t, out, "")
	require.Len(t, sig, 1)
	ltvTools(t, out, 1, 0, "")
}

func TestSignBLTA(t *testing.T) {
	p := sharedPKI(t)
	for _, c := range []struct{ name, password string }{
		{"simple.pdf", ""}, {"objstm.pdf", ""}, {"hybrid.pdf", ""}, {"aes256.pdf", ""},
		{"aes256-userpw.pdf", "nguoidung"}, {"rc4-128.pdf", ""}, {"mutool-signed.pdf", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := corpus(t, c.name)
			out := signLevel(t, in, LevelBLTA, func(o *Options) { o.Password = c.password })
			prior := 0
			if c.name == "mutool-signed.pdf" {
				prior = 1
			}
			din, dout := openBytes(t, in, c.password), openBytes(t, out, c.password)
			require.Equal(t, din.xrefForm, dout.xrefForm)
			require.Equal(t, din.trailer["Root"], dout.trailer["Root"])
			require.Equal(t, din.trailer["Encrypt"], dout.trailer["Encrypt"])
			all, err := dout.signatures()
			require.NoError(t, err)
			require.Len(t, all, prior+2)
			require.True(t, all[len(all)-1].docTS)
			require.Equal(t, "DocTimestamp1", all[len(all)-1].field)
			dss := readDSS(t, out, c.password)
			require.True(t, hasCert(dss.certs, p.TSA.Cert))
			if din.sec != nil {
				// DSS streams are encrypted like any other stream.
				require.NotContains(t, string(out[len(in):]), string(p.TSA.Cert.Raw[:64]))
			}
			if prior == 0 {
				ltvTools(t, out, 1, 1, c.password, p.Root.Cert, p.CA.Cert)
			}
		})
	}
}

func TestDocumentTimestampToken(t *testing.T) {
	p := sharedPKI(t)
	in := corpus(t, "simple.pdf")
	var buf bytes.Buffer
	require.NoError(t, AddDocumentTimestamp(context.Background(), &buf, bytes.NewReader(in), int64(len(in)),
		&DocTimestampOptions{TimestampURL: p.TSAURL(), Field: "LuuTru"}))
	out := buf.Bytes()
	require.True(t, bytes.HasPrefix(out, in))
	d := openBytes(t, out, "")
	sd := d.dictOf(d.fieldValue(t, "LuuTru"))
	require.Equal(t, name("DocTimeStamp"), sd.name("Type"))
	require.Equal(t, name("ETSI.RFC3161"), sd.name("SubFilter"))
	require.Equal(t, name("Adobe.PPKLite"), sd.name("Filter"))
	_, hasM := sd["M"]
	require.False(t, hasM)
	sigs, err := d.signatures()
	require.NoError(t, err)
	require.Len(t, sigs, 1)
	tok, err := cms.ParseToken(sigs[0].der)
	require.NoError(t, err)
	br, _ := d.resolve(sd["ByteRange"]).(array)
	a, b, c := br[1].(int64), br[2].(int64), br[3].(int64)
	require.Equal(t, int64(len(out)), b+c, "covers the whole file")
	require.NoError(t, tok.VerifyData(append(append([]byte(nil), out[:a]...), out[b:]...)))
	ltvTools(t, out, 0, 1, "", p.Root.Cert, p.CA.Cert)

	// Bad options.
	err = AddDocumentTimestamp(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), &DocTimestampOptions{})
	require.ErrorIs(t, err, ErrBadOptions)
}

func TestRenewArchive(t *testing.T) {
	p := sharedPKI(t)
	in := corpus(t, "simple.pdf")
	first := signLevel(t, in, LevelBLTA, nil)
	before := readDSS(t, first, "")

	var buf bytes.Buffer
	err := Augment(context.Background(), &buf, bytes.NewReader(first), int64(len(first)), LevelBLTA,
		&LTVOptions{VRI: true}, &DocTimestampOptions{TimestampURL: p.TSAURL()})
	require.NoError(t, err)
	out := buf.Bytes()
	require.True(t, bytes.HasPrefix(out, first), "the archived file is an exact prefix")
	after := readDSS(t, out, "")
	for k, refs := range before.refs {
		require.Equal(t, refs, after.refs[k][:len(refs)], "existing /%s entries are kept in place", k)
	}
	require.Greater(t, len(after.ocsps), len(before.ocsps), "fresh OCSP responses added")
	d := openBytes(t, out, "")
	sigs, err := d.signatures()
	require.NoError(t, err)
	require.Len(t, sigs, 3)
	require.NotNil(t, after.vri)
	require.Len(t, after.vri, 2, "a VRI entry per signature and document time-stamp before the DSS")
	for _, e := range sigs[:2] {
		sum := sha1.Sum(e.contents)
		entry := d.dictOf(after.vri[name(strings.ToUpper(hex.EncodeToString(sum[:])))])
		require.NotNil(t, entry, "VRI entry for %s", e.field)
		require.NotEmpty(t, entry["Cert"])
		require.NotEmpty(t, entry["OCSP"])
	}
	ltvTools(t, out, 1, 2, "", p.Root.Cert, p.CA.Cert)
}

func TestAddDSSNothingNew(t *testing.T) {
	p := sharedPKI(t)
	id := p.MustIssue()
	in := signBytes(t, corpus(t, "simple.pdf"), id.Signer(), &Options{TimestampURL: p.TSAURL()})
	// Supplied evidence only, offline.
	var ocsps [][]byte
	for _, c := range [][2]*x509.Certificate{{id.Cert, p.CA.Cert}, {p.CA.Cert, p.Root.Cert}, {p.TSA.Cert, p.CA.Cert}} {
		o, err := p.OCSP(c[0])
		require.NoError(t, err)
		_ = c[1]
		ocsps = append(ocsps, o)
	}
	lo := &LTVOptions{Offline: true, OCSPResponses: ocsps, Certificates: []*x509.Certificate{p.CA.Cert, p.Root.Cert}}
	var buf bytes.Buffer
	require.NoError(t, AddDSS(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), lo))
	once := buf.Bytes()
	require.Greater(t, len(once), len(in))
	dss := readDSS(t, once, "")
	require.Len(t, dss.ocsps, 3)
	// Again with the same evidence: nothing to add, nothing appended.
	buf = bytes.Buffer{}
	require.NoError(t, AddDSS(context.Background(), &buf, bytes.NewReader(once), int64(len(once)), lo))
	require.Equal(t, once, buf.Bytes())

	// Offline without evidence for the TSA: a clear error, no output.
	buf = bytes.Buffer{}
	err := AddDSS(context.Background(), &buf, bytes.NewReader(in), int64(len(in)),
		&LTVOptions{Offline: true, OCSPResponses: ocsps[:2], Certificates: lo.Certificates})
	require.ErrorIs(t, err, ErrValidationData)
	require.ErrorIs(t, err, revinfo.ErrNoRevocationInfo)
	require.Contains(t, err.Error(), "Kyso Test TSA")
	require.Zero(t, buf.Len())

	// Supplied answers must be current at LTVOptions.Time.
	stale := *lo
	stale.Time = time.Now().AddDate(0, 0, 3)
	err = AddDSS(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), &stale)
	require.ErrorIs(t, err, ErrValidationData)
	require.ErrorIs(t, err, revinfo.ErrNoRevocationInfo)

	// A document without signatures.
	err = AddDSS(context.Background(), &buf, bytes.NewReader(corpus(t, "simple.pdf")), int64(len(corpus(t, "simple.pdf"))), nil)
	require.ErrorIs(t, err, ErrNoSignatures)
}

func TestLTVFallsBackToCRL(t *testing.T) {
	p := pkitest.New(t)
	id := p.MustIssue()
	in := corpus(t, "simple.pdf")
	s := id.Signer()
	var buf bytes.Buffer
	// The OCSP responder is down after the time-stamp: CRLs instead.
	signed := signBytesPKI(t, p, in, s)
	p.SetOCSPMode(pkitest.OCSPUnavailable)
	require.NoError(t, AddDSS(context.Background(), &buf, bytes.NewReader(signed), int64(len(signed)), nil))
	dss := readDSS(t, buf.Bytes(), "")
	require.Empty(t, dss.ocsps)
	require.Len(t, dss.crls, 2, "the issuing CA's CRL (signer and TSA) and the root's (issuing CA)")

	// Both down: the error names the certificate.
	p.SetCRLMode(pkitest.CRLUnavailable)
	err := AddDSS(context.Background(), &bytes.Buffer{}, bytes.NewReader(signed), int64(len(signed)), nil)
	require.ErrorIs(t, err, ErrValidationData)
}

func signBytesPKI(t *testing.T, p *pkitest.PKI, in []byte, s signer.Signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), s, &Options{TimestampURL: p.TSAURL()}))
	return buf.Bytes()
}

func TestLevelOptions(t *testing.T) {
	in := corpus(t, "simple.pdf")
	s := testSigner(t)
	for _, l := range []Level{LevelBT, LevelBLT, LevelBLTA} {
		err := Sign(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), s, &Options{Level: l})
		require.ErrorIs(t, err, ErrBadOptions, "%v without a TSA", l)
	}
	err := Sign(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), s, &Options{Level: 7})
	require.ErrorIs(t, err, ErrBadOptions)
	for s, want := range map[string]Level{"B-B": LevelBB, "b-t": LevelBT, "LT": LevelBLT, " B-LTA ": LevelBLTA} {
		got, err := ParseLevel(s)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.True(t, strings.HasSuffix(got.String(), strings.ToUpper(strings.TrimSpace(s))))
	}
	_, err = ParseLevel("B-LTV")
	require.ErrorIs(t, err, ErrBadOptions)
	err = Augment(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), LevelBT, nil, nil)
	require.ErrorIs(t, err, ErrBadOptions)
	err = Augment(context.Background(), &bytes.Buffer{}, bytes.NewReader(in), int64(len(in)), LevelBLTA, nil, nil)
	require.ErrorIs(t, err, ErrBadOptions)
}

func encrypted(t *testing.T, data []byte) bool {
	d, err := open(bytes.NewReader(data), int64(len(data)), nil)
	return err != nil || d.sec != nil
}

func TestSignFileAndFinishFileLTA(t *testing.T) {
	p := sharedPKI(t)
	id := p.MustIssue()
	dir := t.TempDir()
	path := filepath.Join(dir, "vanban.pdf")
	in := corpus(t, "objstm.pdf")
	require.NoError(t, os.WriteFile(path, in, 0o640))
	ctx := context.Background()
	// In place.
	require.NoError(t, SignFile(ctx, path, path, id.Signer(), &Options{Level: LevelBLTA, TimestampURL: p.TSAURL()}))
	out, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out, in))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	ltvTools(t, out, 1, 1, "", p.Root.Cert, p.CA.Cert)

	// Two-phase, finished into a file.
	src := filepath.Join(dir, "src.pdf")
	require.NoError(t, os.WriteFile(src, in, 0o644))
	prep, err := Prepare(ctx, bytes.NewReader(in), int64(len(in)), id.Cert, id.Chain, &Options{Level: LevelBLT, TimestampURL: p.TSAURL()})
	require.NoError(t, err)
	sig, err := id.Signer().SignDigest(ctx, prep.Digest(), prep.SignerOpts())
	require.NoError(t, err)
	dst := filepath.Join(dir, "dst.pdf")
	require.NoError(t, prep.FinishFile(ctx, dst, src, sig))
	out, err = os.ReadFile(dst)
	require.NoError(t, err)
	require.Len(t, readDSS(t, out, "").ocsps, 3)
	ltvTools(t, out, 1, 0, "")

	// A TSA that fails after signing leaves no output.
	p2 := pkitest.New(t)
	bad := filepath.Join(dir, "bad.pdf")
	require.NoError(t, os.WriteFile(bad, in, 0o644))
	p2.SetOCSPMode(pkitest.OCSPHTTPError)
	p2.SetCRLMode(pkitest.CRLUnavailable)
	err = SignFile(ctx, filepath.Join(dir, "never.pdf"), bad, p2.MustIssue().Signer(), &Options{Level: LevelBLT, TimestampURL: p2.TSAURL()})
	require.ErrorIs(t, err, ErrValidationData)
	_, err = os.Stat(filepath.Join(dir, "never.pdf"))
	require.True(t, os.IsNotExist(err))
	left, _ := filepath.Glob(filepath.Join(dir, ".never*"))
	require.Empty(t, left, "no temporary file left behind")
}

// BenchmarkSignLevel compares one-call signing of a small document at B-T
// and at B-LTA (signature, DSS with three OCSP answers fetched from the
// loopback PKI, document time-stamp): the extra cost is the round trips
// and one more hash of the file.
func BenchmarkSignLevel(b *testing.B) {
	p := sharedPKI(b)
	s := testSigner(b)
	in := corpus(b, "simple.pdf")
	for _, l := range []Level{LevelBT, LevelBLT, LevelBLTA} {
		b.Run(l.String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var out bytes.Buffer
				if err := Sign(context.Background(), &out, bytes.NewReader(in), int64(len(in)), s,
					&Options{Level: l, TimestampURL: p.TSAURL(), Reserve: 8192}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
