package pdf_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/cms"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/verify"
)

// Co-signing: kyso adds its signature to documents signed first by other
// producers. The earlier signatures must keep their verdict (kyso's
// verifier) and stay valid for pdfsig, mutool and qpdf, and the input must
// be an exact prefix of the output.

// producerBase is a one-page document whose page and catalog carry values
// a re-serialiser would change: reals with five digits, escaped literal
// strings, hex strings, names with #xx escapes.
func producerBase(withField bool) []byte {
	objs := map[int]string{
		1: `<< /Type /Catalog /Pages 2 0 R /Lang (vi\055VN) /ViewerPreferences << /DisplayDocTitle true >> >>`,
		2: `<< /Type /Pages /Kids [3 0 R] /Count 1 >>`,
		3: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.27563 841.8898] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /PieceInfo << /kyso#20app << /Private (a\(b\)) /LastModified <443A3230323630313031> >> >> >>`,
		4: "<< /Length 47 >>\nstream\nBT /F1 24 Tf 72 760 Td (Cong van so 12) Tj ET\n\nendstream",
		5: `<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>`,
	}
	if withField {
		objs[1] = strings.TrimSuffix(objs[1], ">>") + "/AcroForm << /Fields [6 0 R] /SigFlags 3 /DA (/Helv 0 Tf 0 g) >> >>"
		objs[3] = strings.TrimSuffix(objs[3], ">>") + "/Annots [6 0 R] >>"
		objs[6] = `<< /FT /Sig /T (Sig1) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /F 132 >>`
	}
	return pdf.ClassicPDFForTest(objs)
}

// pdfboxStyleSign appends a signature the way PDFBox writes one: a new
// field whose widget has an indirect /AP dictionary (/AP 7 0 R, /N a form
// XObject), the page and catalog rewritten by the producer, a classic xref
// section, adbe.pkcs7.detached with a signing-time attribute.
func pdfboxStyleSign(t *testing.T, in []byte, id *pkitest.Identity) []byte {
	t.Helper()
	const reserve = 8192
	startxref := bytes.LastIndex(in, []byte("startxref"))
	prev, err := strconv.Atoi(strings.Fields(string(in[startxref+len("startxref"):]))[0])
	require.NoError(t, err)
	appearance := "q 0 0 1 rg 0 0 260 100 re f Q\n"
	objs := []struct {
		num  int
		body string
	}{
		{1, `<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) /ViewerPreferences << /DisplayDocTitle true >> /AcroForm 10 0 R >>`},
		{3, `<< /Type /Page /Parent 2 0 R /MediaBox [0.0 0.0 595.27563 841.8898] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /PieceInfo << /kyso#20app << /Private (a\(b\)) /LastModified <443A3230323630313031> >> >> /Annots [6 0 R] >>`},
		{6, `<< /FT /Sig /T (PDFBox1) /Type /Annot /Subtype /Widget /F 132 /Rect [300.0 80.0 560.0 180.0] /P 3 0 R /V 9 0 R /AP 7 0 R >>`},
		{7, `<< /N 8 0 R >>`},
		{8, fmt.Sprintf("<< /Type /XObject /Subtype /Form /BBox [0.0 0.0 260.0 100.0] /Resources << >> /Length %d >>\nstream\n%s\nendstream", len(appearance), appearance)},
		{9, `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name (PDFBox style) /M (D:20261203090000+07'00') /ByteRange [0 ##########1 ##########2 ##########3] /Contents <` + strings.Repeat("0", 2*reserve) + `> >>`},
		{10, `<< /Fields [6 0 R] /SigFlags 3 >>`},
	}
	var upd bytes.Buffer
	offs := map[int]int{}
	for _, o := range objs {
		offs[o.num] = len(in) + upd.Len()
		fmt.Fprintf(&upd, "%d 0 obj\n%s\nendobj\n", o.num, o.body)
	}
	xref := len(in) + upd.Len()
	upd.WriteString("xref\n0 2\n0000000000 65535 f\r\n")
	fmt.Fprintf(&upd, "%010d 00000 n\r\n", offs[1])
	fmt.Fprintf(&upd, "3 1\n%010d 00000 n\r\n", offs[3])
	upd.WriteString("6 5\n")
	for n := 6; n <= 10; n++ {
		fmt.Fprintf(&upd, "%010d 00000 n\r\n", offs[n])
	}
	fmt.Fprintf(&upd, "trailer\n<< /Size 11 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", prev, xref)
	out := append(append([]byte(nil), in...), upd.Bytes()...)
	c := bytes.Index(out[len(in):], []byte("/Contents <")) + len(in) + len("/Contents ")
	end := c + 2 + 2*reserve
	for i, v := range []int{c, end, len(out) - end} {
		ph := []byte(fmt.Sprintf("##########%d", i+1))
		at := bytes.Index(out, ph)
		copy(out[at:], fmt.Sprintf("%-11d", v))
	}
	h := crypto.SHA256.New()
	h.Write(out[:c])
	h.Write(out[end:])
	der, err := cms.Sign(context.Background(), id.Signer(), h.Sum(nil), cms.Options{Hash: crypto.SHA256, SigningTime: time.Now()})
	require.NoError(t, err)
	require.Less(t, len(der), reserve)
	copy(out[c+1:], strings.ToUpper(hex.EncodeToString(der)))
	return out
}

