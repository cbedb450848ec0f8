package compiler

import (
	"fmt"
	"strconv"

	"github.com/go-python/gpython/ast"

	"gilbench/interp"
)

// instr is one line of a function's assembly: an instruction or a label.
type instr struct {
	text  string
	label string
	line  int
}

type loop struct {
	brk, cont string
	withs     int // len(gen.withs) when the loop began
}

// gen generates one function's code.
type gen struct {
	c      *compiler
	f      *function
	code   []instr
	line   int // the Python line of what is being emitted
	labels int
	temps  []string
	loops  []loop
	withs  []string // lock globals held by enclosing with statements, innermost last
}

func (c *compiler) gen(f *function) *gen {
	g := &gen{c: c, f: f, line: f.def.Lineno}
	body := f.def.Body
	if len(body) > 0 {
		if e, ok := body[0].(*ast.ExprStmt); ok {
			if _, ok := e.Value.(*ast.Str); ok {
				body = body[1:] // docstring
			}
		}
	}
	if g.block(body) {
		if f.ret != tNone {
			c.errorf(f.def, "%s can reach its end without a return: it would return None, and it returns %s elsewhere", f.name, f.ret)
		}
		g.emit("const 0")
		g.emit("return")
	}
	return g
}

func (g *gen) errorf(n ast.Ast, format string, args ...any) { g.c.errorf(n, format, args...) }

func (g *gen) emit(text string) { g.code = append(g.code, instr{text: text, line: g.line}) }

func (g *gen) emitf(format string, args ...any) { g.emit(fmt.Sprintf(format, args...)) }

func (g *gen) label(l string) { g.code = append(g.code, instr{label: l, line: g.line}) }

func (g *gen) newLabel() string {
	g.labels++
	return ".L" + strconv.Itoa(g.labels)
}

// temp is a fresh hidden local (names with a dot cannot be Python's).
func (g *gen) temp() string {
	t := ".t" + strconv.Itoa(len(g.temps))
	g.temps = append(g.temps, t)
	return t
}

// vars are the locals to declare after the parameters.
func (g *gen) vars() []string {
	var out []string
	for _, name := range g.f.order[len(g.f.params):] {
		out = append(out, name)
	}
	return append(out, g.temps...)
}

func (g *gen) at(n ast.Ast) { g.line = n.GetLineno() }

// block emits body and reports whether control can reach its end.
func (g *gen) block(body []ast.Stmt) bool {
	reach := true
	for _, st := range body {
		if !reach {
			// Unreachable code is still compiled, so that its errors are reported.
			g.stmt(st)
			continue
		}
		reach = g.stmt(st)
	}
	return reach
}

// stmt emits one statement and reports whether control can go on after it.
func (g *gen) stmt(st ast.Stmt) bool {
	g.at(st)
	switch st := st.(type) {
	case *ast.Pass, *ast.Global:
	case *ast.ExprStmt:
		if _, ok := st.Value.(*ast.Str); ok {
			return true // a string statement does nothing
		}
		g.exprAny(st.Value, true)
		g.emit("pop")
	case *ast.Return:
		g.ret(st)
		return false
	case *ast.Assign:
		g.assign(st)
	case *ast.AugAssign:
		g.augAssign(st)
	case *ast.If:
		return g.ifStmt(st)
	case *ast.While:
		return g.while(st)
	case *ast.For:
		return g.forRange(st)
	case *ast.Break, *ast.Continue:
		if len(g.loops) == 0 {
			g.errorf(st, "%s outside a loop", construct(st))
		}
		l := g.loops[len(g.loops)-1]
		g.release(l.withs)
		if _, ok := st.(*ast.Break); ok {
			g.emit("jump " + l.brk)
		} else {
			g.emit("jump " + l.cont)
		}
		return false
	case *ast.With:
		return g.with(st)
	default:
		g.errorf(st, "%s %s", construct(st), notInSubset(st))
	}
	return true
}

