package verify

import (
	"slices"
	"strings"

	dpdf "github.com/kyso-vn/kyso/verify/internal/pdfread"
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

func parseFieldLock(v dpdf.Value) (fieldLock, bool) {
	if v.Kind() != dpdf.Dict {
		return fieldLock{}, false
	}
	l := fieldLock{action: v.Key("Action").Name()}
	if l.action == "" {
		l.action = "All"
	}
	fs := v.Key("Fields")
	for i := 0; i < fs.Len() && i < 10000; i++ {
		if f := fs.Index(i); f.Kind() == dpdf.String {
			l.fields = append(l.fields, f.Text())
		}
	}
	return l, true
}

// signatureLocks collects the field locks a signature declares, read from
// the revision it signs (so a later update cannot lift them): the FieldMDP
// transforms in the signature dictionary's /Reference, and the /Lock
// dictionaries of its signature field and the field's widgets.
func signatureLocks(signed *dpdf.Reader, field, sig dpdf.Value) []fieldLock {
	var out []fieldLock
	add := func(v dpdf.Value) {
		if l, ok := parseFieldLock(v); ok {
			out = append(out, l)
		}
	}
	refs := sig.Key("Reference")
	for i := 0; i < refs.Len() && i < 100; i++ {
		if r := refs.Index(i); r.Key("TransformMethod").Name() == "FieldMDP" {
			add(r.Key("TransformParams"))
		}
	}
	fv := field
	if id := field.GetPtr().GetID(); id != 0 {
		if old, err := signed.GetObject(id); err == nil {
			fv = old
		}
	}
	add(fv.Key("Lock"))
	kids := fv.Key("Kids")
	for i := 0; i < kids.Len() && i < 100; i++ {
		add(kids.Index(i).Key("Lock"))
	}
	return out
}

// fieldName returns the fully qualified name of a field or widget: the
// partial names (/T) of it and its ancestors, joined by dots.
func fieldName(v dpdf.Value) string {
	var parts []string
	seen := map[uint32]bool{}
	for depth := 0; v.Kind() == dpdf.Dict && depth < 32; depth++ {
		if id := v.GetPtr().GetID(); id != 0 {
			if seen[id] {
				break
			}
			seen[id] = true
		}
		if t := v.Key("T"); t.Kind() == dpdf.String {
			parts = append(parts, t.Text())
		}
		v = v.Key("Parent")
	}
	slices.Reverse(parts)
	return strings.Join(parts, ".")
}

// locked reports whether one of the signature's locks freezes the field
// named name.
func (c *changeCtx) locked(name string) bool {
	for _, l := range c.locks {
		if l.locks(name) {
			return true
		}
	}
	return false
}

// fieldAppearances maps every object reachable from the appearance
// dictionary (/AP) of a form field's widget to the field's name. Signature
// fields are left out (their appearances are handled on their own).
func fieldAppearances(r *dpdf.Reader, out map[uint32]string) {
	root := r.Trailer().Key("Root")
	seen := map[uint32]bool{}
	var walk func(v dpdf.Value, ft string, depth int)
	walk = func(v dpdf.Value, ft string, depth int) {
		if depth > 32 || v.Kind() != dpdf.Dict || len(out) > 100000 {
			return
		}
		if id := v.GetPtr().GetID(); id != 0 {
			if seen[id] {
				return
			}
			seen[id] = true
		}
		if f := v.Key("FT"); f.Kind() == dpdf.Name {
			ft = f.Name()
		}
		if ft != "Sig" {
			if ap := v.Key("AP"); !ap.IsNull() {
				set := map[uint32]bool{}
				if id := ap.GetPtr().GetID(); id != 0 {
					set[id] = true
				}
				reach(ap, set, 0)
				name := fieldName(v)
				for id := range set {
					if _, ok := out[id]; !ok {
						out[id] = name
					}
				}
			}
		}
		kids := v.Key("Kids")
		for i := 0; i < kids.Len(); i++ {
			walk(kids.Index(i), ft, depth+1)
		}
	}
	fields := root.Key("AcroForm").Key("Fields")
	for i := 0; i < fields.Len(); i++ {
		walk(fields.Index(i), "", 0)
	}
}
