package pdf

import (
	"fmt"
)

// Signature is a signed signature field of a Document, as its AcroForm
// field tree gives it: the field, its signature dictionary (/V) and the
// values a verifier checks. Nothing here is judged: package verify does.
type Signature struct {
	// Name is the field's fully qualified name (partial names joined by
	// dots).
	Name string
	// Field is the field dictionary's reference (zero when direct) and
	// FieldDict the dictionary (a merged field and widget, or the parent
	// of its widgets).
	Field     Ref
	FieldDict Dict
	// Widgets are the widget annotations of the field: the field itself
	// when merged, else its /Kids.
	Widgets []Ref
	// Value is the signature dictionary's reference (zero when direct)
	// and Dict the dictionary (nil when /V is not one).
	Value Ref
	Dict  Dict
	// Type, Filter and SubFilter are the names in the signature dictionary
	// ("" when absent or not names).
	Type, Filter, SubFilter string
	// Contents is the /Contents string as written (never decrypted); nil
	// when absent or not a string.
	Contents []byte
	// ByteRange holds the /ByteRange integers; nil when it is not an array
	// of integers.
	ByteRange []int64
	// M is the /M signing time as written ("" when absent).
	M string
	// Reference holds the signature references (/Reference), each
	// resolved, with its /TransformParams resolved.
	Reference []Dict
	// Lock is the field's /Lock dictionary (resolved), nil when none.
	Lock Dict
}

// DocTimeStamp reports a document time-stamp (/Type /DocTimeStamp or
// /SubFilter /ETSI.RFC3161).
func (s *Signature) DocTimeStamp() bool {
	return s.Type == "DocTimeStamp" || s.SubFilter == "ETSI.RFC3161"
}

// maxFieldDepth and maxFields bound the field-tree walk.
const (
	maxFieldDepth = 32
	maxFields     = 100000
)

