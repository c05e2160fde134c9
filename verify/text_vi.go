package verify

import (
	"regexp"
	"strings"
)

// Reports keep their machine-facing strings (Warnings, Coverage.Description,
// Finding.Detail, revocation origins) in English, so that JSON consumers can
// rely on them. Circular 15/2025 requires the human report in Vietnamese, so
// Text(Vietnamese) renders those strings through the catalogue below. A
// remark without a Vietnamese rendering is shown as technical detail, marked
// as such, rather than silently mixing languages.

// viPattern rewrites one English message shape into Vietnamese; $1, $2, …
// refer to the pattern's groups.
type viPattern struct {
	re *regexp.Regexp
	vi string
}

var viCatalogue = []viPattern{
	// Coverage descriptions.
	{regexp.MustCompile(`^bytes 0–(\d+) and (\d+)–(\d+) of (\d+) \(the revision ending at byte (\d+)\)$`),
		"byte 0–$1 và $2–$3 trên tổng $4 byte (phiên bản kết thúc tại byte $5)"},
	{regexp.MustCompile(`^(\d+) references?$`), "$1 tham chiếu"},
	{regexp.MustCompile(`^(\d+) references?: (.*)$`), "$1 tham chiếu: $2"},
	// Warnings.
	{regexp.MustCompile(`^the signature covers only the referenced elements, not the whole document$`),
		"chữ ký chỉ bao phủ các phần tử được tham chiếu, không phải toàn bộ tài liệu"},
	{regexp.MustCompile(`^the signing time is self-declared by the signer and not proven by a timestamp; validation used the validation time$`),
		"thời điểm ký do người ký tự khai, không được chứng minh bằng dấu thời gian; việc kiểm tra dùng thời điểm kiểm tra"},
	{regexp.MustCompile(`^the claimed signing time (\S+) is after the timestamp (\S+)$`),
		"thời điểm ký tự khai $1 muộn hơn dấu thời gian $2"},
	{regexp.MustCompile(`^certificate "(.*)" was revoked at (\S+), after the signature time (\S+)$`),
		"chứng thư số \"$1\" bị thu hồi lúc $2, sau thời điểm ký $3"},
	{regexp.MustCompile(`^RSA PKCS#1 v1\.5 signature: accepted, although Circular 15/2025 Appendix I names RSASSA-PSS$`),
		"chữ ký RSA PKCS#1 v1.5: được chấp nhận, dù Phụ lục I Thông tư 15/2025 quy định RSASSA-PSS"},
	{regexp.MustCompile(`^(\d+) bytes after the last %%EOF are not part of any revision$`),
		"$1 byte sau dấu %%EOF cuối cùng không thuộc phiên bản nào của tài liệu"},
	{regexp.MustCompile(`^adbe\.pkcs7\.sha1: the document is hashed with SHA-1$`),
		"adbe.pkcs7.sha1: tài liệu được băm bằng SHA-1"},
	{regexp.MustCompile(`^certificate chain uses (.+), accepted because a timestamp proves existence before its sunset$`),
		"chuỗi chứng thư số dùng $1, được chấp nhận vì dấu thời gian chứng minh chữ ký có trước thời hạn ngừng sử dụng thuật toán"},
	{regexp.MustCompile(`^signer certificate "(.*)" lacks keyUsage nonRepudiation$`),
		"chứng thư số của người ký \"$1\" thiếu mục đích sử dụng nonRepudiation (chống chối bỏ)"},
	{regexp.MustCompile(`^signer certificate "(.*)" lacks the keyUsage needed for signing \(digitalSignature or nonRepudiation\)$`),
		"chứng thư số của người ký \"$1\" thiếu mục đích sử dụng để ký (digitalSignature hoặc nonRepudiation)"},
	{regexp.MustCompile(`^unreadable signing-time attribute: (.*)$`), "không đọc được thuộc tính thời điểm ký: $1"},
	{regexp.MustCompile(`^unreadable Adobe revocation attribute: (.*)$`), "không đọc được thuộc tính thu hồi của Adobe: $1"},
	{regexp.MustCompile(`^fetching issuer certificate: (.*)$`), "lỗi khi tải chứng thư số của tổ chức cấp: $1"},
	{regexp.MustCompile(`^issuer certificate from (\S+): (.*)$`), "chứng thư số của tổ chức cấp tải từ $1: $2"},
	{regexp.MustCompile(`^undecodable XAdES (.*)$`), "không giải mã được phần tử XAdES $1"},
	{regexp.MustCompile(`^unparsable certificate in XAdES CertificateValues: (.*)$`),
		"chứng thư số không đọc được trong XAdES CertificateValues: $1"},
	{regexp.MustCompile(`^(embedded|fetched|options) CRL unparsable: (.*)$`), "CRL ($1) không đọc được: $2"},
	// Circular 15/2025 policy remarks.
	{regexp.MustCompile(`^signature digest: SHA-1 accepted by the caller's policy: proof of existence at (\S+), before (\S+)( \(the caller's proof of existence\))?$`),
		"thuật toán băm của chữ ký: SHA-1 được chấp nhận theo chính sách của bên kiểm tra: có bằng chứng tồn tại lúc $1, trước ngày $2"},
	{regexp.MustCompile(`^certificate chain uses (.+): SHA-1 accepted by the caller's policy: proof of existence at (\S+), before (\S+)( \(the caller's proof of existence\))?$`),
		"chuỗi chứng thư số dùng $1: SHA-1 được chấp nhận theo chính sách của bên kiểm tra: có bằng chứng tồn tại lúc $2, trước ngày $3"},
	{regexp.MustCompile(`^(.*): SHA-1 accepted by the caller's policy: proof of existence at (\S+), before (\S+)( \(the caller's proof of existence\))?$`),
		"$1: SHA-1 được chấp nhận theo chính sách của bên kiểm tra: có bằng chứng tồn tại lúc $2, trước ngày $3"},
	{regexp.MustCompile(`^RSA PKCS#1 v1\.5 signature \(the scheme of Vietnamese tokens, SIMs and remote signing services; Circular 15/2025 Appendix I names RSASSA-PSS\)$`),
		"chữ ký RSA PKCS#1 v1.5 (lược đồ mà token, SIM và dịch vụ ký số từ xa tại Việt Nam sử dụng; Phụ lục I Thông tư 15/2025 nêu RSASSA-PSS)"},
	// XML signatures: where the signed data lies.
	{regexp.MustCompile(`^reference (\S*): the enveloped-signature transform was applied to the signature's own SignatureProperties (\S+), digested whole as \.NET does \(xmlsec1 rejects it\)$`),
		"tham chiếu $1: phép biến đổi enveloped-signature được áp dụng cho chính phần SignatureProperties $2 của chữ ký và phần tử được băm nguyên vẹn theo cách của .NET (xmlsec1 không chấp nhận cách này)"},
	{regexp.MustCompile(`^signed element (\S+) lies inside another signature \((\S+)\)$`),
		"phần tử được ký $1 nằm bên trong một chữ ký khác ($2)"},
	{regexp.MustCompile(`^signed element (\S+) lies inside a ds:Object, where readers of the document do not look$`),
		"phần tử được ký $1 nằm trong một ds:Object, nơi người đọc tài liệu không xem tới"},
	{regexp.MustCompile(`^signed element (\S+) lies inside (\S+), in the foreign namespace (\S*)$`),
		"phần tử được ký $1 nằm bên trong $2, thuộc không gian tên lạ $3"},
	{regexp.MustCompile(`^(HDon|TBao|TKhai|BBan) at (\S+) is not signed by a valid signature of its own$`),
		"$1 tại $2 không được ký bởi một chữ ký hợp lệ của chính nó"},
	// Time-stamps that were not used.
	{regexp.MustCompile(`^invalid timestamp: (.*)$`), "dấu thời gian không hợp lệ: $1"},
	{regexp.MustCompile(`^the TSA certificate is not in the timestamp$`), "dấu thời gian không chứa chứng thư số của đơn vị cấp dấu thời gian"},
	{regexp.MustCompile(`^timestamp time (\S+) is in the future$`), "thời điểm trong dấu thời gian $1 nằm ở tương lai"},
	{regexp.MustCompile(`^the TSA certificate was not valid at (\S+)$`), "chứng thư số của đơn vị cấp dấu thời gian không có hiệu lực tại $1"},
	{regexp.MustCompile(`^TSA certificate: (.*)$`), "chứng thư số của đơn vị cấp dấu thời gian: $1"},
}

