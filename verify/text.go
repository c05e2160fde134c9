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

type catalogue struct {
	indication map[Indication]string
	sub        map[SubIndication]string
	label      map[string]string
	ids        map[string]string
}

var catalogues = map[Language]catalogue{
	Vietnamese: {
		indication: map[Indication]string{
			TotalPassed:      "Chữ ký hợp lệ",
			TotalFailed:      "Chữ ký không hợp lệ",
			Indeterminate:    "Chưa xác định được tính hợp lệ của chữ ký",
			NoSignatureFound: "Không tìm thấy chữ ký số",
		},
		sub: map[SubIndication]string{
			FormatFailure:             "Cấu trúc chữ ký hoặc tài liệu không đúng định dạng, hoặc tài liệu đã bị sửa đổi sau khi ký theo cách không được phép",
			HashFailure:               "Nội dung đã bị thay đổi sau khi ký",
			SigCryptoFailure:          "Giá trị chữ ký không khớp với khóa công khai trong chứng thư số",
			Revoked:                   "Chứng thư số của người ký đã bị thu hồi trước thời điểm ký",
			Expired:                   "Chứng thư số của người ký đã hết hạn trước thời điểm ký",
			NotYetValid:               "Chứng thư số của người ký chưa có hiệu lực tại thời điểm ký",
			SignedDataNotFound:        "Không tìm thấy dữ liệu được ký",
			NoSigningCertificateFound: "Không tìm thấy chứng thư số của người ký",
			NoCertificateChainFound:   "Không xây dựng được đường dẫn tin cậy tới chứng thư số gốc được công nhận",
			CryptoConstraintsFailure:  "Thuật toán hoặc độ dài khóa không đáp ứng yêu cầu (Thông tư 15/2025/TT-BKHCN: RSA ≥ 2048 bit, ECDSA ≥ 256 bit, SHA-2 hoặc SHA-3)",
			ChainConstraintsFailure:   "Chứng thư số không đáp ứng ràng buộc về mục đích sử dụng khóa",
			CertificateChainGeneral:   "Lỗi chung khi kiểm tra chuỗi chứng thư số",
			SigConstraintsFailure:     "Chữ ký không đáp ứng ràng buộc của chính sách kiểm tra",
			RevokedNoPOE:              "Chứng thư số của người ký đã bị thu hồi và không có dấu thời gian chứng minh chữ ký được tạo trước thời điểm thu hồi",
			RevokedCANoPOE:            "Chứng thư số của tổ chức cung cấp dịch vụ chứng thực đã bị thu hồi trước thời điểm ký",
			OutOfBoundsNoPOE:          "Chứng thư số đã hết hạn và không có dấu thời gian chứng minh chữ ký được tạo khi chứng thư số còn hiệu lực",
			TryLater:                  "Chưa kiểm tra được tình trạng thu hồi của chứng thư số (không có dữ liệu CRL/OCSP hợp lệ); hãy kiểm tra lại sau",
		},
		label: map[string]string{
			"signature": "Chữ ký", "result": "Kết quả", "reason": "Lý do", "signer": "Người ký",
			"org": "Tổ chức", "claimed": "Thời điểm ký (do người ký tự khai, chưa được xác thực)",
			"tst": "Thời điểm ký (theo dấu thời gian)", "besttime": "Thời điểm dùng để kiểm tra",
			"integrity": "Tính toàn vẹn", "intact": "Nội dung còn nguyên vẹn, chữ ký khớp với chứng thư số",
			"broken": "Nội dung đã bị thay đổi hoặc chữ ký không khớp", "anchor": "Chứng thư số gốc tin cậy",
			"noanchor": "Không xác định (không tới được chứng thư số gốc tin cậy)", "chain": "Chuỗi chứng thư số",
			"revocation": "Tình trạng thu hồi", "coverage": "Phạm vi ký", "warnings": "Cảnh báo",
			"details": "Chi tiết kỹ thuật", "issuer": "Tổ chức cấp", "doc": "Tài liệu", "validated": "Thời điểm kiểm tra",
			"good": "chưa bị thu hồi", "revoked": "đã bị thu hồi", "unknown": "không rõ", "not-checked": "không cần kiểm tra",
			"whole": "toàn bộ tài liệu", "partial": "một phần tài liệu", "modified": "Thay đổi sau khi ký",
			"timestamp": "Dấu thời gian", "valid": "hợp lệ", "invalid": "không hợp lệ", "nosig": "Tài liệu không có chữ ký số.",
			"overall": "Kết luận chung",
			"info":    "Thông tin",
			"regime":  "Loại chữ ký số",
			"serial":  "Số hiệu chứng thư số", "validity": "Thời hạn hiệu lực của chứng thư số",
			"algorithm": "Thuật toán ký",
			"layout":    "Vị trí chữ ký", "mustsign": "phải ký", "notchecked": "Chưa kiểm tra được (chữ ký sai cấu trúc, hoặc không tìm thấy dữ liệu được ký hay khóa của người ký)",
		},
		ids: map[string]string{
			"CCCD": "Số CCCD", "CMND": "Số CMND", "MST": "Mã số thuế", "HC": "Số hộ chiếu",
			"MNS": "Mã quan hệ ngân sách", "VATVN": "Mã số thuế",
		},
	},
	English: {
		indication: map[Indication]string{
			TotalPassed:      "Signature valid",
			TotalFailed:      "Signature invalid",
			Indeterminate:    "Signature validity could not be determined",
			NoSignatureFound: "No digital signature found",
		},
		sub: map[SubIndication]string{
			FormatFailure:             "The signature or document structure is malformed, or the document was modified after signing in a way that is not permitted",
			HashFailure:               "The content was changed after signing",
			SigCryptoFailure:          "The signature value does not verify with the public key in the certificate",
			Revoked:                   "The signer's certificate was revoked before signing",
			Expired:                   "The signer's certificate had expired before signing",
			NotYetValid:               "The signer's certificate was not yet valid at signing time",
			SignedDataNotFound:        "The signed data was not found",
			NoSigningCertificateFound: "The signer's certificate was not found",
			NoCertificateChainFound:   "No certification path to a recognised trust anchor",
			CryptoConstraintsFailure:  "Algorithm or key size below requirements (Circular 15/2025/TT-BKHCN: RSA ≥ 2048 bits, ECDSA ≥ 256 bits, SHA-2 or SHA-3)",
			ChainConstraintsFailure:   "A certificate does not meet the key-usage constraints",
			CertificateChainGeneral:   "General failure while checking the certificate chain",
			SigConstraintsFailure:     "The signature does not meet the validation policy's constraints",
			RevokedNoPOE:              "The signer's certificate was revoked and no timestamp proves the signature was made before the revocation",
			RevokedCANoPOE:            "A CA certificate of the chain was revoked before the signing time",
			OutOfBoundsNoPOE:          "The certificate has expired and no timestamp proves the signature was made while it was valid",
			TryLater:                  "The revocation status could not be checked (no valid CRL/OCSP data); try again later",
		},
		label: map[string]string{
			"signature": "Signature", "result": "Result", "reason": "Reason", "signer": "Signer",
			"org": "Organisation", "claimed": "Signing time (self-declared by the signer, not proven)",
			"tst": "Signing time (from timestamp)", "besttime": "Time validated at",
			"integrity": "Integrity", "intact": "Content intact, signature matches the certificate",
			"broken": "Content changed or signature does not match", "anchor": "Trust anchor",
			"noanchor": "None (no path to a trusted root)", "chain": "Certificate chain",
			"revocation": "Revocation status", "coverage": "Coverage", "warnings": "Warnings",
			"details": "Technical details", "issuer": "Issuer", "doc": "Document", "validated": "Validation time",
			"good": "not revoked", "revoked": "revoked", "unknown": "unknown", "not-checked": "not checked (not needed)",
			"whole": "the whole document", "partial": "part of the document", "modified": "Changes after signing",
			"timestamp": "Timestamp", "valid": "valid", "invalid": "invalid", "nosig": "The document has no digital signature.",
			"overall": "Overall result",
			"info":    "Information",
			"regime":  "Signature regime",
			"serial":  "Certificate serial number", "validity": "Certificate validity period",
			"algorithm": "Signature algorithm",
			"layout":    "Signature place", "mustsign": "must sign", "notchecked": "Not checked (the signature is malformed, or its signed data or the signer's key was not found)",
		},
		ids: map[string]string{
			"CCCD": "Citizen ID (CCCD)", "CMND": "Legacy ID (CMND)", "MST": "Tax code (MST)", "HC": "Passport",
			"MNS": "Budget code (MNS)", "VATVN": "Tax code (MST)",
		},
	},
}

