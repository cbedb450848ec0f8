package compiler

import (
	"fmt"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/py"
)

// function is a def: its signature, its locals and their types.
type function struct {
	name   string
	def    *ast.FunctionDef
	params []string
	ptypes []typ
	ret    typ
	retSet bool // annotated, or inferred and fixed

	globalDecl map[string]ast.Ast // names declared global
	assigned   map[string]bool    // names assigned anywhere in the body
	assignNode map[string]ast.Ast
	locals     map[string]typ // params and assigned names that are not global
	localAt    map[string]ast.Ast
	order      []string // locals in order of first appearance
}

func (c *compiler) declareFunc(d *ast.FunctionDef) *function {
	f := &function{name: string(d.Name), def: d, globalDecl: map[string]ast.Ast{}, assigned: map[string]bool{},
		assignNode: map[string]ast.Ast{}, locals: map[string]typ{}, localAt: map[string]ast.Ast{}}
	if len(d.DecoratorList) > 0 {
		c.errorf(d.DecoratorList[0], "decorators are not in the subset")
	}
	a := d.Args
	if a.Vararg != nil || a.Kwarg != nil || len(a.Kwonlyargs) > 0 {
		c.errorf(d, "*args, **kwargs and keyword-only parameters are not in the subset")
	}
	if len(a.Defaults) > 0 {
		c.errorf(a.Defaults[0], "default parameter values are not in the subset")
	}
	for _, p := range a.Args {
		name := string(p.Arg)
		if _, dup := f.locals[name]; dup {
			c.errorf(p, "parameter %s given twice", name)
		}
		t := tInt
		if ct, ok := containerAnnotation(p.Annotation); ok {
			t = ct
		} else if p.Annotation != nil {
			t = c.annotation(p.Annotation, false)
		}
		f.params = append(f.params, name)
		f.ptypes = append(f.ptypes, t)
		f.locals[name] = t
		f.localAt[name] = p
		f.order = append(f.order, name)
	}
	if d.Returns != nil {
		f.ret, f.retSet = c.annotation(d.Returns, true), true
	}
	c.scan(f, d.Body)
	for name, n := range f.globalDecl {
		if _, isParam := f.locals[name]; isParam {
			c.errorf(n, "%s is a parameter and global", name)
		}
	}
	for _, name := range sortedNames(f.assigned) {
		if _, g := f.globalDecl[name]; g {
			continue
		}
		if _, ok := f.locals[name]; !ok {
			f.locals[name] = tUnknown
			f.localAt[name] = f.assignNode[name]
			f.order = append(f.order, name)
		}
	}
	c.funcs = append(c.funcs, f)
	return f
}

// annotation reads int, float, bool (an int) or, for a return, None.
func (c *compiler) annotation(e ast.Expr, ret bool) typ {
	if n, ok := e.(*ast.Name); ok {
		switch n.Id {
		case "int", "bool":
			return tInt
		case "float":
			return tFloat
		}
	}
	if n, ok := e.(*ast.NameConstant); ok && n.Value == py.None && ret {
		return tNone
	}
	c.errorf(e, "annotation %s is not in the subset (int, float, bool%s)", construct(e), map[bool]string{true: ", None"}[ret])
	return tUnknown
}

// scan collects the names a body assigns and declares global, and refuses nested
// scopes.
func (c *compiler) scan(f *function, body []ast.Stmt) {
	assign := func(e ast.Expr) {
		switch t := e.(type) {
		case *ast.Name:
			name := string(t.Id)
			if !f.assigned[name] {
				f.assignNode[name] = t
			}
			f.assigned[name] = true
		case *ast.Tuple:
			for _, el := range t.Elts {
				if n, ok := el.(*ast.Name); ok {
					name := string(n.Id)
					if !f.assigned[name] {
						f.assignNode[name] = n
					}
					f.assigned[name] = true
				}
			}
		}
	}
	for _, st := range body {
		switch st := st.(type) {
		case *ast.Assign:
			for _, t := range st.Targets {
				assign(t)
			}
		case *ast.AugAssign:
			assign(st.Target)
		case *ast.For:
			assign(st.Target)
			c.scan(f, st.Body)
			c.scan(f, st.Orelse)
		case *ast.While:
			c.scan(f, st.Body)
			c.scan(f, st.Orelse)
		case *ast.If:
			c.scan(f, st.Body)
			c.scan(f, st.Orelse)
		case *ast.With:
			c.scan(f, st.Body)
		case *ast.Global:
			for _, n := range st.Names {
				f.globalDecl[string(n)] = st
			}
		case *ast.FunctionDef:
			c.errorf(st, "nested functions are not in the subset")
		case *ast.ClassDef:
			c.errorf(st, "classes are not in the subset")
		}
	}
}