// viRewriters render messages whose parts need translating separately
// (a document noun inside a sentence); they are tried before viCatalogue.
var viRewriters = []func(string) (string, bool){layoutVI}

// viNouns names the documents of the XML layouts.
var viNouns = map[string]string{
	"invoice": "hóa đơn", "notice": "thông báo", "declaration": "tờ khai", "record": "biên bản", "message": "thông điệp",
}

var (
	layoutRe       = regexp.MustCompile(`^(?:malformed signature: )?the signed data is not the (invoice|notice|declaration|record|message)'s data: (.*)$`)
	layoutDetailVI = []viPattern{
		{regexp.MustCompile(`^(\S+) is signed, the \w+'s data is (\S+)$`), "phần tử được ký là $1, còn dữ liệu của NOUN là $2"},
		{regexp.MustCompile(`^(\S+) lies inside (\S+)$`), "$1 nằm bên trong $2"},
		{regexp.MustCompile(`^(\S+) holds (\d+) (\S+) elements with an Id \((\S+), (\S+)\)$`), "$1 chứa $2 phần tử $3 có Id ($4, $5)"},
		{regexp.MustCompile(`^(\S+) holds (\d+) (\S+) elements$`), "$1 chứa $2 phần tử $3"},
		{regexp.MustCompile(`^(\S+) is in namespace ("[^"]*"), (\S+) in ("[^"]*")$`), "$1 thuộc không gian tên $2, còn $3 thuộc $4"},
		{regexp.MustCompile(`^(\S+) has no (\S+)$`), "$1 không có phần tử $2"},
		{regexp.MustCompile(`^the signature does not sign its SigningTime (\S+)$`), "chữ ký không ký thời điểm ký $1 nằm trong chính nó"},
		{regexp.MustCompile(`^the signature does not sign (\S+)$`), "chữ ký không ký $1"},
	}
)

