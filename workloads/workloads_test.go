package workloads

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gilbench/interp"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quickTasks are the tasks each test checks: the first few and the last of a quick batch.
func quickTasks(w *Workload) []int64 {
	return []int64{0, 1, 2, int64(w.QuickTasks) - 1}
}

// withEnv runs f with w's Env at its quick size and a pool's Local, and checks that
// closing them (the Local first, as a pool closes before the Env) leaves nothing behind:
// no goroutines, no temp directory, no listening server.
func withEnv(t *testing.T, w *Workload, f func(env *Env, l *Local)) {
	t.Helper()
	env, err := w.NewEnv(context.Background(), w.QuickSize)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLocal()
	closed := false
	defer func() {
		if !closed {
			l.Close()
			env.Close()
		}
	}()
	f(env, l)
	closed = true
	if err := l.Close(); err != nil {
		t.Fatalf("Local.Close: %v", err)
	}
	if err := env.Close(); err != nil {
		t.Fatalf("Env.Close: %v", err)
	}
	checkGone(t, env.Params)
	goleak.VerifyNone(t)
}

// checkGone checks that the resources named by p are gone.
func checkGone(t *testing.T, p Params) {
	t.Helper()
	if dir, ok := p["dir"]; ok {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("temp dir %s still there after Close (stat: %v)", dir, err)
		}
	}
	if addr, ok := p["addr"]; ok {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("server %s still accepts connections after Close", addr)
		}
	}
	if url, ok := p["url"]; ok {
		c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		if resp, err := c.Get(url + "?x=1"); err == nil {
			resp.Body.Close()
			t.Errorf("server %s still answers after Close", url)
		}
	}
}

func TestCatalogue(t *testing.T) {
	names := map[string]bool{}
	for _, w := range All() {
		names[w.Name] = true
		if w.Description == "" || w.Twin == nil || w.Want == nil {
			t.Errorf("%s: missing Description, Twin or Want", w.Name)
		}
		if w.Source != "" {
			t.Errorf("%s: an assembly Source; the program must come from %s", w.Name, PythonFileName(w.Name))
		}
		if _, ok := PythonSource(w.Name); !ok {
			t.Errorf("%s: no Python file %s", w.Name, PythonFileName(w.Name))
		}
		for _, n := range []int{w.DefaultTasks, w.QuickTasks} {
			if n < 16 || n%8 != 0 {
				t.Errorf("%s: %d tasks; want ≥ 16 and divisible by 8", w.Name, n)
			}
		}
		if w.QuickSize <= 0 || w.DefaultSize < w.QuickSize {
			t.Errorf("%s: sizes quick %d, default %d", w.Name, w.QuickSize, w.DefaultSize)
		}
	}
	for _, n := range []string{"countdown", "primes", "fib", "mandelbrot", "sha256", "sha256-small", "sleep", "tcp", "http", "file",
		"counter", "pipeline", "lost-update"} {
		if !names[n] {
			t.Errorf("workload %s not registered", n)
		}
	}
}

// TestWorkloads checks every workload at its quick size: the program assembles, the
// interpreter and the twin both compute Want, and Close cleans up.
func TestWorkloads(t *testing.T) {
	for _, w := range All() {
		t.Run(w.Name, func(t *testing.T) {
			size := w.QuickSize
			withEnv(t, w, func(env *Env, l *Local) {
				prog, entry, err := w.Program(env.Params, l)
				if err != nil {
					t.Fatal(err)
				}
				for _, i := range quickTasks(w) {
					want := w.Want(i, size)
					in := interp.New(prog, nil)
					v, err := in.NewThread().Call(entry, interp.Value(i), interp.Value(size))
					if err != nil {
						t.Fatalf("task %d: %v", i, err)
					}
					if int64(v) != want {
						t.Errorf("interpreted task %d = %d; want %d", i, v, want)
					}
					got, err := w.Twin(WithLocal(WithShared(context.Background(), in.Shared()), l), env.Params, i, size)
					if err != nil {
						t.Fatalf("twin task %d: %v", i, err)
					}
					if got != want {
						t.Errorf("twin task %d = %d; want %d", i, got, want)
					}
				}
			})
		})
	}
}

// TestConcurrent runs a quick batch on several threads of one lock-free interpreter and
// on as many twin goroutines at once (natives must be goroutine-safe; run with -race),
// and checks the batch's checksum.
func TestConcurrent(t *testing.T) {
	const workers = 4
	for _, w := range All() {
		t.Run(w.Name, func(t *testing.T) {
			size, tasks := w.QuickSize, w.QuickTasks
			withEnv(t, w, func(env *Env, l *Local) {
				prog, entry, err := w.Program(env.Params, l)
				if err != nil {
					t.Fatal(err)
				}
				in := interp.New(prog, nil)
				do := map[string]func(worker int, i int64) (int64, error){
					"interp": func() func(int, int64) (int64, error) {
						threads := make([]*interp.Thread, workers)
						for k := range threads {
							threads[k] = in.NewThread()
						}
						return func(worker int, i int64) (int64, error) {
							v, err := threads[worker].Call(entry, interp.Value(i), interp.Value(size))
							return int64(v), err
						}
					}(),
					"twin": func(_ int, i int64) (int64, error) {
						return w.Twin(WithLocal(WithShared(context.Background(), in.Shared()), l), env.Params, i, size)
					},
				}
				for name, f := range do {
					sum, err := runBatch(workers, tasks, f)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if want := w.Checksum(tasks, size); sum != want {
						t.Errorf("%s: checksum %d; want %d", name, sum, want)
					}
				}
			})
		})
	}
}

