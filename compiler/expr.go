package compiler

import (
	"math"
	"strconv"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/py"

	"gilbench/interp"
)

// exprAs emits e converted to want (an int where a float is wanted becomes one).
func (g *gen) exprAs(e ast.Expr, want typ) {
	t := g.expr(e)
	g.convert(e, t, want)
}

func (g *gen) convert(e ast.Ast, have, want typ) {
	switch {
	case have == want || want == tUnknown:
	case have == tInt && want == tFloat:
		g.emit("itof")
	default:
		g.errorf(e, "%s is %s here, where %s is wanted", construct(e), have, want)
	}
}

// expr emits e, which must have a value, and returns its type.
func (g *gen) expr(e ast.Expr) typ { return g.exprAny(e, false) }

// exprAny emits e; a call of a function without a value is allowed if noneOK (an
// expression statement) and pushes a 0 then.
func (g *gen) exprAny(e ast.Expr, noneOK bool) typ {
	switch e := e.(type) {
	case *ast.Num:
		return g.constant(e, e.N, false)
	case *ast.NameConstant:
		switch e.Value {
		case py.True:
			g.emit("const 1")
			return tInt
		case py.False:
			g.emit("const 0")
			return tInt
		}
		g.errorf(e, "None is not a value in the subset")
	case *ast.Name:
		return g.loadName(e)
	case *ast.UnaryOp:
		return g.unary(e)
	case *ast.BinOp:
		lt, rt := g.c.typeOf(g.f, e.Left), g.c.typeOf(g.f, e.Right)
		t, why := binType(e.Op, lt, rt)
		if why != "" {
			g.errorf(e, "%s", why)
		}
		lt = g.expr(e.Left)
		if t == tFloat || (e.Op == ast.Div) {
			g.convert(e.Left, lt, tFloat)
			lt = tFloat
		}
		return g.binRest(e, e.Op, lt, e.Right)
	case *ast.Compare:
		return g.compare(e)
	case *ast.BoolOp:
		return g.boolOp(e)
	case *ast.IfExp:
		t := g.c.typeOf(g.f, e)
		if t == tUnknown {
			t = join(g.c.typeOf(g.f, e.Body), g.c.typeOf(g.f, e.Orelse))
			if t == tUnknown {
				g.errorf(e, "the two values of this conditional expression have types %s and %s", g.c.typeOf(g.f, e.Body), g.c.typeOf(g.f, e.Orelse))
			}
		}
		els, end := g.newLabel(), g.newLabel()
		g.cond(e.Test, els, false)
		g.exprAs(e.Body, t)
		g.emit("jump " + end)
		g.label(els)
		g.exprAs(e.Orelse, t)
		g.label(end)
		return t
	case *ast.Subscript:
		return g.subscript(e)
	case *ast.List, *ast.Dict:
		return g.newContainer(e)
	case *ast.Attribute:
		if g.isAttr(e) {
			return g.attrLoad(e)
		}
		v := g.valueObject(e)
		g.emit("load_global " + v)
		g.emit("native value_get")
		return tInt
	case *ast.Call:
		t := g.call(e)
		if t == tNone && !noneOK {
			g.errorf(e, "%s returns no value", construct(e.Func))
		}
		return t
	}
	g.errorf(e, "%s %s", construct(e), notInSubset(e))
	return tUnknown
}

// constant emits a number literal (negated if neg).
func (g *gen) constant(e ast.Ast, n py.Object, neg bool) typ {
	switch n := n.(type) {
	case py.Int:
		v := int64(n)
		if neg {
			v = -v
		}
		g.emit("const " + strconv.FormatInt(v, 10))
		return tInt
	case py.Float:
		f := float64(n)
		if neg {
			f = -f
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			g.errorf(e, "the float literal overflows")
		}
		s := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		g.emit("const " + s)
		return tFloat
	case *py.BigInt:
		g.errorf(e, "the integer literal is outside the int64 range (the interpreter's ints are 64-bit)")
	case py.Complex:
		g.errorf(e, "complex numbers are not in the subset")
	}
	g.errorf(e, "this literal is not in the subset")
	return tUnknown
}

