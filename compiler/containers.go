package compiler

import (
	"fmt"

	"github.com/go-python/gpython/ast"

	"gilbench/interp"
)

// Containers: lists, dicts, classes with integer attributes and methods, and
// threading.local, compiled to the interpreter's container instructions (see
// interp/objects.go). The subset's rows (doc.go):
//
//	module-level containers   shared = [];  counts = {};  tls = threading.local()
//	classes                   class Tally:  hits = 0  def bump(self, k): ...   object tally N; func Tally.bump self k
//	instances                 tally = Tally()                                   (module level only)
//	private containers        data = []; seen = {}   (in a function)            newlist, newdict
//	subscripts                xs[k]; d[k] = v; d[k] += 1                         getitem, setitem
//	list and dict methods     xs.append(v); d.get(k, 0)                          append, dict_get; then check
//	len, in                   len(xs); k in d; k not in d                        len (then check); contains
//	attributes                tally.hits; self.hits += 1; tls.x = 0              getattr N, setattr N
//	method calls              tally.bump(k); self.bump(k)                        load_method, call Tally.bump
//
// Elements, keys, values and attributes are ints. A class body holds its attributes
// (NAME = 0: every instance starts with them at 0, the interpreter resets them for
// every batch) and its methods (self first); an instance is made at module level. A
// threading.local's attributes are the names the file uses on it; reading one a
// thread has not set gives 0 (CPython raises AttributeError).

// The container types: a list, a dict, a threading.local, and an instance of class k
// (tClass0 + k).
const (
	tList typ = 16 + iota
	tDict
	tTLS
	tClass0 typ = 32
)

func (c *compiler) typeName(t typ) string {
	switch {
	case t == tList:
		return "list"
	case t == tDict:
		return "dict"
	case t == tTLS:
		return "threading.local"
	case t >= tClass0 && int(t-tClass0) < len(c.classes):
		return c.classes[t-tClass0].name + " instance"
	}
	return t.String()
}

func isContainer(t typ) bool { return t >= tList }

// symClass is a class of the file.
const symClass symKind = 100

// class is a class of the file: its attributes and methods.
type class struct {
	name    string
	idx     int
	attrs   []string
	attrIdx map[string]int
	methods map[string]*function
}

// classDef reads a class at module level: NAME = 0 attributes and methods.
func (c *compiler) classDef(d *ast.ClassDef) {
	if len(d.Bases) > 0 || len(d.Keywords) > 0 || len(d.DecoratorList) > 0 {
		c.errorf(d, "base classes, keywords and decorators of a class are not in the subset")
	}
	cl := &class{name: string(d.Name), idx: len(c.classes), attrIdx: map[string]int{}, methods: map[string]*function{}}
	c.classes = append(c.classes, cl)
	c.define(cl.name, d, &symbol{kind: symClass, cls: cl})
	for i, st := range d.Body {
		switch st := st.(type) {
		case *ast.ExprStmt:
			if _, ok := st.Value.(*ast.Str); ok && i == 0 {
				continue
			}
			c.errorf(st, "expressions in a class body are not in the subset")
		case *ast.Pass:
		case *ast.Assign:
			n, ok := st.Targets[0].(*ast.Name)
			if v, t, isConst := constValue(st.Value); len(st.Targets) != 1 || !ok || !isConst || t != tInt || v != 0 {
				c.errorf(st, "a class body's assignments are attributes NAME = 0 in the subset (every instance starts at 0)")
			}
			if _, dup := cl.attrIdx[string(n.Id)]; dup {
				c.errorf(n, "attribute %s given twice", n.Id)
			}
			cl.attrIdx[string(n.Id)] = len(cl.attrs)
			cl.attrs = append(cl.attrs, string(n.Id))
		case *ast.FunctionDef:
			if len(st.Args.Args) == 0 {
				c.errorf(st, "method %s needs self", st.Name)
			}
			if st.Args.Args[0].Annotation != nil {
				c.errorf(st.Args.Args[0], "self takes no annotation")
			}
			f := c.declareFunc(st)
			f.name = cl.name + "." + f.name
			f.ptypes[0] = tClass0 + typ(cl.idx)
			f.locals[f.params[0]] = f.ptypes[0]
			if _, dup := cl.methods[string(st.Name)]; dup {
				c.errorf(st, "method %s defined twice", st.Name)
			}
			cl.methods[string(st.Name)] = f
		default:
			c.errorf(st, "%s in a class body %s", construct(st), notInSubset(st))
		}
	}
	if len(cl.attrs) > 64 {
		c.errorf(d, "class %s has more than 64 attributes", cl.name)
	}
}

