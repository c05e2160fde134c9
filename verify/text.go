package verify

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Language selects the language of human-readable reports.
type Language string

const (
	// Vietnamese is required by Circular 15/2025/TT-BKHCN for the result
	// shown to users (signer, signing time, integrity).
	Vietnamese Language = "vi"
	English    Language = "en"
)

// vietnamTime is UTC+7, the zone Vietnamese users read times in.
var vietnamTime = time.FixedZone("GMT+7", 7*3600)

// reportLabels: the words of Report.Text (labels, indications,
// sub-indications, identifier names).
var reportLabels = map[string]template{
	"indication.TOTAL_PASSED": {"Signature valid",
		"Chữ ký hợp lệ"},
	"indication.TOTAL_FAILED": {"Signature invalid",
		"Chữ ký không hợp lệ"},
	"indication.INDETERMINATE": {"Signature validity could not be determined",
		"Chưa xác định được tính hợp lệ của chữ ký"},
	"indication.NO_SIGNATURE_FOUND": {"No digital signature found",
		"Không tìm thấy chữ ký số"},
	"sub.FORMAT_FAILURE": {"The signature or document structure is malformed, or the document was modified after signing in a way that is not permitted",
		"Cấu trúc chữ ký hoặc tài liệu không đúng định dạng, hoặc tài liệu đã bị sửa đổi sau khi ký theo cách không được phép"},
	"sub.HASH_FAILURE": {"The content was changed after signing",
		"Nội dung đã bị thay đổi sau khi ký"},
	"sub.SIG_CRYPTO_FAILURE": {"The signature value does not verify with the public key in the certificate",
		"Giá trị chữ ký không khớp với khóa công khai trong chứng thư số"},
	"sub.REVOKED": {"The signer's certificate was revoked before signing",
		"Chứng thư số của người ký đã bị thu hồi trước thời điểm ký"},
	"sub.EXPIRED": {"The signer's certificate had expired before signing",
		"Chứng thư số của người ký đã hết hạn trước thời điểm ký"},
	"sub.NOT_YET_VALID": {"The signer's certificate was not yet valid at signing time",
		"Chứng thư số của người ký chưa có hiệu lực tại thời điểm ký"},
	"sub.SIGNED_DATA_NOT_FOUND": {"The signed data was not found",
		"Không tìm thấy dữ liệu được ký"},
	"sub.NO_SIGNING_CERTIFICATE_FOUND": {"The signer's certificate was not found",
		"Không tìm thấy chứng thư số của người ký"},
	"sub.NO_CERTIFICATE_CHAIN_FOUND": {"No certification path to a recognised trust anchor",
		"Không xây dựng được đường dẫn tin cậy tới chứng thư số gốc được công nhận"},
	"sub.CRYPTO_CONSTRAINTS_FAILURE": {"Algorithm or key size below requirements (Circular 15/2025/TT-BKHCN: RSA ≥ 2048 bits, ECDSA ≥ 256 bits, SHA-2 or SHA-3)",
		"Thuật toán hoặc độ dài khóa không đáp ứng yêu cầu (Thông tư 15/2025/TT-BKHCN: RSA ≥ 2048 bit, ECDSA ≥ 256 bit, SHA-2 hoặc SHA-3)"},
	"sub.CHAIN_CONSTRAINTS_FAILURE": {"A certificate does not meet the key-usage constraints",
		"Chứng thư số không đáp ứng ràng buộc về mục đích sử dụng khóa"},
	"sub.CERTIFICATE_CHAIN_GENERAL_FAILURE": {"General failure while checking the certificate chain",
		"Lỗi chung khi kiểm tra chuỗi chứng thư số"},
	"sub.SIG_CONSTRAINTS_FAILURE": {"The signature does not meet the validation policy's constraints",
		"Chữ ký không đáp ứng ràng buộc của chính sách kiểm tra"},
	"sub.REVOKED_NO_POE": {"The signer's certificate was revoked and no timestamp proves the signature was made before the revocation",
		"Chứng thư số của người ký đã bị thu hồi và không có dấu thời gian chứng minh chữ ký được tạo trước thời điểm thu hồi"},
	"sub.REVOKED_CA_NO_POE": {"A CA certificate of the chain was revoked before the signing time",
		"Chứng thư số của tổ chức cung cấp dịch vụ chứng thực đã bị thu hồi trước thời điểm ký"},
	"sub.OUT_OF_BOUNDS_NO_POE": {"The certificate has expired and no timestamp proves the signature was made while it was valid",
		"Chứng thư số đã hết hạn và không có dấu thời gian chứng minh chữ ký được tạo khi chứng thư số còn hiệu lực"},
	"sub.TRY_LATER": {"The revocation status could not be checked (no valid CRL/OCSP data); try again later",
		"Chưa kiểm tra được tình trạng thu hồi của chứng thư số (không có dữ liệu CRL/OCSP hợp lệ); hãy kiểm tra lại sau"},
	"label.signature": {"Signature",
		"Chữ ký"},
	"label.result": {"Result",
		"Kết quả"},
	"label.reason": {"Reason",
		"Lý do"},
	"label.signer": {"Signer",
		"Người ký"},
	"label.org": {"Organisation",
		"Tổ chức"},
	"label.claimed": {"Signing time (self-declared by the signer, not proven)",
		"Thời điểm ký (do người ký tự khai, chưa được xác thực)"},
	"label.tst": {"Signing time (from timestamp)",
		"Thời điểm ký (theo dấu thời gian)"},
	"label.besttime": {"Time validated at",
		"Thời điểm dùng để kiểm tra"},
	"label.integrity": {"Integrity",
		"Tính toàn vẹn"},
	"label.intact": {"Content intact, signature matches the certificate",
		"Nội dung còn nguyên vẹn, chữ ký khớp với chứng thư số"},
	"label.broken": {"Content changed or signature does not match",
		"Nội dung đã bị thay đổi hoặc chữ ký không khớp"},
	"label.anchor": {"Trust anchor",
		"Chứng thư số gốc tin cậy"},
	"label.noanchor": {"None (no path to a trusted root)",
		"Không xác định (không tới được chứng thư số gốc tin cậy)"},
	"label.chain": {"Certificate chain",
		"Chuỗi chứng thư số"},
	"label.revocation": {"Revocation status",
		"Tình trạng thu hồi"},
	"label.coverage": {"Coverage",
		"Phạm vi ký"},
	"label.warnings": {"Warnings",
		"Cảnh báo"},
	"label.details": {"Technical details",
		"Chi tiết kỹ thuật"},
	"label.issuer": {"Issuer",
		"Tổ chức cấp"},
	"label.doc": {"Document",
		"Tài liệu"},
	"label.validated": {"Validation time",
		"Thời điểm kiểm tra"},
	"label.good": {"not revoked",
		"chưa bị thu hồi"},
	"label.revoked": {"revoked",
		"đã bị thu hồi"},
	"label.unknown": {"unknown",
		"không rõ"},
	"label.not-checked": {"not checked (not needed)",
		"không cần kiểm tra"},
	"label.whole": {"the whole document",
		"toàn bộ tài liệu"},
	"label.partial": {"part of the document",
		"một phần tài liệu"},
	"label.modified": {"Changes after signing",
		"Thay đổi sau khi ký"},
	"label.timestamp": {"Timestamp",
		"Dấu thời gian"},
	"label.valid": {"valid",
		"hợp lệ"},
	"label.invalid": {"invalid",
		"không hợp lệ"},
	"label.nosig": {"The document has no digital signature.",
		"Tài liệu không có chữ ký số."},
	"label.overall": {"Overall result",
		"Kết luận chung"},
	"label.info": {"Information",
		"Thông tin"},
	"label.regime": {"Signature regime",
		"Loại chữ ký số"},
	"label.serial": {"Certificate serial number",
		"Số hiệu chứng thư số"},
	"label.validity": {"Certificate validity period",
		"Thời hạn hiệu lực của chứng thư số"},
	"label.algorithm": {"Signature algorithm",
		"Thuật toán ký"},
	"label.layout": {"Signature place",
		"Vị trí chữ ký"},
	"label.mustsign": {"must sign",
		"phải ký"},
	"label.notchecked": {"Not checked (the signature is malformed, or its signed data or the signer's key was not found)",
		"Chưa kiểm tra được (chữ ký sai cấu trúc, hoặc không tìm thấy dữ liệu được ký hay khóa của người ký)"},
	"id.CCCD": {"Citizen ID (CCCD)",
		"Số CCCD"},
	"id.CMND": {"Legacy ID (CMND)",
		"Số CMND"},
	"id.MST": {"Tax code (MST)",
		"Mã số thuế"},
	"id.HC": {"Passport",
		"Số hộ chiếu"},
	"id.MNS": {"Budget code (MNS)",
		"Mã quan hệ ngân sách"},
	"id.VATVN": {"Tax code (MST)",
		"Mã số thuế"},
	// ETSI EN 319 412-1 semantics identifiers (serialNumber,
	// organizationIdentifier), as signer.ParseIdentity reads them.
	"id.TINVN": {"Tax code (MST)",
		"Mã số thuế"},
	"id.TAXVN": {"Tax code (MST)",
		"Mã số thuế"},
	"id.PASVN": {"Passport",
		"Số hộ chiếu"},
	"id.IDCVN": {"Identity card (IDC)",
		"Số thẻ căn cước"},
	"id.PNOVN": {"Personal identification number (PNO)",
		"Số định danh cá nhân"},
	"id.NTRVN": {"Business registration number (NTR)",
		"Mã số doanh nghiệp"},
}