func (g *gen) loadName(e *ast.Name) typ {
	name := string(e.Id)
	if t, ok := g.f.locals[name]; ok {
		if t == tUnknown {
			g.errorf(e, "cannot infer the type of %s (assign it a number first)", name)
		}
		g.emit("load " + name)
		return t
	}
	s := g.c.syms[name]
	if s == nil {
		g.errorf(e, "%s is not defined", name)
	}
	switch s.kind {
	case symConst:
		if s.typ == tFloat {
			return g.constant(e, py.Float(s.val.F()), false)
		}
		return g.constant(e, py.Int(s.val), false)
	case symGlobal:
		g.emit("load_global " + name)
		return tInt
	}
	g.errorf(e, "%s is a %s: not a value in the subset", name, kindName(s))
	return tUnknown
}

func kindName(s *symbol) string {
	switch s.kind {
	case symFunc:
		return "function"
	case symNative:
		return "native"
	case symObject:
		return s.obj.String() + " object"
	case symModule:
		return "module"
	case symShared:
		return "namespace of shared objects"
	case symMeta:
		return "module-level string or table (for the driver)"
	}
	return "class"
}

func (g *gen) unary(e *ast.UnaryOp) typ {
	if isMinInt64(e) {
		g.emit("const -9223372036854775808")
		return tInt
	}
	if n, ok := e.Operand.(*ast.Num); ok && e.Op == ast.USub {
		return g.constant(n, n.N, true) // a negative literal
	}
	switch e.Op {
	case ast.Not:
		g.noTruth(e.Operand)
		t := g.expr(e.Operand)
		g.truth(t)
		g.emit("not")
		return tInt
	case ast.UAdd:
		return g.expr(e.Operand)
	case ast.USub:
		t := g.expr(e.Operand)
		if t == tFloat {
			g.emit("fneg")
		} else {
			g.emit("neg")
		}
		return t
	default: // ~
		t := g.expr(e.Operand)
		if t != tInt {
			g.errorf(e, "~ on a float is not defined (Python raises TypeError)")
		}
		g.emit("const -1")
		g.emit("xor")
		return tInt
	}
}

// truth turns a float on the stack into 0 or 1 (an int is its own truth).
func (g *gen) truth(t typ) {
	if t == tFloat {
		g.emit("const 0.0")
		g.emit("fne")
	}
}

var intOps = map[ast.OperatorNumber]string{
	ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "div", ast.Modulo: "mod", ast.Pow: "pow",
	ast.LShift: "shl", ast.RShift: "shr", ast.BitOr: "or", ast.BitXor: "xor", ast.BitAnd: "and",
}

var floatOps = map[ast.OperatorNumber]string{
	ast.Add: "fadd", ast.Sub: "fsub", ast.Mult: "fmul", ast.Div: "fdiv", ast.Pow: "fpow",
	ast.FloorDiv: "ffloordiv", ast.Modulo: "fmod",
}

// binRest emits the right operand of a op right (a, of type lt, is on the stack) and
// the operator; it returns the result's type.
func (g *gen) binRest(n ast.Ast, op ast.OperatorNumber, lt typ, right ast.Expr) typ {
	rt := g.c.typeOf(g.f, right)
	t, why := binType(op, lt, rt)
	if why != "" {
		g.errorf(n, "%s", why)
	}
	if t == tFloat || op == ast.Div {
		g.convert(n, lt, tFloat)
		g.exprAs(right, tFloat)
		g.emit(floatOps[op])
		return tFloat
	}
	rt = g.expr(right)
	if t == tUnknown {
		t, why = binType(op, lt, rt)
		if why != "" || t == tUnknown {
			g.errorf(n, "the operands of %s have types %s and %s", opSymbol[op], lt, rt)
		}
		if t == tFloat {
			g.errorf(n, "internal: operand types changed")
		}
	}
	g.emit(intOps[op])
	return tInt
}

