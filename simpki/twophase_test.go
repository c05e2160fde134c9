package simpki_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/check"
	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
	"github.com/kyso-vn/kyso/simpki/mssptest"
	kxml "github.com/kyso-vn/kyso/xml"
)

// TestTwoPhasePDFThroughSimulator prepares a PAdES signature on a server,
// has the SIM sign the digest through the MSSP simulator, and finishes the
// document from the serialised state; pdfsig verifies the result.
func TestTwoPhasePDFThroughSimulator(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	cases := []struct {
		name   string
		key    pkitest.CertOption
		format simpki.Format
		mode   simpki.Mode
	}{
		{"rsa-pkcs1-async", pkitest.RSAKey(2048), simpki.FormatPKCS1, simpki.AsynchClientServer},
		{"ecdsa-cms-synch", pkitest.ECDSAKey(nil), simpki.FormatCMS, simpki.Synch},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msisdn := fmt.Sprintf("09770000%02d", i)
			id := e.subscriber(msisdn, nil, tc.key)
			c := e.client(mode(tc.mode), format(tc.format))
			s, err := simpki.New(context.Background(), c, msisdn, simpki.Options{})
			require.NoError(t, err)

			in := testutil.MinimalPDF("Quyet dinh so 15/QD-UBND")
			// Phase 1: the e-office server knows only the certificate.
			p, err := pdf.Prepare(context.Background(), bytes.NewReader(in), int64(len(in)), s.Certificate(), s.Chain(), &pdf.Options{
				Reason: "Phê duyệt", Location: "Hà Nội",
			})
			require.NoError(t, err)
			state, err := p.MarshalBinary()
			require.NoError(t, err)

			// Phase 2: the SIM round trip.
			ctx := simpki.WithDisplay(context.Background(), "Quyết định số 15/QĐ-UBND")
			sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
			require.NoError(t, err)

			// Phase 3: finish from the saved state.
			var q pdf.Prepared
			require.NoError(t, q.UnmarshalBinary(state))
			var out bytes.Buffer
			require.NoError(t, q.Finish(context.Background(), &out, bytes.NewReader(in), int64(len(in)), sig))
			require.True(t, bytes.HasPrefix(out.Bytes(), in))

			require.Equal(t, []string{"Quyết định số 15/QĐ-UBND - Mã xác nhận: " + simpki.VerificationCode(p.Digest())}, e.srv.Phone(msisdn))
			checkPdfsig(t, out.Bytes(), id.Cert.Subject.CommonName)
		})
	}
}

// checkPdfsig has pdfsig check the one signature of data: valid, over the
// whole document, by signerName.
func checkPdfsig(t *testing.T, data []byte, signerName string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signed.pdf")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	out := check.PDFSig(t, path, 1)
	require.Contains(t, out, "Total document signed", out)
	require.Contains(t, out, signerName, out)
}

const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<HDon><DLHDon><TTChung><PBan>2.0.1</PBan><THDon>Hóa đơn giá trị gia tăng</THDon><KHMSHDon>1</KHMSHDon><KHHDon>C26TKY</KHHDon><SHDon>123</SHDon><NLap>2026-11-23</NLap><DVTTe>VND</DVTTe></TTChung><NDHDon><NBan><Ten>Công ty TNHH Phần mềm Kyso</Ten><MST>0101234567</MST></NBan><NMua><Ten>Công ty Cổ phần Mua Hàng</Ten><MST>0109876543</MST></NMua><TToan><TgTTTBSo>1100000</TgTTTBSo><TgTTTBChu>Một triệu một trăm nghìn đồng</TgTTTBChu></TToan></NDHDon></DLHDon><DSCKS><NBan/></DSCKS></HDon>`

// TestTwoPhaseInvoiceThroughSimulator signs an e-invoice as the seller with
// the SIM in two phases; our verifier and xmlsec1 accept it.
func TestTwoPhaseInvoiceThroughSimulator(t *testing.T) {
	e := newEnv(t, mssptest.Config{})
	for i, key := range []pkitest.CertOption{pkitest.RSAKey(2048), pkitest.ECDSAKey(nil)} {
		msisdn := fmt.Sprintf("03880000%02d", i)
		id := e.subscriber(msisdn, nil, key, pkitest.Organization("Công ty TNHH Phần mềm Kyso", "0101234567"))
		s, err := simpki.New(context.Background(), e.client(mode(simpki.AsynchClientServer)), msisdn, simpki.Options{})
		require.NoError(t, err)

		p, err := kxml.Prepare(context.Background(), []byte(invoice), s.Certificate(), s.Chain(), kxml.Seller())
		require.NoError(t, err)
		state, err := p.MarshalBinary()
		require.NoError(t, err)

		ctx := simpki.WithDisplay(context.Background(), "Hóa đơn C26TKY số 123")
		sig, err := s.SignDigest(ctx, p.Digest(), p.SignerOpts())
		require.NoError(t, err)

		var q kxml.Prepared
		require.NoError(t, q.UnmarshalBinary(state))
		signed, err := q.Finish(context.Background(), sig)
		require.NoError(t, err)

		res, err := kxml.Verify(signed, nil)
		require.NoError(t, err)
		require.True(t, res.Valid())
		require.Len(t, res.Signatures, 1)
		require.True(t, res.Signatures[0].Certificate.Equal(id.Cert))
		ok, err := res.Covered("//HDon/DLHDon", "//HDon/DSCKS/NBan")
		require.NoError(t, err)
		require.True(t, ok)
		require.Contains(t, e.srv.Phone(msisdn)[0], "Hóa đơn C26TKY số 123")

		// xmlsec1, independently.
		xmlsec := testutil.Tool(t, "xmlsec1", "xmlsec1")
		dir := t.TempDir()
		in := filepath.Join(dir, "inv.xml")
		require.NoError(t, os.WriteFile(in, signed, 0o600))
		certFile := filepath.Join(dir, "cert.pem")
		require.NoError(t, os.WriteFile(certFile, pkitest.PEM(id.Cert), 0o600))
		args := []string{"--verify", "--pubkey-cert-pem", certFile, "--id-attr:Id", "DLHDon"}
		for _, r := range res.Signatures[0].References {
			if r.Element != nil && r.Element.Name() != "DLHDon" {
				args = append(args, "--id-attr:Id", r.Element.Name())
			}
		}
		out, err := exec.Command(xmlsec, append(args, in)...).CombinedOutput()
		require.NoError(t, err, "xmlsec1: %s", out)
		require.True(t, strings.Contains(string(out), "OK"), "%s", out)
	}
}
