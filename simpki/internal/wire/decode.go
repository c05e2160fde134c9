package wire

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// Decode parses a SOAP 1.1 or 1.2 envelope holding one TS 102 204 message
// or a SOAP fault (returned as *Fault in Envelope.Message, not as an
// error), in any of the forms the package doc lists. Anything else fails
// with an error wrapping ErrMalformed.
func Decode(data []byte) (*Envelope, error) {
	if len(data) > MaxMessageSize {
		return nil, fmt.Errorf("%w: message of %d bytes exceeds %d", ErrMalformed, len(data), MaxMessageSize)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.ValidateInput = false
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || (root.NamespaceURI() != NSSOAP && root.NamespaceURI() != NSSOAP11) {
		return nil, fmt.Errorf("%w: not a SOAP envelope", ErrMalformed)
	}
	envNS := root.NamespaceURI()
	env := &Envelope{Doc: doc, Header: child(root, envNS, "Header")}
	env.Dialect.SOAP11 = envNS == NSSOAP11
	body := child(root, envNS, "Body")
	if body == nil {
		return nil, fmt.Errorf("%w: SOAP envelope without Body", ErrMalformed)
	}
	kids := body.ChildElements()
	if len(kids) == 0 {
		return nil, fmt.Errorf("%w: empty SOAP Body", ErrMalformed)
	}
	first := kids[0]
	if first.Tag == "Fault" && first.NamespaceURI() == envNS {
		var f *Fault
		var err error
		if envNS == NSSOAP11 {
			f, err = decodeFault11(first)
		} else {
			f, err = decodeFault(first)
		}
		if err != nil {
			return nil, err
		}
		env.Message = f
		return env, nil
	}
	wrapper := ""
	el := first
	if !messageElements[first.Tag] || !mssNamespace(first.NamespaceURI()) {
		// An operation wrapper: document/literal (unqualified) or
		// rpc/literal (in the WSDL's namespace).
		wrapper = first.Tag
		el = nil
		for _, c := range first.ChildElements() {
			if messageElements[c.Tag] && mssNamespace(c.NamespaceURI()) {
				el = c
				break
			}
		}
		if el == nil {
			if wrapper == "MSS_NotificationResponse" {
				env.Message = &NotificationResp{}
				return env, nil
			}
			return nil, fmt.Errorf("%w: no MSS message in <%s>", ErrMalformed, wrapper)
		}
		if el.NamespaceURI() != NSMSS {
			env.Dialect.RPC = true
			env.Dialect.WrapperNS = first.NamespaceURI()
		}
	}
	env.Element = el
	m, err := decodeMessage(el, wrapper)
	if err != nil {
		return nil, err
	}
	env.Message = m
	return env, nil
}

// messageElements are the TS 102 204 message elements Decode reads.
var messageElements = map[string]bool{
	"MSS_SignatureReq": true, "MSS_SignatureResp": true, "MSS_StatusReq": true, "MSS_StatusResp": true,
	"MSS_ProfileReq": true, "MSS_ProfileResp": true, "MSS_ReceiptReq": true, "MSS_ReceiptResp": true,
	"MSS_RegistrationReq": true, "MSS_RegistrationResp": true,
}

// mssNamespace reports whether ns is one a TS 102 204 element may be in:
// the specification's, none (rpc/literal accessors and unqualified
// schemas), or a profile's operation namespace.
func mssNamespace(ns string) bool {
	return ns == NSMSS || ns == "" || ns == NSVGCA
}

func soapBody(root *etree.Element) *etree.Element {
	if root == nil {
		return nil
	}
	if b := child(root, NSSOAP, "Body"); b != nil {
		return b
	}
	return child(root, NSSOAP11, "Body")
}

// child returns el's first child element named local in ns; for NSMSS,
// in any namespace mssNamespace accepts.
func child(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == local && inNS(c, ns) {
			return c
		}
	}
	return nil
}

func inNS(el *etree.Element, ns string) bool {
	got := el.NamespaceURI()
	if ns == NSMSS {
		return mssNamespace(got)
	}
	return got == ns
}

func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && inNS(c, ns) {
			out = append(out, c)
		}
	}
	return out
}

func attr(el *etree.Element, name string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value
		}
	}
	return ""
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// DecodeBase64 decodes standard base64, ignoring whitespace.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