func cat(lang Language) catalogue {
	if c, ok := catalogues[lang]; ok {
		return c
	}
	return catalogues[English]
}

// Describe returns the human message for an indication and sub-indication
// in lang.
func Describe(lang Language, ind Indication, sub SubIndication) string {
	c := cat(lang)
	s := c.indication[ind]
	if d, ok := c.sub[sub]; ok && sub != "" {
		s += ": " + d
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
	c := cat(lang)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s — %s: %s\n", c.label["doc"], r.Format, c.label["validated"], fmtTime(lang, r.ValidationTime))
	fmt.Fprintf(&b, "%s: %s\n", c.label["overall"], c.indication[r.Indication()])
	if len(r.Signatures) == 0 {
		b.WriteString(c.label["nosig"] + "\n")
	}
	for i, s := range r.Signatures {
		b.WriteString("\n")
		fmt.Fprintf(&b, "%s %d", c.label["signature"], i+1)
		if s.ID != "" {
			fmt.Fprintf(&b, " (%s)", s.ID)
		}
		b.WriteString("\n")
		b.WriteString(s.text(lang))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "! %s\n", localize(lang, w))
	}
	return norm.NFC.String(b.String())
}

// Text renders one signature's report for people, in lang.
func (s *SignatureReport) Text(lang Language) string { return norm.NFC.String(s.text(lang)) }

