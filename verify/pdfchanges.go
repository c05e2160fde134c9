package verify

import (
	"bytes"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kyso-vn/kyso/pdf"
)

// The change analysis compares the signed revision of a PDF with the
// final one on the object graph. Package pdf supplies the revisions (each
// cross-reference section with the entries it defines, frees and
// re-points) and the objects as of either revision; the judging is here.
//
// Every object number whose cross-reference entry differs between the two
// states (added, changed, freed, re-pointed to an older definition,
// generation changed), and every object held in an object stream that
// changed, is compared with its signed state. A real difference is judged
// by the roles the object holds in the final revision (and, if it existed,
// in the signed one) as reached from the trailer, under the named rules
// below; what no rule allows is refused.
const (
	ruleDefault      = "reject-by-default"
	ruleSignature    = "later-signature"    // new signature fields, widgets, appearances, /Fields and /Annots entries
	ruleDocTS        = "document-timestamp" // at every DocMDP level
	ruleDSS          = "dss"                // DSS/VRI at every DocMDP level
	ruleMetadata     = "metadata"           // /Info, XMP /Metadata, /Version, /Extensions, /Perms bookkeeping
	ruleFormFill     = "form-fill"          // values and the filled field's own appearance (not at P=1)
	ruleFieldLock    = "field-lock"         // FieldMDP and /Lock refusals
	ruleAnnotations  = "annotations-p3"     // annotations only at DocMDP P=3
	ruleDocMDP1      = "docmdp-p1"          // what a P=1 certification forbids
	ruleUnreferenced = "unreferenced"       // objects nothing reaches
	ruleStructure    = "structure"          // the file's revisions themselves
)

// maxUpdateBytes bounds how much appended data the structural scan reads.
const maxUpdateBytes = 64 << 20