// release emits the releases of the locks held since with depth n, innermost first.
func (g *gen) release(n int) {
	for i := len(g.withs) - 1; i >= n; i-- {
		g.emit("load_global " + g.withs[i])
		g.emit("native lock_release")
		g.emit("pop")
	}
}

func (g *gen) ret(st *ast.Return) {
	f := g.f
	if st.Value == nil || isNone(st.Value) {
		if f.ret != tNone {
			g.errorf(st, "return without a value in %s, which returns %s", f.name, f.ret)
		}
		g.release(0)
		g.emit("const 0")
		g.emit("return")
		return
	}
	if f.ret == tNone {
		g.errorf(st, "%s is annotated -> None but returns a value", f.name)
	}
	g.exprAs(st.Value, f.ret)
	g.release(0)
	g.emit("return")
}

func (g *gen) assign(st *ast.Assign) {
	if tup, ok := st.Value.(*ast.Tuple); ok {
		if len(st.Targets) != 1 {
			g.errorf(st, "chained assignment of a tuple is not in the subset")
		}
		tt, ok := st.Targets[0].(*ast.Tuple)
		if !ok || len(tt.Elts) != len(tup.Elts) {
			g.errorf(st, "a tuple is assigned only to as many names (a, b = b, a)")
		}
		seen := map[string]bool{}
		for _, el := range tt.Elts {
			n, ok := el.(*ast.Name)
			if !ok {
				g.errorf(el, "assignment to %s in a tuple is not in the subset: assign names", construct(el))
			}
			if seen[string(n.Id)] {
				g.errorf(n, "%s is assigned twice in one statement", n.Id)
			}
			seen[string(n.Id)] = true
		}
		types := make([]typ, len(tt.Elts))
		for i, el := range tup.Elts {
			types[i] = g.storeType(tt.Elts[i])
			g.exprAs(el, types[i])
		}
		for i := len(tt.Elts) - 1; i >= 0; i-- {
			g.store(tt.Elts[i])
		}
		return
	}
	t := tUnknown
	vt := g.c.typeOf(g.f, st.Value)
	for _, tg := range st.Targets {
		tt := g.storeType(tg)
		if tt == tUnknown {
			g.expr(st.Value) // its own error, if it has one
			g.errorf(tg, "cannot infer the type of %s (assign it a number first)", construct(tg))
		}
		if tt == tInt && vt == tFloat {
			line, _ := pos(g.f.localAt[construct(tg)])
			g.errorf(tg, "%s is int (first assigned at line %d), this value is float: make the first value a float (0.0)", construct(tg), line)
		}
		if t == tUnknown || tt == tFloat {
			t = tt
		}
	}
	g.exprAs(st.Value, t)
	for i, tg := range st.Targets {
		if i < len(st.Targets)-1 {
			g.emit("dup")
		}
		if g.storeType(tg) != t {
			g.errorf(tg, "%s is %s, the value %s", construct(tg), g.storeType(tg), t)
		}
		g.store(tg)
	}
}

// storeType is the type a target holds.
func (g *gen) storeType(e ast.Expr) typ {
	switch e := e.(type) {
	case *ast.Name:
		name := string(e.Id)
		if t, ok := g.f.locals[name]; ok {
			return t
		}
		if s := g.c.syms[name]; s != nil && s.kind == symGlobal {
			return tInt
		}
		g.errorf(e, "%s is not a local or a global integer", name)
	case *ast.Subscript:
		return tInt
	case *ast.Attribute:
		if !g.isAttr(e) {
			g.valueObject(e)
		}
		return tInt
	case *ast.Tuple:
		g.errorf(e, "tuple assignment needs a tuple of values (a, b = b, a)")
	}
	g.errorf(e, "assignment to %s is not in the subset", construct(e))
	return tUnknown
}

