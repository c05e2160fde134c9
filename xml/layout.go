package xml

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNotDocumentData: a signature placed in a known Vietnamese layout signs
// something other than the data a reader of that layout sees (a wrapped or
// moved DLHDon, a second element of the data's name, a reference outside
// the layout). The signature's mathematics may hold; the document is not
// what was signed.
var ErrNotDocumentData = errors.New("xml: the signed data is not the document's data")

// Layout is the place of a signature in a known layout (Decision
// 1450/QĐ-TCT and its amendments) and the data that place obliges it to
// cover.
type Layout struct {
	// Container is the local name of the element the signature belongs to:
	// "HDon" (invoice), "TBao" (tax notice), "TKhai" (registration form),
	// "BBan" (adjustment record) or "TDiep" (a taxpayer message signed as a
	// whole, TDiep/CKSNNT).
	Container string
	// Noun names the document in English for messages: "invoice",
	// "notice", "declaration", "record" or "message".
	Noun string
	// Role is the local name of the slot that holds the Signature ("NBan",
	// "NMua", "CQT", "CCKSKhac", "TTCQT", "NNT", "CKSNNT", …), "" when the
	// Signature sits directly in DSCKS or elsewhere in the container.
	Role string
	// ContainerPath is the absolute path of the container element.
	ContainerPath string
	// Data is the absolute path of the data element every signature of the
	// container must cover (HDon/DLHDon, TBao/DLTBao, TKhai/DLTKhai,
	// BBan/NDBBan, TDiep/DLieu); Required lists it and what the role adds
	// (MCCQT for the tax authority's signature on an invoice).
	Data     string
	Required []string

	container *Node
	spec      *layoutSpec
}

// layoutSpec says what the signatures of one container sign.
type layoutSpec struct {
	noun string
	data string
	// extra are the other children of the container a signature may
	// reference; roleRequired those a role must reference.
	extra        []string
	roleRequired map[string][]string
}

var layoutSpecs = map[string]*layoutSpec{
	"HDon":  {noun: "invoice", data: "DLHDon", extra: []string{"MCCQT"}, roleRequired: map[string][]string{"CQT": {"MCCQT"}}},
	"TBao":  {noun: "notice", data: "DLTBao", extra: []string{"STBao"}},
	"TKhai": {noun: "declaration", data: "DLTKhai"},
	"BBan":  {noun: "record", data: "NDBBan"},
	"TDiep": {noun: "message", data: "DLieu"},
}

// ResolveLayout returns the layout a Signature element's place gives it, or
// nil when the signature is not in a known layout. The nearest enclosing
// HDon, TBao, TKhai or BBan decides, wherever inside it the Signature sits
// (a Signature moved inside the invoice still has to cover the invoice's
// own data); TDiep decides only for a Signature in one of its own slots
// (TDiep/CKSNNT, TDiep/DSCKS/…), so messages carrying other documents are
// not misjudged.
func ResolveLayout(sig *Node) *Layout {
	if sig == nil || sig.kind != ElementNode {
		return nil
	}
	var container *Node
	for a := sig.parent; a != nil; a = a.parent {
		if n := a.LocalName(); n != "TDiep" && layoutSpecs[n] != nil {
			container = a
			break
		}
	}
	slot := sig.parent
	if container == nil && slot != nil && slot.parent != nil {
		switch p := slot.parent; {
		case p.LocalName() == "TDiep":
			container = p
		case p.LocalName() == "DSCKS" && p.parent != nil && p.parent.LocalName() == "TDiep":
			container = p.parent
		case slot.LocalName() == "DSCKS" && p.LocalName() == "TDiep":
			container = p
		}
	}
	if container == nil {
		return nil
	}
	spec := layoutSpecs[container.LocalName()]
	l := &Layout{Container: container.LocalName(), Noun: spec.noun, ContainerPath: container.Path(), container: container, spec: spec}
	if slot != nil && slot != container && slot.LocalName() != "DSCKS" {
		l.Role = slot.LocalName()
	}
	l.Data = l.ContainerPath + "/" + spec.data
	l.Required = append(l.Required, l.Data)
	for _, r := range spec.roleRequired[l.Role] {
		l.Required = append(l.Required, l.ContainerPath+"/"+r)
	}
	return l
}