// containerAssign reads NAME = [], NAME = {} and NAME = Class() at module level.
func (c *compiler) containerAssign(name string, target *ast.Name, v ast.Expr) bool {
	switch v := v.(type) {
	case *ast.List:
		if len(v.Elts) > 0 {
			c.errorf(v, "a module-level list starts empty in the subset (the interpreter empties it for every batch)")
		}
		c.define(name, target, &symbol{kind: symObject, obj: interp.KindList})
		return true
	case *ast.Dict:
		if len(v.Keys) > 0 {
			c.errorf(v, "a module-level dict starts empty in the subset (the interpreter empties it for every batch)")
		}
		c.define(name, target, &symbol{kind: symObject, obj: interp.KindDict})
		return true
	case *ast.Call:
		if n, ok := v.Func.(*ast.Name); ok {
			if s := c.syms[string(n.Id)]; s != nil && s.kind == symClass {
				if len(v.Args) > 0 || len(v.Keywords) > 0 {
					c.errorf(v, "%s() takes no arguments in the subset", n.Id)
				}
				c.define(name, target, &symbol{kind: symObject, obj: interp.KindObject, cls: s.cls})
				return true
			}
		}
	}
	return false
}

// declaration is the assembly that declares the module-level object name.
func (c *compiler) declaration(name string, s *symbol) string {
	switch s.obj {
	case interp.KindObject:
		return fmt.Sprintf("object %s %d", name, len(s.cls.attrs))
	case interp.KindLocal:
		return fmt.Sprintf("local %s %d", name, len(c.tlsAttrs(name)))
	}
	return s.obj.String() + " " + name
}

// tlsAttrs are the attributes the file uses on the threading.local name, in order of
// first use.
func (c *compiler) tlsAttrs(name string) []string {
	if c.tls == nil {
		c.tls = map[string][]string{}
	}
	if attrs, ok := c.tls[name]; ok {
		return attrs
	}
	attrs := []string{}
	seen := map[string]bool{}
	for _, f := range c.funcs {
		ast.Walk(&ast.Module{Body: f.def.Body}, func(n ast.Ast) bool {
			if a, ok := n.(*ast.Attribute); ok {
				if v, ok := a.Value.(*ast.Name); ok && string(v.Id) == name && !seen[string(a.Attr)] {
					if _, local := f.locals[name]; !local {
						seen[string(a.Attr)] = true
						attrs = append(attrs, string(a.Attr))
					}
				}
			}
			return true
		})
	}
	c.tls[name] = attrs
	return attrs
}

// globalType is the type of a module-level container, tUnknown for anything else.
func globalType(s *symbol) typ {
	if s == nil || s.kind != symObject {
		return tUnknown
	}
	switch s.obj {
	case interp.KindList:
		return tList
	case interp.KindDict:
		return tDict
	case interp.KindLocal:
		return tTLS
	case interp.KindObject:
		return tClass0 + typ(s.cls.idx)
	}
	return tUnknown
}

// receiverType is the container type of e (a local or a module-level container),
// tUnknown if it is none.
func (c *compiler) receiverType(f *function, e ast.Expr) typ {
	n, ok := e.(*ast.Name)
	if !ok {
		return tUnknown
	}
	if t, ok := f.locals[string(n.Id)]; ok {
		if isContainer(t) {
			return t
		}
		return tUnknown
	}
	return globalType(c.syms[string(n.Id)])
}

// containerTypeOf extends typeOf: [], {}, subscripts, attributes and method calls.
func (c *compiler) containerTypeOf(f *function, e ast.Expr) (typ, bool) {
	switch e := e.(type) {
	case *ast.List:
		return tList, true
	case *ast.Dict:
		return tDict, true
	case *ast.Subscript:
		return tInt, true
	case *ast.Call:
		a, ok := e.Func.(*ast.Attribute)
		if !ok {
			return tUnknown, false
		}
		rt := c.receiverType(f, a.Value)
		switch {
		case rt == tList && a.Attr == "append":
			return tNone, true
		case rt >= tClass0:
			if m := c.classes[rt-tClass0].methods[string(a.Attr)]; m != nil {
				if m.retSet || m.ret != tUnknown {
					return m.ret, true
				}
				return tUnknown, true
			}
		}
	}
	return tUnknown, false
}

