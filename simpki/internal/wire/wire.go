// Package wire encodes and decodes the ETSI TS 102 204 (v1.1.2) messages that
// travel between an application provider (AP) and a mobile signature service
// provider (MSSP) inside SOAP 1.2 envelopes. Both the simpki client and the
// mssptest simulator use it, so the two always speak the same dialect.
//
// Encoding follows a Dialect. The default is the document/literal form
// public MSSPs (Kiuru/Swisscom) accept: the message element
// (mss:MSS_SignatureReq, …) sits in an operation wrapper without a namespace
// (MSS_Signature, MSS_SignatureResponse, …) in a SOAP 1.2 envelope; faults
// are SOAP 1.2 faults whose subcode is mss:_NNN. A Dialect can ask for the
// rpc/literal form of the TS 102 204 WSDL instead (the wrapper in the
// WSDL's namespace, the message element unqualified, WSDL 1.1 §3.5 and WS-I
// BP R2735) and for SOAP 1.1.
//
// Decoding takes every form: SOAP 1.1 or 1.2 envelopes and faults; the
// message element directly in the Body or in any operation wrapper; the
// message element and its children qualified with the TS 102 204 namespace,
// unqualified, or in a profile's namespace (NSVGCA); every valid
// xs:dateTime, with or without a time zone and fractional seconds.
package wire

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// XML namespaces.
const (
	NSSOAP = "http://www.w3.org/2003/05/soap-envelope"
	NSMSS  = "http://uri.etsi.org/TS102204/v1.1.2#"
	NSFI   = "http://mss.ficom.fi/TS102204/v1.0.0#"
	NSDS   = "http://www.w3.org/2000/09/xmldsig#"
	NSMCS  = "http://www.methics.fi/TS102204/ext/v1.0.0"
	// NSSOAP11 is the SOAP 1.1 envelope namespace.
	NSSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	// NSKiuruWSDL is the target namespace of the Kiuru/Swisscom
	// etsi204-kiuru.wsdl, the wrapper namespace of their rpc/literal
	// answers.
	NSKiuruWSDL = "http://uri.etsi.org/TS102204/etsi204-kiuru.wsdl"
	// NSVGCA is the namespace of the Government CA's mPKI operations.
	NSVGCA = "http://ae.mobile-id.vn/TS102204/etsi204"
)

// Dialect says how messages are encoded.
type Dialect struct {
	// SOAP11 writes SOAP 1.1 envelopes (text/xml) instead of SOAP 1.2.
	SOAP11 bool
	// RPC writes the rpc/literal form: the operation wrapper in WrapperNS
	// and the message element unqualified (xmlns=""), its children
	// qualified with the TS 102 204 namespace.
	RPC bool
	// WrapperNS is the operation wrapper's namespace in the rpc/literal
	// form (default NSKiuruWSDL). The document/literal form leaves the
	// wrapper unqualified.
	WrapperNS string
}

// ContentType returns the HTTP content type of d's messages.
func (d Dialect) ContentType() string {
	if d.SOAP11 {
		return ContentType11
	}
	return ContentType
}

func (d Dialect) envNS() string {
	if d.SOAP11 {
		return NSSOAP11
	}
	return NSSOAP
}

// MaxMessageSize bounds every SOAP message read from the network.
const MaxMessageSize = 4 << 20

// ContentType is the HTTP content type of SOAP 1.2 messages;
// ContentType11 that of SOAP 1.1 messages.
const (
	ContentType   = "application/soap+xml; charset=utf-8"
	ContentType11 = "text/xml; charset=utf-8"
)

// ErrMalformed marks input that is not a well-formed TS 102 204 message.
var ErrMalformed = errors.New("malformed MSS message")

// Header holds the MessageAbstractType fields every message carries.
type Header struct {
	MajorVersion int
	MinorVersion int
	ID           string // optional xs:ID, the target of an AP request signature
	APID         string
	APTransID    string
	APPWD        string
	Instant      time.Time
	APURL        string
	MSSPID       string // MSSP_ID/URI
	MSSPInstant  time.Time
}

// Data is a DataType value (DataToBeSigned, DataToBeDisplayed, Message).
type Data struct {
	Value    string
	MimeType string
	Encoding string
}

// Status is a StatusType value.
type Status struct {
	Code    int
	Message string
}