func decodeMessage(el *etree.Element, wrapper string) (Message, error) {
	h, err := decodeHeader(el)
	if err != nil {
		return nil, err
	}
	switch el.Tag {
	case "MSS_SignatureReq":
		m := &SignatureReq{Header: h}
		m.MessagingMode = attr(el, "MessagingMode")
		switch m.MessagingMode {
		case "synch", "asynchClientServer", "asynchServerServer":
		default:
			return nil, malformed("MessagingMode %q", m.MessagingMode)
		}
		if t := attr(el, "TimeOut"); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil || n <= 0 {
				return nil, malformed("TimeOut %q", t)
			}
			m.TimeOut = n
		}
		m.MSISDN = decodeMSISDN(el)
		d := child(el, NSMSS, "DataToBeSigned")
		if d == nil {
			return nil, malformed("MSS_SignatureReq without DataToBeSigned")
		}
		m.DataToBeSigned = decodeData(d)
		if d := child(el, NSMSS, "DataToBeDisplayed"); d != nil {
			v := decodeData(d)
			m.DataToBeDisplayed = &v
		}
		m.SignatureProfile = decodeURI(el, "SignatureProfile")
		m.MSSFormat = decodeURI(el, "MSS_Format")
		if as := child(el, NSMSS, "AdditionalServices"); as != nil {
			for _, sv := range children(as, NSMSS, "Service") {
				if u := decodeURI(sv, "Description"); u != "" {
					m.AdditionalServices = append(m.AdditionalServices, u)
				}
			}
		}
		return m, nil
	case "MSS_RegistrationReq":
		return &RegistrationReq{Header: h, MSISDN: decodeMSISDN(el)}, nil
	case "MSS_RegistrationResp":
		m := &RegistrationResp{Header: h, MSISDN: decodeMSISDN(el)}
		if m.Status, err = decodeStatus(el); err != nil {
			return nil, err
		}
		for _, cr := range el.ChildElements() {
			if cr.Tag != "CertificateResponse" {
				continue
			}
			for _, x := range cr.ChildElements() {
				if x.Tag != "X509Certificate" {
					continue
				}
				der, err := DecodeBase64(x.Text())
				if err != nil || len(der) == 0 {
					return nil, malformed("CertificateResponse X509Certificate is not base64")
				}
				m.Certificates = append(m.Certificates, der)
			}
		}
		return m, nil
	case "MSS_SignatureResp":
		m := &SignatureResp{Header: h, MSSPTransID: attr(el, "MSSP_TransID")}
		if m.MSSPTransID == "" {
			return nil, malformed("MSS_SignatureResp without MSSP_TransID")
		}
		m.MSISDN = decodeMSISDN(el)
		if m.Signature, err = decodeSignature(el); err != nil {
			return nil, err
		}
		m.SignatureProfile = decodeURI(el, "SignatureProfile")
		if m.Status, err = decodeStatus(el); err != nil {
			return nil, err
		}
		return m, nil
	case "MSS_StatusReq":
		m := &StatusReq{Header: h, MSSPTransID: attr(el, "MSSP_TransID")}
		if m.MSSPTransID == "" {
			return nil, malformed("MSS_StatusReq without MSSP_TransID")
		}
		m.MSISDN = decodeMSISDN(el)
		return m, nil
	case "MSS_StatusResp":
		m := StatusResp{Header: h, MSSPTransID: attr(el, "MSSP_TransID")}
		m.MSISDN = decodeMSISDN(el)
		if m.Signature, err = decodeSignature(el); err != nil {
			return nil, err
		}
		if m.Status, err = decodeStatus(el); err != nil {
			return nil, err
		}
		if wrapper == "MSS_Notification" {
			if m.MSSPTransID == "" {
				return nil, malformed("MSS_Notification without MSSP_TransID")
			}
			return &Notification{StatusResp: m}, nil
		}
		return &m, nil
	case "MSS_ProfileReq":
		m := &ProfileReq{Header: h, MSISDN: decodeMSISDN(el)}
		if p := child(el, NSMSS, "Params"); p != nil {
			m.Params = strings.TrimSpace(p.Text())
		}
		return m, nil
	case "MSS_ProfileResp":
		m := &ProfileResp{Header: h}
		for _, sp := range children(el, NSMSS, "SignatureProfile") {
			if u := child(sp, NSMSS, "mssURI"); u != nil {
				m.SignatureProfiles = append(m.SignatureProfiles, strings.TrimSpace(u.Text()))
			}
		}
		if m.Status, err = decodeStatus(el); err != nil {
			return nil, err
		}
		if m.Certificates, err = decodeProfileCerts(el); err != nil {
			return nil, err
		}
		return m, nil
	case "MSS_ReceiptReq":
		m := &ReceiptReq{Header: h, MSSPTransID: attr(el, "MSSP_TransID")}
		if m.MSSPTransID == "" {
			return nil, malformed("MSS_ReceiptReq without MSSP_TransID")
		}
		m.MSISDN = decodeMSISDN(el)
		if child(el, NSMSS, "Status") != nil {
			s, err := decodeStatus(el)
			if err != nil {
				return nil, err
			}
			m.Status = &s
		}
		if d := child(el, NSMSS, "Message"); d != nil {
			v := decodeData(d)
			m.Message = &v
		}
		return m, nil
	case "MSS_ReceiptResp":
		m := &ReceiptResp{Header: h}
		if m.Status, err = decodeStatus(el); err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, malformed("unknown message mss:%s", el.Tag)
}