// LayoutError is the error in Signature.LayoutErr: what the signature signs
// is not the data a reader of its layout sees. errors.Is(err,
// ErrNotDocumentData) holds.
type LayoutError struct {
	// Noun names the document ("invoice", "notice", …), Detail what was
	// found, in English, with absolute paths.
	Noun   string
	Detail string
	// Problem names what was found, for programs and translations, and
	// Args are its values (paths, counts, namespaces) in the order the
	// Problem's constant lists them.
	Problem LayoutProblem
	Args    []string
}

// LayoutProblem names what a LayoutError found.
type LayoutProblem string

// The problems a LayoutError reports, with the Args each carries.
const (
	// LayoutNested: the container lies inside another (container path,
	// enclosing path).
	LayoutNested LayoutProblem = "nested"
	// LayoutRepeated: the container holds a data element more than once
	// (container path, count, element name).
	LayoutRepeated LayoutProblem = "repeated"
	// LayoutNamespace: a data element is in another namespace than its
	// container (element path, its namespace, container path, the
	// container's namespace).
	LayoutNamespace LayoutProblem = "namespace"
	// LayoutSecondID: two data elements carry an Id (container path,
	// count, element name, first path, second path).
	LayoutSecondID LayoutProblem = "second-id"
	// LayoutOtherElement: a reference signs something other than the
	// document's data (signed path, data path).
	LayoutOtherElement LayoutProblem = "other-element"
	// LayoutMissing: the container lacks a required element (container
	// path, element name).
	LayoutMissing LayoutProblem = "missing"
	// LayoutUnsigned: a required element is not signed (its path).
	LayoutUnsigned LayoutProblem = "unsigned"
	// LayoutUnsignedTime: the signature's own SigningTime is not signed
	// (its path).
	LayoutUnsignedTime LayoutProblem = "unsigned-signing-time"
)

func (e *LayoutError) Error() string {
	return "the signed data is not the " + e.Noun + "'s data: " + e.Detail
}

// Is makes errors.Is(err, ErrNotDocumentData) true.
func (e *LayoutError) Is(target error) bool { return target == ErrNotDocumentData }

// problem builds the LayoutError for p with its args; the English detail
// is written from them.
func (l *Layout) problem(p LayoutProblem, args ...string) error {
	var d string
	switch p {
	case LayoutNested:
		d = fmt.Sprintf("%s lies inside %s", args[0], args[1])
	case LayoutRepeated:
		d = fmt.Sprintf("%s holds %s %s elements", args[0], args[1], args[2])
	case LayoutNamespace:
		d = fmt.Sprintf("%s is in namespace %q, %s in %q", args[0], args[1], args[2], args[3])
	case LayoutSecondID:
		d = fmt.Sprintf("%s holds %s %s elements with an Id (%s, %s)", args[0], args[1], args[2], args[3], args[4])
	case LayoutOtherElement:
		d = fmt.Sprintf("%s is signed, the %s's data is %s", args[0], l.Noun, args[1])
	case LayoutMissing:
		d = fmt.Sprintf("%s has no %s", args[0], args[1])
	case LayoutUnsigned:
		d = "the signature does not sign " + args[0]
	case LayoutUnsignedTime:
		d = "the signature does not sign its SigningTime " + args[0]
	}
	return &LayoutError{Noun: l.Noun, Detail: d, Problem: p, Args: args}
}

// check decides whether the references of the signature sig (resolved,
// with what each leaves out) sign the container's data: the container in a
// place a reader of the layout looks, exactly one element of each required
// name among its children, no second Id-bearing element of the data's name
// inside it, every required element covered, and every reference resolving
// to the container's data, another of its data children the layout names,
// or the signature's own objects.
func (l *Layout) check(sig *Node, refs []Reference, idNames []string) error {
	return l.checkCached(sig, refs, idNames, nil)
}