// Signature is an MSS_Signature element: either a Base64Signature (raw or
// CMS, the caller tells them apart) or a FiCom fi:PKCS1 with its certificate.
type Signature struct {
	Base64           []byte
	PKCS1            []byte
	PKCS1Certificate []byte
}

// Bytes returns the signature bytes, whichever form carried them.
func (s *Signature) Bytes() []byte {
	if s == nil {
		return nil
	}
	if s.PKCS1 != nil {
		return s.PKCS1
	}
	return s.Base64
}

// SignatureReq is MSS_SignatureReq.
type SignatureReq struct {
	Header
	MSISDN            string
	DataToBeSigned    Data
	DataToBeDisplayed *Data
	SignatureProfile  string
	MSSFormat         string
	TimeOut           int // seconds; 0 omits the attribute
	MessagingMode     string
	// AdditionalServices are the mssURIs of AdditionalServices/Service
	// Description elements.
	AdditionalServices []string
}

// SignatureResp is MSS_SignatureResp.
type SignatureResp struct {
	Header
	MSSPTransID      string
	MSISDN           string
	Signature        *Signature
	SignatureProfile string
	Status           Status
}

// StatusReq is MSS_StatusReq.
type StatusReq struct {
	Header
	MSSPTransID string
	MSISDN      string
}

// StatusResp is MSS_StatusResp; it is also the payload of MSS_Notification.
type StatusResp struct {
	Header
	MSSPTransID string
	MSISDN      string
	Signature   *Signature
	Status      Status
}

// ProfileReq is MSS_ProfileReq with the Kiuru/Swisscom Params extension.
type ProfileReq struct {
	Header
	MSISDN string
	Params string
}

// UserCertificate is one mcs:MobileUserCertificate of a profile response:
// the user's certificate first, then its issuers.
type UserCertificate struct {
	State     string
	Algorithm string
	Chain     [][]byte
}

// ProfileResp is MSS_ProfileResp with the certificates of the
// mcs:ProfileQueryExtension status detail.
type ProfileResp struct {
	Header
	SignatureProfiles []string
	Status            Status
	Certificates      []UserCertificate
}

// ReceiptReq is MSS_ReceiptReq.
type ReceiptReq struct {
	Header
	MSSPTransID string
	MSISDN      string
	Status      *Status
	Message     *Data
}

// ReceiptResp is MSS_ReceiptResp.
type ReceiptResp struct {
	Header
	Status Status
}

// RegistrationReq is MSS_RegistrationReq as the Government CA's mPKI uses
// it: a certificate lookup for the mobile user.
type RegistrationReq struct {
	Header
	MSISDN string
}

// RegistrationResp is MSS_RegistrationResp with the certificates of its
// CertificateResponse elements (each an X509Certificate, DER).
type RegistrationResp struct {
	Header
	MSISDN       string
	Status       Status
	Certificates [][]byte
}

// NotificationResp acknowledges an MSS_Notification.
type NotificationResp struct{}

// Fault is a SOAP 1.2 fault. Code is Sender or Receiver; Subcode is the MSS
// status code (the number in mss:_401), or 0 when absent or not numeric.
type Fault struct {
	Code       string
	Subcode    int
	RawSubcode string
	Reason     string
	Detail     string
}

func (f *Fault) Error() string {
	return fmt.Sprintf("SOAP fault %s/%s: %s (%s)", f.Code, f.RawSubcode, f.Reason, f.Detail)
}

// Message is any of the message types above.
type Message interface {
	operation() (wrapper, element string)
}

func (*SignatureReq) operation() (string, string) { return "MSS_Signature", "MSS_SignatureReq" }
func (*SignatureResp) operation() (string, string) {
	return "MSS_SignatureResponse", "MSS_SignatureResp"
}
func (*StatusReq) operation() (string, string)  { return "MSS_StatusQuery", "MSS_StatusReq" }
func (*StatusResp) operation() (string, string) { return "MSS_StatusQueryResponse", "MSS_StatusResp" }
func (*ProfileReq) operation() (string, string) { return "MSS_ProfileQuery", "MSS_ProfileReq" }
func (*ProfileResp) operation() (string, string) {
	return "MSS_ProfileQueryResponse", "MSS_ProfileResp"
}
func (*ReceiptReq) operation() (string, string)  { return "MSS_Receipt", "MSS_ReceiptReq" }
func (*ReceiptResp) operation() (string, string) { return "MSS_ReceiptResponse", "MSS_ReceiptResp" }
func (*RegistrationReq) operation() (string, string) {
	return "MSS_Registration", "MSS_RegistrationReq"
}
func (*RegistrationResp) operation() (string, string) {
	return "MSS_RegistrationResponse", "MSS_RegistrationResp"
}
func (*NotificationResp) operation() (string, string) { return "MSS_NotificationResponse", "" }
func (*Fault) operation() (string, string)            { return "", "" }