// Signatures walks the AcroForm field tree (/Fields and /Kids, never a scan
// for signature dictionaries) and returns the signature fields that hold a
// value, in field-tree order.
func (doc *Document) Signatures() ([]Signature, error) {
	d := doc.d
	_, cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	af, err := doc.dictAt(cat["AcroForm"])
	if err != nil || af == nil {
		return nil, err
	}
	topObj, err := d.resolveErr(af["Fields"])
	if err != nil {
		return nil, fmt.Errorf("pdf: reading /Fields: %w", err)
	}
	top, _ := topObj.(array)
	var out []Signature
	seen := map[int]bool{}
	count := 0
	var walk func(o object, parent string, ft name, depth int) error
	walk = func(o object, parent string, ft name, depth int) error {
		if depth > maxFieldDepth {
			return fmt.Errorf("%w: form field tree deeper than %d levels", ErrMalformed, maxFieldDepth)
		}
		if count++; count > maxFields {
			return fmt.Errorf("%w: more than %d form fields", ErrMalformed, maxFields)
		}
		r, isRef := o.(ref)
		if isRef {
			if seen[r.Num] {
				return nil
			}
			seen[r.Num] = true
		}
		fo, err := d.resolveErr(o)
		if err != nil {
			return fmt.Errorf("pdf: reading form field: %w", err)
		}
		f, ok := fo.(dict)
		if !ok {
			return nil
		}
		full := d.fieldName(parent, f)
		if v, ok := d.resolve(f["FT"]).(name); ok {
			ft = v
		}
		kidsObj, err := d.resolveErr(f["Kids"])
		if err != nil {
			return fmt.Errorf("pdf: reading /Kids: %w", err)
		}
		kids, _ := kidsObj.(array)
		if ft == "Sig" {
			if v, has := f["V"]; has {
				if s, err := doc.signature(full, r, f, kids, v); err != nil {
					return err
				} else if s != nil {
					out = append(out, *s)
				}
			}
		}
		for _, k := range kids {
			if err := walk(k, full, ft, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range top {
		if err := walk(f, "", "", 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (doc *Document) signature(full string, fr ref, f dict, kids array, v object) (*Signature, error) {
	d := doc.d
	vo, err := d.resolveErr(v)
	if err != nil {
		return nil, fmt.Errorf("pdf: reading signature of field %q: %w", full, err)
	}
	if vo == nil {
		return nil, nil
	}
	s := &Signature{Name: full, Field: fr, FieldDict: f}
	s.Value, _ = v.(ref)
	if f.name("Subtype") == "Widget" || len(kids) == 0 {
		s.Widgets = append(s.Widgets, fr)
	}
	for _, k := range kids {
		if kr, ok := k.(ref); ok {
			s.Widgets = append(s.Widgets, kr)
		}
	}
	if l, _ := doc.dictAt(f["Lock"]); l != nil {
		s.Lock = l
	}
	sd, ok := vo.(dict)
	if !ok {
		return s, nil
	}
	s.Dict = sd
	nm := func(k name) string { n, _ := d.resolve(sd[k]).(name); return string(n) }
	s.Type, s.Filter, s.SubFilter = nm("Type"), nm("Filter"), nm("SubFilter")
	if c, ok := sd["Contents"].(pdfString); ok {
		s.Contents = c
	}
	if m, ok := d.resolve(sd["M"]).(pdfString); ok {
		s.M = decodeTextString(m)
	}
	if br, ok := d.resolve(sd["ByteRange"]).(array); ok && len(br) <= 64 {
		ints := make([]int64, 0, len(br))
		for _, e := range br {
			n, ok := d.resolve(e).(int64)
			if !ok {
				ints = nil
				break
			}
			ints = append(ints, n)
		}
		s.ByteRange = ints
	}
	if refs, ok := d.resolve(sd["Reference"]).(array); ok {
		for i, e := range refs {
			if i >= 100 {
				break
			}
			rd, _ := doc.dictAt(e)
			if rd == nil {
				continue
			}
			rd = rd.clone()
			if tp, _ := doc.dictAt(rd["TransformParams"]); tp != nil {
				rd["TransformParams"] = tp
			}
			s.Reference = append(s.Reference, rd)
		}
	}
	return s, nil
}

// dictAt resolves o to a dictionary (a stream's dictionary too); nil when
// it is something else.
func (doc *Document) dictAt(o object) (dict, error) {
	v, err := doc.d.resolveErr(o)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case dict:
		return x, nil
	case *stream:
		return x.hdr, nil
	}
	return nil, nil
}

// DocMDP returns the permission level P (1–3) of the document's
// certification signature (the catalog's /Perms /DocMDP), 2 when P is
// absent, and 0 when the document is not certified.
func (doc *Document) DocMDP() int {
	_, cat, err := doc.d.catalog()
	if err != nil {
		return 0
	}
	return doc.d.docMDP(cat)
}

func (d *document) nameOf(o object) name {
	n, _ := d.resolve(o).(name)
	return n
}

// DSS is the validation data of a document's Document Security Store: the
// DER certificates, CRLs and OCSP responses of /Certs, /CRLs and /OCSPs
// and of every VRI entry, deduplicated.
type DSS struct {
	Certs, CRLs, OCSPs [][]byte
}

// maxDSSItems bounds the items read from each DSS array.
const maxDSSItems = 10000

// DSS reads the catalog's /DSS (with or without /Type /DSS). Decoding its
// streams counts against the parse budget; items that do not decode are
// left out.
func (doc *Document) DSS() (*DSS, error) {
	d := doc.d
	_, cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	dss, err := doc.dictAt(cat["DSS"])
	if err != nil || dss == nil {
		return &DSS{}, err
	}
	out := &DSS{}
	seen := map[string]bool{}
	collect := func(holder dict, key name, dst *[][]byte) error {
		arr, _ := d.resolve(holder[key]).(array)
		for i, e := range arr {
			if i >= maxDSSItems {
				break
			}
			r, ok := e.(ref)
			if !ok {
				continue
			}
			s, ok := d.resolve(r).(*stream)
			if !ok {
				continue
			}
			data, err := doc.Decode(s, r)
			if err != nil {
				if d.overBudget() != nil {
					return err
				}
				continue
			}
			if seen[string(data)] {
				continue
			}
			seen[string(data)] = true
			*dst = append(*dst, data)
		}
		return nil
	}
	for _, x := range []struct {
		k   name
		dst *[][]byte
	}{{"Certs", &out.Certs}, {"CRLs", &out.CRLs}, {"OCSPs", &out.OCSPs}} {
		if err := collect(dss, x.k, x.dst); err != nil {
			return nil, err
		}
	}
	if vri, _ := doc.dictAt(dss["VRI"]); vri != nil {
		n := 0
		for _, k := range sortedKeys(vri) {
			if n++; n > maxDSSItems {
				break
			}
			e, _ := doc.dictAt(vri[k])
			if e == nil {
				continue
			}
			for _, x := range []struct {
				k   name
				dst *[][]byte
			}{{"Cert", &out.Certs}, {"CRL", &out.CRLs}, {"OCSP", &out.OCSPs}} {
				if err := collect(e, x.k, x.dst); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}
