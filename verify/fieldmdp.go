package verify

import (
	"slices"
	"strings"

	"github.com/kyso-vn/kyso/pdf"
)

// fieldLock is one field-lock specification of a signature: a /Lock
// dictionary of its signature field (SigFieldLock) or a FieldMDP transform
// in its /Reference array (ISO 32000-1 12.7.4.5 and 12.8.2.4).
type fieldLock struct {
	action string   // All, Include or Exclude
	fields []string // fully qualified field names (Include, Exclude)
}

// locks reports whether the lock freezes the field named name. A listed
// name also covers the fields below it in the field tree.
func (l fieldLock) locks(name string) bool {
	listed := slices.ContainsFunc(l.fields, func(f string) bool {
		return f == name || strings.HasPrefix(name, f+".")
	})
	switch l.action {
	case "Include":
		return listed
	case "Exclude":
		return !listed
	}
	return true // All, and any unknown action: reject by default
}

func parseFieldLock(doc *pdf.Document, o pdf.Object) (fieldLock, bool) {
	r, _ := doc.Resolve(o)
	d, ok := r.(pdf.Dict)
	if !ok {
		return fieldLock{}, false
	}
	a, _ := d["Action"].(pdf.Name)
	l := fieldLock{action: string(a)}
	if l.action == "" {
		l.action = "All"
	}
	fo, _ := doc.Resolve(d["Fields"])
	fs, _ := fo.(pdf.Array)
	for i, f := range fs {
		if i >= 10000 {
			break
		}
		fv, _ := doc.Resolve(f)
		if s, ok := fv.(pdf.String); ok {
			l.fields = append(l.fields, pdf.TextString(s))
		}
	}
	return l, true
}

// signatureLocks collects the field locks a signature declares, read from
// the revision it signs (so a later update cannot lift them): the FieldMDP
// transforms in the signature dictionary's /Reference, and the /Lock
// dictionaries of its signature field and the field's widgets.
func signatureLocks(signed *pdf.Document, s *pdf.Signature) []fieldLock {
	var out []fieldLock
	add := func(o pdf.Object) {
		if l, ok := parseFieldLock(signed, o); ok {
			out = append(out, l)
		}
	}
	for _, r := range s.Reference {
		if m, _ := r["TransformMethod"].(pdf.Name); m == "FieldMDP" {
			add(r["TransformParams"])
		}
	}
	fd := s.FieldDict
	if s.Field.Num != 0 {
		if old, err := signed.Object(s.Field.Num); err == nil {
			if od, ok := old.(pdf.Dict); ok {
				fd = od
			}
		}
	}
	add(fd["Lock"])
	ko, _ := signed.Resolve(fd["Kids"])
	kids, _ := ko.(pdf.Array)
	for i, k := range kids {
		if i >= 100 {
			break
		}
		kv, _ := signed.Resolve(k)
		if kd, ok := kv.(pdf.Dict); ok {
			add(kd["Lock"])
		}
	}
	return out
}

// fieldName returns the fully qualified name of field or widget num: the
// partial names (/T) of it and its ancestors, joined by dots.
func fieldName(doc *pdf.Document, num int) string {
	var parts []string
	seen := map[int]bool{}
	for depth := 0; num != 0 && depth < 32 && !seen[num]; depth++ {
		seen[num] = true
		o, _ := doc.Object(num)
		d, ok := o.(pdf.Dict)
		if !ok {
			break
		}
		if t, ok := d["T"].(pdf.String); ok {
			parts = append(parts, pdf.TextString(t))
		}
		p, _ := d["Parent"].(pdf.Ref)
		num = p.Num
	}
	slices.Reverse(parts)
	return strings.Join(parts, ".")
}