var cmpOps = map[ast.CmpOp][2]string{
	ast.Lt: {"lt", "flt"}, ast.LtE: {"le", "fle"}, ast.Gt: {"gt", "fgt"}, ast.GtE: {"ge", "fge"},
	ast.Eq: {"eq", "feq"}, ast.NotEq: {"ne", "fne"},
}

// compare emits a comparison, chained or not, as 0 or 1. a < b < c evaluates b once
// and c only if a < b, as Python does.
func (g *gen) compare(e *ast.Compare) typ {
	if t, ok := g.containsOp(e); ok {
		return t
	}
	for _, op := range e.Ops {
		if _, ok := cmpOps[op]; !ok {
			g.errorf(e, "%s is not in the subset (only < <= > >= == !=)", cmpName(op))
		}
	}
	end := g.newLabel()
	left := e.Left
	lt := g.c.typeOf(g.f, left)
	g.expr(left)
	var prev string // the temp holding the last right operand, for a chain
	for i, op := range e.Ops {
		right := e.Comparators[i]
		rt := g.c.typeOf(g.f, right)
		t := join(lt, rt)
		if t == tUnknown {
			t = tInt // let the operands report their own errors
		}
		if i > 0 {
			g.emit("dup")
			g.emit("jump_if_false " + end)
			g.emit("pop")
			g.emit("load " + prev)
		}
		g.convert(left, lt, t)
		g.exprAs(right, rt)
		if i < len(e.Ops)-1 {
			prev = g.temp()
			g.emit("dup")
			g.emit("store " + prev)
		}
		g.convert(right, rt, t)
		g.emit(cmpOps[op][map[bool]int{false: 0, true: 1}[t == tFloat]])
		left, lt = right, rt
	}
	g.label(end)
	return tInt
}

func cmpName(op ast.CmpOp) string {
	return map[ast.CmpOp]string{ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}[op]
}

// boolOp emits a and b / a or b with Python's value: the operand that decided.
func (g *gen) boolOp(e *ast.BoolOp) typ {
	t := g.c.typeOf(g.f, e)
	if t == tUnknown || t == tNone {
		g.errorf(e, "the operands of %s must all be numbers", map[ast.BoolOpNumber]string{ast.And: "and", ast.Or: "or"}[e.Op])
	}
	end := g.newLabel()
	for i, v := range e.Values {
		g.exprAs(v, t)
		if i == len(e.Values)-1 {
			break
		}
		g.emit("dup")
		g.truth(t)
		if e.Op == ast.And {
			g.emit("jump_if_false " + end)
		} else {
			g.emit("jump_if_true " + end)
		}
		g.emit("pop")
	}
	g.label(end)
	return t
}

// cond emits a jump to l taken when e's truth is jumpIf, and falls through otherwise.
func (g *gen) cond(e ast.Expr, l string, jumpIf bool) {
	switch x := e.(type) {
	case *ast.UnaryOp:
		if x.Op == ast.Not {
			g.cond(x.Operand, l, !jumpIf)
			return
		}
	case *ast.BoolOp:
		// and: all must be true; or: one must be.
		decided := x.Op == ast.Or // the truth that decides an operand's outcome
		if jumpIf == decided {
			for _, v := range x.Values {
				g.cond(v, l, jumpIf)
			}
			return
		}
		skip := g.newLabel()
		for i, v := range x.Values {
			if i == len(x.Values)-1 {
				g.cond(v, l, jumpIf)
			} else {
				g.cond(v, skip, decided)
			}
		}
		g.label(skip)
		return
	case *ast.Compare:
		// x == 0 and x != 0 on ints test x itself.
		if len(x.Ops) == 1 && (x.Ops[0] == ast.Eq || x.Ops[0] == ast.NotEq) {
			if v, t, ok := constValue(x.Comparators[0]); ok && t == tInt && v == 0 && g.c.typeOf(g.f, x.Left) == tInt {
				g.exprAs(x.Left, tInt)
				g.jump(l, jumpIf != (x.Ops[0] == ast.Eq))
				return
			}
		}
	}
	if v, t, ok := constValue(e); ok {
		if (t == tInt && v != 0 || t == tFloat && v.F() != 0) == jumpIf {
			g.emit("jump " + l)
		}
		return
	}
	g.noTruth(e)
	t := g.expr(e)
	g.truth(t)
	g.jump(l, jumpIf)
}

