// Command gilbench measures concurrency strategies: the same CPU-bound and I/O-bound
// workloads under a GIL, free threads, sub-interpreters, processes and plain Go.
//
//	gilbench run      run the matrix, write results/<run>/raw.txt
//	gilbench report   build tables, plots and report.html from a run
//	gilbench compare  compare runs, benchstat-style
//	gilbench list     list workloads and modes
//	gilbench validate check the emulated locks against CPython's published behaviour
//	gilbench dis      show compiled bytecode and its check points beside CPython's dis
//	gilbench worker   serve the cluster mode's cells from this host
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"gilbench/mp"
	"gilbench/runner"
)

func main() {
	mp.Main() // in a worker process: run the worker and exit
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { // after the first signal, a second one ends the program at once
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	_ = mp.Shutdown(context.Background())
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (one line for bad input) and maps it to the exit status: 0 for
// none, 2 for bad input, 1 for any other failure.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flagHelp):
		return 0
	case isUsage(err):
		fmt.Fprintf(stderr, "gilbench: %v\n", usageText(err))
		return 2
	default:
		fmt.Fprintf(stderr, "gilbench: %v\n", err)
		return 1
	}
}

type command struct {
	name, summary string
	fn            func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run the benchmark matrix and write results/<run>/raw.txt", cmdRun},
		{"report", "build tables, plots and report.html from a run", runReport},
		{"compare", "compare runs (label=DIR ...), benchstat-style", runCompare},
		{"list", "list workloads and modes", cmdList},
		{"validate", "check the emulated locks against CPython's published behaviour", cmdValidate},
		{"dis", "show a program's bytecode and check points (FILE.py or WORKLOAD), beside CPython's", cmdDis},
		{"worker", "serve the cluster mode's cells from this host (-nats URL)", cmdWorker},
	}
}

// run is the whole command, testable in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", runner.ErrUsage)
		}
		return flagHelp
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.fn(ctx, args[1:], stdout, stderr)
		}
	}
	return fmt.Errorf("%w: unknown command %q (try: gilbench help)", runner.ErrUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gilbench COMMAND [flags]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "run 'gilbench COMMAND -h' for a command's flags")
}
