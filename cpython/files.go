package cpython

import (
	_ "embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gilbench/workloads"
)

//go:embed driver.py
var driverPy []byte

//go:embed driver_async.py
var driverAsyncPy []byte

// DriverSource is the embedded driver.
func DriverSource() []byte { return driverPy }

// writeRunDir makes a temporary directory holding the driver and the support modules,
// and returns it with the function that removes it. Workload files go in its "w"
// subdirectory, which is not on the interpreter's path (a workload called http must not
// hide the standard library's http).
func writeRunDir() (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", "gilbench-cpython-")
	if err != nil {
		return "", nil, fmt.Errorf("cpython: %w", err)
	}
	remove = func() { os.RemoveAll(dir) }
	files := map[string][]byte{"driver.py": driverPy, "driver_async.py": driverAsyncPy}
	for _, name := range workloads.PythonSupport() {
		b, err := fs.ReadFile(workloads.PythonFS(), name)
		if err != nil {
			remove()
			return "", nil, fmt.Errorf("cpython: %w", err)
		}
		files[name] = b
	}
	if err := os.Mkdir(filepath.Join(dir, "w"), 0o755); err != nil {
		remove()
		return "", nil, fmt.Errorf("cpython: %w", err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			remove()
			return "", nil, fmt.Errorf("cpython: %w", err)
		}
	}
	return dir, remove, nil
}
