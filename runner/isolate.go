package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gilbench/mp"
	"gilbench/workloads"
)

// Cells in isolation. By default every cell of a run is measured in a process of its
// own — the running binary re-executed, as pyperf runs each benchmark in a fresh worker
// process — so that what one cell leaves behind (a grown heap, a peak resident set,
// threads, warmed caches) is not charged to the next: peak-rss-B is the cell's own, and
// a cell that crashes takes only itself down. The cell process opens the cell's session
// (engine.go) and measures one repetition per request, so the runner can interleave
// the repetitions of a workload's cells; the Env (servers, directories) stays in the
// runner's process, and the cell's workers reach it through its parameters, as
// process-mode workers do. See docs/design/ARCHITECTURE.md for what isolation costs.

const cellTarget = "gilbench.cell"

func init() { mp.Register(cellTarget, cellProcess) }

// cellSpec is everything a cell process needs, as one typed argument.
type cellSpec struct {
	Workload string
	Mode     string
	Workers  int
	Tasks    int
	Size     int64
	Variant  workloads.Variant
	Params   map[string]string // the Env's; the variant's are added by the engine
	Settings Settings
}

// cellRequest asks a cell process to warm up, measure one repetition, or quit.
type cellRequest struct {
	Op    int // cellWarm, cellMeasure, cellQuit
	Count int // warm-up batches
}

const (
	cellWarm = iota
	cellMeasure
	cellQuit
)

// cellReply is a cell process's answer: its session is open (first reply), or a
// repetition's sample, or an error.
type cellReply struct {
	Sample   Sample
	Err      string
	Checksum *ChecksumError // a wrong checksum, kept typed across the boundary
}

// cellProcess is the body of a cell process.
func cellProcess(a mp.Args) error {
	spec, err := mp.Arg[cellSpec](a, 0)
	if err != nil {
		return err
	}
	requests, err := mp.Arg[*mp.Queue[cellRequest]](a, 1)
	if err != nil {
		return err
	}
	replies, err := mp.Arg[*mp.Queue[cellReply]](a, 2)
	if err != nil {
		return err
	}
	reply := func(s Sample, err error) error {
		r := cellReply{Sample: s}
		if err != nil {
			r.Err = err.Error()
			errors.As(err, &r.Checksum)
		}
		return replies.Put(r)
	}
	c, err := cellFromSpec(spec)
	if err != nil {
		return reply(Sample{}, err)
	}
	ctx := context.Background()
	s, err := Open(ctx, c, spec.Params, spec.Settings)
	if err := reply(Sample{}, err); err != nil {
		return err
	}
	if err != nil {
		return nil // the runner records the failure
	}
	defer s.Close()
	for {
		req, err := requests.Get()
		if err != nil {
			return err
		}
		switch req.Op {
		case cellQuit:
			err := s.Close()
			if rerr := reply(Sample{}, err); rerr != nil {
				return rerr
			}
			// As in Python: close, then join the feeder, so the reply is out before exit.
			if err := replies.Close(); err != nil {
				return err
			}
			return replies.JoinThread()
		case cellWarm:
			err = reply(Sample{}, s.Warm(ctx, req.Count, c.Tasks))
		default:
			sm, merr := s.Measure(ctx, 1, c.Tasks)
			err = reply(sm, merr)
		}
		if err != nil {
			return err
		}
	}
}

func cellFromSpec(s cellSpec) (Cell, error) {
	w, err := workloads.Lookup(s.Workload)
	if err != nil {
		return Cell{}, err
	}
	m, err := LookupMode(s.Mode)
	if err != nil {
		return Cell{}, err
	}
	return Cell{Workload: w, Mode: m, Workers: s.Workers, Tasks: s.Tasks, Size: s.Size, Variant: s.Variant, Settings: s.Settings}, nil
}

// A cellRunner measures one cell's repetitions: in this process (a Session) or in a
// cell process of its own (cellChild).
type cellRunner interface {
	warm(ctx context.Context, n int) error
	measure(ctx context.Context) (Sample, error)
	close() error
}

type inprocCell struct{ s *Session }