// Operation returns the operation wrapper and message element names of m.
func Operation(m Message) (wrapper, element string) { return m.operation() }

// Notification wraps a StatusResp sent by the MSSP to the AP_URL.
type Notification struct{ StatusResp }

func (*Notification) operation() (string, string) { return "MSS_Notification", "MSS_StatusResp" }

// Envelope is a decoded SOAP envelope.
type Envelope struct {
	// Dialect is the form the message came in.
	Dialect Dialect
	Doc     *etree.Document
	Header  *etree.Element // soap Header, or nil
	Element *etree.Element // the MSS message element (nil for faults)
	Message Message
}

// NewDocument builds the SOAP envelope for m in the default dialect.
func NewDocument(m Message) (*etree.Document, error) { return Dialect{}.NewDocument(m) }

// NewDocument builds the SOAP envelope for m. The returned document may be
// changed (an AP signature added to its header) before Serialize.
func (d Dialect) NewDocument(m Message) (*etree.Document, error) {
	doc := etree.NewDocument()
	env := doc.CreateElement("env:Envelope")
	env.CreateAttr("xmlns:env", d.envNS())
	body := env.CreateElement("env:Body")
	if f, ok := m.(*Fault); ok {
		if d.SOAP11 {
			encodeFault11(body, f)
		} else {
			encodeFault(body, f)
		}
		return doc, nil
	}
	wrapper, name := m.operation()
	var w *etree.Element
	if d.RPC {
		ns := d.WrapperNS
		if ns == "" {
			ns = NSKiuruWSDL
		}
		w = body.CreateElement(wrapper)
		w.CreateAttr("xmlns", ns)
	} else {
		w = body.CreateElement(wrapper)
	}
	if name == "" {
		return doc, nil
	}
	var el *etree.Element
	if d.RPC {
		el = w.CreateElement(name)
		el.CreateAttr("xmlns", "")
	} else {
		el = w.CreateElement("mss:" + name)
	}
	el.CreateAttr("xmlns:mss", NSMSS)
	if err := encodeMessage(el, m); err != nil {
		return nil, err
	}
	return doc, nil
}

// Encode returns m in a SOAP envelope of dialect d.
func (d Dialect) Encode(m Message) ([]byte, error) {
	doc, err := d.NewDocument(m)
	if err != nil {
		return nil, err
	}
	return Serialize(doc)
}

