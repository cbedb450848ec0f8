package runner

import (
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"gilbench/vocab"
)

// TestWorkerCost: every result line has the start-up and the memory per worker, both
// positive; a worker process's memory is a whole interpreter's (megabytes), an
// in-process thread's a fraction of that.
func TestWorkerCost(t *testing.T) {
	cfg := quickConfig("tiny")
	cfg.Modes, cfg.Workers, cfg.Count, cfg.Chunksizes = []string{"goroutine", "process"}, []int{2}, 1, []int{8}
	checkWorkerCost(t, cfg, "process", "goroutine")
}

// TestCPythonWorkerCost: the same of the driver's workers, a Pool's processes beside
// threads.
func TestCPythonWorkerCost(t *testing.T) {
	cfg := quickConfig("tiny")
	cfg.Pythons = testPythons(t, "python3")
	cfg.Modes, cfg.Workers, cfg.Count, cfg.Chunksizes = []string{"cpython-threads", "cpython-pool"}, []int{2}, 1, []int{8}
	checkWorkerCost(t, cfg, "cpython-pool", "cpython-threads")
}

// checkWorkerCost runs cfg and checks its figures per worker: proc's workers are
// processes, thread's live in one.
func checkWorkerCost(t *testing.T, cfg Config, proc, thread string) {
	t.Helper()
	raw, err := runRaw(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(strings.NewReader(raw), "raw.txt")
	got := map[string]map[string]float64{}
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		mode := ""
		for _, p := range strings.Split(string(res.Name), "/") {
			if v, ok := strings.CutPrefix(p, vocab.KeyMode+"="); ok {
				mode = v
			}
		}
		got[mode] = map[string]float64{}
		for _, v := range res.Values {
			got[mode][v.Unit] = v.Value
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	for _, mode := range cfg.Modes {
		v, ok := got[mode]
		if !ok {
			t.Fatalf("no result for %s in\n%s", mode, raw)
		}
		if v[vocab.StartPerWorker.Tidy()] <= 0 || v[vocab.RSSPerWorker.Tidy()] <= 0 {
			t.Errorf("%s: %s %v, %s %v; want both positive", mode, vocab.StartPerWorker.Name, v[vocab.StartPerWorker.Tidy()],
				vocab.RSSPerWorker.Name, v[vocab.RSSPerWorker.Tidy()])
		}
	}
	if p, g := got[proc][vocab.RSSPerWorker.Tidy()], got[thread][vocab.RSSPerWorker.Tidy()]; p < 1<<20 || g >= p {
		t.Errorf("memory per worker: %s %.0f B, %s %.0f B; want a process's above 1 MiB and above a thread's", proc, p, thread, g)
	}
}
