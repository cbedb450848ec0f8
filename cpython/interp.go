package cpython

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Interpreter is a CPython found and probed.
type Interpreter struct {
	Name    string // as asked for: "python3.13", "/usr/bin/python3"
	Path    string // the executable that runs (sys.executable)
	Version string // "3.13.0"
	Major   int
	Minor   int
	// FreeThreaded is a free-threaded build running with the GIL disabled
	// (Py_GIL_DISABLED and sys._is_gil_enabled() false).
	FreeThreaded bool
	// Subinterp names the module that makes sub-interpreters with a GIL of their own
	// (concurrent.interpreters, _interpreters, _xxsubinterpreters), "" if none.
	Subinterp string
	// Asyncio reports whether the interpreter has asyncio with async/await.
	Asyncio bool
	// StartMethods are multiprocessing's start methods; DefaultStart the one it uses
	// unless told otherwise.
	StartMethods []string
	DefaultStart string
}

// Key is the interpreter's python=KEY name part: "3.13", "3.13t" when free-threaded.
func (py *Interpreter) Key() string {
	k := fmt.Sprintf("%d.%d", py.Major, py.Minor)
	if py.FreeThreaded {
		k += "t"
	}
	return k
}

func (py *Interpreter) String() string { return fmt.Sprintf("Python %s (%s)", py.Version, py.Path) }

// HasStart reports whether method is one of the interpreter's start methods.
func (py *Interpreter) HasStart(method string) bool {
	for _, m := range py.StartMethods {
		if m == method {
			return true
		}
	}
	return false
}

// probeTimeout bounds a probe of an interpreter (a first start may compile the stdlib).
const probeTimeout = 30 * time.Second

// NotFoundError is an interpreter that cannot be found or run.
type NotFoundError struct {
	Name string
	Err  error
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("python %s: %v", e.Name, e.Err)
}
func (e *NotFoundError) Unwrap() error { return e.Err }

// Find looks name up (a name on PATH or a path) and probes it. A name that is not found,
// an interpreter that does not run, and a version other than 2.7 or 3.8+ are a
// *NotFoundError.
func Find(ctx context.Context, name string) (*Interpreter, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, &NotFoundError{Name: name, Err: errors.New("not found (give a name on PATH or a path)")}
	}
	dir, remove, err := writeRunDir()
	if err != nil {
		return nil, err
	}
	defer remove()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, filepath.Join(dir, "driver.py"), "probe")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, &NotFoundError{Name: name, Err: fmt.Errorf("does not run: %v%s", err, tail(stderr.String()))}
	}
	var info struct {
		Protocol       int      `json:"protocol"`
		Version        string   `json:"version"`
		Implementation string   `json:"implementation"`
		Executable     string   `json:"executable"`
		FreeThreaded   bool     `json:"free_threaded"`
		Subinterp      string   `json:"subinterp"`
		Asyncio        bool     `json:"asyncio"`
		StartMethods   []string `json:"start_methods"`
		DefaultStart   string   `json:"default_start"`
	}
	if err := json.Unmarshal(lastLine(out.Bytes()), &info); err != nil {
		return nil, &NotFoundError{Name: name, Err: fmt.Errorf("is not a Python gilbench can use: %q", strings.TrimSpace(out.String()))}
	}
	if info.Protocol != Protocol {
		return nil, &NotFoundError{Name: name, Err: fmt.Errorf("driver protocol %d, want %d", info.Protocol, Protocol)}
	}
	if info.Implementation != "cpython" {
		return nil, &NotFoundError{Name: name, Err: fmt.Errorf("is %s %s, not CPython", info.Implementation, info.Version)}
	}
	py := &Interpreter{Name: name, Path: path, Version: info.Version, FreeThreaded: info.FreeThreaded,
		Subinterp: info.Subinterp, Asyncio: info.Asyncio, StartMethods: info.StartMethods, DefaultStart: info.DefaultStart}
	if info.Executable != "" {
		if _, err := os.Stat(info.Executable); err == nil {
			py.Path = info.Executable // not a launcher in between
		}
	}
	parts := strings.Split(info.Version, ".")
	if len(parts) >= 2 {
		py.Major, _ = strconv.Atoi(parts[0])
		py.Minor, _ = strconv.Atoi(parts[1])
	}
	if !(py.Major == 2 && py.Minor == 7 || py.Major == 3 && py.Minor >= 8) {
		return nil, &NotFoundError{Name: name, Err: fmt.Errorf("is Python %s; gilbench runs 2.7 and 3.8 or later", info.Version)}
	}
	return py, nil
}

// FindAll finds every name, in order. Two interpreters with the same Key are bad input:
// their results would have the same names.
func FindAll(ctx context.Context, names []string) ([]*Interpreter, error) {
	var out []*Interpreter
	seen := map[string]string{}
	for _, n := range names {
		py, err := Find(ctx, n)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[py.Key()]; dup {
			return nil, &NotFoundError{Name: n, Err: fmt.Errorf("is Python %s, as %s is: give one interpreter per version", py.Key(), prev)}
		}
		seen[py.Key()] = n
		out = append(out, py)
	}
	return out, nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// tail is the last lines of a child's stderr, for an error message ("" if empty).
func tail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return ": " + strings.Join(lines, " | ")
}