// Serialize writes doc as UTF-8 XML.
func Serialize(doc *etree.Document) ([]byte, error) {
	doc.WriteSettings.CanonicalEndTags = false
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Encode returns m in a SOAP 1.2 envelope.
func Encode(m Message) ([]byte, error) {
	doc, err := NewDocument(m)
	if err != nil {
		return nil, err
	}
	return Serialize(doc)
}

// MessageElement returns the MSS message element of doc built by NewDocument.
func MessageElement(doc *etree.Document) *etree.Element {
	body := soapBody(doc.Root())
	if body == nil {
		return nil
	}
	for _, w := range body.ChildElements() {
		for _, c := range w.ChildElements() {
			return c
		}
	}
	return nil
}

func encodeHeader(el *etree.Element, h *Header) {
	major, minor := h.MajorVersion, h.MinorVersion
	if major == 0 {
		major, minor = 1, 1
	}
	el.CreateAttr("MajorVersion", strconv.Itoa(major))
	el.CreateAttr("MinorVersion", strconv.Itoa(minor))
	if h.ID != "" {
		el.CreateAttr("ID", h.ID)
	}
	ap := el.CreateElement("mss:AP_Info")
	ap.CreateAttr("AP_ID", h.APID)
	ap.CreateAttr("AP_TransID", h.APTransID)
	ap.CreateAttr("AP_PWD", h.APPWD)
	inst := h.Instant
	if inst.IsZero() {
		inst = time.Now()
	}
	ap.CreateAttr("Instant", formatTime(inst))
	if h.APURL != "" {
		ap.CreateAttr("AP_URL", h.APURL)
	}
	mi := el.CreateElement("mss:MSSP_Info")
	if !h.MSSPInstant.IsZero() {
		mi.CreateAttr("Instant", formatTime(h.MSSPInstant))
	}
	mi.CreateElement("mss:MSSP_ID").CreateElement("mss:URI").SetText(h.MSSPID)
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func encodeMobileUser(el *etree.Element, msisdn string) {
	el.CreateElement("mss:MobileUser").CreateElement("mss:MSISDN").SetText(msisdn)
}

func encodeData(el *etree.Element, tag string, d *Data) {
	e := el.CreateElement(tag)
	if d.MimeType != "" {
		e.CreateAttr("MimeType", d.MimeType)
	}
	if d.Encoding != "" {
		e.CreateAttr("Encoding", d.Encoding)
	}
	e.SetText(d.Value)
}

func encodeURI(el *etree.Element, tag, uri string) {
	el.CreateElement(tag).CreateElement("mss:mssURI").SetText(uri)
}

func encodeStatus(el *etree.Element, s *Status) {
	st := el.CreateElement("mss:Status")
	st.CreateElement("mss:StatusCode").CreateAttr("Value", strconv.Itoa(s.Code))
	if s.Message != "" {
		st.CreateElement("mss:StatusMessage").SetText(s.Message)
	}
}

func encodeSignature(el *etree.Element, s *Signature) {
	if s == nil {
		return
	}
	sig := el.CreateElement("mss:MSS_Signature")
	if s.PKCS1 != nil {
		p := sig.CreateElement("fi:PKCS1")
		p.CreateAttr("xmlns:fi", NSFI)
		p.CreateElement("fi:SignatureValue").SetText(base64.StdEncoding.EncodeToString(s.PKCS1))
		if s.PKCS1Certificate != nil {
			p.CreateElement("fi:X509Certificate").SetText(base64.StdEncoding.EncodeToString(s.PKCS1Certificate))
		}
		return
	}
	sig.CreateElement("mss:Base64Signature").SetText(base64.StdEncoding.EncodeToString(s.Base64))
}

func encodeMessage(el *etree.Element, m Message) error {
	switch m := m.(type) {
	case *SignatureReq:
		encodeHeader(el, &m.Header)
		if m.MessagingMode == "" {
			return fmt.Errorf("wire: MSS_SignatureReq without MessagingMode")
		}
		if m.TimeOut > 0 {
			el.CreateAttr("TimeOut", strconv.Itoa(m.TimeOut))
		}
		el.CreateAttr("MessagingMode", m.MessagingMode)
		encodeMobileUser(el, m.MSISDN)
		encodeData(el, "mss:DataToBeSigned", &m.DataToBeSigned)
		if m.DataToBeDisplayed != nil {
			encodeData(el, "mss:DataToBeDisplayed", m.DataToBeDisplayed)
		}
		if m.SignatureProfile != "" {
			encodeURI(el, "mss:SignatureProfile", m.SignatureProfile)
		}
		if len(m.AdditionalServices) > 0 {
			as := el.CreateElement("mss:AdditionalServices")
			for _, u := range m.AdditionalServices {
				encodeURI(as.CreateElement("mss:Service"), "mss:Description", u)
			}
		}
		if m.MSSFormat != "" {
			encodeURI(el, "mss:MSS_Format", m.MSSFormat)
		}
	case *RegistrationReq:
		encodeHeader(el, &m.Header)
		encodeMobileUser(el, m.MSISDN)
	case *RegistrationResp:
		encodeHeader(el, &m.Header)
		if m.MSISDN != "" {
			encodeMobileUser(el, m.MSISDN)
		}
		for _, der := range m.Certificates {
			el.CreateElement("mss:CertificateResponse").CreateElement("mss:X509Certificate").
				SetText(base64.StdEncoding.EncodeToString(der))
		}
		encodeStatus(el, &m.Status)
	case *SignatureResp:
		encodeHeader(el, &m.Header)
		el.CreateAttr("MSSP_TransID", m.MSSPTransID)
		encodeMobileUser(el, m.MSISDN)
		encodeSignature(el, m.Signature)
		if m.SignatureProfile != "" {
			encodeURI(el, "mss:SignatureProfile", m.SignatureProfile)
		}
		encodeStatus(el, &m.Status)
	case *StatusReq:
		encodeHeader(el, &m.Header)
		el.CreateAttr("MSSP_TransID", m.MSSPTransID)
		if m.MSISDN != "" {
			encodeMobileUser(el, m.MSISDN)
		}
	case *StatusResp:
		encodeStatusResp(el, m)
	case *Notification:
		encodeStatusResp(el, &m.StatusResp)
	case *ProfileReq:
		encodeHeader(el, &m.Header)
		encodeMobileUser(el, m.MSISDN)
		if m.Params != "" {
			el.CreateElement("mss:Params").SetText(m.Params)
		}
	case *ProfileResp:
		encodeHeader(el, &m.Header)
		for _, p := range m.SignatureProfiles {
			encodeURI(el, "mss:SignatureProfile", p)
		}
		encodeStatus(el, &m.Status)
		if len(m.Certificates) > 0 {
			st := el.SelectElement("Status")
			det := st.CreateElement("mss:StatusDetail")
			ext := det.CreateElement("mcs:ProfileQueryExtension")
			ext.CreateAttr("xmlns:mcs", NSMCS)
			ext.CreateAttr("xmlns:ds", NSDS)
			sim := ext.CreateElement("mcs:Sscds").CreateElement("mcs:Sim")
			for _, uc := range m.Certificates {
				c := sim.CreateElement("mcs:MobileUserCertificate")
				if uc.State != "" {
					c.CreateAttr("State", uc.State)
				}
				if uc.Algorithm != "" {
					c.CreateAttr("Algorithm", uc.Algorithm)
				}
				for _, der := range uc.Chain {
					c.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(der))
				}
			}
		}
	case *ReceiptReq:
		encodeHeader(el, &m.Header)
		el.CreateAttr("MSSP_TransID", m.MSSPTransID)
		encodeMobileUser(el, m.MSISDN)
		if m.Status != nil {
			encodeStatus(el, m.Status)
		}
		if m.Message != nil {
			encodeData(el, "mss:Message", m.Message)
		}
	case *ReceiptResp:
		encodeHeader(el, &m.Header)
		encodeStatus(el, &m.Status)
	default:
		return fmt.Errorf("wire: cannot encode %T", m)
	}
	return nil
}

func encodeStatusResp(el *etree.Element, m *StatusResp) {
	encodeHeader(el, &m.Header)
	if m.MSSPTransID != "" {
		el.CreateAttr("MSSP_TransID", m.MSSPTransID)
	}
	encodeMobileUser(el, m.MSISDN)
	encodeSignature(el, m.Signature)
	encodeStatus(el, &m.Status)
}

// encodeFault11 writes a SOAP 1.1 fault: the MSS code is the faultcode
// (mss:_401), as Kiuru/Swisscom write it.
func encodeFault11(body *etree.Element, f *Fault) {
	fe := body.CreateElement("env:Fault")
	fc := fe.CreateElement("faultcode")
	switch {
	case f.RawSubcode != "" || f.Subcode != 0:
		fc.CreateAttr("xmlns:mss", NSMSS)
		v := f.RawSubcode
		if v == "" {
			v = "mss:_" + strconv.Itoa(f.Subcode)
		}
		fc.SetText(v)
	case f.Code == "Sender":
		fc.SetText("env:Client")
	default:
		fc.SetText("env:Server")
	}
	fe.CreateElement("faultstring").SetText(f.Reason)
	if f.Detail != "" {
		d := fe.CreateElement("detail").CreateElement("ns1:detail")
		d.CreateAttr("xmlns:ns1", "http://kyso.vn/mssp")
		d.SetText(f.Detail)
	}
}

func encodeFault(body *etree.Element, f *Fault) {
	fe := body.CreateElement("env:Fault")
	code := fe.CreateElement("env:Code")
	c := f.Code
	if c == "" {
		c = "Receiver"
	}
	code.CreateElement("env:Value").SetText("env:" + c)
	if f.Subcode != 0 || f.RawSubcode != "" {
		sc := code.CreateElement("env:Subcode")
		sc.CreateAttr("xmlns:mss", NSMSS)
		v := f.RawSubcode
		if v == "" {
			v = "mss:_" + strconv.Itoa(f.Subcode)
		}
		sc.CreateElement("env:Value").SetText(v)
	}
	r := fe.CreateElement("env:Reason").CreateElement("env:Text")
	r.CreateAttr("xml:lang", "en")
	r.SetText(f.Reason)
	if f.Detail != "" {
		d := fe.CreateElement("env:Detail").CreateElement("ns1:detail")
		d.CreateAttr("xmlns:ns1", "http://kyso.vn/mssp")
		d.SetText(f.Detail)
	}
}
