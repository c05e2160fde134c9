package pdf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testutil"
)

// objectText returns the body of the newest "num 0 obj ... endobj" in data
// at or after from (empty when there is none).
func objectText(data []byte, num, from int) string {
	hdr := []byte(fmt.Sprintf("\n%d 0 obj", num))
	i := bytes.LastIndex(data, hdr)
	if i < 0 || i+1 < from {
		return ""
	}
	body := data[i+len(hdr):]
	body = body[:bytes.Index(body, []byte("endobj"))]
	return string(bytes.TrimSpace(body))
}

// rewritten returns the numbers of the objects of in that the update
// appended to out redefines.
func rewritten(t *testing.T, in, out []byte, password string) []int {
	t.Helper()
	din, dout := openBytes(t, in, password), openBytes(t, out, password)
	var nums []int
	for n, e := range dout.xref {
		if _, existed := din.xref[n]; existed && e.typ == 1 && e.offset >= int64(len(in)) {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	return nums
}

// Every value of a page or catalog that signing rewrites is written back
// with its source text: reals (595.27563, 841.8898, 1.000, -.5, +3),
// literal strings with their escapes, hex strings, names with #xx escapes,
// key order, spacing and comments. Only the key signing adds differs.
func TestRewrittenObjectsKeepSourceText(t *testing.T) {
	catalog := `<< /Type /Catalog /Pages 2 0 R /Lang (vi\055VN) % a comment
  /Custom [1.000 -.5 +3 0.10 (x\)y) <FEFF00C0>] /Title#20Odd /A#2FB >>`
	page := `<</Type/Page /Parent 2 0 R /MediaBox [0 0 595.27563 841.8898]
/CropBox[ 0.0 0.0 595.27563 841.8898 ]/Contents 4 0 R /Resources<</Font<</F1 5 0 R>>>>
/PieceInfo << /kyso#20test << /Private (a\(b\)c\\ \333) /LastModified <443A32303230> >> >> /UserUnit 1.000 /Rotate 0>>`
	in := classicPDF(map[int]string{
		1: catalog,
		2: "<</Type/Pages/Kids[3 0 R]/Count 1>>",
		3: page,
		4: "<</Length 44>>\nstream\nBT /F1 24 Tf 72 760 Td (kyso preserve) Tj ET\nendstream",
		5: "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
	})
	require.NoError(t, exercise(in))
	s := testSigner(t)
	out := signBytes(t, in, s, nil)
	checkTools(t, out, 1, "")
	require.Equal(t, []int{1, 3}, rewritten(t, in, out, ""), "only the catalog and the page are rewritten")

	newPage := objectText(out, 3, len(in))
	m := regexp.MustCompile(` /Annots \[(\d+ 0 R)\]>>$`).FindStringSubmatch(newPage)
	require.NotNil(t, m, "the page gains /Annots at its end: %s", newPage)
	require.Equal(t, strings.TrimSuffix(page, ">>")+" /Annots ["+m[1]+"]>>", newPage,
		"everything but the added /Annots is byte for byte the source")
	require.Contains(t, newPage, "/MediaBox [0 0 595.27563 841.8898]")
	require.Contains(t, newPage, "/CropBox[ 0.0 0.0 595.27563 841.8898 ]")

	newCat := objectText(out, 1, len(in))
	m = regexp.MustCompile(` /AcroForm (\d+ 0 R)>>$`).FindStringSubmatch(newCat)
	require.NotNil(t, m, "the catalog gains /AcroForm: %s", newCat)
	require.Equal(t, strings.TrimSuffix(catalog, ">>")+" /AcroForm "+m[1]+">>", newCat)

	// A second signature appends to the page's direct /Annots in place.
	out2 := signBytes(t, out, s, nil)
	checkTools(t, out2, 2, "")
	page2 := objectText(out2, 3, len(out))
	m2 := regexp.MustCompile(` /Annots \[(\d+ 0 R) (\d+ 0 R)\]>>$`).FindStringSubmatch(page2)
	require.NotNil(t, m2, page2)
	require.Equal(t, strings.TrimSuffix(page, ">>")+" /Annots ["+m2[1]+" "+m2[2]+"]>>", page2)
	require.Len(t, rewritten(t, out, out2, ""), 2, "the second signature rewrites the page and kyso's AcroForm (its /Fields is direct), not the catalog")
	require.Equal(t, 3, rewritten(t, out, out2, "")[0])
}

// When the page's /Annots and the form's /Fields are indirect arrays and
// the form already has /SigFlags 3, signing updates the two arrays and
// leaves the page, the catalog and the AcroForm dictionary alone.
func TestSigningTouchesOnlyWhatItMust(t *testing.T) {
	in := classicPDF(map[int]string{
		1: "<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
		2: "<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 595.27563 841.8898]>>",
		3: "<</Type/Page/Parent 2 0 R/Annots 5 0 R>>",
		4: "<</Fields 6 0 R/DA(/Helv 0 Tf 0 g)/SigFlags 3>>",
		5: "[ 7 0 R ]",
		6: "[7 0 R]",
		7: `<</Type/Annot/Subtype/Widget/FT/Tx/T(So \(van\) ban)/V(12\\3)/Rect[72.5 700 300 720.25]/P 3 0 R>>`,
	})
	s := testSigner(t)
	out := signBytes(t, in, s, nil)
	checkTools(t, out, 1, "")
	require.Equal(t, []int{5, 6}, rewritten(t, in, out, ""))
	annots, fields := objectText(out, 5, len(in)), objectText(out, 6, len(in))
	require.Regexp(t, `^\[ 7 0 R \d+ 0 R \]$`, annots, "the source text of the array is kept")
	require.Regexp(t, `^\[7 0 R \d+ 0 R\]$`, fields)

	// Without /SigFlags the AcroForm gets it, and keeps the rest as read.
	in = classicPDF(map[int]string{
		1: "<</Type/Catalog/Pages 2 0 R/AcroForm 4 0 R>>",
		2: "<</Type/Pages/Kids[3 0 R]/Count 1/MediaBox[0 0 595.27563 841.8898]>>",
		3: "<</Type/Page/Parent 2 0 R/Annots 5 0 R>>",
		4: "<</Fields 6 0 R/DA(/Helv 0 Tf 0 g)/NeedAppearances false>>",
		5: "[]",
		6: "[]",
	})
	out = signBytes(t, in, s, nil)
	checkTools(t, out, 1, "")
	require.Equal(t, []int{4, 5, 6}, rewritten(t, in, out, ""))
	require.Equal(t, "<</Fields 6 0 R/DA(/Helv 0 Tf 0 g)/NeedAppearances false /SigFlags 3>>", objectText(out, 4, len(in)))
	require.Regexp(t, `^\[ \d+ 0 R\]$`, objectText(out, 5, len(in)))
}

// Signing an existing field rewrites the field (its /V) and nothing of its
// text but that.
func TestSignExistingFieldKeepsItsText(t *testing.T) {
	field := `<</FT/Sig/T(K\375 duy\(e\)t)/Type/Annot/Subtype/Widget/Rect[72.125 80 300.5 160]/P 3 0 R/F 4/TU<FEFF004B00FD>/MK<</BC[0.5 0.25 1.0]>>>>`
	in := classicPDF(map[int]string{
		1: "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R]/SigFlags 3>>>>",
		2: "<</Type/Pages/Kids[3 0 R]/Count 1>>",
		3: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595.27563 841.8898]/Annots[4 0 R]>>",
		4: field,
	})
	d := openBytes(t, in)
	fs, err := d.fields()
	require.NoError(t, err)
	require.Len(t, fs, 1)
	out := signBytes(t, in, testSigner(t), &Options{Field: fs[0].fullName})
	checkTools(t, out, 1, "")
	require.Equal(t, []int{4}, rewritten(t, in, out, ""), "only the field")
	got := objectText(out, 4, len(in))
	m := regexp.MustCompile(` /V (\d+ 0 R)>>$`).FindStringSubmatch(got)
	require.NotNil(t, m, got)
	require.Equal(t, strings.TrimSuffix(field, ">>")+m[0][:len(m[0])-2]+">>", got)
}

// Over the corpus (xref tables and streams, object streams, every
// encryption): each object signing rewrites differs from the one read only
// in the keys signing sets, and every other value decodes (and decrypts)
// to what it was.
func TestRewritesChangeOnlyTheirKeys(t *testing.T) {
	allowed := map[name]bool{"Annots": true, "AcroForm": true, "Fields": true, "SigFlags": true, "V": true, "P": true}
	s := testSigner(t)
	cases := append([]struct {
		name     string
		password string
		prior    int
	}{}, corpusFiles...)
	// Strings in objects of an object stream in an encrypted document are
	// in clear in the stream: rewritten as top-level objects they must be
	// encrypted.
	qpdf := testutil.Tool(t, "qpdf", "qpdf")
	dir := t.TempDir()
	plain := classicPDF(map[int]string{
		1: `<</Type/Catalog/Pages 2 0 R/Lang(vi\055VN)/AcroForm<</Fields[]/DA(/Helv 0 Tf 0 g)>>>>`,
		2: "<</Type/Pages/Kids[3 0 R]/Count 1>>",
		3: `<</Type/Page/Parent 2 0 R/MediaBox[0 0 595.27563 841.8898]/Resources<<>>/PieceInfo<</kyso<</Private(a\(b\)c)/LastModified<443A32303230>>>>>/Annots[]>>`,
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plain.pdf"), plain, 0o644))
	for _, enc := range [][]string{{"--object-streams=generate", "--encrypt", "", "owner", "128", "--use-aes=y", "--"},
		{"--object-streams=generate", "--encrypt", "nguoidung", "owner", "256", "--"}} {
		name := fmt.Sprintf("objstm-strings-%s.pdf", enc[4])
		res, err := exec.Command(qpdf, append(enc, filepath.Join(dir, "plain.pdf"), filepath.Join(dir, name))...).CombinedOutput()
		require.NoError(t, err, string(res))
		cases = append(cases, struct {
			name     string
			password string
			prior    int
		}{filepath.Join(dir, name), enc[2], 0})
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.name), func(t *testing.T) {
			var in []byte
			if filepath.IsAbs(c.name) {
				var err error
				in, err = os.ReadFile(c.name)
				require.NoError(t, err)
			} else {
				in = corpus(t, c.name)
			}
			out := signBytes(t, in, s, &Options{Password: c.password, Appearance: &Appearance{Rect: Corners(300, 80, 560, 180)}})
			din, dout := openBytes(t, in, c.password), openBytes(t, out, c.password)
			nums := rewritten(t, in, out, c.password)
			require.NotEmpty(t, nums)
			for _, n := range nums {
				// Byte for byte: the old text survives in order, with
				// short insertions (strings from an object stream of an
				// encrypted document are necessarily re-encrypted).
				if old, cur := din.source(n), dout.source(n); old != nil && !old.plain {
					require.NotNil(t, cur)
					j := 0
					for k := 0; k < len(cur.src) && j < len(old.src); k++ {
						if cur.src[k] == old.src[j] {
							j++
						}
					}
					require.Equal(t, len(old.src), j, "object %d:\nold: %s\nnew: %s", n, old.src, cur.src)
					require.Less(t, len(cur.src)-len(old.src), 64, "object %d:\nold: %s\nnew: %s", n, old.src, cur.src)
				}
				before, after := din.resolve(ref{Num: n}), dout.resolve(ref{Num: n})
				switch b := before.(type) {
				case dict:
					a, ok := after.(dict)
					require.True(t, ok, "object %d stays a dictionary", n)
					for k, v := range b {
						if !allowed[k] {
							require.True(t, sameObject(v, a[k]), "object %d /%s: %v became %v", n, k, v, a[k])
						}
					}
					for k := range a {
						if _, had := b[k]; !had {
							require.True(t, allowed[k], "object %d gained /%s", n, k)
						}
					}
				case array:
					a, ok := after.(array)
					require.True(t, ok)
					require.True(t, sameObject(b, a[:len(b)]), "object %d: the array only grows", n)
				default:
					t.Fatalf("object %d (%T) rewritten", n, before)
				}
			}
			if filepath.IsAbs(c.name) {
				pg, err := dout.page(1)
				require.NoError(t, err)
				require.Equal(t, pdfString("a(b)c"), dout.dictOf(dout.dictOf(pg.dict["PieceInfo"])["kyso"])["Private"])
				require.Contains(t, nums, pg.ref.Num, "the page (from an object stream) was rewritten")
				text := objectText(out, pg.ref.Num, len(in))
				require.Contains(t, text, "595.27563 841.8898")
				require.NotContains(t, text, `a\(b\)c`, "strings are encrypted: %s", text)
				checkTools(t, out, 1, c.password)
			}
		})
	}
}

// FuzzEditSource: any value parseNode accepts is written back byte for
// byte when unchanged, and with an entry added (to a dictionary) or an
// element appended (to an array) it parses back to the value with that
// change and nothing else.
func FuzzEditSource(f *testing.F) {
	for _, seed := range []string{
		`<< /Type /Page /MediaBox [0 0 595.27563 841.8898] /X (a\(b\)) /Y <FEFF00C0> /N#20x 1.000 >>`,
		`[ 7 0 R % comment
 -.5 +3 null true ]`,
		`<</A null/B[<<>>[]]/A 2>>`, `[(x)5]`, `<</K/V/L(x)>>`, `(unterminated`, `<< /K`, `[`, `42`, `1 0 R`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := &lexer{buf: data, final: true}
		n, err := l.parseNode(0, nil)
		if err != nil {
			return
		}
		src := &source{src: data, root: n}
		var buf bytes.Buffer
		(&serializer{buf: &buf}).writeEdited(n.val, src)
		if !bytes.Equal(buf.Bytes(), data[n.start:n.end]) {
			t.Fatalf("unchanged value rewritten: %q -> %q", data[n.start:n.end], buf.Bytes())
		}
		var want object
		switch v := n.val.(type) {
		case dict:
			d := v.clone()
			d["KysoAdded"] = array{ref{Num: 9}, 1.5}
			want = d
		case array:
			want = append(append(array{}, v...), ref{Num: 9})
		default:
			return
		}
		// And with the first value replaced by a number.
		switch v := want.(type) {
		case dict:
			if len(n.entries) > 0 {
				v[n.entries[0].key] = int64(7)
			}
		case array:
			if len(v) > 0 {
				v[0] = int64(7)
			}
		}
		buf.Reset()
		s := &serializer{buf: &buf}
		s.writeEdited(want, src)
		if s.err != nil {
			t.Fatal(s.err)
		}
		got, err := (&lexer{buf: buf.Bytes(), final: true}).parseObject(0, nil)
		if err != nil {
			t.Fatalf("edited text %q does not parse: %v", buf.Bytes(), err)
		}
		if !sameObject(got, want) {
			t.Fatalf("edited %q: got %v, want %v", buf.Bytes(), got, want)
		}
	})
}

