package verify

import (
	"bytes"
	"context"
	"testing"

	"github.com/kyso-vn/kyso/pdf"
	"github.com/kyso-vn/kyso/signer/pkitest"
)

func pdfFuzzSeeds(f *testing.F) (*Validator, []byte) {
	p := pkitest.New(f)
	id := p.MustIssue()
	var out bytes.Buffer
	doc := minimalPDF("fuzz")
	if err := pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(), &pdf.Options{Field: "F"}); err != nil {
		f.Fatal(err)
	}
	trust := NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "root")
	v, err := New(Options{Trust: trust})
	if err != nil {
		f.Fatal(err)
	}
	return v, out.Bytes()
}

// FuzzPDFSignatures covers signature extraction: the AcroForm walk,
// /ByteRange and /Contents checks, the CMS and the change analysis of
// whatever revisions the input has. It must never panic, and a signature
// whose structure is damaged must never pass.
func FuzzPDFSignatures(f *testing.F) {
	v, signed := pdfFuzzSeeds(f)
	f.Add(signed)
	f.Add(minimalPDF("x"))
	f.Add(formPDF())
	f.Add([]byte("%PDF-1.7\n%%EOF\n"))
	pv := NewPDFVerifier(v)
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := pv.Verify(context.Background(), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, s := range rep.Signatures {
			if s.Indication == TotalPassed && !bytes.Equal(data, signed) && s.Coverage.WholeDocument {
				// The only whole-document signature that may pass is the
				// untouched seed: any change to covered bytes must break it.
				t.Fatalf("a modified document passed: %+v", s)
			}
		}
	})
}

// FuzzPDFRevisions appends fuzzed incremental updates to a signed PDF:
// the revision analysis must never panic, and the signature stays intact.
func FuzzPDFRevisions(f *testing.F) {
	v, signed := pdfFuzzSeeds(f)
	f.Add([]byte("4 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n"))
	f.Add([]byte("3 0 obj\n<< /Type /Page /Annots [9 0 R] >>\nendobj\n9 0 obj\n<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] >>\nendobj\n"))
	f.Add([]byte("2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"))
	fuzzUpdates(f, v, signed)
}

// appendUpdateRaw appends body and an xref table listing every "n 0 obj"
// it defines, pointing back to the previous revision.
func appendUpdateRaw(doc, body []byte) []byte {
	m := startxrefRE.FindAllSubmatch(doc, -1)
	prev := string(m[len(m)-1][1])
	var b bytes.Buffer
	b.Write(doc)
	start := b.Len()
	b.Write(body)
	b.WriteString("\n")
	x := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, mm := range objHeader.FindAllSubmatchIndex(body, -1) {
		num := string(body[mm[2]:mm[3]])
		b.WriteString(num + " 1\n")
		off := start + mm[2]
		b.WriteString(pad10(off) + " 00000 n \n")
	}
	b.WriteString("trailer\n<< /Size 100 /Root 1 0 R /Prev " + prev + " >>\nstartxref\n" + itoa(x) + "\n%%EOF\n")
	return b.Bytes()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	return string(d)
}

func pad10(n int) string {
	s := itoa(n)
	for len(s) < 10 {
		s = "0" + s
	}
	return s
}

// FuzzPDFFieldLocks appends fuzzed incremental updates to a form signed
// with a field lock (FieldMDP /Include HoTen): never a panic, never a pass
// with disallowed changes, and a pass never leaves HoTen's value changed.
func FuzzPDFFieldLocks(f *testing.F) {
	p := pkitest.New(f)
	id := p.MustIssue()
	doc := lockFormPDF()
	var out bytes.Buffer
	if err := pdf.Sign(context.Background(), &out, bytes.NewReader(doc), int64(len(doc)), id.Signer(),
		&pdf.Options{Field: "ChuKy", Lock: &pdf.FieldLock{Action: pdf.LockInclude, Fields: []string{"HoTen"}}}); err != nil {
		f.Fatal(err)
	}
	signed := out.Bytes()
	trust := NewTrustStore()
	trust.AddCertificate(p.Root.Cert, "root")
	v, err := New(Options{Trust: trust})
	if err != nil {
		f.Fatal(err)
	}
	for _, fill := range []map[int]string{fillHoTen, fillDiaChi, fillMST, redrawHoTen} {
		var b bytes.Buffer
		for n, body := range fill {
			b.WriteString(itoa(n) + " 0 obj\n" + body + "\nendobj\n")
		}
		f.Add(b.Bytes())
	}
	fuzzUpdates(f, v, signed)
}

// fuzzUpdates appends each fuzzed update to signed and verifies: no
// signature may pass while changes it does not permit are listed.
func fuzzUpdates(f *testing.F, v *Validator, signed []byte) {
	pv := NewPDFVerifier(v)
	f.Fuzz(func(t *testing.T, update []byte) {
		doc := appendUpdateRaw(signed, update)
		rep, err := pv.Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			return
		}
		for _, s := range rep.Signatures {
			if s.Integrity.Intact && s.Indication == TotalPassed && len(s.Coverage.ModifiedAfterSigning) > 0 {
				t.Fatalf("passed despite disallowed changes: %v", s.Coverage.ModifiedAfterSigning)
			}
		}
	})
}
