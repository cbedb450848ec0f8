package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"gilbench/runner"
)

// cmdWorker runs cluster workers on this host: they join every cluster cell on the
// server (gilbench run -modes cluster -nats URL -remote-workers elsewhere) until
// interrupted. A server that cannot be reached is an error within seconds.
func cmdWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worker")
	var (
		url     string
		n       int
		verbose bool
	)
	fs.StringVar(&url, "nats", "", "the server's URL, nats://host:4222 (required)")
	fs.IntVar(&n, "n", 1, "workers to run in this process")
	fs.BoolVar(&verbose, "v", false, "say which cells the workers join and leave")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if strings.TrimSpace(url) == "" {
		return usageError{"worker: -nats URL is required"}
	}
	if n <= 0 {
		return usageError{fmt.Sprintf("worker: -n must be positive, got %d", n)}
	}
	var mu sync.Mutex
	logf := func(format string, a ...any) {
		if verbose {
			mu.Lock()
			fmt.Fprintf(stderr, "gilbench: "+format+"\n", a...)
			mu.Unlock()
		}
	}
	fmt.Fprintf(stderr, "gilbench: %d worker(s) serving %s\n", n, url)
	return runner.ServeCluster(ctx, url, n, logf)
}
