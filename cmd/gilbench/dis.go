package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gilbench/compiler"
	"gilbench/interp"
	"gilbench/workloads"
)

// cmdDis prints a program's bytecode with its source lines and its check points, and,
// when a CPython is at hand, CPython's own dis of the same functions beside it: where
// can the lock switch?
func cmdDis(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dis")
	python := fs.String("python", "", `CPython to compare with (default: python3.13, else python3 on PATH; "none": do not run one)`)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stderr, "usage: gilbench dis [-python PATH] FILE.py|WORKLOAD")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return flagHelp
	case err != nil:
		return usageError{fmt.Sprintf("dis: %v", err)}
	case fs.NArg() != 1:
		return usageError{"dis: want one FILE.py or WORKLOAD (gilbench dis workloads/py/fib.py)"}
	}
	l, err := loadListing(fs.Arg(0))
	if err != nil {
		return err
	}
	var cpy *cpythonDis
	if *python != "none" && l.src != nil {
		cpy = runCPythonDis(ctx, *python, l.file, l.src)
	}
	printListing(stdout, l, cpy)
	return nil
}

// listing is what dis prints for one program.
type listing struct {
	file  string
	src   []byte   // the Python source; nil for a workload's assembly
	lines []string // of src or of the assembly
	prog  *interp.Program
	funcs []compiler.FuncListing
}

// loadListing compiles FILE.py or the Python file of WORKLOAD (the one its emulated
// modes run), else shows WORKLOAD's assembly (a test's workload has only that).
func loadListing(arg string) (*listing, error) {
	if strings.HasSuffix(arg, ".py") {
		src, err := os.ReadFile(arg)
		if err != nil {
			return nil, err
		}
		return compileListing(arg, src)
	}
	w, err := workloads.Lookup(arg)
	if err != nil {
		return nil, usageError{fmt.Sprintf("dis: %v (or give a FILE.py)", err)}
	}
	if w.Source == "" {
		if src, ok := workloads.PythonSource(w.Name); ok {
			return compileListing(filepath.Join("workloads", "py", workloads.PythonFileName(w.Name)), src)
		}
	}
	prog, _, err := w.Program(workloads.Params{}, nil)
	if err != nil {
		return nil, err
	}
	l := &listing{file: "workload " + w.Name + " (assembly)", lines: strings.Split(w.Source, "\n"), prog: prog}
	for _, f := range prog.Funcs {
		fl := compiler.FuncListing{Name: f.Name}
		for _, in := range f.Code {
			fl.Instrs = append(fl.Instrs, strings.TrimSpace(fmt.Sprintf("%s %s", in.Op, argText(prog, f, in))))
		}
		if len(f.Lines) > 0 {
			fl.Line = f.Lines[0] - 1
		}
		l.funcs = append(l.funcs, fl)
	}
	return l, nil
}

func argText(p *interp.Program, f *interp.Function, in interp.Instr) string {
	switch in.Op {
	case interp.OpConst:
		return fmt.Sprint(f.Consts[in.A])
	case interp.OpCall:
		return p.Funcs[in.A].Name
	case interp.OpNative:
		return p.Natives[in.A].Name
	case interp.OpLoadGlobal, interp.OpStoreGlobal:
		return p.Globals[in.A].Name
	case interp.OpLoad, interp.OpStore, interp.OpJump, interp.OpJumpIfFalse, interp.OpJumpIfTrue, interp.OpJumpNoCheck:
		return fmt.Sprint(in.A)
	}
	return ""
}

// compileListing compiles a workload file as the emulated modes do, with the support
// module's natives (stubs: a listing does not run them).
func compileListing(file string, src []byte) (*listing, error) {
	u, err := compiler.Compile(file, src, workloads.CompileOptions(workloads.NativeStubs()))
	if err != nil {
		return nil, err
	}
	return &listing{file: file, src: src, lines: strings.Split(string(src), "\n"), prog: u.Program, funcs: u.Funcs}, nil
}

// checkAfter says whether the interpreter checks its eval breaker after instruction pc
// of f (a call, a native, check, or a taken backward jump).
func checkAfter(f *interp.Function, pc int) bool {
	in := f.Code[pc]
	switch in.Op {
	case interp.OpCall, interp.OpNative, interp.OpCheck:
		return true
	case interp.OpJump, interp.OpJumpIfFalse, interp.OpJumpIfTrue:
		return int(in.A) <= pc
	}
	return false
}

// cpythonIsCheck says whether CPython (3.11 to 3.13) checks its eval breaker at this instruction.
func cpythonIsCheck(op string) bool {
	return op == "RESUME" || strings.HasPrefix(op, "CALL") ||
		strings.Contains(op, "JUMP_BACKWARD") && !strings.HasSuffix(op, "NO_INTERRUPT")
}

type cpyInstr struct {
	Func string `json:"func"`
	Line int    `json:"line"`
	Op   string `json:"op"`
	Arg  string `json:"arg"`
}

type cpythonDis struct {
	version string
	funcs   map[string][]cpyInstr
	note    string // why there is none
}

