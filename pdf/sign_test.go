package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/elliptic"
	"os"
	"path/filepath"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"testing"
)

var corpusFiles = []struct {
	name     string
	password string
	prior    int // signatures already in the file
}{
	{"simple.pdf", "", 0},
	{"objstm.pdf", "", 0},
	{"linearized.pdf", "", 0},
	{"rotated.pdf", "", 0},
	{"hybrid.pdf", "", 0},
	{"form-empty-field.pdf", "", 0},
	{"mutool-signed.pdf", "", 1},
	{"rc4-40.pdf", "", 0},
	{"rc4-128.pdf", "", 0},
	{"aes128.pdf", "", 0},
	{"aes128-objstm.pdf", "", 0},
	{"aes256.pdf", "", 0},
	{"aes256-userpw.pdf", "nguoidung", 0},
	{"aes256-r5.pdf", "", 0},
}

func TestSignCorpus(t *testing.T) {
	s := testSigner(t)
	for _, c := range corpusFiles {
		t.Run(c.name, func(t *testing.T) {
			in := corpus(t, c.name)
			out := signBytes(t, in, s, &Options{Password: c.password, Reason: "Phê duyệt văn bản", Location: "Approved in Hanoi"})
			checkTools(t, out, c.prior+1, c.password)
			sigs := readSignatures(t, out, c.password)
			require.Len(t, sigs, c.prior+1)
			last := sigs[len(sigs)-1]
			require.Equal(t, "Approved in Hanoi", decodeTextString(last.dict["Location"].(pdfString)))
			din, dout := openBytes(t, in, c.password), openBytes(t, out, c.password)
			require.Equal(t, din.xrefForm, dout.xrefForm, "same xref form as the source")
			require.Equal(t, din.trailer["Root"], dout.trailer["Root"], "catalog keeps its object number")
			require.Equal(t, din.trailer["ID"], dout.trailer["ID"], "/ID kept")
			require.Equal(t, din.trailer["Encrypt"], dout.trailer["Encrypt"], "/Encrypt kept")
			require.Equal(t, din.startxref, dout.trailer["Prev"], "/Prev is the previous startxref")
			if d := din; d.sec != nil {
				// New strings are encrypted; the signature is not.
				require.NotContains(t, string(out[len(in):]), "Approved in Hanoi")
			}
		})
	}
}

func TestSignExistingField(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "form-empty-field.pdf")
	out := signBytes(t, in, s, &Options{Field: "LanhDao"})
	checkTools(t, out, 1, "")
	d := openBytes(t, out)
	fs, err := d.fields()
	require.NoError(t, err)
	require.Len(t, fs, 2, "no field added or dropped")
	for _, f := range fs {
		if f.fullName == "LanhDao" {
			require.NotNil(t, d.resolve(f.dict["V"]))
		}
		if f.fullName == "SoVanBan" {
			require.Equal(t, pdfString("123/QD-UBND"), d.resolve(f.dict["V"]))
		}
	}
	_, cat, err := d.catalog()
	require.NoError(t, err)
	af := d.dictOf(cat["AcroForm"])
	require.Equal(t, int64(3), af["SigFlags"])
	require.NotNil(t, af["DR"], "/DR kept")
	require.Equal(t, pdfString("/Helv 0 Tf 0 g"), af["DA"], "/DA kept")

	// The field is now signed: signing it again is refused.
	var buf bytes.Buffer
	err = Sign(context.Background(), &buf, bytes.NewReader(out), int64(len(out)), s, &Options{Field: "LanhDao"})
	require.ErrorIs(t, err, ErrFieldSigned)
	require.Zero(t, buf.Len())
	err = Sign(context.Background(), &buf, bytes.NewReader(out), int64(len(out)), s, &Options{Field: "SoVanBan"})
	require.ErrorIs(t, err, ErrFieldNotFound)
}

func openBytes(t testing.TB, b []byte, password ...string) *document {
	t.Helper()
	var pw []byte
	if len(password) > 0 {
		pw = []byte(password[0])
	}
	d, err := open(bytes.NewReader(b), int64(len(b)), pw)
	require.NoError(t, err)
	return d
}