// checkCached is check with a cache of the Id-bearing data elements found
// in each container, so that many signatures in one large container walk
// it once.
func (l *Layout) checkCached(sig *Node, refs []Reference, idNames []string, cache map[*Node][]*Node) error {
	c := l.container
	for a := c.parent; a != nil; a = a.parent {
		switch {
		case a.Is(NamespaceDSig, "Signature"), a.Is(NamespaceDSig, "Object"),
			l.Container != "TDiep" && a.LocalName() != "TDiep" && layoutSpecs[a.LocalName()] != nil:
			return l.problem(LayoutNested, l.ContainerPath, a.Path())
		}
	}
	dataNames := append([]string{l.spec.data}, l.spec.extra...)
	children := make(map[string]*Node, len(dataNames))
	for _, name := range dataNames {
		n := 0
		for ch := c.first; ch != nil; ch = ch.next {
			if ch.kind == ElementNode && ch.LocalName() == name {
				n++
				children[name] = ch
			}
		}
		if n > 1 {
			return l.problem(LayoutRepeated, l.ContainerPath, strconv.Itoa(n), name)
		}
		if ch := children[name]; ch != nil && ch.NamespaceURI() != c.NamespaceURI() {
			return l.problem(LayoutNamespace, ch.Path(), ch.NamespaceURI(), l.ContainerPath, c.NamespaceURI())
		}
	}
	if len(idNames) == 0 {
		idNames = defaultIDAttrs
	}
	idBearing, ok := cache[c]
	if !ok {
		walkElements(c, func(n *Node) bool {
			if n.LocalName() == l.spec.data && hasID(n, idNames) {
				idBearing = append(idBearing, n)
			}
			return true
		})
		if cache != nil {
			cache[c] = idBearing
		}
	}
	if len(idBearing) > 1 {
		return l.problem(LayoutSecondID, l.ContainerPath, strconv.Itoa(len(idBearing)), l.spec.data, idBearing[0].Path(), idBearing[1].Path())
	}
	isData := func(el *Node) bool {
		for _, ch := range children {
			if ch == el {
				return true
			}
		}
		return false
	}
	seen := make(map[*Node]bool, len(refs))
	for i := range refs {
		el := refs[i].Element
		if seen[el] {
			continue // each referenced subtree is searched once
		}
		seen[el] = true
		switch {
		case el == nil:
		case isData(el), el.IsAncestorOf(c):
		case sig.IsAncestorOf(el) && el != sig:
			// The signature's own objects (SigningTime, XAdES
			// SignedProperties) — but no data element moved into them.
			var moved *Node
			walkElements(el, func(n *Node) bool {
				for _, name := range dataNames {
					if n.LocalName() == name {
						moved = n
						return false
					}
				}
				return true
			})
			if moved != nil {
				return l.problem(LayoutOtherElement, moved.Path(), l.Data)
			}
		default:
			return l.problem(LayoutOtherElement, el.Path(), l.Data)
		}
	}
	required := []*Node{children[l.spec.data]}
	for _, r := range l.spec.roleRequired[l.Role] {
		required = append(required, children[r])
	}
	for i, req := range required {
		if req == nil {
			return l.problem(LayoutMissing, l.ContainerPath, l.Required[i][len(l.ContainerPath)+1:])
		}
		covered := false
		for j := range refs {
			r := &refs[j]
			if r.Element != nil && r.Element.IsAncestorOf(req) && (r.Excluded == nil || !r.Excluded.IsAncestorOf(req)) {
				covered = true
				break
			}
		}
		if !covered {
			return l.problem(LayoutUnsigned, l.Required[i])
		}
	}
	return nil
}

func hasID(n *Node, names []string) bool {
	for i := range n.attrs {
		if n.attrs[i].Name == "xml:id" {
			return true
		}
		for _, nm := range names {
			if n.attrs[i].Name == nm {
				return true
			}
		}
	}
	return false
}

// checkSigningTime requires a signature in a known layout to sign the
// SigningTime it carries in its own Objects (outside XAdES properties,
// which the XAdES checks cover): an unsigned signing time could be
// rewritten by anyone. It runs once the digests have verified, so the
// references' coverage is final.
func (l *Layout) checkSigningTime(s *Signature) error {
	var missing *Node
	for obj := s.Element.first; obj != nil && missing == nil; obj = obj.next {
		if !obj.Is(NamespaceDSig, "Object") {
			continue
		}
		walkElements(obj, func(n *Node) bool {
			if n.LocalName() == "SigningTime" && !insideXAdES(n, obj) && !s.Covers(n) {
				missing = n
				return false
			}
			return true
		})
	}
	if missing != nil {
		return l.problem(LayoutUnsignedTime, missing.Path())
	}
	return nil
}

// insideXAdES reports whether n lies in XAdES qualifying properties below
// the Object obj.
func insideXAdES(n, obj *Node) bool {
	for a := n.parent; a != nil && a != obj; a = a.parent {
		if a.LocalName() == "QualifyingProperties" && strings.HasPrefix(a.NamespaceURI(), "http://uri.etsi.org/01903/") {
			return true
		}
	}
	return false
}