// cpythonScript compiles the file (without running it) and lists every function's
// instructions with their lines, one JSON object a line.
const cpythonScript = `
import dis, json, sys
src = sys.stdin.read()
print(sys.version.split()[0])
def walk(code):
    for c in code.co_consts:
        if hasattr(c, "co_code"):
            line = c.co_firstlineno
            for i in dis.get_instructions(c):
                ln = getattr(i, "line_number", None)
                if ln is None and getattr(i, "positions", None) is not None:
                    ln = i.positions.lineno
                if ln is None and i.starts_line:
                    ln = i.starts_line
                line = ln or line
                print(json.dumps({"func": getattr(c, "co_qualname", c.co_name), "line": line, "op": i.opname, "arg": i.argrepr}))
            walk(c)
walk(compile(src, sys.argv[1], "exec"))
`

func runCPythonDis(ctx context.Context, python, file string, src []byte) *cpythonDis {
	cands := []string{python}
	if python == "" {
		cands = []string{"python3.13", "python3"}
	}
	var notes []string
	for _, py := range cands {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		cmd := exec.CommandContext(ctx, py, "-c", cpythonScript, file)
		cmd.Stdin = strings.NewReader(string(src))
		out, err := cmd.Output()
		cancel()
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v", py, err))
			continue
		}
		d := &cpythonDis{funcs: map[string][]cpyInstr{}}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		if sc.Scan() {
			d.version = py + " " + sc.Text()
		}
		for sc.Scan() {
			var in cpyInstr
			if json.Unmarshal(sc.Bytes(), &in) == nil {
				d.funcs[in.Func] = append(d.funcs[in.Func], in)
			}
		}
		return d
	}
	return &cpythonDis{note: "no CPython to compare with (" + strings.Join(notes, "; ") + ")"}
}

// lineRun is a stretch of instructions of one source line.
type lineRun struct {
	line     int
	from, to int
}

func runsOf(n int, lineOf func(int) int) []lineRun {
	var rs []lineRun
	for i := 0; i < n; i++ {
		if len(rs) == 0 || rs[len(rs)-1].line != lineOf(i) {
			rs = append(rs, lineRun{line: lineOf(i), from: i})
		}
		rs[len(rs)-1].to = i + 1
	}
	return rs
}

const colWidth = 44

func printListing(w io.Writer, l *listing, cpy *cpythonDis) {
	fmt.Fprintf(w, "%s: ◀ marks a check point, where the interpreter lock can change hands\n", l.file)
	if cpy != nil && cpy.note != "" {
		fmt.Fprintln(w, cpy.note)
	}
	for k, fl := range l.funcs {
		f := l.prog.Funcs[k]
		right := ""
		var theirs []cpyInstr
		if cpy != nil && cpy.note == "" {
			theirs = cpy.funcs[fl.Name]
			right = cpy.version
		}
		fmt.Fprintf(w, "\n%-*s  %s\n", colWidth, fmt.Sprintf("def %s  (gilbench interp)", fl.Name), right)
		lineOf := func(pc int) int {
			if pc < len(f.Lines) {
				return f.Lines[pc]
			}
			return 0
		}
		ours := runsOf(len(f.Code), lineOf)
		cr := runsOf(len(theirs), func(i int) int { return theirs[i].Line })
		next := 0
		row := func(left string, c *cpyInstr) {
			r := ""
			if c != nil {
				r = strings.TrimSpace(c.Op + " " + c.Arg)
				if cpythonIsCheck(c.Op) {
					r += "  ◀"
				}
			}
			fmt.Fprintf(w, "%-*s  %s\n", colWidth, left, r)
		}
		printTheirs := func(r lineRun) {
			for i := r.from; i < r.to; i++ {
				row("", &theirs[i])
			}
		}
		var resume *cpyInstr
		if len(theirs) > 0 && theirs[0].Op == "RESUME" {
			resume = &theirs[0]
			cr = cr[1:]
			if cr0 := runsOf(len(theirs), func(i int) int { return theirs[i].Line }); len(cr0) > 0 && cr0[0].to > 1 {
				cr = append([]lineRun{{line: cr0[0].line, from: 1, to: cr0[0].to}}, cr...)
			}
		}
		row("      ◀ function entry", resume)
		for _, r := range ours {
			if r.line > 0 && r.line <= len(l.lines) {
				fmt.Fprintf(w, "%4d  %s\n", r.line, strings.TrimRight(l.lines[r.line-1], " \t"))
			}
			var match []cpyInstr
			for j := next; j < len(cr); j++ {
				if cr[j].line == r.line {
					for _, skipped := range cr[next:j] {
						printTheirs(skipped)
					}
					match = theirs[cr[j].from:cr[j].to]
					next = j + 1
					break
				}
			}
			for i := 0; i < max(r.to-r.from, len(match)); i++ {
				left := ""
				if pc := r.from + i; pc < r.to {
					left = fmt.Sprintf("%6d  %s", pc, fl.Instrs[pc])
					if checkAfter(f, pc) {
						left += "  ◀"
					}
				}
				var c *cpyInstr
				if i < len(match) {
					c = &match[i]
				}
				row(left, c)
			}
		}
		for _, r := range cr[next:] {
			printTheirs(r)
		}
	}
}