// runBatch runs tasks 0..tasks-1 on workers goroutines and sums the results.
func runBatch(workers, tasks int, do func(worker int, i int64) (int64, error)) (int64, error) {
	jobs := make(chan int64, tasks)
	for i := range int64(tasks) {
		jobs <- i
	}
	close(jobs)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		sum   int64
		first error
	)
	for k := range workers {
		wg.Go(func() {
			for i := range jobs {
				v, err := do(k, i)
				mu.Lock()
				sum += v
				if err != nil && first == nil {
					first = fmt.Errorf("task %d: %w", i, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return sum, first
}

// TestMissingParams: natives and twins of workloads with a Setup fail cleanly without
// their Env's parameters instead of panicking.
func TestMissingParams(t *testing.T) {
	for _, w := range All() {
		if w.Setup == nil {
			continue
		}
		t.Run(w.Name, func(t *testing.T) {
			l := NewLocal()
			defer l.Close()
			if _, _, err := w.Program(Params{}, l); err == nil {
				t.Error("Program(empty Params) succeeded")
			}
			if _, err := w.Twin(WithLocal(context.Background(), l), Params{}, 0, w.QuickSize); err == nil {
				t.Error("Twin(empty Params) succeeded")
			}
		})
	}
}

// BenchmarkTask times one task at the default size, interpreted on one thread and as the
// twin, so that their ratio is known.
func BenchmarkTask(b *testing.B) {
	for _, w := range All() {
		b.Run("workload="+w.Name, func(b *testing.B) {
			size := w.DefaultSize
			env, err := w.NewEnv(context.Background(), size)
			if err != nil {
				b.Fatal(err)
			}
			defer env.Close()
			l := NewLocal()
			defer l.Close()
			prog, entry, err := w.Program(env.Params, l)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("impl=interp", func(b *testing.B) {
				th := interp.New(prog, nil).NewThread()
				var i int64
				for b.Loop() {
					if _, err := th.Call(entry, interp.Value(i%int64(w.DefaultTasks)), interp.Value(size)); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("impl=twin", func(b *testing.B) {
				var i int64
				ctx := WithLocal(WithShared(context.Background(), interp.New(prog, nil).Shared()), l)
				for b.Loop() {
					if _, err := w.Twin(ctx, env.Params, i%int64(w.DefaultTasks), size); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}

// BenchmarkBatch times one default batch, sequentially in the interpreter: what one
// `sequential` cell of the default matrix costs.
func BenchmarkBatch(b *testing.B) {
	for _, w := range All() {
		b.Run("workload="+w.Name, func(b *testing.B) {
			size := w.DefaultSize
			env, err := w.NewEnv(context.Background(), size)
			if err != nil {
				b.Fatal(err)
			}
			defer env.Close()
			l := NewLocal()
			defer l.Close()
			prog, entry, err := w.Program(env.Params, l)
			if err != nil {
				b.Fatal(err)
			}
			th := interp.New(prog, nil).NewThread()
			want := w.Checksum(w.DefaultTasks, size)
			for b.Loop() {
				var sum int64
				for i := range int64(w.DefaultTasks) {
					v, err := th.Call(entry, interp.Value(i), interp.Value(size))
					if err != nil {
						b.Fatal(err)
					}
					sum += int64(v)
				}
				if sum != want {
					b.Fatalf("checksum %d; want %d", sum, want)
				}
			}
		})
	}
}

// TestLocalClose: closing a pool's Local closes the connections its threads and twins
// opened, and later tasks of that pool fail instead of dialling again, while another
// pool's Local of the same Env is unaffected.
func TestLocalClose(t *testing.T) {
	for _, name := range []string{"tcp", "http"} {
		t.Run(name, func(t *testing.T) {
			w, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			withEnv(t, w, func(env *Env, other *Local) {
				l := NewLocal()
				prog, entry, err := w.Program(env.Params, l)
				if err != nil {
					t.Fatal(err)
				}
				th := interp.New(prog, nil).NewThread()
				if _, err := th.Call(entry, 0, 1); err != nil {
					t.Fatal(err)
				}
				if _, err := w.Twin(WithLocal(context.Background(), l), env.Params, 0, 1); err != nil {
					t.Fatal(err)
				}
				if name == "tcp" {
					cl, err := tcpClients(env.Params, l)
					if err != nil {
						t.Fatal(err)
					}
					defer func() {
						cl.mu.Lock()
						defer cl.mu.Unlock()
						if n := len(cl.all); n != 0 {
							t.Errorf("%d connections open after Close", n)
						}
					}()
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				if err := l.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
				if _, err := th.Call(entry, 0, 1); !errors.Is(err, errClosed) {
					t.Errorf("task after Close: %v; want %v", err, errClosed)
				}
				if _, err := w.Twin(WithLocal(context.Background(), l), env.Params, 0, 1); !errors.Is(err, errClosed) {
					t.Errorf("twin after Close: %v; want %v", err, errClosed)
				}
				if _, err := w.Twin(WithLocal(context.Background(), other), env.Params, 0, 1); err != nil {
					t.Errorf("another pool's Local: %v", err)
				}
			})
		})
	}
}

// TestNoLocal: a workload that keeps connections says so when it gets no Local; a nil
// Local holds nothing.
func TestNoLocal(t *testing.T) {
	var none *Local
	if _, ok := none.Stats(); ok {
		t.Error("a nil Local has statistics")
	}
	if err := none.Close(); err != nil {
		t.Errorf("closing a nil Local: %v", err)
	}
	for _, name := range []string{"tcp", "http", "convoy"} {
		w := mustLookup(t, name)
		p := Params{"addr": "127.0.0.1:1", "url": "http://127.0.0.1:1/v", "shm": "x"}
		if _, _, err := w.Program(p, nil); !errors.Is(err, errNoLocal) {
			t.Errorf("%s: Program without a Local: %v", name, err)
		}
		if _, err := w.Twin(context.Background(), p, 0, 1); !errors.Is(err, errNoLocal) {
			t.Errorf("%s: Twin without a Local: %v", name, err)
		}
	}
}

func TestPercentiles(t *testing.T) {
	lat := make([]time.Duration, 200)
	for k := range lat {
		lat[k] = time.Duration(200 - k) // descending: Percentiles sorts a copy
	}
	if p50, p99 := Percentiles(lat); p50 != 101 || p99 != 199 {
		t.Errorf("Percentiles(200..1) = %d, %d; want 101, 199", p50, p99)
	}
	if lat[0] != 200 {
		t.Error("Percentiles sorted its argument")
	}
	if p50, p99 := Percentiles([]time.Duration{7}); p50 != 7 || p99 != 7 {
		t.Errorf("one latency: %d, %d", p50, p99)
	}
	if p50, p99 := Percentiles(nil); p50 != 0 || p99 != 0 {
		t.Errorf("none: %d, %d", p50, p99)
	}
}

// The support module's natives are the same functions in both engines: every native a
// workload binds is in nativeTable with its arity, and every entry of nativeTable is a
// function of py/gilbench.py with as many parameters.
func TestNativeTableMatchesSupport(t *testing.T) {
	src, err := fs.ReadFile(PythonFS(), "gilbench.py")
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^def (\w+)\(([^)]*)\)`).FindAllStringSubmatch(string(src), -1) {
		n := 0
		if strings.TrimSpace(m[2]) != "" {
			n = len(strings.Split(m[2], ","))
		}
		defs[m[1]] = n
	}
	table := map[string]int{}
	for _, n := range nativeTable {
		table[n.Name] = n.NArgs
		if got, ok := defs[n.Name]; !ok || got != n.NArgs {
			t.Errorf("native %s/%d: gilbench.py has def %s with %d parameters (defined: %v)", n.Name, n.NArgs, n.Name, got, ok)
		}
	}
	for _, w := range All() {
		withEnv(t, w, func(env *Env, l *Local) {
			if w.Natives == nil {
				return
			}
			ns, err := w.Natives(env.Params, l)
			if err != nil {
				t.Fatalf("%s: %v", w.Name, err)
			}
			for _, n := range ns {
				if got, ok := table[n.Name]; !ok || got != n.NArgs {
					t.Errorf("%s binds native %s/%d, which nativeTable has as %d (listed: %v)", w.Name, n.Name, n.NArgs, got, ok)
				}
			}
		})
	}
	user, err := UserNatives(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range user {
		if got, ok := table[n.Name]; !ok || got != n.NArgs {
			t.Errorf("user native %s/%d not in nativeTable as such", n.Name, n.NArgs)
		}
	}
}

// Every workload without a Setup, compiled from its Python file, computes Want at a few
// (i, size) besides the quick size.
func TestCompiledProgramsAtSizes(t *testing.T) {
	for _, w := range All() {
		if w.Setup != nil {
			continue // TestWorkloads runs them against their servers
		}
		t.Run(w.Name, func(t *testing.T) {
			sizes := []int64{1, 7, w.QuickSize/8 + 3}
			if w.Name == "sha256" {
				sizes = []int64{1, 4099, 70_000} // bytes: within and across the 64 KiB block
			}
			for _, size := range sizes {
				prog, entry, err := w.Program(Params{"cs": "3", "batch": "2"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, i := range []int64{0, 1, 5, 17} {
					v, err := interp.New(prog, nil).NewThread().Call(entry, interp.Value(i), interp.Value(size))
					if err != nil {
						t.Fatalf("task(%d, %d): %v", i, size, err)
					}
					if want := w.Want(i, size); int64(v) != want {
						t.Errorf("task(%d, %d) = %d; want %d", i, size, v, want)
					}
				}
			}
		})
	}
}
