package wire

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

var instant = time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)

func hdr() Header {
	return Header{MajorVersion: 1, MinorVersion: 1, APID: "kyso-ap", APTransID: "kyso1", APPWD: "pw",
		Instant: instant, MSSPID: "http://mssp.kyso.test/"}
}

func sampleMessages() []Message {
	h := hdr()
	sig := &Signature{Base64: []byte{1, 2, 3}}
	return []Message{
		&SignatureReq{Header: h, MSISDN: "84912345678",
			DataToBeSigned:    Data{Value: "AAEC", MimeType: "application/x-sha256", Encoding: "base64"},
			DataToBeDisplayed: &Data{Value: "Ký hợp đồng <số 1> & \"2\"", MimeType: "text/plain", Encoding: "UTF-8"},
			SignatureProfile:  "http://mssp/profile", MSSFormat: "http://mss.ficom.fi/TS102204/v1.0.0#PKCS1",
			TimeOut: 80, MessagingMode: "asynchClientServer"},
		&SignatureResp{Header: h, MSSPTransID: "m1", MSISDN: "84912345678", Signature: sig,
			SignatureProfile: "http://mssp/profile", Status: Status{Code: 500, Message: "SIGNATURE"}},
		&SignatureResp{Header: h, MSSPTransID: "m1", MSISDN: "84912345678",
			Signature: &Signature{PKCS1: []byte{9, 9}, PKCS1Certificate: []byte{7}}, Status: Status{Code: 500}},
		&StatusReq{Header: h, MSSPTransID: "m1", MSISDN: "84912345678"},
		&StatusResp{Header: h, MSISDN: "84912345678", Status: Status{Code: 504, Message: "OUTSTANDING_TRANSACTION"}},
		&Notification{StatusResp{Header: h, MSSPTransID: "m1", MSISDN: "84912345678", Signature: sig, Status: Status{Code: 500}}},
		&ProfileReq{Header: h, MSISDN: "84912345678", Params: "certs"},
		&ProfileResp{Header: h, SignatureProfiles: []string{"a", "b"}, Status: Status{Code: 100, Message: "REQUEST_OK"},
			Certificates: []UserCertificate{{State: "ACTIVE", Algorithm: "EC", Chain: [][]byte{{1}, {2}}}}},
		&ReceiptReq{Header: h, MSSPTransID: "m1", MSISDN: "84912345678", Status: &Status{Code: 401, Message: "X"},
			Message: &Data{Value: "Đã hủy", MimeType: "text/plain", Encoding: "UTF-8"}},
		&ReceiptResp{Header: h, Status: Status{Code: 100}},
		&NotificationResp{},
		&Fault{Code: "Sender", Subcode: 401, RawSubcode: "mss:_401", Reason: "USER_CANCEL", Detail: "declined"},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		data, err := Encode(m)
		require.NoError(t, err)
		env, err := Decode(data)
		require.NoError(t, err, "%s", data)
		got := env.Message
		// MSSPInstant is not sent unless set; compare the rest.
		require.Equal(t, m, got, "%s", data)
	}
}

func TestDecodeForeignDialects(t *testing.T) {
	// Unwrapped message directly in Body, a default namespace, and the
	// Swisscom sample's formatting.
	for _, doc := range []string{
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><MSS_StatusResp xmlns="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1"><AP_Info AP_ID="a" AP_TransID="b" AP_PWD="c" Instant="2015-01-01T12:00:00.000+01:00"/><MSSP_Info Instant="2015-01-01T12:00:00.100+01:00"><MSSP_ID><URI>http://mid.swisscom.ch/</URI></MSSP_ID></MSSP_Info><MobileUser><MSISDN>+41000000000</MSISDN></MobileUser><Status><StatusCode Value="504"/><StatusMessage>OUTSTANDING_TRANSACTION</StatusMessage></Status></MSS_StatusResp></soap:Body></soap:Envelope>`,
		`<?xml version="1.0"?>
<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope">
   <soapenv:Body>
      <MSS_StatusQueryResponse>
         <mss:MSS_StatusResp MajorVersion="1" MinorVersion="1" xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#">
            <mss:AP_Info AP_ID="a" AP_PWD="c" AP_TransID="b" Instant="2015-01-01T12:00:00.000+01:00"/>
            <mss:MSSP_Info Instant="2015-01-01T12:00:00.100+01:00"><mss:MSSP_ID><mss:URI>http://mid.swisscom.ch/</mss:URI></mss:MSSP_ID></mss:MSSP_Info>
            <mss:MobileUser><mss:MSISDN>+41000000000</mss:MSISDN></mss:MobileUser>
            <mss:Status><mss:StatusCode Value="504"/><mss:StatusMessage>OUTSTANDING_TRANSACTION</mss:StatusMessage></mss:Status>
         </mss:MSS_StatusResp>
      </MSS_StatusQueryResponse>
   </soapenv:Body>
</soapenv:Envelope>`,
	} {
		env, err := Decode([]byte(doc))
		require.NoError(t, err)
		st, ok := env.Message.(*StatusResp)
		require.True(t, ok)
		require.Equal(t, 504, st.Status.Code)
		require.Equal(t, "+41000000000", st.MSISDN)
		require.Equal(t, "http://mid.swisscom.ch/", st.MSSPID)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, doc := range []string{
		"", "not xml", "<a/>",
		`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x/></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"/>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><w><m:MSS_Nope xmlns:m="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1"><m:AP_Info/></m:MSS_Nope></w></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><w><m:MSS_StatusResp xmlns:m="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="x" MinorVersion="1"/></w></e:Body></e:Envelope>`,
		`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><w><m:MSS_StatusResp xmlns:m="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1"><m:AP_Info Instant="yesterday"/></m:MSS_StatusResp></w></e:Body></e:Envelope>`,
		strings.Repeat(" ", MaxMessageSize+1),
	} {
		_, err := Decode([]byte(doc))
		require.ErrorIs(t, err, ErrMalformed, doc[:min(len(doc), 80)])
	}
}

func TestCMSRoundTripAndOpenSSL(t *testing.T) {
	p := pkitest.New(t)
	content := []byte("Hợp đồng số 12/2026")
	d := sha256.Sum256(content)
	for _, opt := range []pkitest.CertOption{pkitest.RSAKey(2048), pkitest.ECDSAKey(nil)} {
		id := p.MustIssue(opt)
		sig, err := id.Signer().SignDigest(context.Background(), d[:], crypto.SHA256)
		require.NoError(t, err)
		alg := OIDRSA
		if id.Cert.PublicKeyAlgorithm.String() == "ECDSA" {
			alg = ECDSASignatureOID(crypto.SHA256)
		}
		der, err := BuildCMS(crypto.SHA256, alg, sig, id.Cert, id.Chain...)
		require.NoError(t, err)
		cs, err := ParseCMS(der)
		require.NoError(t, err)
		require.Equal(t, crypto.SHA256, cs.Hash)
		require.Nil(t, cs.SignedAttrs)
		require.Equal(t, sig, cs.Signature)
		require.True(t, cs.Signer.Equal(id.Cert))
		require.Len(t, cs.Certificates, 1+len(id.Chain))

		// OpenSSL verifies the detached signature over the content and the
		// chain to the test root.
		openssl := testutil.Tool(t, "openssl", "openssl")
		dir := t.TempDir()
		write := func(name string, b []byte) string {
			f := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(f, b, 0o600))
			return f
		}
		out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER",
			"-in", write("sig.p7s", der), "-content", write("content.txt", content),
			"-CAfile", write("root.pem", pkitest.PEM(p.Root.Cert)), "-purpose", "any",
			"-out", filepath.Join(dir, "out")).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "Verification successful")
	}
	for _, bad := range [][]byte{nil, {0x30, 0}, {0x30, 0x03, 0x06, 0x01, 0x00}} {
		_, err := ParseCMS(bad)
		require.ErrorIs(t, err, ErrCMS)
	}
}

