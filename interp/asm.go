package interp

import (
	"fmt"
	"strconv"
	"strings"
)

// Assemble builds a Program from assembly text. The format, one statement a line:
//
//	# a comment (also after a statement)
//	global NAME [NAME ...]    outside functions: integer globals (see Shared for the
//	lock, rlock, value, map   objects: `lock NAME ...` and so on)
//	list, dict NAME ...       containers; object NAME N, local NAME N: an instance
//	                          and a threading.local with N attributes (objects.go)
//	func NAME [PARAM ...]     start a function; parameters are its first locals
//	var NAME [NAME ...]       more locals (zero at entry)
//	LABEL:                    a jump target
//	OP [ARG]                  an instruction
//	end                       end the function
//
// Arguments: `load`/`store` take a local's name; `load_global`/`store_global` take the
// name of a global declared above the function; `const` takes an integer or a float
// literal (a float has a '.' or an exponent); jumps take a label; `call` takes a
// function's name (defined anywhere in the text), as `load_method` does; `getattr` and
// `setattr` take an attribute's index; `native` takes the name of one of
// natives or of a built-in native (BuiltinNatives: the methods of the objects).
// Functions see only their own locals. The assembler checks that the operand stack has
// the same depth on every path into an instruction and computes MaxStack.
func Assemble(src string, natives ...*Native) (*Program, error) {
	a := &assembler{prog: &Program{byName: map[string]int{}, globals: map[string]int{}}, natives: map[string]int{}}
	for i, n := range natives {
		if _, dup := a.natives[n.Name]; dup {
			return nil, fmt.Errorf("asm: native %q given twice", n.Name)
		}
		if _, builtin := builtinNatives[n.Name]; builtin {
			return nil, fmt.Errorf("asm: native %q is a built-in", n.Name)
		}
		a.natives[n.Name] = i
		a.prog.Natives = append(a.prog.Natives, n)
	}
	if err := a.parse(src); err != nil {
		return nil, err
	}
	a.prog.layout = newLayout(a.prog.Globals)
	if err := Verify(a.prog); err != nil {
		return nil, err
	}
	return a.prog, nil
}

// MustAssemble is Assemble for programs fixed at compile time: it panics on error.
func MustAssemble(src string, natives ...*Native) *Program {
	p, err := Assemble(src, natives...)
	if err != nil {
		panic(err)
	}
	return p
}

type fixup struct {
	fn    *Function
	pc    int
	name  string
	line  int
	label bool // a label in fn, else a function name
}

type assembler struct {
	prog    *Program
	natives map[string]int
	fixups  []fixup
}

var opByName = func() map[string]Op {
	m := map[string]Op{}
	for o := Op(0); o < numOps; o++ {
		m[opNames[o]] = o
	}
	return m
}()

