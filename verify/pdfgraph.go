package verify

import (
	"sort"
	"strconv"

	"github.com/kyso-vn/kyso/pdf"
)

// role is what an indirect object is to the document, as the walk from the
// trailer reached it. An object may hold several roles (an appearance
// stream also drawn as page content); a change must be allowed under every
// one.
type role uint32

const (
	roleCatalog  role = 1 << iota
	roleAcroForm      // the interactive form dictionary
	roleFieldArr      // /AcroForm /Fields or a field's /Kids
	roleField         // a form field (or a widget reached as a field)
	rolePages         // a page tree node
	rolePage          // a page
	roleAnnotArr      // a page's /Annots
	roleAnnot         // an annotation (widgets included)
	roleAP            // part of an annotation's appearance (/AP)
	roleSigValue      // a signature dictionary and what it holds
	roleDSS           // the Document Security Store
	roleMeta          // /Info, the catalog's /Metadata and /Extensions
	rolePerms         // the catalog's /Perms
	roleFormRes       // the form's default resources (/DR)
	roleContent       // anything else: page content, resources, outlines, …
)

// maxGraphObjects bounds the objects one walk visits.
const maxGraphObjects = 2_000_000

type graphNode struct {
	roles  role
	path   string
	owners []int // annotations whose /AP reaches the object
}

type walkCtx struct {
	role   role
	owner  int    // roleAP: the annotation whose appearance this is
	ft     string // roleField: the inherited field type
	parent int    // roleField, roleFieldArr: the field whose /Kids this is
}

type graphItem struct {
	num  int
	ctx  walkCtx
	path string
}

type visitKey struct {
	num   int
	role  role
	owner int
}

// objectGraph is every indirect object reachable from a revision's trailer,
// with its roles and the first path that reached it.
type objectGraph struct {
	doc      *pdf.Document
	nodes    map[int]*graphNode
	visited  map[visitKey]bool
	queue    []graphItem
	complete bool // false when the walk met unreadable objects or its bound
	// parent maps a field or widget to the field whose /Kids hold it
	// (widgets need not carry /Parent).
	parent map[int]int
}

func buildGraph(doc *pdf.Document) *objectGraph {
	g := &objectGraph{doc: doc, nodes: map[int]*graphNode{}, visited: map[visitKey]bool{}, complete: true, parent: map[int]int{}}
	tr := doc.Trailer()
	g.value(tr["Root"], walkCtx{role: roleCatalog}, "/Root")
	g.value(tr["Info"], walkCtx{role: roleMeta}, "/Info")
	// Anything else the trailer refers to (/Encrypt, private keys) is
	// reachable too: a change there is not an unreferenced object.
	keys := make([]string, 0, len(tr))
	for k := range tr {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "Root", "Info", "Prev", "XRefStm", "Size", "ID":
			continue
		}
		g.value(tr[pdf.Name(k)], walkCtx{role: roleContent}, "/"+k)
	}
	for len(g.queue) > 0 {
		it := g.queue[0]
		g.queue = g.queue[1:]
		g.visit(it)
	}
	g.visited = nil
	return g
}

// value walks a value met at path in context ctx: references are queued,
// direct containers walked.
func (g *objectGraph) value(o pdf.Object, ctx walkCtx, path string) {
	switch v := o.(type) {
	case pdf.Ref:
		k := visitKey{v.Num, ctx.role, ctx.owner}
		if g.visited[k] {
			return
		}
		if len(g.visited) >= maxGraphObjects {
			g.complete = false
			return
		}
		g.visited[k] = true
		g.queue = append(g.queue, graphItem{num: v.Num, ctx: ctx, path: path})
	case pdf.Dict:
		g.children(v, 0, ctx, path)
	case pdf.Array:
		ectx := ctx
		switch ctx.role {
		case roleFieldArr:
			ectx = walkCtx{role: roleField, ft: ctx.ft, parent: ctx.parent}
		case roleAnnotArr:
			ectx = walkCtx{role: roleAnnot}
		}
		for i, e := range v {
			g.value(e, ectx, path+"["+strconv.Itoa(i)+"]")
		}
	}
}

// structural reports dictionaries reached through their own structure
// (pages, annotations, fields, the catalog), which other references (a
// structure element's /Pg, an outline's destination) do not re-label.
func structural(d pdf.Dict) bool {
	switch t, _ := d["Type"].(pdf.Name); t {
	case "Page", "Pages", "Catalog", "Annot":
		return true
	}
	if _, ok := d["FT"]; ok {
		return true
	}
	_, sub := d["Subtype"].(pdf.Name)
	_, rect := d["Rect"]
	_, isStream := d["Length"]
	return sub && rect && !isStream
}

