package wire

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDialectsRoundTrip encodes every message in every dialect and decodes
// it back to the same value, noting the dialect it came in.
func TestDialectsRoundTrip(t *testing.T) {
	msgs := append(sampleMessages(),
		&RegistrationReq{Header: hdr(), MSISDN: "84912345678"},
		&RegistrationResp{Header: hdr(), MSISDN: "84912345678", Status: Status{Code: 408}, Certificates: [][]byte{{1, 2}, {3}}},
		&SignatureReq{Header: hdr(), MSISDN: "84912345678", MessagingMode: "synch",
			DataToBeSigned:     Data{Value: "MDEwDQYJYIZIAWUDBAIBBQAEIA==", MimeType: "application/octet-stream", Encoding: "base64"},
			AdditionalServices: []string{"http://mobile-id.vn/MSSP/v1.0.0#signingCertificate", "http://mobile-id.vn/MSSP/v1.0.0#signatureValidation"}},
	)
	for _, d := range []Dialect{{}, {SOAP11: true}, {RPC: true}, {RPC: true, SOAP11: true, WrapperNS: NSVGCA}} {
		for _, m := range msgs {
			data, err := d.Encode(m)
			require.NoError(t, err)
			env, err := Decode(data)
			require.NoError(t, err, "%s", data)
			require.Equal(t, m, env.Message, "%s", data)
			_, isFault := m.(*Fault)
			_, isAck := m.(*NotificationResp)
			require.Equal(t, d.SOAP11, env.Dialect.SOAP11)
			if !isFault && !isAck {
				require.Equal(t, d.RPC, env.Dialect.RPC, "%s", data)
			}
			if d.RPC && !isFault && !isAck {
				_, name := Operation(m)
				require.Contains(t, string(data), "<"+name+` xmlns=""`)
			}
		}
	}
}

// TestDecodeRPCLiteral reads rpc/literal answers as Swisscom's and the
// Government CA's services write them: the wrapper in the WSDL's
// namespace, the message element in no namespace, its children qualified
// or not, for every operation.
func TestDecodeRPCLiteral(t *testing.T) {
	const info = `<mss:AP_Info xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" AP_ID="a" AP_TransID="b" AP_PWD="" Instant="2015-02-27T13:04:45.072+01:00"/>` +
		`<mss:MSSP_Info xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" Instant="2015-02-27T13:04:45.001"><mss:MSSP_ID><mss:URI>http://mid.swisscom.ch/</mss:URI></mss:MSSP_ID></mss:MSSP_Info>`
	const status = `<mss:Status xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#"><mss:StatusCode Value="%d"/></mss:Status>`
	wrap := func(soap, wrapperNS, wrapper, elem, attrs, inner string) string {
		return `<soapenv:Envelope xmlns:soapenv="` + soap + `"><soapenv:Body><` + wrapper + ` xmlns="` + wrapperNS + `"><` + elem + ` xmlns="" MajorVersion="1" MinorVersion="1"` + attrs + `>` + info + inner + `</` + elem + `></` + wrapper + `></soapenv:Body></soapenv:Envelope>`
	}
	st := func(c int) string { return strings.Replace(status, "%d", strconv.Itoa(c), 1) }
	for _, soap := range []string{NSSOAP, NSSOAP11} {
		for _, ns := range []string{NSKiuruWSDL, NSVGCA} {
			cases := []struct {
				doc  string
				want Message
			}{
				{wrap(soap, ns, "MSS_SignatureResponse", "MSS_SignatureResp", ` MSSP_TransID="m1"`, `<mss:MobileUser xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#"><mss:MSISDN>84912345678</mss:MSISDN></mss:MobileUser>`+st(100)), &SignatureResp{}},
				{wrap(soap, ns, "MSS_StatusQueryResponse", "MSS_StatusResp", ` MSSP_TransID="m1"`, st(504)), &StatusResp{}},
				{wrap(soap, ns, "MSS_ReceiptResponse", "MSS_ReceiptResp", ``, st(100)), &ReceiptResp{}},
				{wrap(soap, ns, "MSS_RegistrationResponse", "MSS_RegistrationResp", ``, `<CertificateResponse><X509Certificate>AQID</X509Certificate></CertificateResponse>`+st(408)), &RegistrationResp{}},
				{wrap(soap, ns, "MSS_ProfileQueryResponse", "MSS_ProfileResp", ``, st(100)), &ProfileResp{}},
				// Children unqualified as well (elementFormDefault unqualified).
				{strings.ReplaceAll(wrap(soap, ns, "MSS_StatusQueryResponse", "MSS_StatusResp", ` MSSP_TransID="m1"`, st(500)), "mss:", ""), &StatusResp{}},
			}
			for _, tc := range cases {
				env, err := Decode([]byte(tc.doc))
				require.NoError(t, err, tc.doc)
				require.IsType(t, tc.want, env.Message, tc.doc)
				require.True(t, env.Dialect.RPC)
				require.Equal(t, soap == NSSOAP11, env.Dialect.SOAP11)
			}
		}
	}
}

