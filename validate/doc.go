// Package validate runs the fidelity experiments: the behaviours of CPython's locks that
// docs/design/GIL.md says the emulation must show, each measured on gilbench's own modes
// and, when CPython is installed, on real CPython running the same workload written in
// Python.
//
// An experiment (experiments.go) is a set of configurations measured together, and the
// rows read from its figures: one behaviour each, its target band and how to compute the
// value that must fall in it. The table of experiments is data; the rest of the package
// interprets it.
//
// The gilbench side (harness.go) opens one runner.Session per configuration, warms each
// up, then measures the repetitions round-robin over the configurations, so that the
// machine's drift hits all of them alike; a figure is the median of a configuration's
// repetitions, and every value a row reads is a ratio of such medians measured in this
// one run. The runner engine verifies each batch's checksum.
//
// The CPython side (cpython.go) looks for the interpreters an experiment needs — CPython
// 3, CPython 2 for the legacy GIL, CPython ≥ 3.13 for per-interpreter GILs — by name on
// PATH or at the path given in Options (cpython.Find), and measures the same
// configurations through the cpython-* modes: the runner's engine, the one embedded
// driver (cpython/driver.py) and the workloads' own Python files, the switch interval
// set with sys.setswitchinterval from the side's Settings. Its repetitions interleave
// the same way. A missing interpreter does not fail the run: its experiments show why
// CPython did not run; a failed CPython run is reported on stderr and shown as an error
// in the table.
//
// The result (render.go) is one table: each row's gilbench value, CPython's value judged
// against the same band, and gilbench's value as a share of CPython's. A row is
// reproduced when gilbench's value is in its band and, where CPython ran, within the
// row's stated factor of CPython's own figure from the same run; a value outside the
// band is still reproduced when CPython's is outside it too and the two agree (the
// machine moved both, as a loaded machine moves the convoy). Run returns an error when a
// behaviour is not reproduced.
//
// Other files of the package may add experiments with register and kinds of interpreter
// with addKind (in an init function).
//
// Run writes its progress to stderr and the table to stdout. Bad Options are errors
// wrapping runner.ErrUsage.
package validate