// layoutVI renders "the signed data is not the invoice's data: …".
func layoutVI(s string) (string, bool) {
	m := layoutRe.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	noun := viNouns[m[1]]
	detail := "(chi tiết kỹ thuật) " + m[2]
	for _, p := range layoutDetailVI {
		if p.re.MatchString(m[2]) {
			detail = strings.ReplaceAll(p.re.ReplaceAllString(m[2], p.vi), "NOUN", noun)
			break
		}
	}
	return "dữ liệu được ký không phải là dữ liệu của " + noun + ": " + detail, true
}

// viWords translates the single words used in revocation lines.
var viWords = map[string]string{
	"embedded": "nhúng trong tài liệu",
	"fetched":  "tải trực tuyến",
	"options":  "do người dùng cung cấp",
}

// localize renders an English report string in lang. Only Vietnamese needs
// work; a string the catalogue does not know is marked as English detail.
func localize(lang Language, s string) string {
	if lang != Vietnamese || s == "" {
		return s
	}
	if vi, ok := localizeChange(s); ok {
		return vi
	}
	for _, rw := range viRewriters {
		if vi, ok := rw(s); ok {
			return vi
		}
	}
	for _, p := range viCatalogue {
		if p.re.MatchString(s) {
			return p.re.ReplaceAllString(s, p.vi)
		}
	}
	return "(chi tiết kỹ thuật) " + s
}

// localizeWord renders a one-word origin such as "fetched" in lang.
func localizeWord(lang Language, w string) string {
	if lang != Vietnamese {
		return w
	}
	if vi, ok := viWords[strings.ToLower(w)]; ok {
		return vi
	}
	return w
}
