package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	dpdf "github.com/kyso-vn/kyso/verify/internal/pdfread"
)

// maxUpdateBytes bounds how much appended data change analysis reads.
const maxUpdateBytes = 64 << 20

var objHeader = regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,10})[ \t\r\n\f\x00]+([0-9]{1,5})[ \t\r\n\f\x00]+obj\b`)

// analyzeChanges compares every object defined after the signed revision
// (bytes [end, size)) with the signed revision and sorts the differences
// into allowed and disallowed changes (reject by default). locks are the
// signature's field locks (FieldMDP): a change of the value or appearance of
// a field they freeze is disallowed even where DocMDP permits form filling.
func analyzeChanges(doc io.ReaderAt, end, size int64, signed, final *dpdf.Reader, docMDP int, locks []fieldLock) (allowed, disallowed []string) {
	if size-end > maxUpdateBytes {
		return nil, []string{fmt.Sprintf("%d bytes were appended after signing: too much to analyse", size-end)}
	}
	upd := make([]byte, size-end)
	if _, err := doc.ReadAt(upd, end); err != nil && err != io.EOF {
		return nil, []string{"the data appended after signing cannot be read: " + err.Error()}
	}
	// Every piece appended after signing must be a complete incremental
	// update: objects, then xref data, "startxref" and "%%EOF". Objects in
	// a piece without it (a stray %%EOF) are invisible to this reader but
	// shown by viewers that repair files.
	rest := upd
	for len(rest) > 0 {
		i := bytes.Index(rest, []byte("%%EOF"))
		piece := rest
		if i >= 0 {
			piece = rest[:i]
			rest = rest[i+5:]
		} else {
			rest = nil
		}
		if objHeader.Match(piece) && !bytes.Contains(piece, []byte("startxref")) {
			disallowed = append(disallowed, "objects appended after signing outside any revision (stray %%EOF or missing cross-reference data)")
		}
		if bytes.Contains(piece, []byte("/Linearized")) {
			disallowed = append(disallowed, "a linearization dictionary appended after signing")
		}
	}
	ids := map[uint32]bool{}
	for _, m := range objHeader.FindAllSubmatch(upd, -1) {
		if n, err := strconv.ParseUint(string(m[1]), 10, 32); err == nil {
			ids[uint32(n)] = true
		}
	}
	// Objects inside object streams defined after signing.
	for id := range ids {
		v, err := final.GetObject(id)
		if err != nil || v.Kind() != dpdf.Stream || v.Key("Type").Name() != "ObjStm" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(v.Reader(), maxUpdateBytes))
		if err != nil {
			continue
		}
		first := int(v.Key("First").Int64())
		if first <= 0 || first > len(data) {
			continue
		}
		f := strings.Fields(string(data[:first]))
		for i := 0; i+1 < len(f) && i < 2*100000; i += 2 {
			if n, err := strconv.ParseUint(f[i], 10, 32); err == nil {
				ids[uint32(n)] = true
			}
		}
	}
	c := &changeCtx{signed: signed, final: final, docMDP: docMDP, locks: locks, dss: map[uint32]bool{}, appearance: map[uint32]bool{}, sigWidgets: map[uint32]bool{}, oldFieldAP: map[uint32]string{}, newFieldAP: map[uint32]string{}}
	c.prepare(ids)
	sorted := make([]uint32, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	add := func(list *[]string, s string) {
		if !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	for _, id := range sorted {
		ok, what := c.classify(id)
		if !ok && docMDP != 1 && c.unreferenced(id) {
			// Producers leave drafts behind (poppler writes discarded
			// appearance streams): nothing refers to them, so no viewer
			// shows them. A certification with P=1 forbids any change.
			ok, what = true, "unreferenced objects added (not part of the document)"
		}
		switch {
		case what == "":
		case ok:
			add(&allowed, what)
		default:
			add(&disallowed, what)
		}
	}
	sort.Strings(allowed)
	return allowed, disallowed
}

type changeCtx struct {
	signed, final *dpdf.Reader
	docMDP        int
	catalogID     uint32
	acroFormID    uint32
	dss           map[uint32]bool   // objects reachable from /DSS
	appearance    map[uint32]bool   // objects reachable from signature widgets' /AP
	sigWidgets    map[uint32]bool   // signature fields and widgets in the final revision
	locks         []fieldLock       // the signature's field locks
	oldFieldAP    map[uint32]string // appearance objects of form fields when signed → field name
	newFieldAP    map[uint32]string // the same in the final revision
	pageObjs      map[uint32]bool   // see pageShared
	reachable     map[uint32]bool   // see unreferenced
	reachComplete bool
}

// prepare collects the sets that allow changes.
func (c *changeCtx) prepare(ids map[uint32]bool) {
	root := c.final.Trailer().Key("Root")
	c.catalogID = root.GetPtr().GetID()
	if af := root.Key("AcroForm"); af.GetPtr().GetID() != c.catalogID {
		c.acroFormID = af.GetPtr().GetID()
	}
	reach(root.Key("DSS"), c.dss, 0)
	if sigs, err := signatureFields(c.final); err == nil {
		for _, f := range sigs {
			c.sigWidgets[f.field.GetPtr().GetID()] = true
			kids := f.field.Key("Kids")
			for i := 0; i < kids.Len(); i++ {
				c.sigWidgets[kids.Index(i).GetPtr().GetID()] = true
			}
		}
	}
	// Empty signature fields count too (a later signer may add them).
	for id := range ids {
		v, err := c.final.GetObject(id)
		if err == nil && isSigField(v) {
			c.sigWidgets[id] = true
		}
	}
	for id := range c.sigWidgets {
		if v, err := c.final.GetObject(id); err == nil {
			reach(v.Key("AP"), c.appearance, 0)
		}
	}
	fieldAppearances(c.signed, c.oldFieldAP)
	fieldAppearances(c.final, c.newFieldAP)
}

// reach adds every indirect object reachable from v to set.
func reach(v dpdf.Value, set map[uint32]bool, depth int) {
	if depth > 16 || len(set) > 100000 {
		return
	}
	switch v.Kind() {
	case dpdf.Dict, dpdf.Stream:
		for _, k := range v.Keys() {
			if k == "Parent" || k == "P" {
				continue
			}
			child := v.Key(k)
			if id := child.GetPtr().GetID(); id != 0 && id != v.GetPtr().GetID() {
				if set[id] {
					continue
				}
				set[id] = true
			}
			reach(child, set, depth+1)
		}
	case dpdf.Array:
		for i := 0; i < v.Len(); i++ {
			child := v.Index(i)
			if id := child.GetPtr().GetID(); id != 0 && id != v.GetPtr().GetID() {
				if set[id] {
					continue
				}
				set[id] = true
			}
			reach(child, set, depth+1)
		}
	}
}

func isSigField(v dpdf.Value) bool {
	if v.Kind() != dpdf.Dict {
		return false
	}
	if v.Key("FT").Name() == "Sig" {
		return true
	}
	return v.Key("Subtype").Name() == "Widget" && v.Key("Parent").Key("FT").Name() == "Sig"
}

func isFormField(v dpdf.Value) bool {
	if v.Kind() != dpdf.Dict {
		return false
	}
	return !v.Key("FT").IsNull() || v.Key("Subtype").Name() == "Widget"
}

// classify decides about one object defined after signing. what is empty
// when the object did not really change.
func (c *changeCtx) classify(id uint32) (ok bool, what string) {
	fv, ferr := c.final.GetObject(id)
	sv, serr := c.signed.GetObject(id)
	existed := serr == nil && sv.Kind() != dpdf.Null
	if ferr != nil || fv.Kind() == dpdf.Null {
		if existed {
			return false, fmt.Sprintf("object %d (%s) was deleted", id, describe(sv))
		}
		return true, ""
	}
	if existed && canon(sv, id, 0) == canon(fv, id, 0) {
		return true, ""
	}
	typ := fv.Key("Type").Name()
	verb := "changed"
	if !existed {
		verb = "added"
	}
	switch {
	case typ == "XRef" || typ == "ObjStm":
		return true, ""
	case c.dss[id] || typ == "DSS" || typ == "VRI":
		return true, "validation data (DSS/VRI) added"
	case typ == "DocTimeStamp" && !existed:
		return true, "document time-stamp added"
	case typ == "Sig" && !existed && c.docMDP == 1:
		return false, "a signature was added, which the certification (P=1) forbids"
	case typ == "Sig" && !existed:
		return true, "signature added"
	case c.appearance[id] && !existed:
		return true, "appearance of a signature field added"
	case id == c.catalogID:
		bad := changedKeys(sv, fv, id, "AcroForm", "DSS")
		if len(bad) == 0 {
			return true, "document catalog: AcroForm or DSS updated"
		}
		return false, "document catalog entries changed: " + strings.Join(bad, ", ")
	case id == c.acroFormID:
		bad := changedKeys(sv, fv, id, "Fields", "SigFlags", "DR", "DA")
		if len(bad) == 0 && !removedRefs(sv.Key("Fields"), fv.Key("Fields")) {
			return true, "form: signature fields added"
		}
		if len(bad) == 0 {
			return false, "form fields were removed"
		}
		return false, "form dictionary changed: " + strings.Join(bad, ", ")
	case c.sigWidgets[id] || isSigField(fv):
		if !existed {
			return true, "signature field added"
		}
		if !sv.Key("V").IsNull() && canon(sv.Key("V"), id, 0) != canon(fv.Key("V"), id, 0) {
			return false, fmt.Sprintf("the value of signed field %q was replaced", fv.Key("T").Text())
		}
		bad := changedKeys(sv, fv, id, "V", "AP", "AS", "MK", "F", "Lock", "SV", "DR", "Kids")
		if len(bad) == 0 {
			if name := fieldName(fv); c.locked(name) {
				return false, fmt.Sprintf("signature field %q was signed or changed, but the signature locked it (FieldMDP)", name)
			}
			return true, "empty signature field signed"
		}
		return false, fmt.Sprintf("signature field %q changed: %s", fv.Key("T").Text(), strings.Join(bad, ", "))
	case c.fieldAppearance(id, existed) != "":
		return c.appearanceChange(c.fieldAppearance(id, existed), verb)
	case typ == "Page":
		bad := changedKeys(sv, fv, id, "Annots")
		if !existed {
			return false, fmt.Sprintf("page added (object %d)", id)
		}
		if len(bad) > 0 {
			return false, fmt.Sprintf("page object %d changed: %s", id, strings.Join(bad, ", "))
		}
		return c.annotsChange(sv.Key("Annots"), fv.Key("Annots"), id)
	case typ == "Pages":
		return false, fmt.Sprintf("page tree changed (object %d): pages added, removed or re-parented", id)
	case fv.Kind() == dpdf.Array && existed && c.isAnnotsArray(fv):
		return c.annotsChange(sv, fv, id)
	case typ == "Annot" || !fv.Key("Subtype").IsNull() && !fv.Key("Rect").IsNull():
		if isFormField(fv) && existed {
			return c.formFill(sv, fv, id)
		}
		if c.docMDP == 3 {
			return true, "annotation " + verb + " (permitted by the certification level)"
		}
		return false, fmt.Sprintf("annotation %s after signing (object %d, /Subtype /%s)", verb, id, fv.Key("Subtype").Name())
	case isFormField(fv) && existed:
		return c.formFill(sv, fv, id)
	}
	return false, fmt.Sprintf("object %d (%s) %s after signing", id, describe(fv), verb)
}

// formFill allows a change of a form field's value when the certification
// level permits it (not DocMDP P=1).
func (c *changeCtx) formFill(sv, fv dpdf.Value, id uint32) (bool, string) {
	bad := changedKeys(sv, fv, id, "V", "AP", "AS", "MK")
	if len(bad) > 0 {
		return false, fmt.Sprintf("form field %q changed: %s", fv.Key("T").Text(), strings.Join(bad, ", "))
	}
	name := fieldName(fv)
	if c.docMDP == 1 {
		return false, fmt.Sprintf("form field %q filled in, which the certification (P=1) forbids", name)
	}
	if c.locked(name) {
		return false, fmt.Sprintf("form field %q filled in, but the signature locked it (FieldMDP)", name)
	}
	return true, "form fields filled in"
}

// fieldAppearance returns the name of the form field whose appearance the
// object is: for an object that existed when signed, as it was then (so a
// later update cannot re-label page content as an appearance); for a new
// object, in the final revision.
func (c *changeCtx) fieldAppearance(id uint32, existed bool) string {
	if existed {
		name := c.oldFieldAP[id]
		if name != "" && c.pageShared()[id] {
			return "" // also page content or resources: not just an appearance
		}
		return name
	}
	return c.newFieldAP[id]
}

// pageShared returns the objects reachable from the pages' /Contents and
// /Resources in the signed revision (computed on first use).
func (c *changeCtx) pageShared() map[uint32]bool {
	if c.pageObjs != nil {
		return c.pageObjs
	}
	c.pageObjs = map[uint32]bool{}
	seen := map[uint32]bool{}
	var walk func(v dpdf.Value, depth int)
	walk = func(v dpdf.Value, depth int) {
		if depth > 64 || v.Kind() != dpdf.Dict || len(seen) > 1000000 {
			return
		}
		if id := v.GetPtr().GetID(); id != 0 {
			if seen[id] {
				return
			}
			seen[id] = true
		}
		for _, k := range []string{"Contents", "Resources"} {
			if x := v.Key(k); !x.IsNull() {
				if id := x.GetPtr().GetID(); id != 0 {
					c.pageObjs[id] = true
				}
				reach(x, c.pageObjs, 0)
			}
		}
		kids := v.Key("Kids")
		for i := 0; i < kids.Len(); i++ {
			walk(kids.Index(i), depth+1)
		}
	}
	walk(c.signed.Trailer().Key("Root").Key("Pages"), 0)
	return c.pageObjs
}

// appearanceChange decides about a new or changed appearance stream (or
// its resources) of the form field name: part of filling the field in.
func (c *changeCtx) appearanceChange(name, verb string) (bool, string) {
	if c.docMDP == 1 {
		return false, fmt.Sprintf("appearance of form field %q %s, which the certification (P=1) forbids", name, verb)
	}
	if c.locked(name) {
		return false, fmt.Sprintf("appearance of form field %q %s, but the signature locked it (FieldMDP)", name, verb)
	}
	return true, "form fields filled in"
}

func (c *changeCtx) isAnnotsArray(v dpdf.Value) bool {
	if v.Len() == 0 {
		return false
	}
	for i := 0; i < v.Len(); i++ {
		e := v.Index(i)
		if e.Kind() != dpdf.Dict || e.Key("Rect").IsNull() {
			return false
		}
	}
	return true
}

// annotsChange allows adding signature widgets to a page; other added
// annotations only under DocMDP P=3; removals never.
func (c *changeCtx) annotsChange(before, after dpdf.Value, owner uint32) (bool, string) {
	old := refIDs(before, owner)
	now := refIDs(after, owner)
	for _, id := range old {
		if !slices.Contains(now, id) {
			return false, "annotations were removed from a page"
		}
	}
	for _, id := range now {
		if slices.Contains(old, id) || c.sigWidgets[id] {
			continue
		}
		if c.docMDP == 3 {
			return true, "annotations added (permitted by the certification level)"
		}
		a, _ := c.final.GetObject(id)
		return false, fmt.Sprintf("annotation added to a page after signing (object %d, /Subtype /%s)", id, a.Key("Subtype").Name())
	}
	return true, "signature widget added to a page"
}

// refIDs returns the object numbers referenced by an array.
func refIDs(v dpdf.Value, owner uint32) []uint32 {
	var out []uint32
	self := v.GetPtr().GetID()
	for i := 0; i < v.Len(); i++ {
		if id := v.Index(i).GetPtr().GetID(); id != 0 && id != self && id != owner {
			out = append(out, id)
		}
	}
	return out
}

func removedRefs(before, after dpdf.Value) bool {
	now := refIDs(after, 0)
	for _, id := range refIDs(before, 0) {
		if !slices.Contains(now, id) {
			return true
		}
	}
	return false
}

// changedKeys lists the keys whose values differ between a and b, other
// than those allowed.
func changedKeys(a, b dpdf.Value, id uint32, allowed ...string) []string {
	keys := map[string]bool{}
	for _, k := range a.Keys() {
		keys[k] = true
	}
	for _, k := range b.Keys() {
		keys[k] = true
	}
	var bad []string
	for k := range keys {
		if slices.Contains(allowed, k) {
			continue
		}
		if canon(a.Key(k), id, 1) != canon(b.Key(k), id, 1) {
			bad = append(bad, "/"+k)
		}
	}
	if a.Kind() == dpdf.Stream || b.Kind() == dpdf.Stream {
		if streamDigest(a) != streamDigest(b) {
			bad = append(bad, "stream data")
		}
	}
	sort.Strings(bad)
	return bad
}

// canon serialises v for comparison: references (to objects other than
// self) by number, direct objects by value, streams with a digest of their
// decoded data.
func canon(v dpdf.Value, self uint32, depth int) string {
	if depth > 0 {
		if id := v.GetPtr().GetID(); id != 0 && id != self {
			return "R" + strconv.FormatUint(uint64(id), 10)
		}
	}
	if depth > 64 {
		return "…"
	}
	switch v.Kind() {
	case dpdf.Null:
		return "null"
	case dpdf.Bool:
		return strconv.FormatBool(v.Bool())
	case dpdf.Integer:
		return strconv.FormatInt(v.Int64(), 10)
	case dpdf.Real:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case dpdf.String:
		return "<" + hex.EncodeToString([]byte(v.RawString())) + ">"
	case dpdf.Name:
		return "/" + v.Name()
	case dpdf.Array:
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			b.WriteString(canon(v.Index(i), self, depth+1) + " ")
		}
		b.WriteString("]")
		return b.String()
	case dpdf.Dict, dpdf.Stream:
		keys := v.Keys()
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("<<")
		for _, k := range keys {
			b.WriteString("/" + k + " " + canon(v.Key(k), self, depth+1) + " ")
		}
		b.WriteString(">>")
		if v.Kind() == dpdf.Stream {
			b.WriteString("stream:" + streamDigest(v))
		}
		return b.String()
	}
	return fmt.Sprintf("kind%d", v.Kind())
}

func streamDigest(v dpdf.Value) string {
	if v.Kind() != dpdf.Stream {
		return ""
	}
	h := sha256.New()
	rc := v.Reader()
	defer rc.Close()
	if _, err := io.Copy(h, io.LimitReader(rc, 256<<20)); err != nil {
		return "unreadable"
	}
	return hex.EncodeToString(h.Sum(nil))
}

// describe names an object for people.
func describe(v dpdf.Value) string {
	switch {
	case v.Kind() == dpdf.Stream && v.Key("Subtype").Name() != "":
		return "stream /" + v.Key("Subtype").Name()
	case v.Kind() == dpdf.Stream:
		return "stream (page content or other data)"
	case v.Key("Type").Name() != "":
		return "/" + v.Key("Type").Name()
	case v.Kind() == dpdf.Dict:
		return "dictionary"
	case v.Kind() == dpdf.Array:
		return "array"
	}
	return "value"
}

// maxReachObjects bounds the reachability walk of unreferenced.
const maxReachObjects = 2_000_000

// unreferenced reports whether id is an object added after signing that
// nothing in the final revision refers to: no reference chain from its
// trailer (catalog, info, encryption dictionaries) reaches it, whatever the
// generation. The walk reads references as written, without resolving
// them, and is computed on first use; when it cannot be completed (an
// unreadable object, too many objects) nothing counts as unreferenced.
func (c *changeCtx) unreferenced(id uint32) bool {
	if old, err := c.signed.GetObject(id); err == nil && old.Kind() != dpdf.Null {
		return false
	}
	if c.reachable == nil {
		c.reachable = map[uint32]bool{}
		c.reachComplete = true
		queue, ok := c.final.Trailer().RefIDs()
		if !ok {
			c.reachComplete = false
		}
		for len(queue) > 0 && c.reachComplete {
			n := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if c.reachable[n] {
				continue
			}
			c.reachable[n] = true
			if len(c.reachable) > maxReachObjects {
				c.reachComplete = false
				break
			}
			v, err := c.final.GetObject(n)
			if err != nil {
				continue // a reference to a missing object reaches nothing more
			}
			refs, ok := v.RefIDs()
			if !ok && v.Kind() != dpdf.Null {
				c.reachComplete = false
			}
			queue = append(queue, refs...)
		}
	}
	return c.reachComplete && !c.reachable[id]
}