// store pops the top of the stack into a target.
func (g *gen) store(e ast.Expr) {
	switch e := e.(type) {
	case *ast.Name:
		name := string(e.Id)
		if _, ok := g.f.locals[name]; ok {
			g.emit("store " + name)
			return
		}
		g.emit("store_global " + name)
	case *ast.Subscript:
		g.storeContainer(e)
	case *ast.Attribute: // v.value = x: the value first, then the object, as STORE_ATTR
		if g.isAttr(e) {
			g.storeContainer(e)
			return
		}
		g.emit("load_global " + g.valueObject(e))
		g.emit("swap")
		g.emit("native value_set")
		g.emit("pop")
	}
}

// valueObject checks that e is v.value (or shared.v.value) on a value object and
// returns v.
func (g *gen) valueObject(e *ast.Attribute) string {
	if name, s := g.objectRef(e.Value); s != nil && s.obj == interp.KindValue {
		if e.Attr != "value" {
			g.errorf(e, "a Value has only .value in the subset")
		}
		return name
	}
	g.errorf(e, "attributes are not in the subset, except v.value of a multiprocessing.Value or a SHARED int")
	return ""
}

// objectRef resolves e to a shared object: a module-level name (mu = threading.Lock())
// or shared.NAME of the SHARED table. It returns the object's name in the program, or
// a nil symbol if e is neither.
func (g *gen) objectRef(e ast.Expr) (string, *symbol) {
	switch e := e.(type) {
	case *ast.Name:
		name := string(e.Id)
		if g.isLocal(name) {
			return "", nil
		}
		if s := g.c.syms[name]; s != nil && s.kind == symObject {
			return name, s
		}
	case *ast.Attribute:
		n, ok := e.Value.(*ast.Name)
		if !ok || g.isLocal(string(n.Id)) {
			return "", nil
		}
		if s := g.c.syms[string(n.Id)]; s == nil || s.kind != symShared {
			return "", nil
		}
		name := string(e.Attr)
		s, ok := g.c.shared[name]
		if !ok {
			g.errorf(e, "%s is not in the SHARED table (SHARED = {%q: \"lock\"} at module level)", construct(e), name)
		}
		if m := g.c.syms[name]; m != nil && m.kind != symMeta && m.kind != symFunc {
			g.errorf(e, "%s and the module-level %s would be one object: rename one", construct(e), name)
		}
		g.c.sharedUsed[name] = true
		return name, s
	}
	return "", nil
}

func (g *gen) isLocal(name string) bool {
	_, ok := g.f.locals[name]
	return ok
}

func (g *gen) augAssign(st *ast.AugAssign) {
	tt := g.storeType(st.Target)
	rt, why := binType(st.Op, tt, g.c.typeOf(g.f, st.Value))
	if why != "" {
		g.errorf(st, "%s", why)
	}
	if rt != tUnknown && rt != tt {
		g.errorf(st, "%s is %s, and %s= would make it %s", construct(st.Target), tt, opSymbol[st.Op], rt)
	}
	switch t := st.Target.(type) {
	case *ast.Name:
		g.loadName(t)
		g.binRest(st, st.Op, tt, st.Value)
		g.store(t)
	case *ast.Subscript:
		g.augContainer(st, tt)
	case *ast.Attribute: // v.value += x: a call to read, a call to write
		if g.isAttr(t) {
			g.augContainer(st, tt)
			return
		}
		v := g.valueObject(t)
		g.emit("load_global " + v)
		g.emit("native value_get")
		g.binRest(st, st.Op, tt, st.Value)
		g.store(t)
	}
}

func (g *gen) ifStmt(st *ast.If) bool {
	els, end := g.newLabel(), g.newLabel()
	g.cond(st.Test, els, false)
	reach := g.block(st.Body)
	if len(st.Orelse) == 0 {
		g.label(els)
		return true
	}
	if reach {
		g.emit("jump " + end)
	}
	g.label(els)
	reachElse := g.block(st.Orelse)
	g.label(end)
	return reach || reachElse
}

