package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"gilbench/cpython"
	"gilbench/workloads"
)

// A user's own workload is a Python file that defines task(i, size); optional module
// constants give its class (CLASS = "IO"), sizes and task counts (SIZE, TASKS,
// QUICK_SIZE, QUICK_TASKS) and ONE_TASK_PER_WORKER, its docstring the description.
// Its reference results are its want(i, size) when it defines one, else what task
// computes in one thread of the first interpreter (cpython-seq's results, computed
// outside any timer); every mode must match them. The cpython-* modes run the file as
// it is; the emulated modes run it compiled (package compiler), with the support
// module's natives that need no server (workloads.UserNatives), and a file outside the
// compiler's subset skips them with the compile error as the reason (userFileSkip).
// The native mode has no Go twin to run, and skips.

// Defaults of a user's workload without the constants.
const (
	userDefaultSize  = 1000
	userDefaultTasks = 32
)

// LoadPythonFiles turns each item of cfg.Workloads that names a Python file (a path,
// or a name ending in .py) into a workload of the catalogue, checking the file in the
// first of cfg.Pythons, and replaces the item by the workload's name. A file that does
// not load or has no task is bad input naming file:line. Loading a file twice gives
// the same workload.
func LoadPythonFiles(ctx context.Context, cfg *Config) error {
	for k, item := range cfg.Workloads {
		if !workloads.IsPythonFile(item) {
			continue
		}
		if len(cfg.Pythons) == 0 {
			return fmt.Errorf("%w: %s is a Python file, and no Python interpreter was given (-python)", ErrUsage, item)
		}
		w, err := loadPythonFile(ctx, cfg.Pythons[0], item)
		if err != nil {
			return err
		}
		cfg.Workloads[k] = w.Name
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func loadPythonFile(ctx context.Context, py *cpython.Interpreter, path string) (*workloads.Workload, error) {
	if w, ok := workloads.LookupPythonFile(path); ok {
		return w, nil // the catalogue has it from an earlier load
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: workload file %s: %v", ErrUsage, path, unwrapPathErr(err))
	}
	info, err := cpython.CheckFile(ctx, py, path)
	var fe *cpython.FileError
	if errors.As(err, &fe) {
		return nil, fmt.Errorf("%w: %s", ErrUsage, fe.Msg)
	}
	if err != nil {
		return nil, err
	}
	class := workloads.CPU
	switch c := workloads.Class(info.Class); c {
	case "":
	case workloads.CPU, workloads.IO, workloads.Mixed, workloads.Shared:
		class = c
	default:
		return nil, fmt.Errorf("%w: %s: CLASS = %q: want CPU, IO, Mixed or Shared", ErrUsage, path, info.Class)
	}
	size, tasks := orInt(info.Size, userDefaultSize), orInt(int64(info.Tasks), userDefaultTasks)
	desc, _, _ := strings.Cut(info.Doc, "\n")
	if desc == "" {
		desc = "the user's workload " + path
	}
	ref := &pyReference{py: py, path: path, tasks: int(tasks)}
	w := &workloads.Workload{
		Name:             unsafeName.ReplaceAllString(workloads.PythonName(path), "_"),
		Class:            class,
		Description:      desc,
		DefaultSize:      size,
		DefaultTasks:     int(tasks),
		QuickSize:        orInt(info.QuickSize, size),
		QuickTasks:       int(orInt(int64(info.QuickTasks), min(tasks, 16))),
		OneTaskPerWorker: info.OneTaskPerWorker,
		Want:             ref.want,
	}
	if err := workloads.RegisterPython(w, path); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return w, nil
}

func orInt(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pyReference computes a user's workload's reference results on first use, in blocks.
type pyReference struct {
	py    *cpython.Interpreter
	path  string
	tasks int
	mu    sync.Mutex
	vals  map[int64][]int64 // by size
}

// want is Want(i, size). A reference that cannot be computed is 0: the cell's own run
// of the same task fails first with the task's error, or its checksum does not match.
func (r *pyReference) want(i, size int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.vals == nil {
		r.vals = map[int64][]int64{}
	}
	v := r.vals[size]
	if int(i) >= len(v) {
		n := max(int(i)+1, 2*len(v), r.tasks)
		got, err := cpython.Want(context.Background(), r.py, r.path, size, n)
		if err != nil {
			return 0
		}
		r.vals[size], v = got, got
	}
	return v[i]
}
