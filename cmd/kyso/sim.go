package main

import (
	"context"
	"crypto"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer"
	"github.com/kyso-vn/kyso/signer/pkitest"
	"github.com/kyso-vn/kyso/simpki"
)

// SIM PKI flags beyond --sim / --mssp / --ap-id / --ap-pass-env / --mssp-id.
//
//	--sim-mode synch|async|poll   messaging mode: synch (one long exchange) or
//	                              async / poll (asynchClientServer: the MSSP
//	                              acknowledges, kyso polls MSS_StatusReq; the
//	                              default). asynchServerServer needs a callback
//	                              URL the MSSP can reach, which a command-line
//	                              run does not have: use the library.
//	--sim-profile etsi|vgca|ficom the MSSP's dialect (simpki.ProfileByName)
//	--sim-format pkcs1|cms        what the MSSP returns: a raw signature, or a
//	                              CMS (its own signed attributes; PDF only)
//	--sim-digestinfo              send the DER DigestInfo instead of the digest
//	--mssp-status URL, --mssp-receipt URL, --mssp-registration URL
//	                              endpoints of the other operations when the MSSP
//	                              serves them apart (default: the profile's, from
//	                              --mssp)
//
// Every refusal by the user or the MSSP — cancelled, expired, PIN or SIM
// blocked, unknown number, refused credentials, no answer in time — exits 1
// with a message in Vietnamese and English; bad flag values exit 2.
type simFlags struct {
	mode, profile, format              string
	digestInfo                         bool
	statusURL, receiptURL, registerURL string
	cmsFormat                          bool // set by simConfig for --sim-format cms
}

func (k *keyFlags) registerSIM(fs *flag.FlagSet) {
	x := &k.simx
	fs.StringVar(&x.mode, "sim-mode", "async", "SIM messaging `MODE`: synch, async or poll (both asynchClientServer: kyso polls the MSSP)")
	fs.StringVar(&x.profile, "sim-profile", "etsi", "MSSP `PROFILE`: etsi (TS 102 204), vgca (Government CA mPKI) or ficom (FiCom / Kiuru)")
	fs.StringVar(&x.format, "sim-format", "pkcs1", "what the MSSP returns: pkcs1 (a raw signature) or cms (a CMS with the MSSP's signed attributes; PDF only)")
	fs.BoolVar(&x.digestInfo, "sim-digestinfo", false, "send the DER DigestInfo (application/octet-stream) instead of the bare digest (RSA SIM keys)")
	fs.StringVar(&x.statusURL, "mssp-status", "", "MSS_StatusQuery endpoint `URL` (default: the profile's, derived from --mssp)")
	fs.StringVar(&x.receiptURL, "mssp-receipt", "", "MSS_Receipt endpoint `URL` (default: the profile's, derived from --mssp)")
	fs.StringVar(&x.registerURL, "mssp-registration", "", "MSS_Registration endpoint `URL` for the certificate (vgca; default: derived from --mssp)")
}

// simConfig turns the flags into a client configuration.
func (k *keyFlags) simConfig(pass string) (simpki.Config, error) {
	x := &k.simx
	prof, err := simpki.ProfileByName(x.profile)
	if err != nil {
		return simpki.Config{}, usagef("--sim-profile: %v", err)
	}
	var mode simpki.Mode
	switch x.mode {
	case "synch":
		mode = simpki.Synch
	case "async", "poll", "":
		mode = simpki.AsynchClientServer
	default:
		return simpki.Config{}, usagef("--sim-mode %q: want synch, async or poll", x.mode)
	}
	format := prof.Format
	switch x.format {
	case "pkcs1", "":
		if format.IsCMS() {
			format = simpki.FormatPKCS1
		}
	case "cms":
		format = simpki.FormatCMS
		x.cmsFormat = true
	default:
		return simpki.Config{}, usagef("--sim-format %q: want pkcs1 or cms", x.format)
	}
	return simpki.Config{
		URL: k.mssp, StatusURL: x.statusURL, ReceiptURL: x.receiptURL, RegistrationURL: x.registerURL,
		APID: k.apID, APPassword: pass, MSSPID: k.msspID, Profile: prof, Format: format, DigestInfo: x.digestInfo,
		Mode: mode, TimeOut: k.simWait, PollDelay: time.Second, MaxWait: k.simWait + 2*time.Second,
	}, nil
}