// word returns the catalogue text of code in lang.
func word(lang Language, code string) string {
	t := messageCatalogue[code]
	if lang == Vietnamese {
		return t.vi
	}
	return t.en
}

// Describe returns the human message for an indication and sub-indication
// in lang.
func Describe(lang Language, ind Indication, sub SubIndication) string {
	s := word(lang, "indication."+string(ind))
	if sub != "" {
		if _, ok := messageCatalogue["sub."+string(sub)]; ok {
			s += ": " + word(lang, "sub."+string(sub))
		}
	}
	return s
}

// fmtValidity renders a certificate's validity period: dd/mm/yyyy in
// Vietnamese time for Vietnamese, ISO dates in UTC for English.
func fmtValidity(lang Language, from, to time.Time) string {
	if lang == Vietnamese {
		return "từ " + from.In(vietnamTime).Format("15:04 02/01/2006") + " đến " + to.In(vietnamTime).Format("15:04 02/01/2006") + " (GMT+7)"
	}
	return "from " + from.UTC().Format("2006-01-02 15:04") + " to " + to.UTC().Format("2006-01-02 15:04") + " UTC"
}

func fmtTime(lang Language, t time.Time) string {
	if lang == Vietnamese {
		return t.In(vietnamTime).Format("15:04:05 02/01/2006") + " (GMT+7)"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Text renders the report for people, in lang (Vietnamese or English).
// Text is NFC-normalised UTF-8.
func (r *Report) Text(lang Language) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s — %s: %s\n", word(lang, "label.doc"), r.Format, word(lang, "label.validated"), fmtTime(lang, r.ValidationTime))
	fmt.Fprintf(&b, "%s: %s\n", word(lang, "label.overall"), word(lang, "indication."+string(r.Indication())))
	if len(r.Signatures) == 0 {
		b.WriteString(word(lang, "label.nosig") + "\n")
	}
	for i, s := range r.Signatures {
		b.WriteString("\n")
		fmt.Fprintf(&b, "%s %d", word(lang, "label.signature"), i+1)
		if s.ID != "" {
			fmt.Fprintf(&b, " (%s)", s.ID)
		}
		b.WriteString("\n")
		b.WriteString(s.text(lang))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "! %s\n", w.Text(lang))
	}
	return norm.NFC.String(b.String())
}