func decodeHeader(el *etree.Element) (Header, error) {
	var h Header
	var err error
	if h.MajorVersion, err = strconv.Atoi(attr(el, "MajorVersion")); err != nil {
		return h, malformed("%s: MajorVersion %q", el.Tag, attr(el, "MajorVersion"))
	}
	if h.MinorVersion, err = strconv.Atoi(attr(el, "MinorVersion")); err != nil {
		return h, malformed("%s: MinorVersion %q", el.Tag, attr(el, "MinorVersion"))
	}
	h.ID = attr(el, "ID")
	ap := child(el, NSMSS, "AP_Info")
	if ap == nil {
		return h, malformed("%s without AP_Info", el.Tag)
	}
	h.APID = attr(ap, "AP_ID")
	h.APTransID = attr(ap, "AP_TransID")
	h.APPWD = attr(ap, "AP_PWD")
	h.APURL = attr(ap, "AP_URL")
	if v := attr(ap, "Instant"); v != "" {
		if h.Instant, err = ParseDateTime(v); err != nil {
			return h, malformed("%s: AP_Info Instant %q", el.Tag, v)
		}
	}
	if mi := child(el, NSMSS, "MSSP_Info"); mi != nil {
		if id := child(mi, NSMSS, "MSSP_ID"); id != nil {
			if u := child(id, NSMSS, "URI"); u != nil {
				h.MSSPID = strings.TrimSpace(u.Text())
			}
		}
		if v := attr(mi, "Instant"); v != "" {
			if h.MSSPInstant, err = ParseDateTime(v); err != nil {
				return h, malformed("%s: MSSP_Info Instant %q", el.Tag, v)
			}
		}
	}
	return h, nil
}

func decodeMSISDN(el *etree.Element) string {
	if mu := child(el, NSMSS, "MobileUser"); mu != nil {
		if m := child(mu, NSMSS, "MSISDN"); m != nil {
			return strings.TrimSpace(m.Text())
		}
	}
	return ""
}

func decodeData(el *etree.Element) Data {
	return Data{Value: el.Text(), MimeType: attr(el, "MimeType"), Encoding: attr(el, "Encoding")}
}

func decodeURI(el *etree.Element, tag string) string {
	if e := child(el, NSMSS, tag); e != nil {
		if u := child(e, NSMSS, "mssURI"); u != nil {
			return strings.TrimSpace(u.Text())
		}
	}
	return ""
}

func decodeStatus(el *etree.Element) (Status, error) {
	st := child(el, NSMSS, "Status")
	if st == nil {
		return Status{}, malformed("%s without Status", el.Tag)
	}
	sc := child(st, NSMSS, "StatusCode")
	if sc == nil {
		return Status{}, malformed("%s: Status without StatusCode", el.Tag)
	}
	code, err := strconv.Atoi(strings.TrimSpace(attr(sc, "Value")))
	if err != nil || code < 0 {
		return Status{}, malformed("%s: StatusCode %q", el.Tag, attr(sc, "Value"))
	}
	s := Status{Code: code}
	if m := child(st, NSMSS, "StatusMessage"); m != nil {
		s.Message = strings.TrimSpace(m.Text())
	}
	return s, nil
}

func decodeSignature(el *etree.Element) (*Signature, error) {
	sig := child(el, NSMSS, "MSS_Signature")
	if sig == nil {
		return nil, nil
	}
	if b := child(sig, NSMSS, "Base64Signature"); b != nil {
		v, err := DecodeBase64(b.Text())
		if err != nil || len(v) == 0 {
			return nil, malformed("Base64Signature is not base64")
		}
		return &Signature{Base64: v}, nil
	}
	if p := child(sig, NSFI, "PKCS1"); p != nil {
		sv := child(p, NSFI, "SignatureValue")
		if sv == nil {
			return nil, malformed("fi:PKCS1 without SignatureValue")
		}
		v, err := DecodeBase64(sv.Text())
		if err != nil || len(v) == 0 {
			return nil, malformed("fi:PKCS1 SignatureValue is not base64")
		}
		s := &Signature{PKCS1: v}
		if c := child(p, NSFI, "X509Certificate"); c != nil {
			if s.PKCS1Certificate, err = DecodeBase64(c.Text()); err != nil {
				return nil, malformed("fi:PKCS1 X509Certificate is not base64")
			}
		}
		return s, nil
	}
	return nil, malformed("MSS_Signature in an unknown form")
}