func (s *SignatureReport) text(lang Language) string {
	c := cat(lang)
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "  %s: %s\n", c.label[label], value) }
	line("result", c.indication[s.Indication])
	if s.SubIndication != "" {
		line("reason", c.sub[s.SubIndication]+" ["+string(s.SubIndication)+"]")
	}
	if s.Signer != nil {
		line("signer", s.Signer.Name)
		if s.Signer.Organization != "" {
			line("org", s.Signer.Organization)
		}
		for _, id := range s.Signer.Identifiers {
			name := c.ids[id.Type]
			if name == "" {
				name = id.Type
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
		line("integrity", c.label["intact"])
	case s.Integrity.NotChecked:
		line("integrity", c.label["notchecked"])
	default:
		line("integrity", c.label["broken"])
	}
	if l := s.Layout; l != nil {
		v := l.Path
		if l.Role != "" {
			v += ", " + l.Role
		}
		line("layout", v+" — "+c.label["mustsign"]+" "+strings.Join(l.Required, ", "))
	}
	if s.Coverage.Description != "" || s.Coverage.WholeDocument {
		cov := c.label["partial"]
		if s.Coverage.WholeDocument {
			cov = c.label["whole"]
		}
		if s.Coverage.Description != "" {
			cov += " — " + localize(lang, s.Coverage.Description)
		}
		line("coverage", cov)
	}
	for _, m := range s.Coverage.ModifiedAfterSigning {
		line("modified", localize(lang, m))
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
		line("anchor", c.label["noanchor"])
	}
	if len(s.Chain) > 0 {
		names := make([]string, len(s.Chain))
		for i, ci := range s.Chain {
			names[i] = ci.Subject
		}
		line("chain", strings.Join(names, " → "))
	}
	for _, rv := range s.Revocation {
		st := c.label[string(rv.Status)]
		if rv.RevokedAt != nil {
			st += " (" + fmtTime(lang, *rv.RevokedAt) + ", " + rv.Reason + ")"
		}
		if rv.Source != "" {
			st += " — " + rv.Source + ", " + localizeWord(lang, rv.Origin)
		}
		fmt.Fprintf(&b, "  %s [%s]: %s\n", c.label["revocation"], rv.Subject, st)
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
		v := c.label["valid"]
		if !ts.Valid {
			v = c.label["invalid"]
			for _, p := range ts.Problems {
				v += " — " + localize(lang, p)
			}
		}
		parts = append(parts, v)
		fmt.Fprintf(&b, "  %s: %s\n", c.label["timestamp"], strings.Join(parts, ", "))
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintf(&b, "  %s:\n", c.label["warnings"])
		for _, w := range s.Warnings {
			fmt.Fprintf(&b, "   - %s\n", localize(lang, w))
		}
	}
	if len(s.Information) > 0 {
		fmt.Fprintf(&b, "  %s:\n", c.label["info"])
		for _, w := range s.Information {
			fmt.Fprintf(&b, "   - %s\n", localize(lang, w))
		}
	}
	if len(s.Findings) > 0 {
		fmt.Fprintf(&b, "  %s:\n", c.label["details"])
		for _, f := range s.Findings {
			fmt.Fprintf(&b, "   - [%s] %s\n", f.SubIndication, localize(lang, f.Detail))
		}
	}
	return b.String()
}