// A document time-stamp's widget is invisible (zero /Rect) and has no
// appearance: for validators that grade changes (pyHanko: LTA_UPDATES
// rather than FORM_FILLING) it is then only an archive update, allowed
// after a P=1 certification. An invisible signature keeps its empty
// appearance.
func TestDocTimestampWidgetHasNoAppearance(t *testing.T) {
	p := sharedPKI(t)
	in := signBytes(t, corpus(t, "simple.pdf"), testSigner(t), &Options{Certify: 1})
	var buf bytes.Buffer
	require.NoError(t, AddDocumentTimestamp(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), &DocTimestampOptions{TimestampURL: p.TSAURL()}))
	d := openBytes(t, buf.Bytes())
	fs, err := d.fields()
	require.NoError(t, err)
	require.Len(t, fs, 2)
	for _, f := range fs {
		_, hasAP := f.dict["AP"]
		if f.fullName == "DocTimestamp1" {
			require.False(t, hasAP, "the time-stamp widget has no /AP")
			require.Equal(t, array{int64(0), int64(0), int64(0), int64(0)}, f.dict["Rect"])
		} else {
			require.True(t, hasAP, "%s keeps its (empty) appearance", f.fullName)
		}
	}
	ltvTools(t, buf.Bytes(), 1, 1, "", p.Root.Cert)
}