// inferAll infers the types of locals and of unannotated returns, to a fixed point:
// a return whose type depends on a call of a function not yet inferred (recursion) is
// settled by the function's other returns.
func (c *compiler) inferAll() {
	for range 2*len(c.funcs) + 2 {
		changed := false
		for _, f := range c.funcs {
			if c.infer(f) {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, f := range c.funcs {
		if f.ret == tUnknown {
			// Every return depends on a call that never returns: an int, as
			// Python would have to compute one.
			f.ret = tInt
		}
		f.retSet = true
	}
	for _, f := range c.funcs {
		c.infer(f)
	}
}

// infer walks f's body in source order, giving each local the type of its first
// assignment whose type is known, and f the type of its returns. It reports whether
// anything was learnt.
func (c *compiler) infer(f *function) bool {
	changed := false
	var walk func(body []ast.Stmt)
	set := func(name string, t typ) {
		if cur, ok := f.locals[name]; ok && cur == tUnknown && t != tUnknown && t != tNone {
			f.locals[name] = t
			changed = true
		}
	}
	ret := tUnknown
	sawBare := false
	walk = func(body []ast.Stmt) {
		for _, st := range body {
			switch st := st.(type) {
			case *ast.Assign:
				if tup, ok := st.Value.(*ast.Tuple); ok {
					for _, t := range st.Targets {
						if tt, ok := t.(*ast.Tuple); ok && len(tt.Elts) == len(tup.Elts) {
							for i, el := range tt.Elts {
								if n, ok := el.(*ast.Name); ok {
									set(string(n.Id), c.typeOf(f, tup.Elts[i]))
								}
							}
						}
					}
					continue
				}
				t := c.typeOf(f, st.Value)
				for _, tg := range st.Targets {
					if n, ok := tg.(*ast.Name); ok {
						set(string(n.Id), t)
					}
				}
			case *ast.AugAssign:
				if n, ok := st.Target.(*ast.Name); ok {
					if lt := c.typeOf(f, n); lt != tUnknown {
						rt, _ := binType(st.Op, lt, c.typeOf(f, st.Value))
						set(string(n.Id), rt)
					}
				}
			case *ast.For:
				if n, ok := st.Target.(*ast.Name); ok {
					set(string(n.Id), tInt)
				}
				walk(st.Body)
				walk(st.Orelse)
			case *ast.While:
				walk(st.Body)
				walk(st.Orelse)
			case *ast.If:
				walk(st.Body)
				walk(st.Orelse)
			case *ast.With:
				walk(st.Body)
			case *ast.Return:
				if st.Value == nil {
					sawBare = true
					continue
				}
				if isNone(st.Value) {
					sawBare = true
					continue
				}
				t := c.typeOf(f, st.Value)
				switch {
				case t == tUnknown || t == tNone:
				case ret == tUnknown:
					ret = t
				case ret != t:
					ret = tFloat // int and float returns: a float function
				}
			}
		}
	}
	walk(f.def.Body)
	if f.retSet {
		return changed
	}
	if ret == tUnknown && sawBare {
		ret = tNone
	}
	if ret == tUnknown && !hasValueReturn(f.def.Body) {
		ret = tNone
	}
	if ret != tUnknown && ret != f.ret {
		f.ret = ret
		changed = true
	}
	return changed
}

func isNone(e ast.Expr) bool {
	n, ok := e.(*ast.NameConstant)
	return ok && n.Value == py.None
}

// hasValueReturn reports whether body has a return with a value.
func hasValueReturn(body []ast.Stmt) bool {
	found := false
	ast.Walk(&ast.Module{Body: body}, func(n ast.Ast) bool {
		if r, ok := n.(*ast.Return); ok && r.Value != nil && !isNone(r.Value) {
			found = true
		}
		return !found
	})
	return found
}

// typeOf is the type e would have, tUnknown where it cannot tell (yet): it never
// fails; code generation reports the errors.
func (c *compiler) typeOf(f *function, e ast.Expr) typ {
	if t, ok := c.containerTypeOf(f, e); ok {
		return t
	}
	switch e := e.(type) {
	case *ast.Num:
		switch e.N.(type) {
		case py.Int, *py.BigInt: // a BigInt too large for an int64 is an error later
			return tInt
		case py.Float:
			return tFloat
		}
	case *ast.NameConstant:
		if e.Value == py.True || e.Value == py.False {
			return tInt
		}
	case *ast.Name:
		name := string(e.Id)
		if t, ok := f.locals[name]; ok {
			return t
		}
		if s := c.syms[name]; s != nil {
			switch s.kind {
			case symConst:
				return s.typ
			case symGlobal:
				return tInt
			}
		}
	case *ast.BinOp:
		t, _ := binType(e.Op, c.typeOf(f, e.Left), c.typeOf(f, e.Right))
		return t
	case *ast.UnaryOp:
		t := c.typeOf(f, e.Operand)
		if e.Op == ast.Not || e.Op == ast.Invert {
			return tInt
		}
		return t
	case *ast.Compare:
		return tInt
	case *ast.BoolOp:
		t := c.typeOf(f, e.Values[0])
		for _, v := range e.Values[1:] {
			t = join(t, c.typeOf(f, v))
		}
		return t
	case *ast.IfExp:
		return join(c.typeOf(f, e.Body), c.typeOf(f, e.Orelse))
	case *ast.Attribute:
		return tInt // v.value
	case *ast.Call:
		return c.callType(f, e)
	}
	return tUnknown
}

func (c *compiler) callType(f *function, e *ast.Call) typ {
	switch fn := e.Func.(type) {
	case *ast.Attribute:
		return tInt // natives of the support module, lock.acquire(), lock.release()
	case *ast.Name:
		name := string(fn.Id)
		if _, local := f.locals[name]; local {
			return tUnknown
		}
		if s := c.syms[name]; s != nil {
			switch s.kind {
			case symFunc:
				if s.fn.retSet || s.fn.ret != tUnknown {
					return s.fn.ret
				}
				return tUnknown
			case symNative:
				return tInt
			}
			return tUnknown
		}
		switch name {
		case "int", "len":
			return tInt
		case "float":
			return tFloat
		case "abs":
			if len(e.Args) == 1 {
				return c.typeOf(f, e.Args[0])
			}
		case "min", "max":
			t := tUnknown
			for i, a := range e.Args {
				if i == 0 {
					t = c.typeOf(f, a)
				} else {
					t = join(t, c.typeOf(f, a))
				}
			}
			return t
		}
	}
	return tUnknown
}

// join is the type of a value that is one of a and b: int and float make a float.
func join(a, b typ) typ {
	switch {
	case a == b:
		return a
	case a == tUnknown || b == tUnknown:
		return tUnknown
	case (a == tInt || a == tFloat) && (b == tInt || b == tFloat):
		return tFloat
	}
	return tUnknown
}

// binType is the type of a op b, or why it is not in the subset.
func binType(op ast.OperatorNumber, a, b typ) (typ, string) {
	if a == tUnknown || b == tUnknown {
		return tUnknown, ""
	}
	if a == tNone || b == tNone {
		return tUnknown, "an operand is None (a function without a return value)"
	}
	if isContainer(a) || isContainer(b) {
		return tUnknown, "operators on lists, dicts and objects are not in the subset"
	}
	float := a == tFloat || b == tFloat
	switch op {
	case ast.Div:
		return tFloat, ""
	case ast.Add, ast.Sub, ast.Mult, ast.Pow, ast.FloorDiv, ast.Modulo:
		if float {
			return tFloat, ""
		}
		return tInt, ""
	default: // bit operations
		if float {
			return tUnknown, fmt.Sprintf("%s on floats is not defined (Python raises TypeError)", opSymbol[op])
		}
		return tInt, ""
	}
}

var opSymbol = map[ast.OperatorNumber]string{
	ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Modulo: "%", ast.Pow: "**",
	ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.FloorDiv: "//",
}