func (c inprocCell) warm(ctx context.Context, n int) error { return c.s.Warm(ctx, n, c.s.Cell.Tasks) }
func (c inprocCell) measure(ctx context.Context) (Sample, error) {
	return c.s.Measure(ctx, 1, c.s.Cell.Tasks)
}
func (c inprocCell) close() error { return c.s.Close() }

// cellChild is a cell measured in a cell process.
type cellChild struct {
	cell     Cell
	proc     *mp.Process
	requests *mp.Queue[cellRequest]
	replies  *mp.Queue[cellReply]
	closed   bool
}

// openChild starts c's cell process and waits until its session is open.
func openChild(ctx context.Context, c Cell, params workloads.Params, s Settings) (*cellChild, error) {
	ch := &cellChild{cell: c}
	var err error
	if ch.requests, err = mp.NewQueue[cellRequest](0); err != nil {
		return nil, err
	}
	if ch.replies, err = mp.NewQueue[cellReply](0); err != nil {
		ch.requests.Close()
		return nil, err
	}
	spec := cellSpec{Workload: c.Workload.Name, Mode: c.Mode.Name(), Workers: c.Workers, Tasks: c.Tasks,
		Size: c.Size, Variant: c.Variant, Params: params, Settings: s}
	ch.proc = mp.NewProcessWith(mp.Options{Name: "cell " + c.Name()}, cellTarget, spec, ch.requests, ch.replies)
	if err := ch.proc.Start(); err != nil {
		ch.requests.Close()
		ch.replies.Close()
		return nil, fmt.Errorf("%s: starting its process: %w", c.Name(), err)
	}
	if _, err := ch.await(ctx); err != nil {
		ch.stop()
		return nil, err
	}
	return ch, nil
}

// await waits for the cell process's next reply, or for its death, or for ctx.
func (ch *cellChild) await(ctx context.Context) (Sample, error) {
	wctx, cancel := mp.WithProcesses(ctx, ch.proc)
	defer cancel()
	r, err := ch.replies.GetContext(wctx)
	if err != nil {
		if ctx.Err() != nil {
			return Sample{}, ctx.Err()
		}
		return Sample{}, fmt.Errorf("%s: cell process: %w", ch.cell.Name(), cause(wctx, err))
	}
	if r.Checksum != nil {
		return r.Sample, r.Checksum
	}
	if r.Err != "" {
		return r.Sample, errors.New(r.Err)
	}
	return r.Sample, nil
}

func (ch *cellChild) ask(ctx context.Context, req cellRequest) (Sample, error) {
	if err := ch.requests.Put(req); err != nil {
		return Sample{}, fmt.Errorf("%s: cell process: %w", ch.cell.Name(), err)
	}
	return ch.await(ctx)
}

func (ch *cellChild) warm(ctx context.Context, n int) error {
	_, err := ch.ask(ctx, cellRequest{Op: cellWarm, Count: n})
	return err
}

func (ch *cellChild) measure(ctx context.Context) (Sample, error) {
	return ch.ask(ctx, cellRequest{Op: cellMeasure})
}

// close asks the cell process to close its session and quit, and waits for it; one
// that does not answer in time is stopped.
func (ch *cellChild) close() error {
	if ch.closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := ch.ask(ctx, cellRequest{Op: cellQuit})
	if jerr := ch.proc.JoinTimeout(10 * time.Second); jerr != nil && err == nil {
		err = jerr
	}
	if perr := ch.proc.Err(); perr != nil && err == nil {
		err = fmt.Errorf("%s: cell process: %w", ch.cell.Name(), perr)
	}
	ch.stop()
	return err
}

// stop ends the cell process (SIGTERM, then SIGKILL), waits for it and frees its queues.
func (ch *cellChild) stop() {
	if ch.closed {
		return
	}
	ch.closed = true
	if alive, _ := ch.proc.IsAlive(); alive {
		_ = ch.proc.Stop()
	}
	_ = ch.proc.Join()
	_ = ch.proc.Close()
	ch.requests.Close()
	ch.replies.Close()
}
