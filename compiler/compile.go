package compiler

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/py"

	"gilbench/interp"
)

// Options say what a source may use besides itself.
type Options struct {
	// Support is the module that natives are imported from; "" is DefaultSupport.
	Support string
	// Natives are the functions of the support module, by name: a call passes NArgs
	// integers and returns an integer. The program's Natives are these, in this order,
	// whether the source imports them or not.
	Natives []*interp.Native
	// Objects are shared objects the support module provides, by name (a lock, an
	// rlock or a value), besides those the source makes itself with threading.Lock()
	// and the like.
	Objects map[string]interp.Kind
	// Entry, when set, is the function the program is run from (workloads: "task"):
	// only the functions it reaches are compiled, so that a file may also define the
	// CPython driver's hooks (skip, reset, check, want), which are outside the subset
	// and which the emulated modes do not call. An Entry that the file does not define
	// is an error.
	Entry string
}

// DefaultSupport is the support module's name when Options.Support is empty.
const DefaultSupport = "gilbench_support"

// Unit is a compiled source: the program and what a listing needs.
type Unit struct {
	Program *interp.Program
	// Asm is the assembly text the program was assembled from (see interp.Assemble).
	Asm string
	// Funcs describes Program.Funcs, index for index.
	Funcs []FuncListing

	pyOf    []int  // the Python line of each line of Asm
	natives string // the natives' signature, for Bind
}

// FuncListing is one compiled function: its instructions as assembly text, and the
// source line of each (also in the Function's Lines).
type FuncListing struct {
	Name   string
	Line   int      // of the def
	Instrs []string // "load n", "jump_if_true .L3", ...
	Labels map[int][]string
}

// Compile compiles the Python source src, read from file (for positions), into a
// program. Every error is an *Error at file:line:col.
func Compile(file string, src []byte, opts Options) (u *Unit, err error) {
	c := &compiler{file: file, opts: opts, syms: map[string]*symbol{}, shared: map[string]*symbol{}, sharedUsed: map[string]bool{}}
	if c.opts.Support == "" {
		c.opts.Support = DefaultSupport
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			u, err = nil, e
		}
	}()
	for _, n := range opts.Natives {
		if n == nil {
			return nil, &Error{File: file, Msg: "a nil native"}
		}
		for _, b := range interp.BuiltinNatives() {
			if n.Name == b {
				return nil, &Error{File: file, Msg: fmt.Sprintf("native %q has the name of a built-in", n.Name)}
			}
		}
	}
	mod, err := parse(file, string(src))
	if err != nil {
		return nil, err
	}
	c.module(mod)
	if c.opts.Entry != "" {
		c.reachable(mod)
	}
	c.inferAll()
	return c.generate()
}

// typ is the static type of a value.
type typ uint8

const (
	tUnknown typ = iota // not yet inferred
	tInt
	tFloat
	tNone // a function without a value
)

func (t typ) String() string {
	if t > tNone {
		return "a container"
	}
	return [...]string{"unknown", "int", "float", "None"}[t]
}

type symKind uint8

const (
	symConst  symKind = iota // a module-level number never assigned by a function
	symGlobal                // a module-level integer some function declares global and assigns
	symFunc
	symNative
	symObject // a lock, rlock or value
	symModule // threading, multiprocessing or the support module
	symCtor   // threading.Lock, threading.RLock, multiprocessing.Value imported by name
	symShared // the support module's namespace of shared objects: shared.mu, shared.v.value
	symMeta   // a module-level string (CLASS = "CPU") or the SHARED table: for the driver, not a value
)

type symbol struct {
	kind   symKind
	node   ast.Ast
	typ    typ          // symConst
	val    interp.Value // symConst
	fn     *function
	native *interp.Native
	obj    interp.Kind // symObject; symCtor: what it makes
	module string      // symModule
	cls    *class      // symClass; symObject of KindObject: its class
}

type compiler struct {
	file  string
	opts  Options
	syms  map[string]*symbol
	order []string // module-level names in source order
	funcs []*function
	// classes and the attributes of each threading.local (containers.go)
	classes []*class
	tls     map[string][]string
	// shared are the objects of the SHARED table (shared.NAME), by name; sharedUsed
	// those the compiled functions use, which alone the program declares.
	shared     map[string]*symbol
	sharedUsed map[string]bool
}