// popplerSign signs in with pdfsig -add-signature into a new field, with
// id imported into a fresh NSS database.
func popplerSign(t *testing.T, in []byte, id *pkitest.Identity) []byte {
	t.Helper()
	p12, err := id.PKCS12("pw")
	require.NoError(t, err)
	db, nick := testutil.NSSIdentity(t, p12, "pw")
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).CombinedOutput()
		require.NoError(t, err, "%s %v: %s", name, args, out)
		return string(out)
	}
	inPath, out := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	require.NoError(t, os.WriteFile(inPath, in, 0o644))
	run(pdfsig, "-add-signature", "-nssdir", db, "-nick", nick, "-digest", "SHA256",
		"-new-signature-field-name", "Poppler", "-reason", "Phê duyệt", inPath, out)
	signed, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(signed, in))
	return signed
}

type verdict struct {
	ind  verify.Indication
	sub  verify.SubIndication
	mods int
}

func verdicts(t *testing.T, o verify.Options, doc []byte) (map[string]verdict, *verify.Report) {
	t.Helper()
	v, err := verify.New(o)
	require.NoError(t, err)
	rep, err := verify.NewPDFVerifier(v).Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)))
	require.NoError(t, err)
	out := map[string]verdict{}
	for _, s := range rep.Signatures {
		out[s.ID] = verdict{s.Indication, s.SubIndication, len(s.Coverage.ModifiedAfterSigning)}
	}
	return out, rep
}

// kysoCoSign signs in with kyso and checks that every earlier signature
// keeps its verdict (want, when set, is that verdict for all of them) and
// that the tools accept both.
func kysoCoSign(t *testing.T, p *pkitest.PKI, o verify.Options, in []byte, prior int, want verify.Indication) []byte {
	t.Helper()
	before, rep := verdicts(t, o, in)
	require.Len(t, before, prior, "%s", rep.Text(verify.English))
	if want != "" {
		for id, v := range before {
			require.Equal(t, want, v.ind, "%s before kyso signs: %s", id, rep.Text(verify.English))
		}
	}
	id := p.MustIssue()
	var buf bytes.Buffer
	require.NoError(t, pdf.Sign(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), id.Signer(),
		&pdf.Options{Appearance: &pdf.Appearance{Rect: pdf.Corners(40, 40, 250, 120)}}))
	out := buf.Bytes()
	require.True(t, bytes.HasPrefix(out, in), "every earlier revision is an exact prefix")

	after, rep := verdicts(t, o, out)
	require.Len(t, after, prior+1, "%s", rep.Text(verify.English))
	for id, v := range before {
		require.Equal(t, v, after[id], "%s keeps its verdict after kyso signs:\n%s", id, rep.Text(verify.English))
	}
	pdf.CheckToolsForTest(t, out, prior+1, "")
	return out
}

func onlineOptions(p *pkitest.PKI) verify.Options {
	trust := verify.NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "pkitest root")
	return verify.Options{Trust: trust, Revocation: verify.RevocationOnline, HTTPClient: p.HTTPClient(), Intermediates: []*x509.Certificate{p.CA.Cert}}
}

// kyso after a PDFBox-style signature whose widget has an indirect /AP.
func TestCoSignAfterPDFBoxStyle(t *testing.T) {
	p := pkitest.New(t)
	signed := pdfboxStyleSign(t, producerBase(false), p.MustIssue())
	pdf.CheckToolsForTest(t, signed, 1, "")
	out := kysoCoSign(t, p, onlineOptions(p), signed, 1, verify.TotalPassed)
	// And again: a third signature keeps both earlier ones.
	kysoCoSign(t, p, onlineOptions(p), out, 2, verify.TotalPassed)
}

// kyso after mutool sign (SHA-1: under a policy that accepts it, the
// mutool signature is TOTAL_PASSED before and after).
func TestCoSignAfterMutool(t *testing.T) {
	p := pkitest.New(t)
	signed := check.MutoolSign(t, producerBase(true), p.MustIssue(pkitest.RSAKey(2048)), "6")
	o := onlineOptions(p)
	lax := verify.VietnamPolicy()
	lax.Hashes = append(lax.Hashes, crypto.SHA1)
	o.Algorithms = lax
	kysoCoSign(t, p, o, signed, 1, verify.TotalPassed)
	// Under the default policy the verdict (SHA-1 refused) is unchanged too.
	kysoCoSign(t, p, onlineOptions(p), signed, 1, verify.Indeterminate)
}

// kyso after pdfsig -add-signature (poppler, NSS).
func TestCoSignAfterPoppler(t *testing.T) {
	p := pkitest.New(t)
	signed := popplerSign(t, producerBase(false), p.MustIssue(pkitest.RSAKey(2048)))
	kysoCoSign(t, p, onlineOptions(p), signed, 1, verify.TotalPassed)
}
