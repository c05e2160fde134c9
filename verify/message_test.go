package verify

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer"
	kxml "github.com/kyso-vn/kyso/xml"
)

// texts renders messages in English, for assertions on their wording.
func texts(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// codeFamilies are the prefixes of the codes the package writes as
// literals; label., indication., sub., id., term. and xml.layout. codes are
// built from values and checked below by what they are built from.
var codeFamilies = regexp.MustCompile(`^(signature|time|algorithm|certificate|chain|revocation|timestamp|cms|pdf|xml|signercheck|x509)\.[a-z0-9.-]+$`)

// TestMessageCatalogue: every code the package's code writes is in the
// catalogue, every catalogue entry is written somewhere, and the two
// languages of each entry use the same placeholders and differ.
func TestMessageCatalogue(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	used := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "messages.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && codeFamilies.MatchString(s) {
				used[s] = true
				if _, ok := messageCatalogue[s]; !ok {
					t.Errorf("%s: code %q is not in the catalogue", fset.Position(lit.Pos()), s)
				}
			}
			return true
		})
	}
	placeholders := regexp.MustCompile(`\{[^}]*\}`)
	for code, tpl := range messageCatalogue {
		pe, pv := placeholders.FindAllString(tpl.en, -1), placeholders.FindAllString(tpl.vi, -1)
		slices.Sort(pe)
		slices.Sort(pv)
		assert.Equal(t, slices.Compact(pe), slices.Compact(pv), "placeholders of %s", code)
		if code != codeTechnical {
			assert.NotEqual(t, tpl.en, tpl.vi, "%s has no Vietnamese text", code)
		}
		switch {
		case codeFamilies.MatchString(code) && !strings.HasPrefix(code, "xml.layout."):
			assert.True(t, used[code], "catalogue entry %s is never written", code)
		case strings.HasPrefix(code, "xml.layout."):
		case strings.HasPrefix(code, "label."), strings.HasPrefix(code, "indication."), strings.HasPrefix(code, "sub."),
			strings.HasPrefix(code, "id."), strings.HasPrefix(code, "term."), code == codeTechnical:
		default:
			t.Errorf("catalogue entry %s belongs to no family", code)
		}
	}
	// Codes built from values: every indication, sub-indication and
	// layout problem has its entry.
	for _, ind := range []Indication{TotalPassed, TotalFailed, Indeterminate, NoSignatureFound} {
		assert.Contains(t, messageCatalogue, "indication."+string(ind))
	}
	for _, sub := range []SubIndication{FormatFailure, HashFailure, SigCryptoFailure, Revoked, Expired, NotYetValid,
		SigConstraintsFailure, ChainConstraintsFailure, CertificateChainGeneral, CryptoConstraintsFailure,
		NoCertificateChainFound, NoSigningCertificateFound, RevokedNoPOE, RevokedCANoPOE, OutOfBoundsNoPOE, TryLater, SignedDataNotFound} {
		assert.Contains(t, messageCatalogue, "sub."+string(sub))
	}
	for _, p := range []kxml.LayoutProblem{kxml.LayoutNested, kxml.LayoutRepeated, kxml.LayoutNamespace, kxml.LayoutSecondID,
		kxml.LayoutOtherElement, kxml.LayoutMissing, kxml.LayoutUnsigned, kxml.LayoutUnsignedTime} {
		assert.Contains(t, messageCatalogue, "xml.layout."+string(p))
	}
	for _, o := range []string{"embedded", "fetched", "options"} {
		assert.Contains(t, messageCatalogue, "term."+o)
	}
}

