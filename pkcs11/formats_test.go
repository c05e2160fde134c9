package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	kxml "github.com/kyso-vn/kyso/xml"
)

// TestSignPDFThroughToken signs a PDF with keys on the token (PAdES, RSA
// PKCS#1 v1.5, RSA-PSS and ECDSA) and has pdfsig check the result.
func TestSignPDFThroughToken(t *testing.T) {
	pdfsig := testutil.Tool(t, "pdfsig", "poppler-utils")
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	src, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "pdf", "testdata", "simple.pdf"))
	require.NoError(t, err)
	for _, c := range []struct {
		key  string
		opts pdf.Options
	}{
		{"gen-rsa2048", pdf.Options{Reason: "Phê duyệt văn bản", Location: "Hà Nội"}},
		{"rsa3072", pdf.Options{PSS: true, Hash: crypto.SHA384}},
		{"gen-p384", pdf.Options{Hash: crypto.SHA384}},
		{"p256", pdf.Options{}},
	} {
		t.Run(c.key, func(t *testing.T) {
			sg := keySigner(t, f, tok, "kyso-main/"+c.key)
			var out bytes.Buffer
			opts := c.opts
			require.NoError(t, pdf.Sign(context.Background(), &out, bytes.NewReader(src), int64(len(src)), sg, &opts))
			path := filepath.Join(t.TempDir(), "signed.pdf")
			require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
			res, err := exec.Command(pdfsig, "-nocert", path).CombinedOutput()
			require.NoError(t, err, string(res))
			assert.Contains(t, string(res), "Signature Validation: Signature is Valid.", string(res))
			assert.Contains(t, string(res), "Total document signed", string(res))
			assert.Contains(t, string(res), sg.Certificate().Subject.CommonName)
		})
	}
}

const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon Id="DLHDon"><TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C26TKS</KHHDon><SHDon>42</SHDon><NLap>2026-11-23</NLap><DVTTe>VND</DVTTe></TTChung><NDHDon><NBan><Ten>Công ty TNHH Kiểm thử Ký số</Ten><MST>0106324653</MST><DChi>Số 1 Đại Cồ Việt, Hai Bà Trưng, Hà Nội</DChi></NBan><NMua><Ten>Nguyễn Văn Mua</Ten></NMua><DSHHDVu><HHDVu><STT>1</STT><THHDVu>Dịch vụ ký số</THHDVu><SLuong>1</SLuong><DGia>1000000</DGia><ThTien>1000000</ThTien></HHDVu></DSHHDVu><TToan><TgTCThue>1000000</TgTCThue><TgTThue>100000</TgTThue><TgTTTBSo>1100000</TgTTTBSo></TToan></NDHDon></DLHDon><DSCKS><NBan/></DSCKS></HDon>`

// TestSignInvoiceThroughToken signs an e-invoice as the seller with keys
// on the token and has xmlsec1 and kyso's verifier check it.
func TestSignInvoiceThroughToken(t *testing.T) {
	xmlsec := testutil.Tool(t, "xmlsec1", "xmlsec1")
	f, m := openModuleTB(t)
	tok := openToken(t, m, "kyso-main", Options{PIN: newPIN(testPIN).fn})
	for _, key := range []string{"gen-rsa3072", "p256", "gen-p384"} {
		t.Run(key, func(t *testing.T) {
			sg := keySigner(t, f, tok, "kyso-main/"+key)
			opts := kxml.Seller()
			if strings.HasSuffix(key, "p384") {
				opts.Hash = crypto.SHA384
			}
			out, err := kxml.Sign(context.Background(), []byte(invoice), sg, opts)
			require.NoError(t, err)
			res, err := kxml.Verify(out, nil)
			require.NoError(t, err)
			require.True(t, res.Valid())

			dir := t.TempDir()
			doc := filepath.Join(dir, "invoice.xml")
			cert := filepath.Join(dir, "cert.pem")
			require.NoError(t, os.WriteFile(doc, out, 0o644))
			require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: sg.Certificate().Raw}), 0o644))
			cmd := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", cert, "--id-attr:Id", "DLHDon",
				"--node-xpath", "//*[local-name()='Signature' and @Id='NBan']", doc)
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, string(msg))
			assert.Contains(t, string(msg), "OK")
		})
	}
}