func TestSequentialSignatures(t *testing.T) {
	leader := testSigner(t, pkitest.Person("Trần Thị Bình", "001190004567"), pkitest.RSAKey(2048))
	clerk := testSigner(t, pkitest.Organization("Ủy ban nhân dân tỉnh Đồng Nai", "3600999888"))
	third := testSigner(t, pkitest.Person("Lê Văn Ĩ", "079201000111"))
	for _, name := range []string{"simple.pdf", "objstm.pdf", "hybrid.pdf", "aes256.pdf", "linearized.pdf"} {
		t.Run(name, func(t *testing.T) {
			doc := corpus(t, name)
			for i, s := range []signer.Signer{leader, clerk, third} {
				next := signBytes(t, doc, s, &Options{Reason: "Ký duyệt lần " + string(rune('1'+i))})
				doc = next
				if i >= 1 {
					checkTools(t, doc, i+1, "")
				}
			}
			sigs := readSignatures(t, doc, "")
			require.Len(t, sigs, 3)
			names := map[string]bool{}
			for _, s := range sigs {
				names[s.field] = true
			}
			require.Equal(t, map[string]bool{"Signature1": true, "Signature2": true, "Signature3": true}, names)
			require.Equal(t, int64(len(doc)), sigs[2].byteRange[2]+sigs[2].byteRange[3])
		})
	}
}

func TestSignatureDictionary(t *testing.T) {
	s := testSigner(t)
	at := time.Date(2026, 3, 9, 8, 30, 5, 0, vietnamTime())
	out := signBytes(t, corpus(t, "simple.pdf"), s, &Options{
		Name: "Nguyễn Văn Ĩ", Reason: "Đồng ý ban hành", Location: "Đà Nẵng", ContactInfo: "vanphong@danang.gov.vn",
		SigningTime: at,
	})
	sigs := readSignatures(t, out, "")
	require.Len(t, sigs, 1)
	sd := sigs[0].dict
	require.Equal(t, name("ETSI.CAdES.detached"), sd["SubFilter"])
	require.Equal(t, name("Adobe.PPKLite"), sd["Filter"])
	require.Equal(t, pdfString("D:20260309083005+07'00'"), sd["M"])
	require.Equal(t, "Nguyễn Văn Ĩ", decodeTextString(sd["Name"].(pdfString)))
	require.Equal(t, []byte{0xfe, 0xff}, []byte(sd["Reason"].(pdfString))[:2], "UTF-16BE with BOM")
	require.Equal(t, "Đồng ý ban hành", decodeTextString(sd["Reason"].(pdfString)))
	require.Equal(t, "Đà Nẵng", decodeTextString(sd["Location"].(pdfString)))
	require.Equal(t, pdfString("vanphong@danang.gov.vn"), sd["ContactInfo"])
	si := sigs[0].cms.SignerInfos[0]
	_, has, err := si.SigningTime()
	require.NoError(t, err)
	require.False(t, has, "PAdES forbids the CMS signing-time attribute")
	require.Equal(t, 2, si.SigningCertificateVersion())
	require.Empty(t, si.Timestamps)
}

func TestSignTimestampAndLegacy(t *testing.T) {
	pki := sharedPKI(t)
	s := testSigner(t, pkitest.RSAKey(3072))
	out := signBytes(t, corpus(t, "objstm.pdf"), s, &Options{TimestampURL: pki.TSAURL()})
	checkTools(t, out, 1, "")
	sigs := readSignatures(t, out, "")
	require.Len(t, sigs[0].cms.SignerInfos[0].Timestamps, 1, "PAdES B-T: one signature timestamp")

	out = signBytes(t, out, s, &Options{Legacy: true, Hash: crypto.SHA512})
	checkTools(t, out, 2, "")
	sigs = readSignatures(t, out, "")
	require.Equal(t, name("adbe.pkcs7.detached"), sigs[1].dict["SubFilter"])
	_, has, err := sigs[1].cms.SignerInfos[0].SigningTime()
	require.NoError(t, err)
	require.True(t, has, "adbe.pkcs7.detached carries the CMS signing time")
	require.Equal(t, crypto.SHA512, sigs[1].cms.SignerInfos[0].Hash)
}

