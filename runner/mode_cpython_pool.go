package runner

import (
	"fmt"
	"strings"

	"gilbench/cpython"
	"gilbench/vocab"
)

// The cpython-pool mode is the pool a Python programmer reaches for first:
// multiprocessing.Pool(N) and imap_unordered(task, range(tasks), chunksize), run by the
// embedded driver (cpython/driver.py, MpPool). The pool is made and each worker has
// loaded the workload before the first batch (the timer is off); a batch is timed from
// the imap_unordered call to its last result, and its checksum is checked like any
// other cell's. The chunksize is the cell's name key vocab.KeyChunksize (from the
// workload's sweep or -chunksize), so that its cells line up with process's chunked
// ones; the start method is -start's, else the interpreter's default, as for cpython-process.
var cpythonMpPool = &cpythonMode{name: "cpython-pool", strategy: cpython.MpPool, starts: true,
	desc: "real CPython, multiprocessing.Pool(N).imap_unordered(task, range(tasks), chunksize)",
	rules: Rules{Role: vocab.Rival, OutOfProcess: true, Python: true, MaxWorkers: MaxProcessWorkers, OnRequest: true,
		Idiom: "multiprocessing.Pool(N).imap_unordered(task, range(tasks), chunksize), real CPython",
		Doc:   "https://docs.python.org/3/library/multiprocessing.html#multiprocessing.pool.Pool.imap_unordered"},
	lacks: func(py *cpython.Interpreter) string {
		if strings.HasPrefix(py.Version, "2.") {
			return fmt.Sprintf("Python %s's multiprocessing has no Barrier, which the pool's per-worker figures need (3.3 and later have it)", py.Version)
		}
		return ""
	}}