func TestDecodeSOAP11Faults(t *testing.T) {
	for _, tc := range []struct {
		faultcode string
		code      string
		sub       int
	}{
		{`<faultcode xmlns:p821="http://uri.etsi.org/TS102204/v1.1.2#">p821:_105</faultcode>`, "Sender", 105},
		{`<faultcode>soapenv:Client._401</faultcode>`, "Sender", 401},
		{`<faultcode xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#">mss:_900</faultcode>`, "Receiver", 900},
		{`<faultcode>soapenv:Server</faultcode>`, "Receiver", 0},
	} {
		doc := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` + tc.faultcode +
			`<faultstring>X</faultstring><detail><ns1:detail xmlns:ns1="http://kiuru.methics.fi/mssp">more</ns1:detail></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
		env, err := Decode([]byte(doc))
		require.NoError(t, err)
		f := env.Message.(*Fault)
		require.Equal(t, tc.code, f.Code, tc.faultcode)
		require.Equal(t, tc.sub, f.Subcode, tc.faultcode)
		require.Equal(t, "X", f.Reason)
		require.Equal(t, "more", f.Detail)
	}
}

func TestParseDateTime(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	}
	for in, want := range map[string]time.Time{
		"2026-12-03T08:30:00Z":                   utc(2026, 12, 3, 8, 30, 0, 0),
		"2026-12-03T08:30:00":                    utc(2026, 12, 3, 8, 30, 0, 0),
		"2026-12-03T08:30:00.5":                  utc(2026, 12, 3, 8, 30, 0, 500000000),
		"2026-12-03T08:30:00.1234567":            utc(2026, 12, 3, 8, 30, 0, 123456700),
		"2026-12-03T08:30:00.123456789123":       utc(2026, 12, 3, 8, 30, 0, 123456789),
		"2026-12-03T15:30:00+07:00":              utc(2026, 12, 3, 8, 30, 0, 0),
		"2026-12-03T01:30:00.000-07:00":          utc(2026, 12, 3, 8, 30, 0, 0),
		"2026-12-03T24:00:00":                    utc(2026, 12, 4, 0, 0, 0, 0),
		"2024-02-29T00:00:00Z":                   utc(2024, 2, 29, 0, 0, 0, 0),
		"  2026-12-03T08:30:00Z\n":               utc(2026, 12, 3, 8, 30, 0, 0),
		"12026-12-03T08:30:00Z":                  utc(12026, 12, 3, 8, 30, 0, 0),
		"2026-12-03T22:30:00.000000000-14:00":    utc(2026, 12, 4, 12, 30, 0, 0),
		"2026-12-03T08:30:00.000000000000+00:00": utc(2026, 12, 3, 8, 30, 0, 0),
	} {
		got, err := ParseDateTime(in)
		require.NoError(t, err, in)
		require.True(t, want.Equal(got), "%s: %v", in, got)
	}
	for _, in := range []string{
		"", "2026-12-03", "2026-12-03 08:30:00", "26-12-03T08:30:00Z", "2026-13-03T08:30:00Z", "2023-02-29T00:00:00Z",
		"2026-12-03T24:00:01Z", "2026-12-03T25:00:00Z", "2026-12-03T08:60:00Z", "2026-12-03T08:30:60Z",
		"2026-12-03T08:30:00.Z", "2026-12-03T08:30:00+15:00", "2026-12-03T08:30:00+0700", "02026-12-03T08:30:00Z",
		"2026-12-03T8:30:00Z", "2026-12-03T08:30:00ZZ", "+2026-12-03T08:30:00Z", "2026-12-03T08:30:00.5x",
	} {
		_, err := ParseDateTime(in)
		require.Error(t, err, in)
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2026-12-03T08:30:00Z", "2026-12-03T08:30:00.123", "-0001-01-01T24:00:00+14:00", "2026-02-29T00:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDateTime(s)
		if err != nil {
			return
		}
		// What parses re-parses to the same instant in its RFC 3339 form
		// (for years RFC 3339 can write).
		if y := got.Year(); y >= 0 && y <= 9999 {
			again, err := ParseDateTime(got.Format("2006-01-02T15:04:05.999999999Z07:00"))
			if err != nil || !again.Equal(got) {
				t.Fatalf("%q -> %v -> %v, %v", s, got, again, err)
			}
		}
	})
}
