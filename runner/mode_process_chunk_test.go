package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"gilbench/vocab"
	"gilbench/workloads"
)

// TestProcessChunks: with several tasks per job message every task is still run once
// and has its latency, for a chunksize that divides the batch and one that does not.
func TestProcessChunks(t *testing.T) {
	for _, cs := range []string{"1", "7", "64"} {
		t.Run(cs, func(t *testing.T) {
			p, w := startVariant(t, "process", "tiny", workloads.MakeVariant(vocab.KeyChunksize, cs), 2)
			for range 2 {
				b := runBatch(t, p, w, 100)
				if len(b.Latencies) != 100 {
					t.Errorf("%d latencies for 100 tasks", len(b.Latencies))
				}
			}
			p.Close()
		})
	}
	checkNoChildren(t)
}

func TestProcessRejectsABadChunksize(t *testing.T) {
	w, err := workloads.Lookup("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range []string{"0", "-3", "lots"} {
		spec := Spec{Workload: w, Params: workloads.MakeVariant(vocab.KeyChunksize, cs).Params(nil), Size: w.QuickSize, Workers: 1, Settings: DefaultSettings()}
		p, err := processMode{}.Start(context.Background(), spec)
		if err == nil {
			p.Close()
			t.Errorf("chunksize=%s: started; want an error", cs)
		} else if !strings.Contains(err.Error(), vocab.KeyChunksize) {
			t.Errorf("chunksize=%s: %v; want it to name %s", cs, err, vocab.KeyChunksize)
		}
	}
	checkNoChildren(t)
}

// TestPlanChunksizes: Config.Chunksizes replaces a workload's chunksize sweep, keeps
// the other keys of its sweep (one variant per pair), and gives a workload with no
// sweep one variant per chunksize.
func TestPlanChunksizes(t *testing.T) {
	cfg := quickConfig("tiny", "counter", "primes")
	cfg.Modes, cfg.Workers, cfg.Chunksizes = []string{"process"}, []int{2}, []int{1, 64}
	cells, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range cells {
		got[c.Workload.Name] = append(got[c.Workload.Name], c.Variant.Name())
	}
	if want := []string{"chunksize=1", "chunksize=64"}; !slices.Equal(got["tiny"], want) || !slices.Equal(got["primes"], want) {
		t.Errorf("tiny %v, primes %v; want %v for both", got["tiny"], got["primes"], want)
	}
	w, _ := workloads.Lookup("counter")
	if n := len(got["counter"]); n != 2*len(w.Sweep) {
		t.Errorf("counter: %d variants (%v), want %d", n, got["counter"], 2*len(w.Sweep))
	}
	for _, v := range got["counter"] {
		if !strings.HasPrefix(v, "cs=") || !strings.Contains(v, "/chunksize=") {
			t.Errorf("counter variant %q: want its cs and a chunksize", v)
		}
	}
}