var objHeader = regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,10})[ \t\r\n\f\x00]+([0-9]{1,5})[ \t\r\n\f\x00]+obj\b`)

// Message is the change as one line of Coverage.ModifiedAfterSigning:
// where it was made, what it did (the Detail as cause) and the rule.
func (c Change) Message() Message {
	if c.Object == 0 {
		return msg("pdf.change.at-revision", c.Revision, c.Rule, c.Detail)
	}
	if c.Path == "" {
		return msg("pdf.change.at-unreferenced-object", c.Revision, c.Object, c.Rule, c.Detail)
	}
	return msg("pdf.change.at-object", c.Revision, c.Object, c.Path, c.Rule, c.Detail)
}

// String is the change in English.
func (c Change) String() string { return c.Message().String() }

type changeJudge struct {
	signed, final *pdf.Document
	gs, gf        *objectGraph
	end           int64
	docMDP        int
	locks         []fieldLock
	revs          []pdf.Revision // the final document's revisions
	firstAfter    int            // index in revs of the first revision after end
	out           []Change
	addedSeen     map[int]bool
	xrefKind      map[int]string
}

// analyzeChanges lists the changes made after the revision ending at end,
// each allowed or refused by a named rule.
func analyzeChanges(doc io.ReaderAt, final, signed *pdf.Document, end int64, docMDP int, locks []fieldLock) []Change {
	j := &changeJudge{signed: signed, final: final, end: end, docMDP: docMDP, locks: locks,
		revs: final.Revisions(), addedSeen: map[int]bool{}, xrefKind: map[int]string{}}
	j.firstAfter = len(j.revs)
	for i, r := range j.revs {
		if r.XRef >= end {
			j.firstAfter = i
			break
		}
	}
	j.structure(doc)
	j.gs = buildGraph(signed)
	j.gf = buildGraph(final)
	j.trailer()
	for _, n := range j.candidates() {
		j.object(n)
	}
	sort.SliceStable(j.out, func(a, b int) bool {
		if j.out[a].Revision != j.out[b].Revision {
			return j.out[a].Revision < j.out[b].Revision
		}
		return j.out[a].Object < j.out[b].Object
	})
	return j.out
}

func (j *changeJudge) lastRev() int { return len(j.revs) }

// revisionOf returns the revision (from 1) that last set object n's entry
// after the signature.
func (j *changeJudge) revisionOf(n int) int {
	for i := len(j.revs) - 1; i >= j.firstAfter; i-- {
		if _, ok := j.revs[i].Entries[n]; ok {
			return i + 1
		}
	}
	if e, ok := j.final.Entry(n); ok && e.Type == 2 {
		for i := len(j.revs) - 1; i >= j.firstAfter; i-- {
			if _, ok := j.revs[i].Entries[int(e.Offset)]; ok {
				return i + 1
			}
		}
	}
	return j.lastRev()
}

func (j *changeJudge) add(n int, allowed bool, rule string, detail Message) {
	c := Change{Revision: j.lastRev(), Object: n, Rule: rule, Allowed: allowed, Detail: detail}
	if n > 0 {
		c.Revision = j.revisionOf(n)
		c.XRef = j.xrefKind[n]
		if g := j.gf.nodes[n]; g != nil {
			c.Path = g.path
		} else if g := j.gs.nodes[n]; g != nil {
			c.Path = g.path
		}
	}
	for _, o := range j.out {
		if o.Object == c.Object && o.Detail.equal(c.Detail) && o.Rule == c.Rule {
			return
		}
	}
	j.out = append(j.out, c)
}

func (j *changeJudge) refuse(n int, rule, code string, args ...any) {
	j.add(n, false, rule, msg(code, args...))
}

func (j *changeJudge) allow(n int, rule, code string, args ...any) {
	j.add(n, true, rule, msg(code, args...))
}

// structure checks the bytes and revisions after the signature: every
// piece appended must be a complete incremental update, linearization
// dictionaries may not appear, and the later cross-reference chain must
// continue from the signed revision.
func (j *changeJudge) structure(doc io.ReaderAt) {
	size := j.final.Size()
	if size-j.end > maxUpdateBytes {
		j.refuse(0, ruleStructure, "pdf.change.too-much", size-j.end)
		return
	}
	upd := make([]byte, size-j.end)
	if _, err := doc.ReadAt(upd, j.end); err != nil && err != io.EOF {
		j.refuse(0, ruleStructure, "pdf.change.unreadable-update", err)
		return
	}
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
			j.refuse(0, ruleStructure, "pdf.change.outside-revision")
		}
		if bytes.Contains(piece, []byte("/Linearized")) {
			j.refuse(0, ruleStructure, "pdf.change.linearization")
		}
	}
	sr := j.signed.Revisions()
	if len(sr) > 0 {
		want := sr[len(sr)-1].XRef
		found := false
		for _, r := range j.revs {
			found = found || r.XRef == want
		}
		if !found {
			j.refuse(0, ruleStructure, "pdf.change.xref-chain")
		}
	}
}

// trailer compares the trailers: a replaced catalog or encryption
// dictionary is refused; /Info and /ID may change.
func (j *changeJudge) trailer() {
	ts, tf := j.signed.Trailer(), j.final.Trailer()
	for _, k := range []pdf.Name{"Root", "Encrypt"} {
		if !sameObject(j.signed, ts[k], j.final, tf[k], 1) {
			j.refuse(0, ruleDefault, "pdf.change.trailer", k)
		}
	}
}

// candidates returns the object numbers whose cross-reference entry
// differs between the signed and the final state, and the objects of
// object streams that did.
func (j *changeJudge) candidates() []int {
	var out []int
	nums := j.final.ObjectNumbers()
	old := j.signed.ObjectNumbers()
	set := map[int]bool{}
	for _, n := range nums {
		set[n] = true
	}
	for _, n := range old {
		if !set[n] {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	changedStm := map[int]bool{}
	for _, n := range nums {
		es, okS := j.signed.Entry(n)
		ef, okF := j.final.Entry(n)
		if okS == okF && es == ef {
			continue
		}
		kind := "changed"
		switch {
		case !okS:
			kind = "added"
		case !okF:
			kind = "freed"
		case ef.Type == 1 && ef.Offset < j.end:
			kind = "re-pointed to an older definition"
		case ef.Type == es.Type && ef.Gen != es.Gen:
			kind = "generation changed"
		}
		j.xrefKind[n] = kind
		changedStm[n] = true
		out = append(out, n)
	}
	for _, n := range nums {
		if _, done := j.xrefKind[n]; done {
			continue
		}
		if ef, ok := j.final.Entry(n); ok && ef.Type == 2 && changedStm[int(ef.Offset)] {
			j.xrefKind[n] = ""
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// object judges one candidate object.
func (j *changeJudge) object(n int) {
	os, errS := j.signed.Object(n)
	of, errF := j.final.Object(n)
	if errS == nil && errF == nil && j.sameTop(n, os, of) {
		return
	}
	existed := errS == nil && os != nil
	nf := j.gf.nodes[n]
	if nf == nil {
		if !j.gf.complete {
			j.refuse(n, ruleDefault, "pdf.change.graph-unwalkable", j.verb(n, existed))
			return
		}
		if of == nil || isXRefOrObjStm(of) {
			return
		}
		if j.docMDP == 1 {
			j.refuse(n, ruleDocMDP1, "pdf.change.p1-unreferenced", j.verb(n, existed), describe(of))
			return
		}
		j.allow(n, ruleUnreferenced, "pdf.change.unreferenced")
		return
	}
	if errF != nil {
		j.refuse(n, ruleDefault, "pdf.change.unreadable-object", j.verb(n, existed), errF)
		return
	}
	roles := nf.roles
	owners := slices.Clone(nf.owners)
	if ns := j.gs.nodes[n]; ns != nil && existed {
		roles |= ns.roles
		owners = append(owners, ns.owners...)
	}
	j.judge(n, roles, owners, os, of, existed)
}

func (j *changeJudge) verb(n int, existed bool) string {
	k := j.xrefKind[n]
	switch {
	case k == "freed":
		return "deleted (cross-reference entry freed)"
	case k == "re-pointed to an older definition":
		return "re-pointed to an older definition"
	case !existed:
		return "added"
	}
	return "changed"
}

func isXRefOrObjStm(o pdf.Object) bool {
	s, ok := o.(*pdf.Stream)
	if !ok {
		return false
	}
	t, _ := s.Dict()["Type"].(pdf.Name)
	return t == "XRef" || t == "ObjStm"
}

// judge applies the rules of every role the object holds; the first
// refusal wins.
func (j *changeJudge) judge(n int, roles role, owners []int, os, of pdf.Object, existed bool) {
	before := len(j.out)
	refused := func() bool {
		for _, c := range j.out[before:] {
			if !c.Allowed {
				return true
			}
		}
		return false
	}
	if roles&roleContent != 0 {
		j.refuse(n, ruleDefault, "pdf.change.object", describe(of), j.verb(n, existed))
		return
	}
	if roles&rolePages != 0 {
		j.refuse(n, ruleDefault, "pdf.change.page-tree", j.verb(n, existed))
		return
	}
	ds, _ := os.(pdf.Dict)
	df, _ := of.(pdf.Dict)
	if roles&rolePage != 0 {
		j.page(n, ds, df, existed)
	}
	if roles&roleCatalog != 0 {
		j.catalog(n, ds, df)
	}
	if roles&roleAcroForm != 0 && existed {
		j.acroForm(n, ds, df)
	}
	if roles&(roleFieldArr|roleAnnotArr) != 0 && existed {
		a, _ := os.(pdf.Array)
		b, _ := of.(pdf.Array)
		j.arrayAdditions(n, a, b, roles&roleFieldArr != 0)
	}
	if roles&(roleField|roleAnnot) != 0 {
		if existed {
			j.fieldOrAnnotChanged(n, ds, df)
		} else {
			j.added(n)
		}
	}
	if roles&roleAP != 0 {
		j.appearance(n, owners, existed)
	}
	if roles&roleSigValue != 0 {
		if existed {
			j.refuse(n, ruleDefault, "pdf.change.signature-dictionary")
		} else {
			j.allow(n, ruleSignature, "pdf.change.signature-added")
		}
	}
	if roles&roleDSS != 0 {
		j.allow(n, ruleDSS, "pdf.change.dss-added")
	}
	if roles&roleMeta != 0 {
		j.metadata(n, of)
	}
	if roles&rolePerms != 0 {
		j.perms(n, ds, df)
	}
	if roles&roleFormRes != 0 {
		if j.docMDP == 1 {
			j.refuse(n, ruleDocMDP1, "pdf.change.p1-dr", j.verb(n, existed))
		} else {
			j.allow(n, ruleSignature, "pdf.change.dr-updated")
		}
	}
	if !refused() && roles&(roleField|roleAnnot|roleFieldArr|roleAnnotArr|roleAcroForm|rolePage|roleCatalog) != 0 && len(j.out) == before {
		// A structural object that changed only in ways the checks above
		// found harmless.
		return
	}
}

// page allows a page to change only in its /Annots, judging every
// annotation added and refusing removals.
func (j *changeJudge) page(n int, ds, df pdf.Dict, existed bool) {
	if !existed || ds == nil || df == nil {
		j.refuse(n, ruleDefault, "pdf.change.page-added")
		return
	}
	if bad := j.changedKeys(ds, df, "Annots"); len(bad) > 0 {
		j.refuse(n, ruleDefault, "pdf.change.page-changed", strings.Join(bad, ", "))
		return
	}
	j.arrayValueAdditions(n, ds["Annots"], df["Annots"], false)
}

// arrayValueAdditions is arrayAdditions on the array values before (in
// the signed revision) and after (in the final one).
func (j *changeJudge) arrayValueAdditions(n int, before, after pdf.Object, fields bool) {
	a, _ := j.signed.Resolve(before)
	b, _ := j.final.Resolve(after)
	aa, _ := a.(pdf.Array)
	ba, _ := b.(pdf.Array)
	j.arrayAdditions(n, aa, ba, fields)
}

// arrayAdditions compares the references of an /Annots, /Fields or /Kids
// array: removals are refused, each addition judged.
func (j *changeJudge) arrayAdditions(n int, before, after pdf.Array, fields bool) {
	old := refNums(before)
	now := refNums(after)
	for _, r := range old {
		if !slices.Contains(now, r) {
			if fields {
				j.refuse(n, ruleDefault, "pdf.change.fields-removed")
			} else {
				j.refuse(n, ruleDefault, "pdf.change.annotations-removed")
			}
			return
		}
	}
	// Direct dictionaries in these arrays (not allowed by the standard,
	// but written) are compared by value: one added or changed is refused.
	for _, e := range after {
		if _, isRef := e.(pdf.Ref); isRef {
			continue
		}
		found := false
		for _, o := range before {
			if _, isRef := o.(pdf.Ref); !isRef && sameObject(j.signed, o, j.final, e, 1) {
				found = true
				break
			}
		}
		if !found {
			j.refuse(n, ruleDefault, "pdf.change.direct-annotations")
			return
		}
	}
	for _, r := range now {
		if !slices.Contains(old, r) {
			j.added(r)
		}
	}
}

func refNums(a pdf.Array) []int {
	var out []int
	for _, e := range a {
		if r, ok := e.(pdf.Ref); ok {
			out = append(out, r.Num)
		}
	}
	return out
}

// fieldInfo describes a field or widget n in the final revision: the
// terminal field dictionary's number, its name and type, and whether it
// holds a value.
type fieldInfo struct {
	isField, isSig bool
	field          int // the object holding /T and /V (the widget itself when merged)
	name           string
}

func (j *changeJudge) fieldInfoOf(doc *pdf.Document, n int) fieldInfo {
	g := j.gf
	if doc == j.signed {
		g = j.gs
	}
	o, _ := doc.Object(n)
	d, _ := o.(pdf.Dict)
	if d == nil {
		return fieldInfo{}
	}
	fi := fieldInfo{field: n}
	cur, curNum := d, n
	if _, hasT := d["T"]; !hasT {
		if _, hasFT := d["FT"]; !hasFT {
			p, ok := d["Parent"].(pdf.Ref)
			if !ok && g.parent[n] != 0 {
				p, ok = pdf.Ref{Num: g.parent[n]}, true
			}
			if ok {
				po, _ := doc.Object(p.Num)
				if pd, ok := po.(pdf.Dict); ok {
					cur, curNum = pd, p.Num
				}
			}
		}
	}
	fi.field = curNum
	fi.name = fieldName(doc, curNum)
	ft := ""
	seen := map[int]bool{}
	for x, xn := cur, curNum; x != nil && len(seen) < 32; {
		if seen[xn] {
			break
		}
		seen[xn] = true
		if t, ok := x["FT"].(pdf.Name); ok {
			ft = string(t)
			break
		}
		p, ok := x["Parent"].(pdf.Ref)
		if !ok && g.parent[xn] != 0 {
			p, ok = pdf.Ref{Num: g.parent[xn]}, true
		}
		if !ok {
			break
		}
		po, _ := doc.Object(p.Num)
		x, _ = po.(pdf.Dict)
		xn = p.Num
	}
	_, hasT := cur["T"]
	fi.isField = ft != "" || hasT
	fi.isSig = ft == "Sig"
	return fi
}

// value returns a field's resolved /V in doc (nil when none).
func fieldValue(doc *pdf.Document, n int) pdf.Object {
	o, _ := doc.Object(n)
	d, _ := o.(pdf.Dict)
	if d == nil {
		return nil
	}
	v, _ := doc.Resolve(d["V"])
	return v
}

// signedNow reports a signature field that holds a signature in the final
// revision and did not when signed, and whether that is a document
// time-stamp.
func (j *changeJudge) signedNow(field int) (bool, bool) {
	vf := fieldValue(j.final, field)
	if vf == nil || fieldValue(j.signed, field) != nil {
		return false, false
	}
	d, _ := vf.(pdf.Dict)
	t, _ := d["Type"].(pdf.Name)
	sf, _ := d["SubFilter"].(pdf.Name)
	return true, t == "DocTimeStamp" || sf == "ETSI.RFC3161"
}

// signing judges a signature field signed after the signature under
// analysis.
func (j *changeJudge) signing(n int, fi fieldInfo, dts bool) {
	switch {
	case dts:
		j.allow(n, ruleDocTS, "pdf.change.document-timestamp")
	case j.docMDP == 1:
		j.refuse(n, ruleDocMDP1, "pdf.change.p1-signature", fi.name)
	case j.locked(fi.name):
		j.refuse(n, ruleFieldLock, "pdf.change.locked-signature", fi.name)
	default:
		j.allow(n, ruleSignature, "pdf.change.signature-added")
	}
}

// added judges an annotation or field that became part of the document
// after signing (added to /Annots, /Fields or /Kids, or created).
func (j *changeJudge) added(n int) {
	if j.addedSeen[n] {
		return
	}
	j.addedSeen[n] = true
	fi := j.fieldInfoOf(j.final, n)
	o, _ := j.final.Object(n)
	d, _ := o.(pdf.Dict)
	switch {
	case fi.isSig:
		if now, dts := j.signedNow(fi.field); now {
			j.signing(n, fi, dts)
			return
		}
		if fieldValue(j.final, fi.field) != nil {
			j.refuse(n, ruleDefault, "pdf.change.signature-old-value", fi.name)
			return
		}
		if j.docMDP == 3 {
			j.allow(n, ruleAnnotations, "pdf.change.annotation-added")
			return
		}
		j.refuse(n, ruleDefault, "pdf.change.unsigned-signature-field", fi.name)
	case fi.isField:
		j.refuse(n, ruleDefault, "pdf.change.field-added", fi.name)
	case d != nil:
		sub, _ := d["Subtype"].(pdf.Name)
		if j.docMDP == 3 {
			j.allow(n, ruleAnnotations, "pdf.change.annotation-added")
			return
		}
		j.refuse(n, ruleAnnotations, "pdf.change.annotation-added-refused", sub)
	default:
		j.refuse(n, ruleDefault, "pdf.change.not-annotation", describe(o))
	}
}

// fieldOrAnnotChanged judges a field, widget or annotation that existed
// when signed and changed.
func (j *changeJudge) fieldOrAnnotChanged(n int, ds, df pdf.Dict) {
	if ds == nil || df == nil {
		j.refuse(n, ruleDefault, "pdf.change.field-replaced", describe(df))
		return
	}
	fi := j.fieldInfoOf(j.final, n)
	if !fi.isField {
		if j.docMDP == 3 {
			j.allow(n, ruleAnnotations, "pdf.change.annotation-changed")
			return
		}
		sub, _ := df["Subtype"].(pdf.Name)
		j.refuse(n, ruleAnnotations, "pdf.change.annotation-changed-refused", sub)
		return
	}
	if fi.isSig {
		if fieldValue(j.signed, fi.field) != nil && !sameObject(j.signed, ds["V"], j.final, df["V"], 1) && fi.field == n {
			j.refuse(n, ruleDefault, "pdf.change.signed-value-replaced", fi.name)
			return
		}
		now, dts := j.signedNow(fi.field)
		if !now {
			// Already signed, or still empty: only its lock and seed
			// values may change (they change nothing shown).
			if bad := j.changedKeys(ds, df, "Lock", "SV"); len(bad) > 0 {
				if j.docMDP == 3 && fieldValue(j.final, fi.field) == nil {
					j.allow(n, ruleAnnotations, "pdf.change.annotation-changed")
					return
				}
				j.refuse(n, ruleDefault, "pdf.change.signature-field-changed", fi.name, strings.Join(bad, ", "))
				return
			}
			j.allow(n, ruleSignature, "pdf.change.lock-updated")
			return
		}
		if bad := j.changedKeys(ds, df, "V", "AP", "AS", "MK", "F", "Lock", "SV", "DR", "Kids"); len(bad) > 0 {
			j.refuse(n, ruleDefault, "pdf.change.signature-field-changed", fi.name, strings.Join(bad, ", "))
			return
		}
		if j.sharedAppearance(n, ds, df) {
			return
		}
		j.kids(n, ds, df)
		j.signing(n, fi, dts)
		return
	}
	if bad := j.changedKeys(ds, df, "V", "AS", "AP", "MK"); len(bad) > 0 {
		j.refuse(n, ruleDefault, "pdf.change.field-changed", fi.name, strings.Join(bad, ", "))
		return
	}
	if j.sharedAppearance(n, ds, df) {
		return
	}
	j.fill(n, fi)
}

// sharedAppearance refuses replacing the appearance of widget n when what
// it replaces was also used elsewhere in the signed revision (page
// content, another dictionary): the update would then re-purpose shared
// objects, which pyHanko's tests show as a way to smuggle content.
func (j *changeJudge) sharedAppearance(n int, ds, df pdf.Dict) bool {
	if sameObject(j.signed, ds["AP"], j.final, df["AP"], 1) {
		return false
	}
	// The replaced appearance objects themselves: the /AP dictionary and
	// its /N, /R and /D streams (or state dictionaries). What they use in
	// turn (fonts shared with the page) is not replaced.
	var nums []int
	if r, ok := ds["AP"].(pdf.Ref); ok {
		nums = append(nums, r.Num)
	}
	apo, _ := j.signed.Resolve(ds["AP"])
	ap, _ := apo.(pdf.Dict)
	for _, k := range []pdf.Name{"N", "R", "D"} {
		switch v := ap[k].(type) {
		case pdf.Ref:
			nums = append(nums, v.Num)
			if o, _ := j.signed.Object(v.Num); o != nil {
				if sd, ok := o.(pdf.Dict); ok {
					nums = append(nums, refNums(dictValues(sd))...)
				}
			}
		case pdf.Dict:
			nums = append(nums, refNums(dictValues(v))...)
		}
	}
	for _, num := range nums {
		if node := j.gs.nodes[num]; node != nil && node.roles&roleContent != 0 {
			j.refuse(n, ruleDefault, "pdf.change.shared-appearance", j.fieldInfoOf(j.final, n).name, num)
			return true
		}
	}
	return false
}

func dictValues(d pdf.Dict) pdf.Array {
	out := make(pdf.Array, 0, len(d))
	for _, v := range d {
		out = append(out, v)
	}
	return out
}

// kids judges the /Kids of a field that changed.
func (j *changeJudge) kids(n int, ds, df pdf.Dict) {
	a, _ := j.signed.Resolve(ds["Kids"])
	b, _ := j.final.Resolve(df["Kids"])
	aa, _ := a.(pdf.Array)
	ba, _ := b.(pdf.Array)
	j.arrayAdditions(n, aa, ba, true)
}

// fill judges filling in form field fi (its value, its state or its own
// appearance changed).
func (j *changeJudge) fill(n int, fi fieldInfo) {
	switch {
	case j.docMDP == 1:
		j.refuse(n, ruleDocMDP1, "pdf.change.p1-fill", fi.name)
	case j.locked(fi.name):
		j.refuse(n, ruleFieldLock, "pdf.change.locked-fill", fi.name)
	case !j.valueChanged(fi):
		// Only a filled-in field may show a new appearance: a new
		// appearance over an unchanged value shows what was not signed
		// (the pdf-insecurity.org "replace" shadow attack).
		j.refuse(n, ruleFormFill, "pdf.change.appearance-without-value", fi.name)
	default:
		j.allow(n, ruleFormFill, "pdf.change.form-filled")
	}
}

// valueChanged reports whether field fi's value differs from its signed
// state.
func (j *changeJudge) valueChanged(fi fieldInfo) bool {
	return !sameObject(j.signed, fieldValue(j.signed, fi.field), j.final, fieldValue(j.final, fi.field), 1)
}

// appearance judges an appearance object (or part of one) added or
// changed: it must belong only to annotations whose change is allowed.
func (j *changeJudge) appearance(n int, owners []int, existed bool) {
	if len(owners) == 0 {
		j.refuse(n, ruleDefault, "pdf.change.appearance-object", j.verb(n, existed))
		return
	}
	seen := map[int]bool{}
	// rule is the rule of the last owner; each rule allows with its own
	// code below.
	rule := ruleSignature
	for _, w := range owners {
		if seen[w] {
			continue
		}
		seen[w] = true
		if w == 0 {
			j.refuse(n, ruleDefault, "pdf.change.direct-widget-appearance", j.verb(n, existed))
			return
		}
		fi := j.fieldInfoOf(j.final, w)
		if !fi.isField {
			fi = j.fieldInfoOf(j.signed, w)
		}
		switch {
		case fi.isSig:
			now, dts := j.signedNow(fi.field)
			_, wasThere := j.signed.Entry(w)
			switch {
			case now && dts:
			case now && j.docMDP == 1:
				j.refuse(n, ruleDocMDP1, "pdf.change.p1-signature-appearance", fi.name, j.verb(n, existed))
				return
			case now:
			case !wasThere && j.docMDP == 3:
			default:
				j.refuse(n, ruleDefault, "pdf.change.signature-appearance", fi.name, j.verb(n, existed))
				return
			}
		case fi.isField:
			rule = ruleFormFill
			switch {
			case j.docMDP == 1:
				j.refuse(n, ruleDocMDP1, "pdf.change.p1-field-appearance", fi.name, j.verb(n, existed))
				return
			case j.locked(fi.name):
				j.refuse(n, ruleFieldLock, "pdf.change.locked-field-appearance", fi.name, j.verb(n, existed))
				return
			case !j.valueChanged(fi):
				j.refuse(n, ruleFormFill, "pdf.change.field-appearance-without-value", fi.name, j.verb(n, existed))
				return
			}
		default:
			if j.docMDP != 3 {
				j.refuse(n, ruleAnnotations, "pdf.change.annotation-appearance", j.verb(n, existed))
				return
			}
			rule = ruleAnnotations
		}
	}
	switch rule {
	case ruleFormFill:
		j.allow(n, rule, "pdf.change.form-filled")
	case ruleAnnotations:
		j.allow(n, rule, "pdf.change.annotation-changed")
	default:
		j.allow(n, rule, "pdf.change.signature-appearance-added")
	}
}

// catalog allows the catalog to change in /AcroForm (judged as the form),
// /DSS, /Metadata (an XMP stream), /Version, /Extensions and /Perms (with
// /DocMDP kept).
func (j *changeJudge) catalog(n int, ds, df pdf.Dict) {
	if ds == nil || df == nil {
		j.refuse(n, ruleDefault, "pdf.change.catalog-replaced")
		return
	}
	if bad := j.changedKeys(ds, df, "AcroForm", "DSS", "Metadata", "Version", "Extensions", "Perms"); len(bad) > 0 {
		j.refuse(n, ruleDefault, "pdf.change.catalog-changed", strings.Join(bad, ", "))
		return
	}
	if !sameObject(j.signed, ds["AcroForm"], j.final, df["AcroForm"], 1) {
		a, _ := j.signed.Resolve(ds["AcroForm"])
		b, _ := j.final.Resolve(df["AcroForm"])
		ad, _ := a.(pdf.Dict)
		bd, _ := b.(pdf.Dict)
		if bd == nil && ad != nil {
			j.refuse(n, ruleDefault, "pdf.change.form-removed")
			return
		}
		j.acroForm(n, ad, bd)
	}
	if !sameObject(j.signed, ds["Metadata"], j.final, df["Metadata"], 1) {
		r, _ := df["Metadata"].(pdf.Ref)
		o, _ := j.final.Resolve(df["Metadata"])
		if !xmpStream(j.final, o, r) {
			j.refuse(n, ruleMetadata, "pdf.change.metadata-not-xmp")
			return
		}
	}
	if !sameObject(j.signed, ds["Perms"], j.final, df["Perms"], 1) {
		a, _ := j.signed.Resolve(ds["Perms"])
		b, _ := j.final.Resolve(df["Perms"])
		ad, _ := a.(pdf.Dict)
		bd, _ := b.(pdf.Dict)
		j.perms(n, ad, bd)
	}
	j.allow(n, ruleMetadata, "pdf.change.catalog-updated")
}

// acroForm allows the form dictionary to change in /Fields (removals
// refused, additions judged), /SigFlags, /DR, /DA and /NeedAppearances.
func (j *changeJudge) acroForm(n int, ds, df pdf.Dict) {
	if df == nil {
		j.refuse(n, ruleDefault, "pdf.change.form-replaced")
		return
	}
	if ds == nil {
		ds = pdf.Dict{}
	}
	if bad := j.changedKeys(ds, df, "Fields", "SigFlags", "DR", "DA", "NeedAppearances"); len(bad) > 0 {
		j.refuse(n, ruleDefault, "pdf.change.form-changed", strings.Join(bad, ", "))
		return
	}
	j.arrayValueAdditions(n, ds["Fields"], df["Fields"], true)
}

// metadata judges /Info, /Extensions and the catalog's /Metadata stream.
func (j *changeJudge) metadata(n int, of pdf.Object) {
	if s, ok := of.(*pdf.Stream); ok {
		if !xmpStream(j.final, s, pdf.Ref{Num: n}) {
			j.refuse(n, ruleMetadata, "pdf.change.metadata-not-xmp")
			return
		}
		j.allow(n, ruleMetadata, "pdf.change.metadata-updated")
		return
	}
	j.allow(n, ruleMetadata, "pdf.change.metadata-updated")
}

// xmpStream reports an XMP metadata stream: /Type /Metadata /Subtype /XML
// and XML data.
func xmpStream(doc *pdf.Document, o pdf.Object, r pdf.Ref) bool {
	s, ok := o.(*pdf.Stream)
	if !ok {
		return false
	}
	d := s.Dict()
	if t, _ := d["Type"].(pdf.Name); t != "Metadata" {
		return false
	}
	if st, _ := d["Subtype"].(pdf.Name); st != "XML" {
		return false
	}
	data, err := doc.Decode(s, r)
	if err != nil {
		return false
	}
	data = bytes.TrimPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("<"))
}

// perms allows /Perms to change as long as its /DocMDP entry stays.
func (j *changeJudge) perms(n int, ds, df pdf.Dict) {
	var a, b pdf.Object
	if ds != nil {
		a = ds["DocMDP"]
	}
	if df != nil {
		b = df["DocMDP"]
	}
	if !sameObject(j.signed, a, j.final, b, 1) {
		j.refuse(n, ruleDefault, "pdf.change.docmdp-changed")
		return
	}
	j.allow(n, ruleMetadata, "pdf.change.perms-updated")
}

// changedKeys lists the keys whose values differ between a and b, other
// than those allowed.
func (j *changeJudge) changedKeys(a, b pdf.Dict, allowed ...pdf.Name) []string {
	var bad []string
	for k, v := range a {
		if !slices.Contains(allowed, k) && !sameObject(j.signed, v, j.final, b[k], 1) {
			bad = append(bad, "/"+string(k))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok && !slices.Contains(allowed, k) && v != nil {
			bad = append(bad, "/"+string(k))
		}
	}
	sort.Strings(bad)
	return bad
}

// locked reports whether one of the signature's locks freezes the field
// named name.
func (j *changeJudge) locked(name string) bool {
	for _, l := range j.locks {
		if l.locks(name) {
			return true
		}
	}
	return false
}

// sameObject compares a value of document da with one of db: direct values
// by value, references (below depth 0) by object number and generation,
// streams by dictionary and decoded data.
func sameObject(da *pdf.Document, a pdf.Object, db *pdf.Document, b pdf.Object, depth int) bool {
	if depth > 64 {
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool, int64, pdf.Name:
		return a == b
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case pdf.String:
		y, ok := b.(pdf.String)
		return ok && bytes.Equal(x, y)
	case pdf.Ref:
		y, ok := b.(pdf.Ref)
		return ok && x == y
	case pdf.Array:
		y, ok := b.(pdf.Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameObject(da, x[i], db, y[i], depth+1) {
				return false
			}
		}
		return true
	case pdf.Dict:
		y, ok := b.(pdf.Dict)
		return ok && sameDict(da, x, db, y, depth)
	case *pdf.Stream:
		y, ok := b.(*pdf.Stream)
		if !ok || !sameDict(da, x.Dict(), db, y.Dict(), depth) {
			return false
		}
		return sameStreamData(da, x, pdf.Ref{}, db, y, pdf.Ref{})
	}
	return false
}

func sameDict(da *pdf.Document, x pdf.Dict, db *pdf.Document, y pdf.Dict, depth int) bool {
	n := 0
	for k, v := range x {
		if k == "Length" {
			continue
		}
		w, ok := y[k]
		if !ok && v != nil {
			return false
		}
		if !sameObject(da, v, db, w, depth+1) {
			return false
		}
		n++
	}
	for k, w := range y {
		if _, ok := x[k]; !ok && k != "Length" && w != nil {
			return false
		}
	}
	return true
}

// sameStreamData compares two streams' data: as stored first, decoded
// when that differs (the same content compressed anew is no change).
func sameStreamData(da *pdf.Document, x *pdf.Stream, ra pdf.Ref, db *pdf.Document, y *pdf.Stream, rb pdf.Ref) bool {
	if x.Length() == y.Length() && x.Length() <= 16<<20 && ra == rb {
		a, errA := io.ReadAll(da.Raw(x))
		b, errB := io.ReadAll(db.Raw(y))
		if errA == nil && errB == nil && bytes.Equal(a, b) {
			return true
		}
	}
	a, errA := da.Decode(x, ra)
	b, errB := db.Decode(y, rb)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// sameTop compares object n of the signed and the final revision.
func (j *changeJudge) sameTop(n int, os, of pdf.Object) bool {
	x, ok1 := os.(*pdf.Stream)
	y, ok2 := of.(*pdf.Stream)
	if !ok1 || !ok2 {
		return sameObject(j.signed, os, j.final, of, 0)
	}
	es, _ := j.signed.Entry(n)
	ef, _ := j.final.Entry(n)
	ra, rb := pdf.Ref{Num: n}, pdf.Ref{Num: n}
	if es.Type == 1 {
		ra.Gen = es.Gen
	}
	if ef.Type == 1 {
		rb.Gen = ef.Gen
	}
	return sameDict(j.signed, x.Dict(), j.final, y.Dict(), 0) && sameStreamData(j.signed, x, ra, j.final, y, rb)
}

// describe names an object for people.
func describe(o pdf.Object) string {
	switch v := o.(type) {
	case *pdf.Stream:
		if st, ok := v.Dict()["Subtype"].(pdf.Name); ok {
			return "stream /" + string(st)
		}
		return "stream (page content or other data)"
	case pdf.Dict:
		if t, ok := v["Type"].(pdf.Name); ok {
			return "/" + string(t)
		}
		return "dictionary"
	case pdf.Array:
		return "array"
	case nil:
		return "null"
	}
	return "value"
}