// receiver emits e, a container, and returns its type.
func (g *gen) receiver(e ast.Expr) typ {
	t := g.c.receiverType(g.f, e)
	if t == tUnknown {
		g.errorf(e, "%s is not a list, dict, threading.local or instance of the file's classes", construct(e))
	}
	n := e.(*ast.Name)
	if g.isLocal(string(n.Id)) {
		g.emit("load " + string(n.Id))
	} else {
		g.emit("load_global " + string(n.Id))
	}
	return t
}

// newContainer emits [] or {} in a function: a private list or dict.
func (g *gen) newContainer(e ast.Expr) typ {
	switch e := e.(type) {
	case *ast.List:
		if len(e.Elts) > 0 {
			g.errorf(e, "list displays are not in the subset, except [] (append to it)")
		}
		g.emit("newlist")
		return tList
	case *ast.Dict:
		if len(e.Keys) > 0 {
			g.errorf(e, "dict displays are not in the subset, except {} (assign to it)")
		}
		g.emit("newdict")
		return tDict
	}
	return tUnknown
}

// subscriptParts checks xs[k] and returns the container and the key.
func (g *gen) subscriptParts(e *ast.Subscript) (ast.Expr, ast.Expr) {
	idx, ok := e.Slice.(*ast.Index)
	if !ok {
		g.errorf(e, "slices are not in the subset")
	}
	if t := g.c.receiverType(g.f, e.Value); t != tList && t != tDict {
		g.errorf(e.Value, "%s is not a list or a dict", construct(e.Value))
	}
	return e.Value, idx.Value
}

func (g *gen) key(k ast.Expr) {
	if g.expr(k) != tInt {
		g.errorf(k, "list indexes and dict keys are ints in the subset")
	}
}

// subscript emits xs[k] (BINARY_SUBSCR: not a call, no check point).
func (g *gen) subscript(e *ast.Subscript) typ {
	h, k := g.subscriptParts(e)
	g.receiver(h)
	g.key(k)
	g.emit("getitem")
	return tInt
}

// attrIndex is the index of attribute attr of a receiver of type t (an instance or a
// threading.local named by e).
func (g *gen) attrIndex(e *ast.Attribute, t typ) int {
	attr := string(e.Attr)
	if t == tTLS {
		for i, a := range g.c.tlsAttrs(string(e.Value.(*ast.Name).Id)) {
			if a == attr {
				return i
			}
		}
	}
	if t >= tClass0 {
		cl := g.c.classes[t-tClass0]
		if i, ok := cl.attrIdx[attr]; ok {
			return i
		}
		g.errorf(e, "%s has no attribute %s (declare it in the class body: %s = 0)", cl.name, attr, attr)
	}
	g.errorf(e, "%s has no attribute %s in the subset", g.c.typeName(t), attr)
	return 0
}

// isAttr reports whether e is an attribute of an instance or a threading.local.
func (g *gen) isAttr(e *ast.Attribute) bool {
	t := g.c.receiverType(g.f, e.Value)
	return t == tTLS || t >= tClass0
}

// attrLoad emits obj.attr (LOAD_ATTR: no check point).
func (g *gen) attrLoad(e *ast.Attribute) typ {
	t := g.receiver(e.Value)
	g.emitf("getattr %d", g.attrIndex(e, t))
	return tInt
}

// storeContainer pops the value on the stack into xs[k] or obj.attr.
func (g *gen) storeContainer(e ast.Expr) {
	switch e := e.(type) {
	case *ast.Subscript: // the value first, then the container and the key, as STORE_SUBSCR
		h, k := g.subscriptParts(e)
		v := g.temp()
		g.emit("store " + v)
		g.receiver(h)
		g.key(k)
		g.emit("load " + v)
		g.emit("setitem")
	case *ast.Attribute:
		t := g.receiver(e.Value)
		g.emit("swap")
		g.emitf("setattr %d", g.attrIndex(e, t))
	}
}