func (c *compiler) errorf(n ast.Ast, format string, args ...any) {
	line, col := pos(n)
	panic(&Error{File: c.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) define(name string, n ast.Ast, s *symbol) {
	if old, dup := c.syms[name]; dup {
		line, _ := pos(old.node)
		c.errorf(n, "%s is defined twice (first at line %d): one meaning a name in the subset", name, line)
	}
	s.node = n
	c.syms[name] = s
	c.order = append(c.order, name)
}

// module reads the module's top level: imports, constants, globals, objects, defs.
func (c *compiler) module(m *ast.Module) {
	for i, st := range m.Body {
		switch st := st.(type) {
		case *ast.ExprStmt:
			if _, ok := st.Value.(*ast.Str); ok && i == 0 {
				continue // the module's docstring
			}
			c.errorf(st, "expressions at module level are not in the subset")
		case *ast.Pass:
		case *ast.Import:
			for _, a := range st.Names {
				name := string(a.Name)
				if !c.knownModule(name) {
					c.errorf(a, "import of %s: only threading, multiprocessing and %s are in the subset", name, c.opts.Support)
				}
				as := name
				if a.AsName != "" {
					as = string(a.AsName)
				}
				c.define(as, a, &symbol{kind: symModule, module: name})
			}
		case *ast.ImportFrom:
			c.importFrom(st)
		case *ast.FunctionDef:
			f := c.declareFunc(st)
			c.define(string(st.Name), st, &symbol{kind: symFunc, fn: f})
		case *ast.ClassDef:
			c.classDef(st)
		case *ast.Assign:
			c.moduleAssign(st)
		case *ast.If:
			if isMainGuard(st.Test) && len(st.Orelse) == 0 {
				continue // run as a script: not part of the workload
			}
			c.errorf(st, "if at module level is not in the subset (only if __name__ == \"__main__\":, which is skipped)")
		default:
			c.errorf(st, "%s at module level %s", construct(st), notInSubset(st))
		}
	}
	// Names that a function declares global and assigns are shared globals.
	for _, f := range c.funcs {
		for name, n := range f.globalDecl {
			s, ok := c.syms[name]
			if !ok {
				c.errorf(n, "global %s has no module-level assignment (write %s = 0 at module level)", name, name)
			}
			if !f.assigned[name] {
				continue
			}
			switch {
			case s.kind == symGlobal:
			case s.kind != symConst:
				c.errorf(f.assignNode[name], "%s is not an integer global: it cannot be assigned", name)
			case s.typ != tInt:
				c.errorf(s.node, "global %s is a %s: shared globals are integers", name, s.typ)
			case s.val != 0:
				c.errorf(s.node, "global %s starts at %d: shared globals start at 0 (the interpreter resets them for every batch)", name, s.val)
			default:
				s.kind = symGlobal
			}
		}
	}
}

func (c *compiler) knownModule(name string) bool {
	return name == "threading" || name == "multiprocessing" || name == c.opts.Support
}

func isMainGuard(e ast.Expr) bool {
	cmp, ok := e.(*ast.Compare)
	if !ok || len(cmp.Ops) != 1 || cmp.Ops[0] != ast.Eq {
		return false
	}
	n, ok1 := cmp.Left.(*ast.Name)
	s, ok2 := cmp.Comparators[0].(*ast.Str)
	return ok1 && ok2 && n.Id == "__name__" && s.S == "__main__"
}

func (c *compiler) importFrom(st *ast.ImportFrom) {
	mod := string(st.Module)
	if st.Level != 0 || !c.knownModule(mod) {
		c.errorf(st, "import from %s: only threading, multiprocessing and %s are in the subset", mod, c.opts.Support)
	}
	for _, a := range st.Names {
		name := string(a.Name)
		as := name
		if a.AsName != "" {
			as = string(a.AsName)
		}
		if name == "*" {
			c.errorf(a, "import * is not in the subset: name what you import")
		}
		if s := c.moduleMember(mod, name); s != nil {
			c.define(as, a, s)
			continue
		}
		c.errorf(a, "%s has no %s in the subset", mod, name)
	}
}

// moduleMember is what name in module mod means, nil if nothing in the subset.
func (c *compiler) moduleMember(mod, name string) *symbol {
	switch mod {
	case "threading":
		switch name {
		case "Lock":
			return &symbol{kind: symCtor, obj: interp.KindLock}
		case "RLock":
			return &symbol{kind: symCtor, obj: interp.KindRLock}
		case "local":
			return &symbol{kind: symCtor, obj: interp.KindLocal}
		}
	case "multiprocessing":
		switch name {
		case "Lock":
			return &symbol{kind: symCtor, obj: interp.KindLock}
		case "RLock":
			return &symbol{kind: symCtor, obj: interp.KindRLock}
		case "Value":
			return &symbol{kind: symCtor, obj: interp.KindValue}
		}
	}
	if mod == c.opts.Support {
		if name == "shared" {
			return &symbol{kind: symShared}
		}
		for _, n := range c.opts.Natives {
			if n.Name == name {
				return &symbol{kind: symNative, native: n}
			}
		}
		if k, ok := c.opts.Objects[name]; ok {
			if k != interp.KindLock && k != interp.KindRLock && k != interp.KindValue {
				return nil
			}
			return &symbol{kind: symObject, obj: k}
		}
	}
	return nil
}

// moduleAssign reads NAME = number or NAME = threading.Lock() (and the like).
func (c *compiler) moduleAssign(st *ast.Assign) {
	if len(st.Targets) != 1 {
		c.errorf(st, "chained assignment at module level is not in the subset")
	}
	target, ok := st.Targets[0].(*ast.Name)
	if !ok {
		c.errorf(st.Targets[0], "module-level assignment to %s is not in the subset: assign a name", construct(st.Targets[0]))
	}
	name := string(target.Id)
	if _, ok := st.Value.(*ast.Str); ok {
		c.define(name, target, &symbol{kind: symMeta})
		return
	}
	if d, ok := st.Value.(*ast.Dict); ok && name == "SHARED" {
		c.sharedTable(d)
		c.define(name, target, &symbol{kind: symMeta})
		return
	}
	if v, t, ok := constValue(st.Value); ok {
		c.define(name, target, &symbol{kind: symConst, typ: t, val: v})
		return
	}
	if _, ok := st.Value.(*ast.Str); ok {
		return // metadata for the runner (CLASS = "CPU"): no value in the subset
	}
	if c.containerAssign(name, target, st.Value) {
		return
	}
	if call, ok := st.Value.(*ast.Call); ok {
		if k, ok := c.ctorCall(call); ok {
			c.define(name, target, &symbol{kind: symObject, obj: k})
			return
		}
	}
	c.errorf(st.Value, "module-level %s = %s: only number and string literals, SHARED = {...}, threading.Lock(), threading.RLock() and multiprocessing.Value(typecode, 0) are in the subset", name, construct(st.Value))
}

// sharedTable reads SHARED = {"counter": "int", "mu": "lock"}: the objects the CPython
// driver makes for the strategy and puts in the support module's shared namespace, and
// that the interpreter declares as a value and a lock.
func (c *compiler) sharedTable(d *ast.Dict) {
	for i, k := range d.Keys {
		ks, ok1 := k.(*ast.Str)
		vs, ok2 := d.Values[i].(*ast.Str)
		if !ok1 || !ok2 {
			c.errorf(k, "SHARED maps names to kinds, both string literals: {\"mu\": \"lock\", \"counter\": \"int\"}")
		}
		name := string(ks.S)
		if !isIdent(name) {
			c.errorf(k, "SHARED name %q is not an identifier", name)
		}
		if _, dup := c.shared[name]; dup {
			c.errorf(k, "SHARED names %s twice", name)
		}
		var kind interp.Kind
		switch vs.S {
		case "int":
			kind = interp.KindValue
		case "lock":
			kind = interp.KindLock
		default:
			c.errorf(d.Values[i], "SHARED[%q] = %q: want \"lock\" or \"int\"", name, vs.S)
		}
		c.shared[name] = &symbol{kind: symObject, obj: kind, node: k}
	}
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// reachable keeps the functions that opts.Entry reaches by calls (or names), in source
// order, and forgets the others: they are not compiled, and nothing compiled can call
// them.
func (c *compiler) reachable(m *ast.Module) {
	s, ok := c.syms[c.opts.Entry]
	if !ok || s.kind != symFunc {
		c.errorf(m, "the file defines no function %s(...)", c.opts.Entry)
	}
	seen := map[*function]bool{}
	var visit func(f *function)
	visit = func(f *function) {
		if seen[f] {
			return
		}
		seen[f] = true
		for _, st := range f.def.Body {
			ast.Walk(st, func(n ast.Ast) bool {
				if id, ok := n.(*ast.Name); ok {
					if _, local := f.locals[string(id.Id)]; !local {
						if s := c.syms[string(id.Id)]; s != nil && s.kind == symFunc {
							visit(s.fn)
						}
					}
				}
				return true
			})
		}
	}
	visit(s.fn)
	// Methods are reached through load_method on an instance, which the walk above does
	// not follow: keep every class's methods, and what they call.
	for _, cl := range c.classes {
		for _, m := range cl.methods {
			visit(m)
		}
	}
	kept := c.funcs[:0]
	for _, f := range c.funcs {
		if seen[f] {
			kept = append(kept, f)
		} else if sym := c.syms[f.name]; sym != nil {
			sym.kind = symMeta
		}
	}
	c.funcs = kept
}

// ctorCall recognises threading.Lock(), Lock(), multiprocessing.Value('q', 0) ...
func (c *compiler) ctorCall(call *ast.Call) (interp.Kind, bool) {
	var s *symbol
	switch f := call.Func.(type) {
	case *ast.Name:
		s = c.syms[string(f.Id)]
	case *ast.Attribute:
		if m, ok := f.Value.(*ast.Name); ok {
			if ms := c.syms[string(m.Id)]; ms != nil && ms.kind == symModule {
				s = c.moduleMember(ms.module, string(f.Attr))
			}
		}
	}
	if s == nil || s.kind != symCtor || len(call.Keywords) > 0 || call.Starargs != nil || call.Kwargs != nil {
		return 0, false
	}
	if s.obj == interp.KindValue {
		if len(call.Args) != 2 {
			c.errorf(call, "Value takes a typecode and an initial value")
		}
		if _, ok := call.Args[0].(*ast.Str); !ok {
			c.errorf(call.Args[0], "Value's typecode must be a string literal ('q', 'i', 'l')")
		}
		if v, t, ok := constValue(call.Args[1]); !ok || t != tInt || v != 0 {
			c.errorf(call.Args[1], "a Value starts at 0 in the subset (the interpreter resets it for every batch)")
		}
		return s.obj, true
	}
	if len(call.Args) != 0 {
		c.errorf(call, "Lock(), RLock() and local() take no arguments")
	}
	return s.obj, true
}

// isMinInt64 reports whether e is -9223372036854775808, an int64 whose literal is not.
func isMinInt64(e *ast.UnaryOp) bool {
	n, ok := e.Operand.(*ast.Num)
	if !ok || e.Op != ast.USub {
		return false
	}
	b, ok := n.N.(*py.BigInt)
	return ok && (*big.Int)(b).IsUint64() && (*big.Int)(b).Uint64() == 1<<63
}

// constValue evaluates a number literal, optionally negated, or True or False.
func constValue(e ast.Expr) (interp.Value, typ, bool) {
	switch e := e.(type) {
	case *ast.Num:
		switch n := e.N.(type) {
		case py.Int:
			return interp.Value(n), tInt, true
		case py.Float:
			return interp.Float(float64(n)), tFloat, true
		}
	case *ast.NameConstant:
		switch e.Value {
		case py.True:
			return 1, tInt, true
		case py.False:
			return 0, tInt, true
		}
	case *ast.UnaryOp:
		if isMinInt64(e) {
			return math.MinInt64, tInt, true
		}
		v, t, ok := constValue(e.Operand)
		if !ok {
			return 0, 0, false
		}
		switch {
		case e.Op == ast.UAdd:
			return v, t, true
		case e.Op == ast.USub && t == tInt:
			return -v, t, true
		case e.Op == ast.USub && t == tFloat:
			return interp.Float(-v.F()), t, true
		}
	}
	return 0, 0, false
}

// generate emits every function's assembly, assembles it and maps lines back to the
// Python source.
func (c *compiler) generate() (*Unit, error) {
	var (
		asm   strings.Builder
		pyOf  = []int{0} // Python line of each assembly line (1-based)
		funcs []FuncListing
	)
	line := func(text string, py int) {
		asm.WriteString(text)
		asm.WriteByte('\n')
		pyOf = append(pyOf, py)
	}
	gens := make([]*gen, len(c.funcs))
	for i, f := range c.funcs {
		gens[i] = c.gen(f)
	}
	for _, name := range c.order {
		s := c.syms[name]
		switch {
		case s.kind == symGlobal:
			line("global "+name, 0)
		case s.kind == symObject:
			line(c.declaration(name, s), 0)
		}
	}
	for _, name := range sortedNames(c.sharedUsed) {
		line(c.shared[name].obj.String()+" "+name, 0)
	}
	for i, f := range c.funcs {
		g := gens[i]
		fl := FuncListing{Name: f.name, Line: f.def.Lineno, Labels: map[int][]string{}}
		header := "func " + f.name
		for _, p := range f.params {
			header += " " + p
		}
		line(header, f.def.Lineno)
		if vars := g.vars(); len(vars) > 0 {
			line("\tvar "+strings.Join(vars, " "), f.def.Lineno)
		}
		for _, in := range g.code {
			if in.label != "" {
				fl.Labels[len(fl.Instrs)] = append(fl.Labels[len(fl.Instrs)], in.label)
				line(in.label+":", in.line)
				continue
			}
			fl.Instrs = append(fl.Instrs, in.text)
			line("\t"+in.text, in.line)
		}
		line("end", 0)
		funcs = append(funcs, fl)
	}
	prog, err := interp.Assemble(asm.String(), c.opts.Natives...)
	if err != nil {
		// The compiler's own fault: say so with the assembly's message.
		return nil, &Error{File: c.file, Msg: fmt.Sprintf("internal error: the generated assembly does not assemble: %v", err)}
	}
	for _, f := range prog.Funcs {
		for pc, l := range f.Lines {
			f.Lines[pc] = pyOf[l]
		}
	}
	if err := interp.Verify(prog); err != nil {
		return nil, &Error{File: c.file, Msg: fmt.Sprintf("internal error: %v", err)}
	}
	return &Unit{Program: prog, Asm: asm.String(), Funcs: funcs, pyOf: pyOf, natives: signature(c.opts.Natives)}, nil
}

// Bind returns u's program again with natives bound to other functions: natives must
// have the names and arities of those u was compiled with, in the same order. It only
// assembles, which costs a small fraction of compiling (a pool's program is the same
// code with natives bound to the pool's connections).
func (u *Unit) Bind(natives []*interp.Native) (*interp.Program, error) {
	if got := signature(natives); got != u.natives {
		return nil, fmt.Errorf("compiler: natives %s do not match the compiled unit's %s", got, u.natives)
	}
	prog, err := interp.Assemble(u.Asm, natives...)
	if err != nil {
		return nil, fmt.Errorf("compiler: internal error: %v", err)
	}
	for _, f := range prog.Funcs {
		for pc, l := range f.Lines {
			f.Lines[pc] = u.pyOf[l]
		}
	}
	return prog, nil
}

// signature is natives' names and arities, in order: "[sleep_us/1 echo/1]".
func signature(natives []*interp.Native) string {
	parts := make([]string, len(natives))
	for i, n := range natives {
		if n == nil {
			parts[i] = "nil"
			continue
		}
		parts[i] = fmt.Sprintf("%s/%d", n.Name, n.NArgs)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// sortedNames returns m's keys in order, for deterministic output.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