func TestSignFileAtomic(t *testing.T) {
	s := testSigner(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "in.pdf")
	in := corpus(t, "objstm.pdf")
	require.NoError(t, os.WriteFile(src, in, 0o644))
	dst := filepath.Join(dir, "out.pdf")
	require.NoError(t, SignFile(context.Background(), dst, src, s, nil))
	out, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out, in))
	checkTools(t, out, 1, "")

	// In place, twice.
	require.NoError(t, SignFile(context.Background(), dst, dst, s, nil))
	out2, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out2, out))
	checkTools(t, out2, 2, "")

	// A failure (the signer refuses) leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	bad := filepath.Join(dir, "bad.pdf")
	err = SignFile(ctx, bad, src, s, nil)
	require.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.ElementsMatch(t, []string{"in.pdf", "out.pdf"}, names)
}

func TestSignHierarchicalFields(t *testing.T) {
	s := testSigner(t)
	in := corpus(t, "form-hierarchy.pdf")
	// A field whose widget is a separate kid, signed visibly in its rectangle.
	out := signBytes(t, in, s, &Options{Field: "VanThu", Appearance: &Appearance{Lines: []string{"Văn thư đã ký"}}})
	checkTools(t, out, 1, "")
	require.Contains(t, pdftotext(t, out, ""), "Văn thư đã ký")
	// A terminal field under a parent: fully qualified name; its widget has no /P.
	out = signBytes(t, out, s, &Options{Field: "CoQuan.PhoGiamDoc", Appearance: &Appearance{Lines: []string{"Phó Giám đốc"}}})
	checkTools(t, out, 2, "")
	require.Contains(t, pdftotext(t, out, ""), "Phó Giám đốc")
	sigs := readSignatures(t, out, "")
	require.Len(t, sigs, 2)
	require.Equal(t, "VanThu", sigs[0].field)
	require.Equal(t, "CoQuan.PhoGiamDoc", sigs[1].field)
	d := openBytes(t, out)
	fs, err := d.fields()
	require.NoError(t, err)
	require.Len(t, fs, 2, "no new field was created")
}

func TestKeyAlgorithms(t *testing.T) {
	in := corpus(t, "objstm.pdf")
	cases := []struct {
		name string
		s    signer.Signer
		opts Options
		// MuPDF 1.21 cannot verify RSASSA-PSS ("Digest error: Unknown
		// error"); pdfsig (NSS) and our CMS check do.
		noMutool bool
	}{
		{"RSA-2048 PSS", testSigner(t, pkitest.RSAKey(2048)), Options{PSS: true}, true},
		{"RSA-4096 SHA-512", testSigner(t, pkitest.RSAKey(4096)), Options{Hash: crypto.SHA512}, false},
		{"ECDSA P-384 SHA-384", testSigner(t, pkitest.ECDSAKey(elliptic.P384())), Options{Hash: crypto.SHA384}, false},
		{"ECDSA P-521", testSigner(t, pkitest.ECDSAKey(elliptic.P521())), Options{Hash: crypto.SHA512}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			out := signBytes(t, in, c.s, &opts)
			if c.noMutool {
				path := filepath.Join(t.TempDir(), "signed.pdf")
				require.NoError(t, os.WriteFile(path, out, 0o644))
				checkPdfsig(t, path, 1, "")
				checkQpdf(t, path, "")
			} else {
				checkTools(t, out, 1, "")
			}
			sigs := readSignatures(t, out, "")
			h := opts.Hash
			if h == 0 {
				h = crypto.SHA256
			}
			require.Equal(t, h, sigs[0].cms.SignerInfos[0].Hash)
		})
	}
}

func TestSignFileKeepsPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rieng.pdf")
	require.NoError(t, os.WriteFile(path, corpus(t, "simple.pdf"), 0o600))
	require.NoError(t, SignFile(context.Background(), path, path, testSigner(t), nil))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}