// A DSS whose /Certs and /OCSPs are indirect arrays is extended by
// updating those arrays: the DSS dictionary and the catalog stay as they
// are.
func TestDSSIndirectArraysUpdatedInPlace(t *testing.T) {
	p := sharedPKI(t)
	signed := signBytes(t, corpus(t, "simple.pdf"), testSigner(t), &Options{Level: LevelBT, TimestampURL: p.TSAURL()})
	d := openBytes(t, signed)
	rootRef, cat, err := d.catalog()
	require.NoError(t, err)
	u := newUpdate(d)
	certs, ocsps := u.add(array{}), u.add(array{})
	dssRef := u.add(dict{"Certs": certs, "OCSPs": ocsps}) // no /Type, as some producers write it
	cat = cat.clone()
	cat["DSS"] = dssRef
	u.set(rootRef, cat)
	s, err := u.serialize(int64(len(signed)), false)
	require.NoError(t, err)
	in := append(append([]byte(nil), signed...), s.data...)

	var buf bytes.Buffer
	require.NoError(t, AddDSS(context.Background(), &buf, bytes.NewReader(in), int64(len(in)), nil))
	out := buf.Bytes()
	require.Equal(t, []int{certs.Num, ocsps.Num}, rewritten(t, in, out, ""), "only the two arrays")
	dss := readDSS(t, out, "")
	require.NotEmpty(t, dss.certs)
	require.NotEmpty(t, dss.ocsps)
	ltvTools(t, out, 1, 0, "")
}
