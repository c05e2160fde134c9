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