func (a *assembler) parse(src string) error {
	var (
		cur    *Function
		locals map[string]int
		labels map[string]int
		consts map[Value]int
		start  int
	)
	errf := func(line int, format string, args ...any) error {
		return fmt.Errorf("asm: line %d: %s", line, fmt.Sprintf(format, args...))
	}
	for i, raw := range strings.Split(src, "\n") {
		line := i + 1
		if j := strings.IndexByte(raw, '#'); j >= 0 {
			raw = raw[:j]
		}
		fields := strings.Fields(raw)
		if len(fields) == 0 {
			continue
		}
		word := fields[0]
		switch {
		case word == "func":
			if cur != nil {
				return errf(line, "func %s inside func %s (missing end)", strings.Join(fields[1:], " "), cur.Name)
			}
			if len(fields) < 2 {
				return errf(line, "func needs a name")
			}
			name := fields[1]
			if _, dup := a.prog.byName[name]; dup {
				return errf(line, "function %s defined twice", name)
			}
			cur = &Function{Name: name}
			locals, labels, consts = map[string]int{}, map[string]int{}, map[Value]int{}
			for _, p := range fields[2:] {
				if _, dup := locals[p]; dup {
					return errf(line, "parameter %s given twice", p)
				}
				locals[p] = len(locals)
			}
			cur.NParams = len(locals)
			a.prog.byName[name] = len(a.prog.Funcs)
			a.prog.Funcs = append(a.prog.Funcs, cur)
			start = line
		case isDecl(word) && cur == nil && hasAttrs(kindByWord[word]):
			// object NAME N, local NAME N: one name and its number of attributes
			if len(fields) != 3 {
				return errf(line, "%s takes a name and a number of attributes", word)
			}
			n, err := strconv.Atoi(fields[2])
			if err != nil || n < 0 || n > maxAttrs {
				return errf(line, "%s %s: bad number of attributes %q (0 to %d)", word, fields[1], fields[2], maxAttrs)
			}
			name := fields[1]
			if _, dup := a.prog.globals[name]; dup {
				return errf(line, "global %s declared twice", name)
			}
			a.prog.globals[name] = len(a.prog.Globals)
			a.prog.Globals = append(a.prog.Globals, Global{Name: name, Kind: kindByWord[word], Attrs: n})
		case isDecl(word) && cur == nil:
			for _, name := range fields[1:] {
				if _, dup := a.prog.globals[name]; dup {
					return errf(line, "global %s declared twice", name)
				}
				a.prog.globals[name] = len(a.prog.Globals)
				a.prog.Globals = append(a.prog.Globals, Global{Name: name, Kind: kindByWord[word]})
			}
			if len(fields) < 2 {
				return errf(line, "%s needs a name", word)
			}
		case cur == nil:
			return errf(line, "%q outside a function", word)
		case isDecl(word):
			return errf(line, "%s inside func %s: declare globals outside functions", word, cur.Name)
		case word == "var":
			for _, v := range fields[1:] {
				if _, dup := locals[v]; dup {
					return errf(line, "local %s declared twice", v)
				}
				locals[v] = len(locals)
			}
		case word == "end":
			cur.NLocals = len(locals)
			if err := a.resolveLabels(cur, labels); err != nil {
				return err
			}
			cur = nil
		case strings.HasSuffix(word, ":") && len(fields) == 1:
			l := strings.TrimSuffix(word, ":")
			if _, dup := labels[l]; dup {
				return errf(line, "label %s defined twice", l)
			}
			labels[l] = len(cur.Code)
		default:
			op, ok := opByName[word]
			if !ok {
				return errf(line, "unknown instruction %q", word)
			}
			in := Instr{Op: op}
			needArg := op == OpConst || op == OpLoad || op == OpStore || op == OpCall || op == OpNative ||
				op == OpLoadGlobal || op == OpStoreGlobal || isJump(op) ||
				op == OpGetAttr || op == OpSetAttr || op == OpLoadMethod
			if needArg != (len(fields) == 2) || len(fields) > 2 {
				if needArg {
					return errf(line, "%s takes one argument", word)
				}
				return errf(line, "%s takes no argument", word)
			}
			switch {
			case op == OpLoad || op == OpStore:
				idx, ok := locals[fields[1]]
				if !ok {
					return errf(line, "unknown local %q in %s", fields[1], cur.Name)
				}
				in.A = int32(idx)
			case op == OpLoadGlobal || op == OpStoreGlobal:
				idx, ok := a.prog.globals[fields[1]]
				if !ok {
					return errf(line, "unknown global %q (declare it outside functions, before its first use)", fields[1])
				}
				in.A = int32(idx)
			case op == OpConst:
				v, err := parseConst(fields[1])
				if err != nil {
					return errf(line, "%v", err)
				}
				idx, ok := consts[v]
				if !ok {
					idx = len(cur.Consts)
					consts[v] = idx
					cur.Consts = append(cur.Consts, v)
				}
				in.A = int32(idx)
			case op == OpNative:
				idx, ok := a.natives[fields[1]]
				if !ok {
					b, builtin := builtinNatives[fields[1]]
					if !builtin {
						return errf(line, "unknown native %q", fields[1])
					}
					idx = len(a.prog.Natives)
					a.natives[b.Name] = idx
					a.prog.Natives = append(a.prog.Natives, b)
				}
				in.A = int32(idx)
			case op == OpGetAttr || op == OpSetAttr:
				n, err := strconv.Atoi(fields[1])
				if err != nil || n < 0 || n >= maxAttrs {
					return errf(line, "%s takes an attribute index (0 to %d), not %q", word, maxAttrs-1, fields[1])
				}
				in.A = int32(n)
			case needArg: // jumps, calls and methods: resolved later
				a.fixups = append(a.fixups, fixup{fn: cur, pc: len(cur.Code), name: fields[1], line: line, label: op != OpCall && op != OpLoadMethod})
			}
			cur.Code = append(cur.Code, in)
			cur.Lines = append(cur.Lines, line)
		}
	}
	if cur != nil {
		return errf(start, "func %s has no end", cur.Name)
	}
	for _, fx := range a.fixups {
		if fx.label {
			continue
		}
		idx, ok := a.prog.byName[fx.name]
		if !ok {
			return errf(fx.line, "call of unknown function %q", fx.name)
		}
		fx.fn.Code[fx.pc].A = int32(idx)
	}
	for _, f := range a.prog.Funcs {
		maxd, err := stackDepth(a.prog, f)
		if err != nil {
			return err
		}
		f.MaxStack = maxd
	}
	return nil
}

// isDecl reports whether word declares globals (global, lock, rlock, value, map).
func isDecl(word string) bool {
	_, ok := kindByWord[word]
	return ok
}

func isJump(op Op) bool {
	return op == OpJump || op == OpJumpIfFalse || op == OpJumpIfTrue || op == OpJumpNoCheck
}

func (a *assembler) resolveLabels(f *Function, labels map[string]int) error {
	for _, fx := range a.fixups {
		if fx.fn != f || !fx.label {
			continue
		}
		target, ok := labels[fx.name]
		if !ok {
			return fmt.Errorf("asm: line %d: unknown label %q in %s", fx.line, fx.name, f.Name)
		}
		if target >= len(f.Code) {
			return fmt.Errorf("asm: line %d: label %q in %s is past the last instruction", fx.line, fx.name, f.Name)
		}
		f.Code[fx.pc].A = int32(target)
	}
	return nil
}

func parseConst(s string) (Value, error) {
	if strings.ContainsAny(s, ".eE") && !strings.HasPrefix(s, "0x") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("bad float constant %q", s)
		}
		return Float(f), nil
	}
	i, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("bad integer constant %q", s)
	}
	return Value(i), nil
}