// A message renders its arguments per language: times in GMT+7 for
// Vietnamese and RFC 3339 for English, terms translated, causes nested,
// technical detail as it is.
func TestMessageText(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := msg("revocation.revoked-after-signature", "Nguyễn Văn An", at, at.Add(-time.Hour))
	assert.Equal(t, `certificate "Nguyễn Văn An" was revoked at 2026-01-02T03:04:05Z, after the signature time 2026-01-02T02:04:05Z`, m.String())
	assert.Equal(t, `chứng thư số "Nguyễn Văn An" bị thu hồi lúc 10:04:05 02/01/2026 (GMT+7), sau thời điểm ký 09:04:05 02/01/2026 (GMT+7)`, m.Text(Vietnamese))

	m = msg("revocation.crl-unparsable", "fetched", errorMsg("revocation.crl-partial"))
	assert.Equal(t, "fetched CRL unparsable: CRL covers only some revocation reasons", m.String())
	assert.Equal(t, "CRL (tải trực tuyến) không đọc được: CRL chỉ bao gồm một số lý do thu hồi", m.Text(Vietnamese))

	m = msg("timestamp.invalid", errString("asn1: structure error"))
	assert.Equal(t, "dấu thời gian không hợp lệ: asn1: structure error", m.Text(Vietnamese))
	assert.Equal(t, codeTechnical, m.Cause.Code)

	// A change line, with the detail as cause and the verb as a term.
	c := Change{Revision: 3, Object: 4, Path: "/Root/Pages/Kids[0]/Contents", Rule: ruleDefault,
		Detail: msg("pdf.change.object", "stream (page content or other data)", "re-pointed to an older definition")}
	assert.Equal(t, "revision 3, object 4 at /Root/Pages/Kids[0]/Contents: stream (page content or other data) re-pointed to an older definition after signing (rule reject-by-default)", c.String())
	assert.Equal(t, "phiên bản 3, đối tượng 4 tại /Root/Pages/Kids[0]/Contents: luồng dữ liệu (nội dung trang hoặc dữ liệu khác) bị trỏ về một định nghĩa cũ hơn sau khi ký (quy tắc reject-by-default)", c.Message().Text(Vietnamese))

	// An XML layout error keeps its problem and arguments.
	le := &kxml.LayoutError{Noun: "invoice", Problem: kxml.LayoutOtherElement, Args: []string{"/HDon/Signature/Object/DLHDon", "/HDon/DLHDon"}}
	m = msg("signature.malformed", le)
	assert.Equal(t, "malformed signature: the signed data is not the invoice's data: /HDon/Signature/Object/DLHDon is signed, the invoice's data is /HDon/DLHDon", m.String())
	assert.Equal(t, "chữ ký sai cấu trúc: dữ liệu được ký không phải là dữ liệu của hóa đơn: phần tử được ký là /HDon/Signature/Object/DLHDon, còn dữ liệu của hóa đơn là /HDon/DLHDon", m.Text(Vietnamese))

	// A code this version does not know shows as data.
	assert.Equal(t, "[future.remark] a, b", Message{Code: "future.remark", Args: []string{"a", "b"}}.Text(Vietnamese))
}

type errString string

func (e errString) Error() string { return string(e) }