func TestMessageSignatureDetectsTampering(t *testing.T) {
	p := pkitest.New(t)
	ap := p.MustIssue(pkitest.RSAKey(2048))
	doc, err := NewDocument(sampleMessages()[0])
	require.NoError(t, err)
	require.NoError(t, SignMessage(context.Background(), doc, "req-1", ap.Signer()))
	data, err := Serialize(doc)
	require.NoError(t, err)
	env, err := Decode(data)
	require.NoError(t, err)
	cert, err := VerifyMessage(env)
	require.NoError(t, err)
	require.True(t, cert.Equal(ap.Cert))

	for _, tamper := range []func([]byte) []byte{
		func(b []byte) []byte { return bytes.Replace(b, []byte("84912345678"), []byte("84987654321"), 1) },
		func(b []byte) []byte { return bytes.Replace(b, []byte(`ID="req-1"`), []byte(`ID="req-2"`), 1) },
		func(b []byte) []byte {
			return bytes.Replace(b, []byte("<ds:SignatureValue>"), []byte("<ds:SignatureValue>AAAA"), 1)
		},
		func(b []byte) []byte { return bytes.Replace(b, []byte(`URI="#req-1"`), []byte(`URI="#other"`), 1) },
	} {
		env, err := Decode(tamper(data))
		if err != nil {
			continue
		}
		_, err = VerifyMessage(env)
		require.ErrorIs(t, err, ErrMessageSignature)
	}
	// An unsigned message has no signature to verify.
	plain, err := Encode(sampleMessages()[0])
	require.NoError(t, err)
	env, err = Decode(plain)
	require.NoError(t, err)
	_, err = VerifyMessage(env)
	require.ErrorIs(t, err, ErrMessageSignature)
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		data, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, d := range []Dialect{{SOAP11: true, RPC: true}, {RPC: true, WrapperNS: NSVGCA}} {
			data, err := d.Encode(m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	if files, err := filepath.Glob("../../testdata/mssp/*/*.xml"); err == nil {
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault><e:Code><e:Value>e:Sender</e:Value><e:Subcode><e:Value>mss:_99999999999999999999</e:Value></e:Subcode></e:Code></e:Fault></e:Body></e:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Decode(data)
		if err != nil {
			return
		}
		if env.Message == nil {
			t.Fatal("nil message without error")
		}
		_, _ = VerifyMessage(env)
		// Whatever decodes must encode again and decode to the same value.
		if _, ok := env.Message.(*Fault); ok {
			return
		}
		again, err := Encode(env.Message)
		if err != nil {
			return // e.g. a request without MessagingMode cannot be re-encoded
		}
		if _, err := Decode(again); err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%s", err, again)
		}
	})
}

func FuzzParseCMS(f *testing.F) {
	p, err := pkitest.Start()
	if err != nil {
		f.Fatal(err)
	}
	defer p.Close()
	id := p.MustIssue()
	d := sha256.Sum256([]byte("x"))
	sig, err := id.Signer().SignDigest(context.Background(), d[:], crypto.SHA256)
	if err != nil {
		f.Fatal(err)
	}
	der, err := BuildCMS(crypto.SHA256, ECDSASignatureOID(crypto.SHA256), sig, id.Cert, id.Chain...)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(der[:len(der)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseCMS(data)
		if err != nil {
			return
		}
		if cs.Hash == 0 || len(cs.Signature) == 0 {
			t.Fatal("accepted CMS without hash or signature")
		}
	})
}
