package pdf

import (
	"fmt"
	"math"
	"strings"
)

// Navigation of the document structure: catalog, page tree, form fields.

func (d *document) catalog() (ref, dict, error) {
	r, _ := d.trailer["Root"].(ref)
	o, err := d.resolveErr(r)
	if err != nil {
		return r, nil, fmt.Errorf("pdf: reading catalog: %w", err)
	}
	c, ok := o.(dict)
	if !ok {
		return r, nil, fmt.Errorf("%w: catalog %v is not a dictionary", ErrMalformed, r)
	}
	return r, c, nil
}

// pageInfo is one page with its inherited attributes.
type pageInfo struct {
	ref      ref
	dict     dict
	mediaBox [4]float64
	// cropBox is the page's /CropBox when it has one (hasCrop).
	cropBox [4]float64
	hasCrop bool
	rotate  int
}

// viewBox is the region of the page that is displayed and printed: the
// crop box clipped to the media box (the media box without a crop box),
// as its lower-left corner and its width and height in default user
// space (ISO 32000-1 §14.11.2).
func (p pageInfo) viewBox() (x0, y0, w, h float64) {
	v := normRect(p.mediaBox)
	if p.hasCrop {
		c := normRect(p.cropBox)
		in := [4]float64{math.Max(v[0], c[0]), math.Max(v[1], c[1]), math.Min(v[2], c[2]), math.Min(v[3], c[3])}
		if in[2]-in[0] >= 1 && in[3]-in[1] >= 1 {
			v = in
		}
	}
	return v[0], v[1], v[2] - v[0], v[3] - v[1]
}

// normRect orders a rectangle's corners: lower left, then upper right.
func normRect(b [4]float64) [4]float64 {
	return [4]float64{math.Min(b[0], b[2]), math.Min(b[1], b[3]), math.Max(b[0], b[2]), math.Max(b[1], b[3])}
}

// rectOf reads o as a rectangle (an array of four numbers), its corners
// ordered by normRect.
func (d *document) rectOf(o object) ([4]float64, bool) {
	a, _ := d.resolve(o).(array)
	if len(a) != 4 {
		return [4]float64{}, false
	}
	var c [4]float64
	for i := range a {
		c[i], _ = d.numOf(a[i])
	}
	return normRect(c), true
}

// displayedSize is the width and height of the page as displayed: its
// view box, turned by /Rotate.
func (p pageInfo) displayedSize() (w, h float64) {
	_, _, w, h = p.viewBox()
	if p.rotate == 90 || p.rotate == 270 {
		w, h = h, w
	}
	return w, h
}

// pages walks the page tree in order and calls fn for each page until fn
// returns false. It guards against cycles and absurd depths.
func (d *document) pages(fn func(i int, p pageInfo) bool) error {
	_, cat, err := d.catalog()
	if err != nil {
		return err
	}
	root, ok := cat["Pages"].(ref)
	if !ok {
		return fmt.Errorf("%w: catalog has no /Pages reference", ErrMalformed)
	}
	seen := map[int]bool{}
	idx := 0
	type inh struct {
		mb, crop object
		rotate   object
	}
	var walk func(r ref, in inh, depth int) (bool, error)
	walk = func(r ref, in inh, depth int) (bool, error) {
		if seen[r.Num] || depth > 64 {
			return false, fmt.Errorf("%w: page tree loop at object %d", ErrMalformed, r.Num)
		}
		seen[r.Num] = true
		o, err := d.resolveErr(r)
		if err != nil {
			return false, err
		}
		n, ok := o.(dict)
		if !ok {
			return false, fmt.Errorf("%w: page tree node %v is not a dictionary", ErrMalformed, r)
		}
		if v, ok := n["MediaBox"]; ok {
			in.mb = v
		}
		if v, ok := n["CropBox"]; ok {
			in.crop = v
		}
		if v, ok := n["Rotate"]; ok {
			in.rotate = v
		}
		kids, isNode := d.resolve(n["Kids"]).(array)
		if n.name("Type") == "Page" || !isNode {
			p := pageInfo{ref: r, dict: n, mediaBox: [4]float64{0, 0, 612, 792}}
			if box, ok := d.resolve(in.mb).(array); ok && len(box) == 4 {
				for i := range box {
					p.mediaBox[i], _ = d.numOf(box[i])
				}
			}
			if box, ok := d.resolve(in.crop).(array); ok && len(box) == 4 {
				p.hasCrop = true
				for i := range box {
					v, ok := d.numOf(box[i])
					p.hasCrop = p.hasCrop && ok && !math.IsNaN(v) && !math.IsInf(v, 0)
					p.cropBox[i] = v
				}
			}
			if rot, ok := d.intOf(in.rotate); ok {
				p.rotate = int(((rot % 360) + 360) % 360)
			}
			cont := fn(idx, p)
			idx++
			return cont, nil
		}
		for _, k := range kids {
			kr, ok := k.(ref)
			if !ok {
				return false, fmt.Errorf("%w: page tree kid is not a reference", ErrMalformed)
			}
			cont, err := walk(kr, in, depth+1)
			if err != nil || !cont {
				return cont, err
			}
		}
		return true, nil
	}
	_, err = walk(root, inh{}, 0)
	return err
}

// allPages returns the pages in order.
func (d *document) allPages() ([]pageInfo, error) {
	var out []pageInfo
	err := d.pages(func(_ int, p pageInfo) bool { out = append(out, p); return true })
	return out, err
}