func (g *gen) jump(l string, ifTrue bool) {
	if ifTrue {
		g.emit("jump_if_true " + l)
	} else {
		g.emit("jump_if_false " + l)
	}
}

// call emits a call of one of the file's functions, a native, a builtin or a lock
// method.
func (g *gen) call(e *ast.Call) typ {
	if len(e.Keywords) > 0 || e.Starargs != nil || e.Kwargs != nil {
		g.errorf(e, "keyword and star arguments are not in the subset")
	}
	switch fn := e.Func.(type) {
	case *ast.Name:
		name := string(fn.Id)
		if g.isLocal(name) {
			g.errorf(fn, "%s is a local number, not a function", name)
		}
		s := g.c.syms[name]
		if s == nil {
			return g.builtin(e, name)
		}
		switch s.kind {
		case symFunc:
			f := s.fn
			g.arity(e, name, len(f.params))
			for i, a := range e.Args {
				g.exprAs(a, f.ptypes[i])
			}
			g.emit("call " + name)
			return f.ret
		case symNative:
			return g.native(e, s.native)
		}
		g.errorf(fn, "%s is a %s: it cannot be called here", name, kindName(s))
	case *ast.Attribute:
		if obj, s := g.objectRef(fn.Value); s != nil && (s.obj == interp.KindLock || s.obj == interp.KindRLock) {
			if fn.Attr != "acquire" && fn.Attr != "release" {
				g.errorf(fn, "a lock has only acquire() and release() in the subset")
			}
			g.arity(e, string(fn.Attr), 0)
			g.emit("load_global " + obj)
			g.emit("native lock_" + string(fn.Attr))
			return tInt
		}
		n, ok := fn.Value.(*ast.Name)
		if ok && !g.isLocal(string(n.Id)) {
			if s := g.c.syms[string(n.Id)]; s != nil && s.kind == symModule && s.module == g.c.opts.Support {
				if m := g.c.moduleMember(s.module, string(fn.Attr)); m != nil && m.kind == symNative {
					return g.native(e, m.native)
				}
				g.errorf(fn, "%s has no native %s", s.module, fn.Attr)
			}
		}
		if t, ok := g.methodCall(e, fn); ok {
			return t
		}
		g.errorf(fn, "method calls are not in the subset, except lock.acquire(), lock.release(), the support module's natives, list.append(), dict.get() and the file's classes' methods")
	}
	g.errorf(e.Func, "calling %s is not in the subset", construct(e.Func))
	return tUnknown
}

func (g *gen) arity(e *ast.Call, name string, n int) {
	if len(e.Args) != n {
		g.errorf(e, "%s takes %d arguments, %d given", name, n, len(e.Args))
	}
}

func (g *gen) native(e *ast.Call, n *interp.Native) typ {
	g.arity(e, n.Name, n.NArgs)
	for _, a := range e.Args {
		if g.expr(a) != tInt {
			g.errorf(a, "natives take ints; this is a float (use int(...))")
		}
	}
	g.emit("native " + n.Name)
	return tInt
}