// augContainer emits d[k] op= v and obj.attr op= v: the container and key once, a
// load, the operation, a store, with no check point between (as CPython's).
func (g *gen) augContainer(st *ast.AugAssign, tt typ) {
	switch t := st.Target.(type) {
	case *ast.Subscript:
		h, k := g.subscriptParts(t)
		kt := g.temp()
		g.key(k)
		g.emit("store " + kt)
		g.receiver(h)
		g.emit("load " + kt)
		g.emit("getitem")
		g.binRest(st, st.Op, tt, st.Value)
		v := g.temp()
		g.emit("store " + v)
		g.receiver(h)
		g.emit("load " + kt)
		g.emit("load " + v)
		g.emit("setitem")
	case *ast.Attribute:
		rt := g.receiver(t.Value)
		a := g.attrIndex(t, rt)
		g.emit("dup")
		g.emitf("getattr %d", a)
		g.binRest(st, st.Op, tt, st.Value)
		g.emitf("setattr %d", a)
	}
}

// methodCall emits xs.append(v), d.get(k, default) and obj.method(args); ok is false
// for anything else.
func (g *gen) methodCall(e *ast.Call, fn *ast.Attribute) (typ, bool) {
	rt := g.c.receiverType(g.f, fn.Value)
	attr := string(fn.Attr)
	switch {
	case rt == tList && attr == "append":
		g.arity(e, "append", 1)
		g.receiver(fn.Value)
		g.key(e.Args[0])
		g.emit("append")
		g.emit("check")   // a call in CPython
		g.emit("const 0") // its value, None
		return tNone, true
	case rt == tDict && attr == "get":
		g.arity(e, "get", 2)
		g.receiver(fn.Value)
		g.key(e.Args[0])
		g.key(e.Args[1])
		g.emit("dict_get")
		g.emit("check")
		return tInt, true
	case rt == tList || rt == tDict:
		g.errorf(fn, "a %s has only %s in the subset", g.c.typeName(rt), map[typ]string{tList: "append()", tDict: "get()"}[rt])
	case rt >= tClass0:
		cl := g.c.classes[rt-tClass0]
		m := cl.methods[attr]
		if m == nil {
			g.errorf(fn, "%s has no method %s", cl.name, attr)
		}
		g.arity(e, attr, len(m.params)-1)
		g.receiver(fn.Value)
		g.emit("load_method " + m.name)
		for i, a := range e.Args {
			g.exprAs(a, m.ptypes[i+1])
		}
		g.emit("call " + m.name)
		return m.ret, true
	}
	return tUnknown, false
}

// lenCall emits len(xs) (then builtin's check).
func (g *gen) lenCall(e *ast.Call) typ {
	g.arity(e, "len", 1)
	if t := g.c.receiverType(g.f, e.Args[0]); t != tList && t != tDict {
		g.errorf(e.Args[0], "len of %s is not in the subset (lists and dicts)", construct(e.Args[0]))
	}
	g.receiver(e.Args[0])
	g.emit("len")
	return tInt
}

// containsOp emits k in c and k not in c (CONTAINS_OP: no check point); ok is false
// for other comparisons.
func (g *gen) containsOp(e *ast.Compare) (typ, bool) {
	if len(e.Ops) != 1 || (e.Ops[0] != ast.In && e.Ops[0] != ast.NotIn) {
		return tUnknown, false
	}
	if t := g.c.receiverType(g.f, e.Comparators[0]); t != tList && t != tDict {
		g.errorf(e.Comparators[0], "in is for lists and dicts in the subset")
	}
	g.receiver(e.Comparators[0])
	g.key(e.Left)
	g.emit("contains")
	if e.Ops[0] == ast.NotIn {
		g.emit("not")
	}
	return tInt, true
}

// containerAnnotation reads list and dict annotations of parameters.
func containerAnnotation(e ast.Expr) (typ, bool) {
	if n, ok := e.(*ast.Name); ok {
		switch n.Id {
		case "list":
			return tList, true
		case "dict":
			return tDict, true
		}
	}
	return tUnknown, false
}

// noTruth refuses the truth of a container (if xs:), which the subset does not have.
func (g *gen) noTruth(e ast.Expr) {
	if isContainer(g.c.typeOf(g.f, e)) {
		g.errorf(e, "the truth of a list, dict or object is not in the subset: test len(...)")
	}
}