// JSON carries code, arguments, cause and the English text, and reads
// back to the same message.
func TestMessageJSON(t *testing.T) {
	m := msg("revocation.unknown", "CA 1", msg("revocation.why-offline"))
	b, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"code":"revocation.unknown","args":["CA 1"],"cause":{"code":"revocation.why-offline","text":"no usable revocation data (offline mode: only embedded data was used)"},
		"text":"revocation status of \"CA 1\" unknown: no usable revocation data (offline mode: only embedded data was used)"}`, string(b))
	var back Message
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back.equal(m))

	f, err := json.Marshal(Finding{Indication: Indeterminate, SubIndication: TryLater, Detail: m})
	require.NoError(t, err)
	assert.Contains(t, string(f), `"detail":{"code":"revocation.unknown"`)
}

// The report's text is the catalogue's: Vietnamese throughout, English in
// English, for remarks, coverage and changes.
func TestReportTextLanguages(t *testing.T) {
	rep := &SignatureReport{
		Indication: TotalFailed, SubIndication: FormatFailure,
		Warnings: []Message{msg("xml.partial-coverage")},
		Coverage: Coverage{Description: msg("xml.coverage", 2, "/HDon/DLHDon, /HDon/DSCKS"),
			ModifiedAfterSigning: []Message{Change{Revision: 2, Object: 6, Path: "/Root/AcroForm/Fields[0]", Rule: ruleFieldLock,
				Detail: msg("pdf.change.locked-fill", "HoTen")}.Message()}},
	}
	vi := rep.Text(Vietnamese)
	assert.Contains(t, vi, "2 tham chiếu: /HDon/DLHDon, /HDon/DSCKS")
	assert.Contains(t, vi, "chữ ký chỉ bao phủ các phần tử được tham chiếu")
	assert.Contains(t, vi, `phiên bản 2, đối tượng 6 tại /Root/AcroForm/Fields[0]: trường biểu mẫu "HoTen" được điền, nhưng chữ ký đã khóa trường này (FieldMDP) (quy tắc field-lock)`)
	assert.NotContains(t, vi, "covers only")
	assert.NotContains(t, vi, "after signing")
	en := rep.Text(English)
	assert.Contains(t, en, "covers only the referenced elements")
	assert.Contains(t, en, `form field "HoTen" filled in, but the signature locked it (FieldMDP)`)
}

// requireKnownCodes fails when any message of rep has a code the
// catalogue lacks (a code written as a variable's value, which
// TestMessageCatalogue cannot see) or fills its template wrongly
// (messageShape), or when rep does not survive a JSON round trip.
func requireKnownCodes(t *testing.T, rep *Report) {
	t.Helper()
	defer requireJSONRoundTrip(t, rep)
	check := func(where string, m Message) { requireKnownMessage(t, where, m) }
	all := func(where string, ms []Message) {
		for _, m := range ms {
			check(where, m)
		}
	}
	all("report warnings", rep.Warnings)
	for _, s := range rep.Signatures {
		all(s.ID+" warnings", s.Warnings)
		all(s.ID+" information", s.Information)
		check(s.ID+" integrity", s.Integrity.Detail)
		check(s.ID+" coverage", s.Coverage.Description)
		all(s.ID+" modified", s.Coverage.ModifiedAfterSigning)
		all(s.ID+" allowed", s.Coverage.AllowedChanges)
		for _, c := range s.Coverage.Changes {
			check(s.ID+" change", c.Detail)
		}
		for _, f := range s.Findings {
			check(s.ID+" finding", f.Detail)
		}
		for _, ts := range s.Timestamps {
			all(s.ID+" timestamp", ts.Problems)
			for _, rv := range ts.Revocation {
				all(s.ID+" timestamp revocation", rv.Problems)
			}
		}
		for _, rv := range s.Revocation {
			all(s.ID+" revocation", rv.Problems)
		}
	}
}

// requireKnownMessage fails when m or a cause of m has a code the
// catalogue lacks or fills its template wrongly (messageShape).
func requireKnownMessage(t *testing.T, where string, m Message) {
	t.Helper()
	if m.IsZero() {
		return
	}
	if _, ok := messageCatalogue[m.Code]; !ok {
		t.Errorf("%s: code %q is not in the catalogue", where, m.Code)
	}
	for _, p := range messageShape(m) {
		t.Errorf("%s: %s", where, p)
	}
	if m.Cause != nil {
		requireKnownMessage(t, where, *m.Cause)
	}
}

// messageShape lists what is wrong with how m fills its template: an
// argument the template shows but m lacks (it would render empty), a
// cause the template drops or lacks, a term argument the term list does
// not translate, a time or date argument that is not RFC 3339.
func messageShape(m Message) []string {
	tpl, ok := messageCatalogue[m.Code]
	if !ok {
		return nil
	}
	var out []string
	hasCause := strings.Contains(tpl.en, "{cause}")
	switch {
	case hasCause && m.Cause == nil:
		out = append(out, m.Code+": the template shows a cause and the message has none")
	case !hasCause && m.Cause != nil:
		out = append(out, m.Code+": the template drops the message's cause "+m.Cause.Code)
	}
	for _, p := range regexp.MustCompile(`\{(\d+)(?::([a-z]+))?\}`).FindAllStringSubmatch(tpl.en+tpl.vi, -1) {
		n, _ := strconv.Atoi(p[1])
		if n >= len(m.Args) {
			out = append(out, fmt.Sprintf("%s: the template shows argument %d and the message has %d", m.Code, n, len(m.Args)))
			continue
		}
		a := m.Args[n]
		switch p[2] {
		case "time", "date":
			if _, err := time.Parse(time.RFC3339, a); err != nil {
				out = append(out, fmt.Sprintf("%s: argument %d (%s) is %q, not RFC 3339", m.Code, n, p[2], a))
			}
		case "term":
			word, _, named := strings.Cut(a, " /")
			_, known := messageCatalogue["term."+a]
			_, knownWord := messageCatalogue["term."+word]
			if !known && !(named && knownWord) && !strings.HasPrefix(a, "/") && a != "null" {
				out = append(out, fmt.Sprintf("%s: argument %d %q is not in the term list", m.Code, n, a))
			}
		}
	}
	return out
}

// codes lists the codes of messages.
func codes(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code
	}
	return out
}

// modifiedText is the English text of the changes after signing that
// s's permissions refuse, a line each.
func modifiedText(s *SignatureReport) string {
	return strings.Join(texts(s.Coverage.ModifiedAfterSigning), "\n")
}

// allowedText is the English text of the allowed later changes.
func allowedText(s *SignatureReport) string {
	return strings.Join(texts(s.Coverage.AllowedChanges), "\n")
}

// A term argument that names a PDF object by its kind and /Subtype
// ("stream /Form", from describe) translates the kind and keeps the name;
// an unknown word stays as it is.
func TestMessageTermWithName(t *testing.T) {
	m := msg("pdf.change.object", "stream /Form", "changed")
	assert.Equal(t, "stream /Form changed after signing", m.String())
	assert.Equal(t, "luồng dữ liệu /Form bị thay đổi sau khi ký", m.Text(Vietnamese))
	m = msg("pdf.change.object", "/FontDescriptor", "added")
	assert.Equal(t, "/FontDescriptor được thêm sau khi ký", m.Text(Vietnamese))
	m = msg("pdf.change.not-annotation", "widget /X")
	assert.Contains(t, m.Text(Vietnamese), "(widget /X)")
}

// One change after signing is worded in the singular; more give the
// count and the first.
func TestModifiedAfterSigningCount(t *testing.T) {
	change := func(n int) Message {
		return Change{Revision: 2, Object: n, Path: "/Root/Pages", Rule: ruleDefault,
			Detail: msg("pdf.change.page-tree", "changed")}.Message()
	}
	finding := func(changes ...Message) Message {
		r := &run{rep: &SignatureReport{}}
		r.modifiedAfterSigning(&Evidence{Coverage: Coverage{ModifiedAfterSigning: changes}})
		require.Len(t, r.rep.Findings, 1)
		return r.rep.Findings[0].Detail
	}
	one := finding(change(3))
	assert.Equal(t, "the document was modified after signing in a way the signature does not permit: revision 2, object 3 at /Root/Pages: page tree changed after signing: pages added, removed or re-parented (rule reject-by-default)", one.String())
	assert.NotContains(t, one.String(), "1 changes")
	assert.Equal(t, "tài liệu đã bị sửa đổi sau khi ký theo cách chữ ký không cho phép: phiên bản 2, đối tượng 3 tại /Root/Pages: cây trang bị thay đổi sau khi ký: trang bị thêm, xóa hoặc chuyển chỗ (quy tắc reject-by-default)", one.Text(Vietnamese))
	two := finding(change(3), change(4))
	assert.Equal(t, "the document was modified after signing in ways the signature does not permit (2 changes; the first: revision 2, object 3 at /Root/Pages: page tree changed after signing: pages added, removed or re-parented (rule reject-by-default))", two.String())
}

// A date is the calendar date in Vietnam in both languages: the CLI's
// --sha1-before 2021-01-01 is midnight GMT+7, which English showed as
// 2020-12-31 (the UTC date), while it printed 2021-01-01 before messages
// were data; dates given at midnight UTC keep their day.
func TestMessageDateIsVietnamDate(t *testing.T) {
	before := time.Date(2021, 1, 1, 0, 0, 0, 0, vietnamTime)
	poe := time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)
	m := msg("algorithm.sha1-accepted", poe, before)
	assert.Equal(t, "SHA-1 accepted by the caller's policy: proof of existence at 2020-06-01T08:00:00Z, before 2021-01-01", m.String())
	assert.Contains(t, m.Text(Vietnamese), "trước ngày 01/01/2021")
	m = msg("algorithm.sunset", sha1Sunset, msg("algorithm.hash", "SHA-1"))
	assert.Equal(t, "hash SHA-1 was acceptable only until 2012-08-01 and no proof of existence predates that", m.String())
	assert.Contains(t, m.Text(Vietnamese), "đến ngày 01/08/2012")
}

// The Vietnamese texts place tone marks one way, as the rest of kyso and
// the legal texts do ("hóa đơn", "khóa", "xóa", "ủy"): a report said
// "khóa của người ký" and "đã khoá trường này" side by side.
func TestVietnameseToneMarks(t *testing.T) {
	word := regexp.MustCompile(`\p{L}+`)
	newStyle := regexp.MustCompile(`(?i)(o[áàảãạ]|u[ýỳỷỹỵ])$`)
	for code, tpl := range messageCatalogue {
		for _, w := range word.FindAllString(tpl.vi, -1) {
			if newStyle.MatchString(w) {
				t.Errorf("%s: %q (write the mark on the first vowel, as in \"hóa\", \"khóa\", \"xóa\")", code, w)
			}
		}
	}
}

// Every identifier type signer.ParseIdentity gives (UID prefixes, ETSI EN
// 319 412-1 serialNumber and organizationIdentifier schemes) has its
// label in both languages: a report said "TINVN: 0312345678" where it
// says "Mã số thuế: 0312345678".
func TestIdentifierLabels(t *testing.T) {
	for _, typ := range []string{signer.IDCitizen, signer.IDLegacyID, signer.IDTaxCode, signer.IDPassport, signer.IDBudget,
		"VATVN", "NTRVN", "PASVN", "IDCVN", "PNOVN", "TAXVN", "TINVN"} {
		_, ok := messageCatalogue["id."+typ]
		assert.True(t, ok, "no label for identifier type %s", typ)
	}
	rep := &SignatureReport{Indication: TotalPassed, Signer: &SignerInfo{Name: "Nguyễn Văn An",
		Identifiers: []IdentifierInfo{{Type: "TINVN", Value: "0312345678"}, {Type: "PASVN", Value: "C1234567"}}}}
	vi := rep.Text(Vietnamese)
	assert.Contains(t, vi, "  Mã số thuế: 0312345678\n")
	assert.Contains(t, vi, "  Số hộ chiếu: C1234567\n")
	assert.Contains(t, rep.Text(English), "  Tax code (MST): 0312345678\n")
}

// crypto/x509's path errors get kyso's wording: an unknown issuer, and a
// certificate outside its validity named with its period (Go's "current
// time … is after …" detail is not shown).
func TestX509ErrorMessages(t *testing.T) {
	nb := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &x509.Certificate{Subject: pkix.Name{CommonName: "CA 1"}, NotBefore: nb, NotAfter: nb.AddDate(1, 0, 0)}
	m := msg("chain.ca-not-valid", x509.CertificateInvalidError{Cert: c, Reason: x509.Expired, Detail: "current time 2026-01-01T00:00:00Z is after 2021-01-01T00:00:00Z"})
	assert.Equal(t, `a CA certificate was not valid at the signature time: certificate "CA 1" is valid only from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z`, m.String())
	assert.Equal(t, `một chứng thư số của tổ chức cấp không có hiệu lực tại thời điểm ký: chứng thư số "CA 1" chỉ có hiệu lực từ 07:00:00 01/01/2020 (GMT+7) đến 07:00:00 01/01/2021 (GMT+7)`, m.Text(Vietnamese))
	m = msg("chain.no-path", x509.UnknownAuthorityError{Cert: c})
	assert.Equal(t, "không có đường dẫn tới chứng thư số gốc tin cậy: chứng thư số được cấp bởi một tổ chức không được tin cậy", m.Text(Vietnamese))
}