// builtin inlines int(), float(), abs(), min() and max(); each is a call in CPython,
// so each ends with a check point.
func (g *gen) builtin(e *ast.Call, name string) typ {
	var t typ
	switch name {
	case "int", "float", "abs":
		g.arity(e, name, 1)
		t = g.expr(e.Args[0])
		switch {
		case name == "int" && t == tFloat:
			g.emit("ftoi")
			t = tInt
		case name == "float" && t == tInt:
			g.emit("itof")
			t = tFloat
		case name == "abs" && t == tInt:
			skip := g.newLabel()
			g.emit("dup")
			g.emit("const 0")
			g.emit("lt")
			g.emit("jump_if_false " + skip)
			g.emit("neg")
			g.label(skip)
		case name == "abs" && t == tFloat: // clear the sign bit
			g.emit("const 9223372036854775807")
			g.emit("and")
		}
	case "len":
		t = g.lenCall(e)
	case "min", "max":
		if len(e.Args) < 2 {
			g.errorf(e, "%s takes two or more numbers in the subset", name)
		}
		t = g.c.typeOf(g.f, e)
		if t != tInt && t != tFloat {
			g.errorf(e, "the arguments of %s must be numbers", name)
		}
		best := g.temp()
		g.exprAs(e.Args[0], t)
		g.emit("store " + best)
		for _, a := range e.Args[1:] {
			x, keep := g.temp(), g.newLabel()
			g.exprAs(a, t)
			g.emit("store " + x)
			g.emit("load " + x)
			g.emit("load " + best)
			cmp := map[string]string{"min": "lt", "max": "gt"}[name]
			if t == tFloat {
				cmp = "f" + cmp
			}
			g.emit(cmp)
			g.emit("jump_if_false " + keep)
			g.emit("load " + x)
			g.emit("store " + best)
			g.label(keep)
		}
		g.emit("load " + best)
	default:
		if pythonBuiltins[name] {
			g.errorf(e.Func, "the builtin %s is not in the subset (its builtins: range, int, float, abs, min, max)", name)
		}
		g.errorf(e.Func, "%s is not defined (the subset's builtins: range, int, float, abs, min, max)", name)
	}
	g.emit("check") // after the call
	return t
}

// construct names a node for an error message.
func construct(n ast.Ast) string {
	switch n := n.(type) {
	case *ast.Name:
		return string(n.Id)
	case *ast.Attribute:
		return construct(n.Value) + "." + string(n.Attr)
	case *ast.Num:
		return "a number"
	case *ast.Call:
		return construct(n.Func) + "(...)"
	}
	if s, ok := names[typeName(n)]; ok {
		return s
	}
	return "this expression"
}

func typeName(n ast.Ast) string {
	if n == nil {
		return ""
	}
	return n.Type().Name
}

// notInSubset completes "<construct> ..." for a node outside the subset.
func notInSubset(n ast.Ast) string {
	s := construct(n)
	if strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss") {
		return "are not in the subset"
	}
	return "is not in the subset"
}

var names = map[string]string{
	"ClassDef": "classes", "Try": "try statements", "Raise": "raise", "Assert": "assert",
	"Delete": "del", "Import": "imports inside functions", "ImportFrom": "imports inside functions",
	"Nonlocal": "nonlocal", "Lambda": "lambdas", "Dict": "dicts", "Set": "sets",
	"ListComp": "list comprehensions", "SetComp": "set comprehensions", "DictComp": "dict comprehensions",
	"GeneratorExp": "generator expressions", "Yield": "yield", "YieldFrom": "yield from",
	"Str": "strings", "Bytes": "bytes", "Subscript": "subscripts", "Starred": "starred expressions",
	"List": "lists", "Tuple": "tuples", "Ellipsis": "...", "NameConstant": "None",
	"FunctionDef": "nested functions", "With": "with", "For": "for", "While": "while",
	"If": "if", "Break": "break", "Continue": "continue", "Return": "return", "Global": "global",
	"Assign": "assignment", "AugAssign": "augmented assignment", "ExprStmt": "an expression",
	"Pass": "pass", "BoolOp": "and/or", "BinOp": "an operation", "UnaryOp": "a unary operation",
	"IfExp": "a conditional expression", "Compare": "a comparison",
}

// pythonBuiltins are Python's builtin functions outside the subset, so that a call of
// one is named as such rather than as an undefined name.
var pythonBuiltins = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`all any ascii bin bool bytearray bytes callable chr dict dir divmod
		enumerate eval exec filter format frozenset getattr globals hasattr hash hex id input
		isinstance issubclass iter len list locals map memoryview next object oct open ord
		print repr reversed round set setattr slice sorted str sum super tuple type vars zip`) {
		m[n] = true
	}
	return m
}()
