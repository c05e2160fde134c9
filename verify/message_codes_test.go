package verify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dynamicCodePrefixes are the codes the package may build from a value at
// run time: each family is checked by what it is built from (indications,
// sub-indications, identifier types, revocation statuses, origins, layout
// problems, the labels of Report.Text) in TestMessageCatalogue and
// TestMessageCodesWritten.
var dynamicCodePrefixes = []string{"label.", "indication.", "sub.", "id.", "term.", "xml.layout."}

// TestMessageCodesWritten closes what scanning string literals cannot
// see: wherever the package passes a code — the code parameter of msg,
// errorMsg, word, fail, refuse, allow and any other function or closure
// taking one, Message{Code: …} and m.Code = … — the code must be a literal or a
// package constant naming a catalogue entry (whatever its family), the
// caller's own code parameter passed on, or a prefix of
// dynamicCodePrefixes joined to a value. A code held in a variable or
// concatenated otherwise fails here. The label of every line of
// Report.Text must be in the catalogue too.
func TestMessageCodesWritten(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var parsed []*ast.File
	consts := map[string]string{}
	typed := map[string][]string{} // type name → its constants' values
	// takesCode: function or closure name → index of its code parameter;
	// takesLabel: the same for a label parameter (Report.Text's line).
	takesCode, takesLabel := map[string]int{}, map[string]int{}
	paramIndex := func(ft *ast.FuncType, name string) int {
		i := 0
		for _, f := range ft.Params.List {
			for _, n := range f.Names {
				if n.Name == name {
					if id, ok := f.Type.(*ast.Ident); ok && id.Name == "string" {
						return i
					}
				}
				i++
			}
		}
		return -1
	}
	record := func(name string, ft *ast.FuncType) {
		if i := paramIndex(ft, "code"); i >= 0 {
			takesCode[name] = i
		}
		if i := paramIndex(ft, "label"); i >= 0 {
			takesLabel[name] = i
		}
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		parsed = append(parsed, file)
		for _, d := range file.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[n.Name], _ = strconv.Unquote(lit.Value)
								if typ, ok := vs.Type.(*ast.Ident); ok {
									typed[typ.Name] = append(typed[typ.Name], consts[n.Name])
								}
							}
						}
					}
				}
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.FuncDecl:
				record(v.Name.Name, v.Type)
			case *ast.AssignStmt:
				for i, rhs := range v.Rhs {
					if fl, ok := rhs.(*ast.FuncLit); ok && i < len(v.Lhs) {
						if id, ok := v.Lhs[i].(*ast.Ident); ok {
							record(id.Name, fl.Type)
						}
					}
				}
			}
			return true
		})
	}
	require.Contains(t, takesCode, "msg")
	require.Contains(t, takesCode, "errorMsg")

	isParam := func(e ast.Expr, name string) bool {
		id, ok := e.(*ast.Ident)
		if !ok || id.Name != name || id.Obj == nil {
			return false
		}
		_, ok = id.Obj.Decl.(*ast.Field)
		return ok
	}
	checkCode := func(e ast.Expr, prefix string) {
		pos := fset.Position(e.Pos())
		switch v := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(v.Value)
			if v.Kind == token.STRING && err == nil {
				if _, ok := messageCatalogue[prefix+s]; !ok {
					t.Errorf("%s: code %q is not in the catalogue", pos, prefix+s)
				}
				return
			}
		case *ast.Ident:
			if s, ok := consts[v.Name]; ok {
				if _, ok := messageCatalogue[prefix+s]; !ok {
					t.Errorf("%s: code %s = %q is not in the catalogue", pos, v.Name, prefix+s)
				}
				return
			}
			if isParam(v, "code") || isParam(v, "label") {
				return // passed on; checked where it is written
			}
		case *ast.BinaryExpr:
			if lit, ok := v.X.(*ast.BasicLit); ok && v.Op == token.ADD && prefix == "" {
				s, _ := strconv.Unquote(lit.Value)
				for _, p := range dynamicCodePrefixes {
					if s == p {
						return
					}
				}
			}
		}
		t.Errorf("%s: a code built at run time that TestMessageCatalogue cannot see", pos)
	}
	for _, file := range parsed {
		ast.Inspect(file, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fn := v.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if i, ok := takesCode[name]; ok && i < len(v.Args) {
					checkCode(v.Args[i], "")
				}
				if i, ok := takesLabel[name]; ok && i < len(v.Args) {
					checkCode(v.Args[i], "label.")
				}
			case *ast.AssignStmt:
				// m.Code = …
				for i, lhs := range v.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Code" && i < len(v.Rhs) {
						checkCode(v.Rhs[i], "")
					}
				}
			case *ast.CompositeLit:
				if id, ok := v.Type.(*ast.Ident); ok && id.Name == "Message" {
					for _, el := range v.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
								checkCode(kv.Value, "")
							}
						}
					}
				}
			}
			return true
		})
	}
	// The values the dynamic families are built from: every constant of
	// Indication, SubIndication, RevocationStatus and xml.LayoutProblem,
	// as declared (a new one without its text would render empty).
	layout, err := parser.ParseFile(fset, filepath.Join("..", "xml", "layout.go"), nil, 0)
	require.NoError(t, err)
	for _, d := range layout.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); ok && typ.Name == "LayoutProblem" {
					for _, v := range vs.Values {
						if lit, ok := v.(*ast.BasicLit); ok {
							p, _ := strconv.Unquote(lit.Value)
							typed["xml.LayoutProblem"] = append(typed["xml.LayoutProblem"], p)
						}
					}
				}
			}
		}
	}
	for typ, prefix := range map[string]string{"Indication": "indication.", "SubIndication": "sub.", "RevocationStatus": "label.", "xml.LayoutProblem": "xml.layout."} {
		require.NotEmpty(t, typed[typ], "no constants of %s found", typ)
		for _, v := range typed[typ] {
			_, ok := messageCatalogue[prefix+v]
			assert.True(t, ok, "%s %q has no catalogue entry %s", typ, v, prefix+v)
		}
	}
}