func (g *objectGraph) visit(it graphItem) {
	o, err := g.doc.Object(it.num)
	if err != nil {
		g.complete = false
	}
	var d pdf.Dict
	switch v := o.(type) {
	case pdf.Dict:
		d = v
	case *pdf.Stream:
		d = v.Dict()
	}
	ctx := it.ctx
	switch ctx.role {
	case roleContent, roleAP, roleSigValue, roleDSS, roleMeta, roleFormRes, rolePerms:
		if d != nil && structural(d) {
			return
		}
	case rolePages:
		if t, _ := d["Type"].(pdf.Name); t == "Page" {
			ctx.role = rolePage
		}
	}
	n := g.nodes[it.num]
	if n == nil {
		n = &graphNode{path: it.path}
		g.nodes[it.num] = n
	}
	n.roles |= ctx.role
	if ctx.role == roleField && ctx.parent != 0 {
		if _, ok := g.parent[it.num]; !ok {
			g.parent[it.num] = ctx.parent
		}
	}
	if ctx.role == roleAP && len(n.owners) < 64 {
		n.owners = append(n.owners, ctx.owner)
	}
	switch v := o.(type) {
	case pdf.Dict:
		g.children(v, it.num, ctx, it.path)
	case *pdf.Stream:
		g.children(v.Dict(), it.num, ctx, it.path)
	case pdf.Array:
		g.value(v, ctx, it.path)
	}
}

// children walks the entries of dictionary d (object self, 0 when direct)
// in context ctx.
func (g *objectGraph) children(d pdf.Dict, self int, ctx walkCtx, path string) {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	ft := ctx.ft
	if v, ok := d["FT"].(pdf.Name); ok {
		ft = string(v)
	} else if ctx.role == roleAnnot {
		// A widget reached from a page's /Annots inherits its field
		// type from its /Parent chain (a signature shown by several
		// widgets carries /V on each, as poppler and MuPDF read it).
		ft = g.inheritedFT(d)
	}
	for _, ks := range keys {
		k := pdf.Name(ks)
		v := d[k]
		c, ok := childCtx(ctx, k, self, ft)
		if !ok {
			continue
		}
		g.value(v, c, path+"/"+ks)
	}
}

// inheritedFT follows a widget's /Parent chain (at most 32 levels) to the
// field type it inherits; "" when none.
func (g *objectGraph) inheritedFT(d pdf.Dict) string {
	for i := 0; i < 32; i++ {
		r, ok := d["Parent"].(pdf.Ref)
		if !ok {
			return ""
		}
		o, err := g.doc.Object(r.Num)
		if err != nil {
			return ""
		}
		if d, ok = o.(pdf.Dict); !ok {
			return ""
		}
		if v, ok := d["FT"].(pdf.Name); ok {
			return string(v)
		}
	}
	return ""
}

// childCtx gives the context of entry k of a dictionary in context ctx;
// false for back-references and entries not walked.
func childCtx(ctx walkCtx, k pdf.Name, self int, ft string) (walkCtx, bool) {
	gen := walkCtx{role: roleContent}
	switch ctx.role {
	case roleCatalog:
		switch k {
		case "AcroForm":
			return walkCtx{role: roleAcroForm}, true
		case "Pages":
			return walkCtx{role: rolePages}, true
		case "DSS":
			return walkCtx{role: roleDSS}, true
		case "Metadata", "Extensions":
			return walkCtx{role: roleMeta}, true
		case "Perms":
			return walkCtx{role: rolePerms}, true
		}
		return gen, true
	case roleAcroForm:
		switch k {
		case "Fields":
			return walkCtx{role: roleFieldArr}, true
		case "DR":
			return walkCtx{role: roleFormRes}, true
		}
		return gen, true
	case roleField:
		switch k {
		case "Kids":
			return walkCtx{role: roleFieldArr, ft: ft, parent: self}, true
		case "Parent", "P":
			return ctx, false
		case "V":
			if ft == "Sig" {
				return walkCtx{role: roleSigValue}, true
			}
			return gen, true
		case "AP":
			return walkCtx{role: roleAP, owner: self}, true
		case "Lock", "SV":
			return walkCtx{role: roleSigValue}, true
		case "DR":
			return walkCtx{role: roleFormRes}, true
		}
		return gen, true
	case rolePages:
		switch k {
		case "Kids":
			return walkCtx{role: rolePages}, true
		case "Parent":
			return ctx, false
		}
		return gen, true
	case rolePage:
		switch k {
		case "Annots":
			return walkCtx{role: roleAnnotArr}, true
		case "Parent":
			return ctx, false
		}
		return gen, true
	case roleAnnot:
		switch k {
		case "AP":
			return walkCtx{role: roleAP, owner: self}, true
		case "Parent", "P", "IRT", "Kids":
			return ctx, false
		case "Popup":
			return walkCtx{role: roleAnnot}, true
		case "V", "Lock", "SV":
			if ft == "Sig" || k != "V" {
				return walkCtx{role: roleSigValue}, true
			}
			return gen, true
		}
		return gen, true
	case roleSigValue, rolePerms:
		if k == "Data" || k == "Parent" || k == "P" {
			return ctx, false
		}
		return walkCtx{role: roleSigValue}, true
	case roleAP:
		return walkCtx{role: roleAP, owner: ctx.owner}, true
	case roleFieldArr, roleAnnotArr:
		return ctx, true
	case roleContent:
		if k == "Parent" || k == "P" {
			return ctx, false
		}
	}
	return walkCtx{role: ctx.role}, true
}