// decodeProfileCerts collects mcs:MobileUserCertificate elements anywhere
// under Status/StatusDetail.
func decodeProfileCerts(el *etree.Element) ([]UserCertificate, error) {
	st := child(el, NSMSS, "Status")
	if st == nil {
		return nil, nil
	}
	det := child(st, NSMSS, "StatusDetail")
	if det == nil {
		return nil, nil
	}
	var out []UserCertificate
	var walk func(e *etree.Element, depth int) error
	walk = func(e *etree.Element, depth int) error {
		if depth > 8 {
			return nil
		}
		for _, c := range e.ChildElements() {
			if c.Tag == "MobileUserCertificate" && c.NamespaceURI() == NSMCS {
				uc := UserCertificate{State: attr(c, "State"), Algorithm: attr(c, "Algorithm")}
				for _, x := range children(c, NSDS, "X509Certificate") {
					der, err := DecodeBase64(x.Text())
					if err != nil || len(der) == 0 {
						return malformed("ProfileQueryExtension certificate is not base64")
					}
					uc.Chain = append(uc.Chain, der)
				}
				out = append(out, uc)
				continue
			}
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(det, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeFault(el *etree.Element) (*Fault, error) {
	f := &Fault{}
	code := child(el, NSSOAP, "Code")
	if code == nil {
		return nil, malformed("SOAP fault without Code")
	}
	if v := child(code, NSSOAP, "Value"); v != nil {
		f.Code = localName(strings.TrimSpace(v.Text()))
	}
	if sc := child(code, NSSOAP, "Subcode"); sc != nil {
		if v := child(sc, NSSOAP, "Value"); v != nil {
			f.RawSubcode = strings.TrimSpace(v.Text())
			n := strings.TrimPrefix(localName(f.RawSubcode), "_")
			if c, err := strconv.Atoi(n); err == nil && c > 0 {
				f.Subcode = c
			}
		}
	}
	if r := child(el, NSSOAP, "Reason"); r != nil {
		if t := child(r, NSSOAP, "Text"); t != nil {
			f.Reason = strings.TrimSpace(t.Text())
		}
	}
	if d := child(el, NSSOAP, "Detail"); d != nil {
		f.Detail = faultDetail(d)
	}
	return f, nil
}

// decodeFault11 reads a SOAP 1.1 fault. The MSS code is the faultcode's
// local part (mss:_401, as Kiuru and Swisscom write it), possibly after a
// dotted SOAP code (env:Client._401); a plain env:Client / env:Server fault
// has no MSS code.
func decodeFault11(el *etree.Element) (*Fault, error) {
	f := &Fault{}
	fc := el.SelectElement("faultcode")
	if fc == nil {
		return nil, malformed("SOAP 1.1 fault without faultcode")
	}
	raw := strings.TrimSpace(fc.Text())
	local := localName(raw)
	code, sub, _ := strings.Cut(local, ".")
	switch code {
	case "Client", "Sender":
		f.Code = "Sender"
	case "Server", "Receiver":
		f.Code = "Receiver"
	default:
		sub = code
	}
	if strings.HasPrefix(sub, "_") {
		if c, err := strconv.Atoi(sub[1:]); err == nil && c > 0 {
			f.Subcode, f.RawSubcode = c, raw
		}
	}
	if f.Code == "" {
		f.Code = "Receiver"
		if f.Subcode != 0 && (f.Subcode < 200 || (f.Subcode >= 400 && f.Subcode < 500)) {
			f.Code = "Sender"
		}
	}
	if fs := el.SelectElement("faultstring"); fs != nil {
		f.Reason = strings.TrimSpace(fs.Text())
	}
	if d := el.SelectElement("detail"); d != nil {
		f.Detail = faultDetail(d)
	}
	return f, nil
}

// faultDetail joins the texts of a fault's detail element and of its
// children with "; ".
func faultDetail(d *etree.Element) string {
	var parts []string
	for _, c := range d.ChildElements() {
		if t := strings.TrimSpace(c.Text()); t != "" {
			parts = append(parts, t)
		}
	}
	if t := strings.TrimSpace(d.Text()); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, "; ")
}

func localName(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}