// Text renders one signature's report for people, in lang.
func (s *SignatureReport) Text(lang Language) string { return norm.NFC.String(s.text(lang)) }

func (s *SignatureReport) text(lang Language) string {
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "  %s: %s\n", word(lang, "label."+label), value) }
	line("result", word(lang, "indication."+string(s.Indication)))
	if s.SubIndication != "" {
		line("reason", word(lang, "sub."+string(s.SubIndication))+" ["+string(s.SubIndication)+"]")
	}
	if s.Signer != nil {
		line("signer", s.Signer.Name)
		if s.Signer.Organization != "" {
			line("org", s.Signer.Organization)
		}
		for _, id := range s.Signer.Identifiers {
			name := id.Type
			if _, ok := messageCatalogue["id."+id.Type]; ok {
				name = word(lang, "id."+id.Type)
			}
			fmt.Fprintf(&b, "  %s: %s\n", name, id.Value)
		}
		line("issuer", s.Signer.Issuer)
		if s.Signer.Serial != "" {
			line("serial", s.Signer.Serial)
		}
		if !s.Signer.NotAfter.IsZero() {
			line("validity", fmtValidity(lang, s.Signer.NotBefore, s.Signer.NotAfter))
		}
	}
	if s.Integrity.SignatureAlgorithm != "" || s.Integrity.DigestAlgorithm != "" {
		alg := s.Integrity.SignatureAlgorithm
		if s.Integrity.DigestAlgorithm != "" {
			if alg != "" {
				alg += ", "
			}
			alg += s.Integrity.DigestAlgorithm
		}
		line("algorithm", alg)
	}
	if s.TimestampTime != nil {
		line("tst", fmtTime(lang, *s.TimestampTime))
	}
	if s.ClaimedSigningTime != nil {
		line("claimed", fmtTime(lang, *s.ClaimedSigningTime))
	}
	line("besttime", fmtTime(lang, s.BestSignatureTime))
	switch {
	case s.Integrity.Intact:
		line("integrity", word(lang, "label.intact"))
	case s.Integrity.NotChecked:
		line("integrity", word(lang, "label.notchecked"))
	default:
		line("integrity", word(lang, "label.broken"))
	}
	if l := s.Layout; l != nil {
		v := l.Path
		if l.Role != "" {
			v += ", " + l.Role
		}
		line("layout", v+" — "+word(lang, "label.mustsign")+" "+strings.Join(l.Required, ", "))
	}
	if !s.Coverage.Description.IsZero() || s.Coverage.WholeDocument {
		cov := word(lang, "label.partial")
		if s.Coverage.WholeDocument {
			cov = word(lang, "label.whole")
		}
		if !s.Coverage.Description.IsZero() {
			cov += " — " + s.Coverage.Description.Text(lang)
		}
		line("coverage", cov)
	}
	for _, m := range s.Coverage.ModifiedAfterSigning {
		line("modified", m.Text(lang))
	}
	if s.Anchor != nil {
		line("anchor", s.Anchor.Name+" (SHA-256 "+s.Anchor.SHA256+")")
		if s.Anchor.Regime != "" {
			if lang == Vietnamese {
				line("regime", s.Anchor.Regime.Vietnamese())
			} else {
				line("regime", s.Anchor.Regime.English())
			}
		}
	} else {
		line("anchor", word(lang, "label.noanchor"))
	}
	if len(s.Chain) > 0 {
		names := make([]string, len(s.Chain))
		for i, ci := range s.Chain {
			names[i] = ci.Subject
		}
		line("chain", strings.Join(names, " → "))
	}
	for _, rv := range s.Revocation {
		st := word(lang, "label."+string(rv.Status))
		if rv.RevokedAt != nil {
			st += " (" + fmtTime(lang, *rv.RevokedAt) + ", " + rv.Reason + ")"
		}
		if rv.Source != "" {
			st += " — " + rv.Source + ", " + msg("term."+rv.Origin).Text(lang)
		}
		fmt.Fprintf(&b, "  %s [%s]: %s\n", word(lang, "label.revocation"), rv.Subject, st)
		// Why the status is unknown: the data refused and the fetches
		// that failed.
		if rv.Status == StatusUnknown {
			for _, p := range rv.Problems {
				fmt.Fprintf(&b, "   - %s\n", p.Text(lang))
			}
		}
	}
	for _, ts := range s.Timestamps {
		// A damaged token has no time or TSA to show; an invalid one says
		// why.
		var parts []string
		if !ts.GenTime.IsZero() {
			parts = append(parts, fmtTime(lang, ts.GenTime))
		}
		if ts.TSA != "" {
			parts = append(parts, ts.TSA)
		}
		v := word(lang, "label.valid")
		if !ts.Valid {
			v = word(lang, "label.invalid")
			for _, p := range ts.Problems {
				v += " — " + p.Text(lang)
			}
		}
		parts = append(parts, v)
		fmt.Fprintf(&b, "  %s: %s\n", word(lang, "label.timestamp"), strings.Join(parts, ", "))
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintf(&b, "  %s:\n", word(lang, "label.warnings"))
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "   - %s\n", w.Text(lang))
		}
	}
	if len(s.Information) > 0 {
		fmt.Fprintf(&b, "  %s:\n", word(lang, "label.info"))
		for _, w := range s.Information {
			fmt.Fprintf(&b, "   - %s\n", w.Text(lang))
		}
	}
	if len(s.Findings) > 0 {
		fmt.Fprintf(&b, "  %s:\n", word(lang, "label.details"))
		for _, f := range s.Findings {
			fmt.Fprintf(&b, "   - [%s] %s\n", f.SubIndication, f.Detail.Text(lang))
		}
	}
	return b.String()
}
