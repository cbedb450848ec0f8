// Package cpython runs gilbench's workloads in real CPython interpreters.
//
// An Interpreter is a python found on PATH or by path and probed once: its version, a
// free-threaded build with the GIL off, the sub-interpreter module it has, asyncio,
// multiprocessing's start methods. Its Key ("3.13", "3.13t" for free-threaded, "2.7")
// is the python=KEY part of a result's name.
//
// A Driver is one cell's CPython process: the embedded driver.py (standard library only,
// CPython 2.7 and 3.8+) running one workload file under one strategy — seq, threads,
// process, subinterp, asyncio — with the same pool shape as the Go pools: one job queue,
// one result queue, a sentinel per worker, workers started with the timer off and
// released together by a starting gun. Its protocol is JSON lines on descriptors 3
// (commands) and 4 (events), never on the workload's stdout or stderr; Reader decodes
// the events. A child's failure arrives as an error with its exit status and the tail
// of its stderr, never as a hang; every child is waited for, and the driver's process
// group is killed when it ends, so that no worker process outlives it.
//
// See docs/design/CPYTHON.md.
package cpython
