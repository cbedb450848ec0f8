package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gilbench/interp"
	"gilbench/vocab"
	"gilbench/workloads"
)

// KeyFT is the name key of the free-threaded mode's cells: the CPython whose
// free-threaded build the cell's cost profile stands for (BenchmarkCPU/.../ft=3.14).
const KeyFT = vocab.KeyFT

// ftProfiles are the free-threaded builds the mode models, by KeyFT value. Work is
// the extra work per 1000 instructions that puts sequential primes at the published
// single-thread overhead on this machine, measured as the ratio of free-threaded to
// sequential at the batch level (gilbench run -workloads primes -modes
// sequential,free-threaded -workers 1: whole batches, each cell in a process of its
// own), the figure the validate rows check: 3.14t 1.08-1.09, 3.13t 1.40 (medians of
// quiet runs; docs/design/FREETHREADING.md has the sources, the method and the
// figures):
//
//   - 3.13t: about 1.4x on one thread (the 3.13 free-threading howto: about 40% on
//     pyperformance, mostly because the specializing interpreter is off); functions
//     are not yet deferred-counted, so a method call also counts a reference to its
//     function (cpython #123619).
//   - 3.14t: about 1.05-1.10x (PEP 779: around 10%, 15% the phase II bar; the 3.14
//     howto: 5-10%); specialization is back, and functions and methods are
//     deferred-counted.
var ftProfiles = map[string]*interp.FreeThreading{
	"3.13": {Name: "3.13", Work: 675, RefcountFunctions: true},
	"3.14": {Name: "3.14", Work: 160},
}

// DefaultFTProfile is the profile of a free-threaded cell without an ft name part: the
// newest.
const DefaultFTProfile = "3.14"

// FTProfiles lists the keys of the free-threaded profiles, in order.
func FTProfiles() []string {
	var ks []string
	for k := range ftProfiles {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// freeThreadedMode runs interpreter threads without a lock, as goroutine does, and
// charges what free-threaded CPython pays for running without one: per-object locks
// on the containers (where goroutine has concurrent ones: see interp/objects.go),
// biased reference counting and a per-instruction cost profile (interp.FreeThreading). Each workload
// cell comes once per profile, with an ft=KEY name part.
type freeThreadedMode struct{}

func (freeThreadedMode) Name() string { return "free-threaded" }
func (freeThreadedMode) Describe() string {
	return "N interpreter threads, no lock, with free-threaded CPython's costs: biased refcounting, a per-instruction profile (ft=3.13|3.14)"
}
func (freeThreadedMode) Rules() Rules {
	r := threadRules.with("threading.Thread workers on free-threaded CPython (python3.13t, python3.14t)",
		"https://peps.python.org/pep-0779/", "cpython-threads")
	r.OnRequest = true // two cells per goroutine cell: named when wanted
	return r
}

// variants gives every cell one variant per profile, after the workload's own.
func (freeThreadedMode) variants(v workloads.Variant) []workloads.Variant {
	var out []workloads.Variant
	for _, k := range FTProfiles() {
		out = append(out, append(append(workloads.Variant(nil), v...), workloads.Param{Key: KeyFT, Value: k}))
	}
	return out
}

func (m freeThreadedMode) Start(ctx context.Context, spec Spec) (Pool, error) {
	key, given := spec.Params[KeyFT]
	if !given {
		key = DefaultFTProfile // a cell made without the plan (a test, validate)
	}
	ft, ok := ftProfiles[key]
	if !ok {
		return nil, fmt.Errorf("mode %s: %s=%q: want one of %s", m.Name(), KeyFT, key, strings.Join(FTProfiles(), ", "))
	}
	local, prog, entry, state, err := newCellProgram(spec)
	if err != nil {
		return nil, err
	}
	in := interp.New(prog, nil)
	if err := in.Share(state.shared); err != nil {
		local.Close()
		return nil, err
	}
	if err := in.SetFreeThreading(ft); err != nil {
		local.Close()
		return nil, err
	}
	var workers []worker
	for range spec.Workers {
		workers = append(workers, &threadWorker{t: in.NewThread(), entry: entry, size: interp.Value(spec.Size)})
	}
	var src statsSource
	if ws := workloadStats(local); ws != nil {
		src = ws
	}
	return newInprocPool(workers, src, state, local), nil
}

// variantMode is a mode whose cells come in variants of its own (the free-threaded
// profiles), each extending the workload's variant v.
type variantMode interface {
	variants(v workloads.Variant) []workloads.Variant
}

// modeVariants are the variants of mode m's cells for the workload variant v.
func modeVariants(m Mode, v workloads.Variant) []workloads.Variant {
	if vm, ok := m.(variantMode); ok {
		return vm.variants(v)
	}
	return []workloads.Variant{v}
}