// while is compiled as CPython 3.13 compiles it: the test at the top, and again at the
// bottom, where a taken backward jump is the loop's check point.
func (g *gen) while(st *ast.While) bool {
	top, cont, exit, brk := g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel()
	forever := isTrue(st.Test)
	if !forever {
		g.cond(st.Test, exit, false)
	}
	g.label(top)
	g.loops = append(g.loops, loop{brk: brk, cont: cont, withs: len(g.withs)})
	g.block(st.Body)
	g.loops = g.loops[:len(g.loops)-1]
	g.label(cont)
	g.at(st)
	if forever {
		g.emit("jump " + top)
	} else {
		g.cond(st.Test, top, true)
	}
	g.label(exit)
	g.block(st.Orelse)
	g.label(brk)
	return !forever || hasBreak(st.Body)
}

func isTrue(e ast.Expr) bool {
	v, t, ok := constValue(e)
	return ok && t == tInt && v != 0
}

// hasBreak reports whether body breaks out of its own loop.
func hasBreak(body []ast.Stmt) bool {
	for _, st := range body {
		switch st := st.(type) {
		case *ast.Break:
			return true
		case *ast.If:
			if hasBreak(st.Body) || hasBreak(st.Orelse) {
				return true
			}
		case *ast.With:
			if hasBreak(st.Body) {
				return true
			}
		}
	}
	return false
}

// forRange compiles for x in range(...); a step that is not a constant is tested for
// its sign at each test. The counter is x
// itself when the body does not assign x and nothing outside the loop reads it.
func (g *gen) forRange(st *ast.For) bool {
	target, ok := st.Target.(*ast.Name)
	if !ok {
		g.errorf(st.Target, "for over %s is not in the subset: for NAME in range(...)", construct(st.Target))
	}
	call, ok := st.Iter.(*ast.Call)
	fn, ok2 := (*ast.Name)(nil), false
	if ok {
		fn, ok2 = call.Func.(*ast.Name)
	}
	if !ok || !ok2 || fn.Id != "range" || g.c.syms["range"] != nil || g.isLocal("range") {
		g.errorf(st.Iter, "for over %s is not in the subset: only for x in range(...)", construct(st.Iter))
	}
	if len(call.Keywords) > 0 || call.Starargs != nil || call.Kwargs != nil || len(call.Args) < 1 || len(call.Args) > 3 {
		g.errorf(call, "range takes 1 to 3 positional arguments")
	}
	name := string(target.Id)
	if g.f.locals[name] != tInt {
		g.errorf(target, "the loop variable %s is %s elsewhere; range gives ints", name, g.f.locals[name])
	}
	step, stepVar := interp.Value(1), "" // stepVar: the local of a step not constant
	if len(call.Args) == 3 {
		v, t, ok := constValue(call.Args[2])
		if n, isName := call.Args[2].(*ast.Name); isName && !g.isLocal(string(n.Id)) {
			if s := g.c.syms[string(n.Id)]; s != nil && s.kind == symConst {
				v, t, ok = s.val, s.typ, true // a module-level constant: BANDS = 16
			}
		}
		switch {
		case !ok:
			stepVar = g.temp()
		case t != tInt:
			g.errorf(call.Args[2], "range's step must be an int (Python raises TypeError)")
		case v == 0:
			g.errorf(call.Args[2], "range's step must not be zero (Python raises ValueError)")
		default:
			step = v
		}
	}
	var start, stop ast.Expr = nil, call.Args[0]
	if len(call.Args) >= 2 {
		start, stop = call.Args[0], call.Args[1]
	}
	counter := name
	if assignsIn(st.Body, name) || g.usedOutside(st, name) {
		counter = g.temp()
	}
	if start == nil {
		g.emit("const 0")
	} else {
		g.exprAs(start, tInt)
	}
	g.emit("store " + counter)
	limit := ""
	if v, t, ok := constValue(stop); ok && t == tInt {
		limit = "const " + strconv.FormatInt(int64(v), 10)
	} else {
		lt := g.temp()
		g.exprAs(stop, tInt)
		g.emit("store " + lt)
		limit = "load " + lt
	}
	if stepVar != "" { // evaluated last, as range()'s third argument; zero fails
		g.exprAs(call.Args[2], tInt)
		g.emit("range_step")
		g.emit("store " + stepVar)
	}
	g.emit("check") // after the call of range()
	cmp := "lt"
	if step < 0 {
		cmp = "gt"
	}
	top, cont, exit, brk := g.newLabel(), g.newLabel(), g.newLabel(), g.newLabel()
	test := func(jumpIfTrue bool, l string) {
		if stepVar != "" { // counter < limit if the step is positive, else counter > limit
			down, done := g.newLabel(), g.newLabel()
			g.emit("load " + stepVar)
			g.emit("const 0")
			g.emit("gt")
			g.emit("jump_if_false " + down)
			g.emit("load " + counter)
			g.emit(limit)
			g.emit("lt")
			g.emit("jump " + done)
			g.label(down)
			g.emit("load " + counter)
			g.emit(limit)
			g.emit("gt")
			g.label(done)
		} else {
			g.emit("load " + counter)
			g.emit(limit)
			g.emit(cmp)
		}
		if jumpIfTrue {
			g.emit("jump_if_true " + l)
		} else {
			g.emit("jump_if_false " + l)
		}
	}
	test(false, exit)
	g.label(top)
	if counter != name {
		g.emit("load " + counter)
		g.emit("store " + name)
	}
	g.loops = append(g.loops, loop{brk: brk, cont: cont, withs: len(g.withs)})
	g.block(st.Body)
	g.loops = g.loops[:len(g.loops)-1]
	g.label(cont)
	g.at(st)
	g.emit("load " + counter)
	if stepVar != "" {
		g.emit("load " + stepVar)
	} else {
		g.emitf("const %d", step)
	}
	g.emit("add")
	g.emit("store " + counter)
	test(true, top)
	g.label(exit)
	g.block(st.Orelse)
	g.label(brk)
	return true
}

