package cpython

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// FileInfo is what a user's workload file defines.
type FileInfo struct {
	Line   int    `json:"line"` // where task is defined
	Doc    string `json:"doc"`  // the module's docstring
	Want   bool   `json:"want"` // it defines want(i, size)
	Atask  bool   `json:"atask"`
	Shared bool   `json:"shared"`
	// Its optional module constants.
	Class            string `json:"class"`
	Size             int64  `json:"size"`
	Tasks            int    `json:"tasks"`
	QuickSize        int64  `json:"quick_size"`
	QuickTasks       int    `json:"quick_tasks"`
	OneTaskPerWorker bool   `json:"one_task_per_worker"`
	Error            string `json:"error"`
}

// FileError is a workload file that does not load or defines no task; its message
// names the file and line ("mine.py:3: SyntaxError: invalid syntax").
type FileError struct{ Msg string }

func (e *FileError) Error() string { return e.Msg }

// CheckFile loads the workload file at path in py (its top level runs) and returns what
// it defines. A file with a syntax error, one that raises while loading and one without
// task are a *FileError.
func CheckFile(ctx context.Context, py *Interpreter, path string) (FileInfo, error) {
	var info FileInfo
	abs, err := filepath.Abs(path)
	if err != nil {
		return info, err
	}
	out, err := runDriver(ctx, py, "check", abs)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(lastLine(out), &info); err != nil {
		return info, fmt.Errorf("cpython: checking %s: bad answer %q", path, lastLine(out))
	}
	if info.Error != "" {
		return info, &FileError{Msg: relocate(info.Error, abs, path)}
	}
	return info, nil
}

// Want returns the reference result of tasks 0..tasks-1 of the workload file at path:
// its want(i, size) where it defines one, else task(i, size) run one after the other in
// one thread (what cpython-seq computes), outside any timer.
func Want(ctx context.Context, py *Interpreter, path string, size int64, tasks int) ([]int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	out, err := runDriver(ctx, py, "want", abs, strconv.FormatInt(size, 10), strconv.Itoa(tasks))
	if err != nil {
		return nil, err
	}
	var vals []int64
	if err := json.Unmarshal(lastLine(out), &vals); err != nil || len(vals) != tasks {
		return nil, fmt.Errorf("cpython: reference results of %s: bad answer %q", path, lastLine(out))
	}
	return vals, nil
}

// runDriver runs one of the driver's one-shot commands and returns its stdout; a failure
// is an error with the tail of its stderr.
func runDriver(ctx context.Context, py *Interpreter, args ...string) ([]byte, error) {
	dir, remove, err := writeRunDir()
	if err != nil {
		return nil, err
	}
	defer remove()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py.Path, append([]string{filepath.Join(dir, "driver.py")}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cpython: %s %s: %v%s", py.Name, args[0], err, tail(stderr.String()))
	}
	return out.Bytes(), nil
}

// relocate names the file as the user did rather than by its absolute path.
func relocate(msg, abs, path string) string {
	return string(bytes.ReplaceAll([]byte(msg), []byte(abs), []byte(path)))
}