func (k *keyFlags) openSIM(ctx context.Context, e *env, docName string) (signer.Signer, func(), error) {
	if k.mssp == "" {
		return nil, nil, usagef("--sim needs --mssp URL")
	}
	pass, err := envValue("ap-pass-env", k.apPassEnv)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := k.simConfig(pass)
	if err != nil {
		return nil, nil, err
	}
	c, err := simpki.NewClient(cfg)
	if err != nil {
		return nil, nil, usageError{err}
	}
	display := k.display
	if display == "" {
		display = "Ký số " + docName
	}
	s, err := simpki.New(ctx, c, k.sim, simpki.Options{Display: display, MaxDisplayRunes: 160})
	if err != nil {
		if errors.Is(err, simpki.ErrInvalidMSISDN) {
			return nil, nil, inputErr(err)
		}
		return nil, nil, simErr(err)
	}
	return &simNotice{Signer: s, w: e.stderr, msisdn: s.MSISDN(), cms: k.simx.cmsFormat}, func() {}, nil
}

// simNotice tells the user to look at their phone, with the verification
// code the phone shows, before each SIM signature, and words the MSSP's
// refusals in Vietnamese and English.
type simNotice struct {
	*simpki.Signer
	w      io.Writer
	msisdn string
	cms    bool // the MSSP answers with a CMS (--sim-format cms)
}

func (s *simNotice) notice(digest []byte) {
	fmt.Fprintf(s.w, "Xác nhận trên điện thoại %s, mã xác minh %s / confirm on the phone, code %s\n",
		s.msisdn, simpki.VerificationCode(digest), simpki.VerificationCode(digest))
}

func (s *simNotice) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.notice(digest)
	sig, err := s.Signer.SignDigest(ctx, digest, opts)
	if err != nil {
		return nil, simErr(err)
	}
	return sig, nil
}

// signPDFWith is pdf.Sign, except that with --sim-format cms the MSSP signs
// the document digest and its CMS becomes the signature (pdf.Prepare,
// simpki.Signer.SignCMS, Prepared.Finish).
func signPDFWith(ctx context.Context, w io.Writer, r io.ReaderAt, size int64, s signer.Signer, opts *pdf.Options) error {
	sim, ok := s.(*simNotice)
	if !ok || !sim.cms {
		return pdf.Sign(ctx, w, r, size, s, opts)
	}
	p, err := pdf.Prepare(ctx, r, size, s.Certificate(), s.Chain(), opts)
	if err != nil {
		return err
	}
	p.LTV, p.HTTPClient = opts.LTV, opts.HTTPClient
	d := p.DocumentDigest()
	sim.notice(d)
	der, err := sim.Signer.SignCMS(ctx, d, p.SignerOpts().HashFunc())
	if err != nil {
		return simErr(err)
	}
	return p.Finish(ctx, w, r, size, der)
}

// simFailure is a SIM signing failure worded for the user. It matches the
// simpki sentinels (errors.Is) but not signer.ErrWrongPassword, so that a
// PIN blocked at the MSSP — a refusal by the MSSP, like a cancellation —
// exits 1 rather than as an input error.
type simFailure struct {
	err error
	msg string
}

func (f *simFailure) Error() string { return f.msg }

func (f *simFailure) Is(target error) bool {
	for _, s := range simSentinels {
		if target == s.err && errors.Is(f.err, s.err) {
			return true
		}
	}
	return target == context.DeadlineExceeded && errors.Is(f.err, context.DeadlineExceeded) ||
		target == context.Canceled && errors.Is(f.err, context.Canceled)
}