// assignsIn reports whether body assigns name.
func assignsIn(body []ast.Stmt, name string) bool {
	found := false
	ast.Walk(&ast.Module{Body: body}, func(n ast.Ast) bool {
		if nm, ok := n.(*ast.Name); ok && string(nm.Id) == name && nm.Ctx != ast.Load {
			found = true
		}
		return !found
	})
	return found
}

// usedOutside reports whether the function mentions name anywhere but in loop's body
// and target.
func (g *gen) usedOutside(loop *ast.For, name string) bool {
	inside := map[ast.Ast]bool{loop.Target: true}
	ast.Walk(&ast.Module{Body: loop.Body}, func(n ast.Ast) bool { inside[n] = true; return true })
	found := false
	ast.Walk(&ast.Module{Body: g.f.def.Body}, func(n ast.Ast) bool {
		if nm, ok := n.(*ast.Name); ok && string(nm.Id) == name && !inside[n] {
			found = true
		}
		return !found
	})
	return found
}

// with holds each lock of its items around its body: acquire (a call), the body,
// release (a call); return, break and continue release first.
func (g *gen) with(st *ast.With) bool {
	var held []string
	for _, it := range st.Items {
		if it.OptionalVars != nil {
			g.errorf(it.OptionalVars, "with ... as is not in the subset")
		}
		name, s := g.objectRef(it.ContextExpr)
		if s == nil || (s.obj != interp.KindLock && s.obj != interp.KindRLock) {
			g.errorf(it.ContextExpr, "with is for lock objects only in the subset (with lock:)")
		}
		g.emit("load_global " + name)
		g.emit("native lock_acquire")
		g.emit("pop")
		g.withs = append(g.withs, name)
		held = append(held, name)
	}
	reach := g.block(st.Body)
	g.at(st)
	if reach {
		g.release(len(g.withs) - len(held))
	}
	g.withs = g.withs[:len(g.withs)-len(held)]
	return reach
}
