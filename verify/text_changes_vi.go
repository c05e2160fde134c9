package verify

import (
	"regexp"
	"strings"
)

// Vietnamese rendering of the change analysis's lines (Change.String):
// "revision R, object N at PATH: DETAIL (rule RULE)".

var changeLineRE = regexp.MustCompile(`^revision (\d+)(?:, object (\d+) at (\S+))?: (.*) \(rule ([a-z0-9-]+)\)$`)

var viChangeVerbs = strings.NewReplacer(
	"deleted (cross-reference entry freed)", "bị xoá (mục tham chiếu chéo bị giải phóng)",
	"re-pointed to an older definition", "bị trỏ về một định nghĩa cũ hơn",
	" added", " được thêm", " changed", " bị thay đổi",
)

var viChangeDetails = []viPattern{
	{regexp.MustCompile(`^object (.+) after signing, and the document's object graph could not be walked to show it is unused$`), "đối tượng $1 sau khi ký, và không duyệt hết được cấu trúc tài liệu để chứng minh nó không được dùng"},
	{regexp.MustCompile(`^object (.+) after signing \((.*)\), which the certification \(P=1\) forbids even unreferenced$`), "đối tượng $1 sau khi ký ($2), điều mà chữ ký chứng nhận (P=1) cấm kể cả khi không được tham chiếu"},
	{regexp.MustCompile(`^object (.+) after signing cannot be read: (.*)$`), "đối tượng $1 sau khi ký không đọc được: $2"},
	{regexp.MustCompile(`^page tree (.+) after signing: pages added, removed or re-parented$`), "cây trang $1 sau khi ký: trang bị thêm, xoá hoặc chuyển chỗ"},
	{regexp.MustCompile(`^page added after signing$`), "trang được thêm sau khi ký"},
	{regexp.MustCompile(`^page changed after signing: (.*)$`), "trang bị thay đổi sau khi ký: $1"},
	{regexp.MustCompile(`^form fields were removed after signing$`), "trường biểu mẫu bị xoá sau khi ký"},
	{regexp.MustCompile(`^annotations were removed from a page after signing$`), "chú thích bị xoá khỏi trang sau khi ký"},
	{regexp.MustCompile(`^direct annotations or fields added after signing$`), "chú thích hoặc trường trực tiếp được thêm sau khi ký"},
	{regexp.MustCompile(`^signature field (".*") signed after signing, which the certification \(P=1\) forbids$`), "trường chữ ký $1 được ký sau, điều mà chữ ký chứng nhận (P=1) cấm"},
	{regexp.MustCompile(`^signature field (".*") was signed or changed, but the signature locked it \(FieldMDP\)$`), "trường chữ ký $1 được ký hoặc thay đổi, nhưng chữ ký đã khoá trường này (FieldMDP)"},
	{regexp.MustCompile(`^signature field (".*") added after signing with a value that was already there$`), "trường chữ ký $1 được thêm sau khi ký với một giá trị đã có sẵn"},
	{regexp.MustCompile(`^signature field (".*") added after signing but not signed \(an annotation like any other\)$`), "trường chữ ký $1 được thêm sau khi ký nhưng không được ký (một chú thích như mọi chú thích khác)"},
	{regexp.MustCompile(`^form field (".*") added after signing$`), "trường biểu mẫu $1 được thêm sau khi ký"},
	{regexp.MustCompile(`^annotation added to a page after signing \((.*)\)$`), "chú thích được thêm vào trang sau khi ký ($1)"},
	{regexp.MustCompile(`^something other than an annotation added to /Annots or /Fields \((.*)\)$`), "một đối tượng không phải chú thích được thêm vào /Annots hoặc /Fields ($1)"},
	{regexp.MustCompile(`^form field or annotation replaced by (.*)$`), "trường biểu mẫu hoặc chú thích bị thay bằng $1"},
	{regexp.MustCompile(`^annotation changed after signing \((.*)\)$`), "chú thích bị thay đổi sau khi ký ($1)"},
	{regexp.MustCompile(`^the value of signed field (".*") was replaced$`), "giá trị của trường đã ký $1 bị thay thế"},
	{regexp.MustCompile(`^signature field (".*") changed: (.*)$`), "trường chữ ký $1 bị thay đổi: $2"},
	{regexp.MustCompile(`^form field (".*") changed: (.*)$`), "trường biểu mẫu $1 bị thay đổi: $2"},
	{regexp.MustCompile(`^the appearance of (".*") was replaced, and what it replaced \(object (\d+)\) is also used elsewhere in the signed revision$`), "hình hiển thị của $1 bị thay thế, trong khi phần bị thay (đối tượng $2) còn được dùng ở chỗ khác của phiên bản đã ký"},
	{regexp.MustCompile(`^form field (".*") filled in, which the certification \(P=1\) forbids$`), "trường biểu mẫu $1 được điền, điều mà chữ ký chứng nhận (P=1) cấm"},
	{regexp.MustCompile(`^form field (".*") filled in, but the signature locked it \(FieldMDP\)$`), "trường biểu mẫu $1 được điền, nhưng chữ ký đã khoá trường này (FieldMDP)"},
	{regexp.MustCompile(`^appearance of form field (".*") changed after signing, though its value did not$`), "hình hiển thị của trường biểu mẫu $1 bị thay đổi sau khi ký dù giá trị không đổi"},
	{regexp.MustCompile(`^appearance of (signature field|form field) (".*") (.+), which the certification \(P=1\) forbids$`), "hình hiển thị của $1 $2 $3, điều mà chữ ký chứng nhận (P=1) cấm"},
	{regexp.MustCompile(`^appearance of form field (".*") (.+), but the signature locked it \(FieldMDP\)$`), "hình hiển thị của trường biểu mẫu $1 $2, nhưng chữ ký đã khoá trường này (FieldMDP)"},
	{regexp.MustCompile(`^appearance of form field (".*") (.+) after signing, though its value did not change$`), "hình hiển thị của trường biểu mẫu $1 $2 sau khi ký dù giá trị không đổi"},
	{regexp.MustCompile(`^appearance of signature field (".*") (.+) after signing$`), "hình hiển thị của trường chữ ký $1 $2 sau khi ký"},
	{regexp.MustCompile(`^appearance of an annotation (.+) after signing$`), "hình hiển thị của một chú thích $1 sau khi ký"},
	{regexp.MustCompile(`^appearance of a direct widget (.+) after signing$`), "hình hiển thị của một widget trực tiếp $1 sau khi ký"},
	{regexp.MustCompile(`^appearance object (.+) after signing$`), "đối tượng hình hiển thị $1 sau khi ký"},
	{regexp.MustCompile(`^document catalog replaced$`), "danh mục tài liệu (catalog) bị thay thế"},
	{regexp.MustCompile(`^document catalog entries changed: (.*)$`), "các mục của danh mục tài liệu bị thay đổi: $1"},
	{regexp.MustCompile(`^the interactive form was removed$`), "biểu mẫu tương tác bị xoá"},
	{regexp.MustCompile(`^the catalog's /Metadata is not an XMP metadata stream$`), "/Metadata của danh mục không phải luồng siêu dữ liệu XMP"},
	{regexp.MustCompile(`^form dictionary replaced by something else$`), "từ điển biểu mẫu bị thay bằng đối tượng khác"},
	{regexp.MustCompile(`^form dictionary changed: (.*)$`), "từ điển biểu mẫu bị thay đổi: $1"},
	{regexp.MustCompile(`^the certification signature \(/Perms /DocMDP\) was changed$`), "chữ ký chứng nhận (/Perms /DocMDP) bị thay đổi"},
	{regexp.MustCompile(`^form resources \(/DR\) (.+), which the certification \(P=1\) forbids$`), "tài nguyên biểu mẫu (/DR) $1, điều mà chữ ký chứng nhận (P=1) cấm"},
	{regexp.MustCompile(`^a signature dictionary or its references changed after signing$`), "một từ điển chữ ký hoặc các tham chiếu của nó bị thay đổi sau khi ký"},
	{regexp.MustCompile(`^(\d+) bytes were appended after signing: too much to analyse$`), "$1 byte được nối thêm sau khi ký: quá nhiều để phân tích"},
	{regexp.MustCompile(`^the data appended after signing cannot be read: (.*)$`), "không đọc được dữ liệu nối thêm sau khi ký: $1"},
	{regexp.MustCompile(`^objects appended after signing outside any revision \(stray %%EOF or missing cross-reference data\)$`), "đối tượng được nối thêm sau khi ký nằm ngoài mọi phiên bản (%%EOF lạc chỗ hoặc thiếu dữ liệu tham chiếu chéo)"},
	{regexp.MustCompile(`^a linearization dictionary appended after signing$`), "một từ điển tuyến tính hoá (linearization) được nối thêm sau khi ký"},
	{regexp.MustCompile(`^the later cross-reference chain does not continue from the signed revision$`), "chuỗi tham chiếu chéo về sau không nối tiếp từ phiên bản đã ký"},
	{regexp.MustCompile(`^the trailer's (/\S+) was replaced$`), "mục $1 của trailer bị thay thế"},
	// Generic: "<what> <verb> after signing".
	{regexp.MustCompile(`^(.+) after signing$`), "$1 sau khi ký"},
}

// localizeChange renders a Change line in Vietnamese; false when s is not
// one.
func localizeChange(s string) (string, bool) {
	m := changeLineRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	detail := m[4]
	vi := ""
	for _, p := range viChangeDetails {
		if p.re.MatchString(detail) {
			vi = viChangeVerbs.Replace(p.re.ReplaceAllString(detail, p.vi))
			break
		}
	}
	if vi == "" {
		vi = "(chi tiết kỹ thuật) " + detail
	}
	out := "phiên bản " + m[1]
	if m[2] != "" {
		out += ", đối tượng " + m[2] + " tại " + m[3]
	}
	return out + ": " + vi + " (quy tắc " + m[5] + ")", true
}