var simSentinels = []struct {
	err error
	vi  string
	en  string
}{
	{simpki.ErrDeclined, "người ký đã từ chối trên điện thoại", "the signer declined on the phone"},
	{simpki.ErrExpired, "hết thời gian chờ người ký xác nhận", "the request expired before the signer confirmed it"},
	{simpki.ErrPINLocked, "mã PIN ký số trên SIM đã bị khóa; liên hệ nhà mạng để mở khóa bằng mã PUK", "the SIM's signature PIN is blocked; the operator unblocks it with the PUK"},
	{simpki.ErrCardBlocked, "SIM đã bị khóa; liên hệ nhà mạng", "the SIM card is blocked; contact the operator"},
	{simpki.ErrNoKeyFound, "SIM chưa có khóa ký số", "the SIM holds no signature key"},
	{simpki.ErrNoCertFound, "chưa có chứng thư số cho khóa trên SIM", "the MSSP holds no certificate for the SIM key"},
	{simpki.ErrUnknownClient, "số điện thoại chưa đăng ký dịch vụ ký số trên SIM", "the number is not registered for mobile signature"},
	{simpki.ErrUnauthorized, "MSSP từ chối thông tin của ứng dụng (--ap-id, --ap-pass-env)", "the MSSP refused the application provider's credentials (--ap-id, --ap-pass-env)"},
	{simpki.ErrOTA, "MSSP không liên lạc được với điện thoại (tắt máy, mất sóng)", "the MSSP could not reach the phone (switched off, no coverage)"},
	{simpki.ErrMSSPInternal, "lỗi nội bộ của MSSP", "the MSSP failed internally"},
	{simpki.ErrNotRawSignature, "MSSP trả về CMS có thuộc tính ký riêng, không đưa được vào chữ ký XML; dùng --sim-format pkcs1", "the MSSP returned a CMS with its own signed attributes, which an XML signature cannot carry; use --sim-format pkcs1"},
	{simpki.ErrNoSignedAttributes, "CMS của MSSP không có thuộc tính ký, không dùng làm chữ ký PDF được; dùng --sim-format pkcs1", "the MSSP's CMS has no signed attributes and cannot become the PDF signature; use --sim-format pkcs1"},
	{simpki.ErrTimeout, "không có trả lời từ MSSP trong thời gian chờ (--sim-timeout)", "no answer from the MSSP in time (--sim-timeout)"},
	{simpki.ErrRejected, "MSSP từ chối yêu cầu (kiểm tra --sim-profile, --mssp-id)", "the MSSP rejected the request (check --sim-profile, --mssp-id)"},
	{simpki.ErrProtocol, "trả lời không hợp lệ từ MSSP", "invalid answer from the MSSP"},
	{signer.ErrUnsupportedAlgorithm, "thuật toán không dùng được với SIM (--sim-digestinfo chỉ cho khóa RSA)", "algorithm not usable with the SIM (--sim-digestinfo is for RSA keys)"},
}

// simErr words err for the user; errors that are not the MSSP's or the
// user's pass through.
func simErr(err error) error {
	var f *simFailure
	if err == nil || errors.As(err, &f) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// simpki reports a transport failure as ErrProtocol; it is not an
		// invalid answer but none at all.
		return &simFailure{err: err, msg: fmt.Sprintf("ký số trên SIM không thành công: không kết nối được MSSP / SIM signing failed: cannot reach the MSSP (%s: %s)", ue.URL, netReason(ue))}
	}
	for _, s := range simSentinels {
		if errors.Is(err, s.err) {
			return &simFailure{err: err, msg: fmt.Sprintf("ký số trên SIM không thành công: %s / SIM signing failed: %s (%v)", s.vi, s.en, err)}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &simFailure{err: err, msg: fmt.Sprintf("ký số trên SIM không thành công: hết thời gian chờ (--sim-timeout) / SIM signing failed: no answer in time (--sim-timeout) (%v)", err)}
	}
	return err
}

// serveSIMKey returns the profile "kyso pki serve --sim-profile" plays and
// the key on its simulated SIM: the test signer's, or — for profiles that
// send a DigestInfo, which only RSA signs — an RSA key of the same person
// issued by the same test PKI.
func serveSIMKey(p *pkitest.PKI, id *pkitest.Identity, name, cccd, profile string) (*simpki.Profile, signer.Signer, error) {
	prof, err := simpki.ProfileByName(profile)
	if err != nil {
		return nil, nil, usagef("--sim-profile: %v", err)
	}
	if _, isRSA := id.Cert.PublicKey.(*rsa.PublicKey); isRSA || !prof.DigestInfo {
		return prof, id.Signer(), nil
	}
	rsaID, err := p.Issue(pkitest.Person(name, cccd),
		pkitest.RSAKey(2048), pkitest.Validity(id.Cert.NotBefore, id.Cert.NotAfter))
	if err != nil {
		return nil, nil, err
	}
	return prof, rsaID.Signer(), nil
}