// page returns page number n (1-based; -1 is the last page).
func (d *document) page(n int) (pageInfo, error) {
	var found pageInfo
	ok := false
	count := 0
	err := d.pages(func(i int, p pageInfo) bool {
		count++
		if n > 0 && i == n-1 {
			found, ok = p, true
			return false
		}
		if n < 0 {
			found, ok = p, true
		}
		return true
	})
	if err != nil {
		return pageInfo{}, err
	}
	if !ok {
		return pageInfo{}, errPageRange(n, count)
	}
	return found, nil
}

// pageOf finds the page whose /Annots holds the widget w, and its number
// (from 1).
func (d *document) pageOf(w ref) (int, pageInfo, bool) {
	var found pageInfo
	num := 0
	_ = d.pages(func(i int, p pageInfo) bool {
		annots, _ := d.resolve(p.dict["Annots"]).(array)
		for _, a := range annots {
			if ar, isRef := a.(ref); isRef && ar.Num == w.Num {
				found, num = p, i+1
				return false
			}
		}
		return true
	})
	return num, found, num > 0
}

// field is a terminal form field found in the AcroForm tree.
type field struct {
	ref      ref
	dict     dict
	fullName string
	ft       name // inherited field type
}

// fields walks the AcroForm field tree and returns the terminal fields.
func (d *document) fields() ([]field, error) {
	_, cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	af := d.dictOf(cat["AcroForm"])
	if af == nil {
		return nil, nil
	}
	top, _ := d.resolve(af["Fields"]).(array)
	var out []field
	seen := map[int]bool{}
	var walk func(o object, parent string, ft name, depth int) error
	walk = func(o object, parent string, ft name, depth int) error {
		r, ok := o.(ref)
		if !ok {
			return nil // fields must be indirect; ignore junk
		}
		if seen[r.Num] || depth > 32 {
			return fmt.Errorf("%w: form field loop at object %d", ErrMalformed, r.Num)
		}
		seen[r.Num] = true
		f := d.dictOf(r)
		if f == nil {
			return nil
		}
		full := d.fieldName(parent, f)
		if v := f.name("FT"); v != "" {
			ft = v
		}
		kids, _ := d.resolve(f["Kids"]).(array)
		hasFieldKids := false
		for _, k := range kids {
			if kd := d.dictOf(k); kd != nil {
				if _, ok := kd["T"]; ok {
					hasFieldKids = true
				}
			}
		}
		if hasFieldKids {
			for _, k := range kids {
				if err := walk(k, full, ft, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		out = append(out, field{ref: r, dict: f, fullName: full, ft: ft})
		return nil
	}
	for _, f := range top {
		if err := walk(f, "", "", 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// signatureState summarises the signatures already in the document.
type signatureState struct {
	signed  int
	docMDP  int // P of a certification signature, 0 when none
	names   map[string]bool
	sigRefs []ref
}

func (d *document) signatureState() (signatureState, error) {
	st := signatureState{names: map[string]bool{}}
	fs, err := d.fields()
	if err != nil {
		return st, err
	}
	st.names = fieldNames(fs)
	for _, f := range fs {
		if f.ft != "Sig" {
			continue
		}
		if v, ok := f.dict["V"]; ok && d.resolve(v) != nil {
			st.signed++
			if r, ok := v.(ref); ok {
				st.sigRefs = append(st.sigRefs, r)
			}
		}
	}
	_, cat, err := d.catalog()
	if err != nil {
		return st, err
	}
	st.docMDP = d.docMDP(cat)
	return st, nil
}

// docMDP returns the permission level P (1–3) of the certification
// signature the catalog cat names (/Perms /DocMDP), 2 when P is absent and
// 0 when the document is not certified. A real P is read as its integer
// part, the stricter reading. Signing and Document.DocMDP (which the
// verifier's change analysis uses) both read it here.
func (d *document) docMDP(cat dict) int {
	perms := d.dictOf(cat["Perms"])
	if perms == nil {
		return 0
	}
	sig := d.dictOf(perms["DocMDP"])
	if sig == nil {
		return 0
	}
	level := 2
	refs, _ := d.resolve(sig["Reference"]).(array)
	for _, r := range refs {
		rd := d.dictOf(r)
		if rd == nil || d.nameOf(rd["TransformMethod"]) != "DocMDP" {
			continue
		}
		if tp := d.dictOf(rd["TransformParams"]); tp != nil {
			if p, ok := d.intOf(tp["P"]); ok && p >= 1 && p <= 3 {
				level = int(p)
			}
		}
	}
	return level
}

// fieldNames returns the fully qualified names of the fields fs and of
// their ancestors ("A.B.C" also takes "A" and "A.B"): a new top-level field
// must not reuse any of them, or readers would merge it with the existing
// field of that name.
func fieldNames(fs []field) map[string]bool {
	names := map[string]bool{}
	for _, f := range fs {
		n := f.fullName
		names[n] = true
		for i := 0; i < len(n); i++ {
			if n[i] == '.' {
				names[n[:i]] = true
			}
		}
	}
	return names
}

// uniqueFieldName returns "<prefix><n>" not yet used in the form.
func uniqueFieldName(names map[string]bool, prefix string) string {
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s%d", prefix, i)
		if !names[n] {
			return n
		}
	}
}

func validFieldName(n string) error {
	if n == "" || strings.Contains(n, ".") {
		return fmt.Errorf("%w: field name %q must be non-empty and contain no '.'", ErrBadOptions, n)
	}
	return nil
}

// fieldName is the fully qualified name of field f whose parent's is
// parent: parent, a period and f's partial name /T (just one of them when
// the other is absent).
func (d *document) fieldName(parent string, f dict) string {
	t, ok := d.resolve(f["T"]).(pdfString)
	if !ok {
		return parent
	}
	if parent == "" {
		return decodeTextString(t)
	}
	return parent + "." + decodeTextString(t)
}
