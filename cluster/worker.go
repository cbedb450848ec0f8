package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// An Executor turns a cell's spec into what runs its tasks in a worker: the runner's
// builds the cell's interpreter (or the Go twin); tests use trivial ones.
type Executor interface {
	Open(spec CellSpec) (Tasks, error)
}

// Tasks run one cell's tasks in one worker. All calls come from one goroutine.
type Tasks interface {
	Run(task int64) (int64, error)
	// ResetStats starts a batch's figures; Metrics are the figures since (by vocab unit).
	ResetStats()
	Metrics() map[string]float64
	Close() error
}

// WorkerOptions configure RunWorker.
type WorkerOptions struct {
	URL  string
	Exec Executor
	// Name is the worker's id in results and reports; "" means host-pid.
	Name string
	// Cell restricts the worker to one cell: RunWorker returns when that cell ends (a
	// worker the runner started for the cell). "" means any cell, until ctx ends.
	Cell string
	// ConnectTimeout bounds the first connection; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Logf, if set, is told what the worker does (cells joined and left).
	Logf func(format string, args ...any)
}

// fetchWait is how long one pull request waits for jobs. A paused consumer (between
// batches) answers none; the pull is then renewed.
const fetchWait = 2 * time.Second

// RunWorker connects to the server and serves cells: for each cell in the bucket it has
// a slot for, it builds the cell's tasks, claims the slot (the runner counts slots to
// know its workers are ready) and takes the cell's jobs until the cell ends.
func RunWorker(ctx context.Context, o WorkerOptions) error {
	if o.Exec == nil {
		return errors.New("cluster: worker without an executor")
	}
	t0 := time.Now()
	host, _ := os.Hostname()
	if o.Name == "" {
		o.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	nc, err := Connect(o.URL, "gilbench worker "+o.Name, o.ConnectTimeout)
	if err != nil {
		return err
	}
	defer nc.Close()
	lost := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(lost) })
	js, err := newJetStream(nc)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	kv, err := declare(dctx, js)
	cancel()
	if err != nil {
		return err
	}
	pattern := "*" // cell specs are the one-token keys; slots have three tokens
	if o.Cell != "" {
		pattern = o.Cell
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	watch, err := kv.Watch(wctx, pattern)
	if err != nil {
		return fmt.Errorf("cluster: watching %s: %w", CellsBucket, err)
	}
	defer watch.Stop()
	w := &worker{o: o, host: host, nc: nc, js: js, kv: kv, connect: time.Since(t0)}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	serving := map[string]context.CancelFunc{}
	errc := make(chan error, 1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-lost:
			return fmt.Errorf("cluster: worker %s lost the server at %s", o.Name, o.URL)
		case err := <-errc:
			return err
		case e, ok := <-watch.Updates():
			if !ok {
				return fmt.Errorf("cluster: worker %s: watch of %s ended", o.Name, CellsBucket)
			}
			if e == nil { // the initial values are all in
				continue
			}
			cell := e.Key()
			if e.Operation() != jetstream.KeyValuePut {
				if c, ok := serving[cell]; ok {
					c()
					delete(serving, cell)
				}
				if o.Cell != "" {
					return nil
				}
				continue
			}
			if _, ok := serving[cell]; ok {
				continue
			}
			var spec CellSpec
			if err := json.Unmarshal(e.Value(), &spec); err != nil {
				w.logf("cell %s: bad spec: %v", cell, err)
				continue
			}
			cctx, c := context.WithCancel(wctx)
			serving[cell] = c
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := w.serve(cctx, spec)
				if err != nil && cctx.Err() == nil {
					w.logf("cell %s: %v", spec.ID, err)
					if o.Cell != "" {
						select {
						case errc <- err:
						default:
						}
					}
				}
			}()
		}
	}
}

type worker struct {
	o       WorkerOptions
	host    string
	nc      *nats.Conn
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	connect time.Duration
}

func (w *worker) logf(format string, args ...any) {
	if w.o.Logf != nil {
		w.o.Logf("worker %s: "+format, append([]any{w.o.Name}, args...)...)
	}
}

// serve takes spec's jobs until ctx ends. Three goroutines share the work: a fetcher
// pulls jobs and hands on each pull whole; this one runs a pull's jobs and publishes
// their results as one message; an acker waits until the results stream has stored
// that message and then acknowledges the pull's jobs. So an acknowledged job's result
// survives anything, and a job whose worker dies is redelivered after the consumer's
// ack wait. A worker never holds more than Prefetch jobs unacknowledged: the fetcher
// pulls only as many as the acker has freed (credit), at most half of Prefetch at a
// time when Prefetch > 1, so that the next pull arrives while this one runs.
func (w *worker) serve(ctx context.Context, spec CellSpec) error {
	t0 := time.Now()
	tasks, err := w.o.Exec.Open(spec)
	if err != nil {
		return err
	}
	defer tasks.Close()
	var cons jetstream.Consumer
	if err := retry(ctx, 10*time.Second, func(ctx context.Context) (err error) {
		cons, err = w.js.Consumer(ctx, JobsStream, jobsConsumer(spec.ID))
		return err
	}); err != nil {
		return fmt.Errorf("consumer of cell %s: %w", spec.ID, err)
	}
	ctl := make(chan *nats.Msg, 16)
	sub, err := w.nc.ChanSubscribe(ctlSubject(spec.ID), ctl)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := w.nc.FlushTimeout(5 * time.Second); err != nil { // the subscription is in place
		return err
	}
	connect := w.connect + time.Since(t0)
	// Claim a slot: ready. A cell wants spec.Workers workers; the rest stay out.
	slot := ""
	body, _ := json.Marshal(Slot{Worker: w.o.Name, Host: w.host, Pid: os.Getpid(), Connect: connect})
	for k := range spec.Workers {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := w.kv.Create(cctx, slotKey(spec.ID, k), body)
		cancel()
		if err == nil {
			slot = slotKey(spec.ID, k)
			break
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("claiming a slot of cell %s: %w", spec.ID, err)
		}
	}
	if slot == "" {
		w.logf("cell %s has its %d workers", spec.ID, spec.Workers)
		return nil
	}
	w.logf("serving cell %s (slot %s)", spec.ID, slot)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = w.kv.Delete(cctx, slot)
		cancel()
	}()

	prefetch := max(spec.Prefetch, 1)
	cr := newCredit(prefetch)
	pulls := make(chan []jetstream.Msg, 2)
	toAck := make(chan stored, 4) // results published, their jobs not yet acknowledged
	bctx, stopBackground := context.WithCancel(ctx)
	var bg sync.WaitGroup
	defer func() { stopBackground(); bg.Wait() }()
	bg.Add(2)
	go func() {
		defer bg.Done()
		fetcher(bctx, cons, prefetch, cr, pulls)
	}()
	resultSubj := ResultsSubject(spec.ID)
	go func() {
		defer bg.Done()
		w.acker(bctx, resultSubj, cr, toAck)
	}()
	results := make([]Result, 0, min(prefetch, maxResults))
	var held []jetstream.Msg
	var first time.Time // when the first of results began
	// publish sends the results gathered so far as one message and hands their jobs to
	// the acker.
	publish := func() error {
		if len(results) == 0 {
			return nil
		}
		payload := marshalResults(w.o.Name, results)
		fut, err := w.js.PublishAsync(resultSubj, payload)
		if err != nil {
			// Not even queued in the client: the acker publishes it the slow way.
			fut = failedFuture{err}
		}
		select {
		case toAck <- stored{fut: fut, payload: payload, jobs: held}:
		case <-ctx.Done():
			return ctx.Err()
		}
		results, held = results[:0], nil // the payload holds the results' bytes
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ctl:
			w.answer(m, tasks, connect)
		case pull := <-pulls:
			for _, msg := range pull {
				job, err := unmarshalJob(msg.Data())
				if err != nil || job.Task == gunTask {
					if err != nil {
						_ = msg.Term()
					} else {
						_ = msg.Ack()
					}
					cr.free(1)
					continue
				}
				delivered := int64(1)
				if md, err := msg.Metadata(); err == nil {
					delivered = int64(md.NumDelivered)
				}
				t := time.Now()
				v, err := tasks.Run(job.Task)
				r := Result{Batch: job.Batch, Task: job.Task, Value: v, Latency: time.Since(t), Delivered: delivered}
				if err != nil {
					r.Err = err.Error()
				}
				if len(results) == 0 {
					first = t
				}
				results = append(results, r)
				held = append(held, msg)
				// A pull of tiny tasks is answered by one message; long tasks are
				// answered as they end, so that their jobs are acknowledged soon.
				if len(results) == maxResults || time.Since(first) >= resultLinger {
					if err := publish(); err != nil {
						return nil
					}
				}
			}
			if err := publish(); err != nil {
				return nil
			}
		}
	}
}

// resultLinger is how long a worker gathers the results of a pull into one message:
// long enough for many tiny tasks, short against any task worth measuring.
const resultLinger = time.Millisecond

// stored is a result message on its way to the stream and the jobs it answers.
type stored struct {
	fut     jetstream.PubAckFuture
	payload []byte
	jobs    []jetstream.Msg
}

// acker acknowledges each result message's jobs once the stream has stored it, in
// order, and frees their credit. A message whose asynchronous publish failed (the
// server went away) is published again until it is stored; if the first was stored
// after all, the runner counts the second's results as duplicates.
func (w *worker) acker(ctx context.Context, subj string, cr *credit, in <-chan stored) {
	for {
		var s stored
		select {
		case <-ctx.Done():
			return
		case s = <-in:
		}
		select {
		case <-s.fut.Ok():
		case err := <-s.fut.Err():
			w.logf("results of %d jobs: %v; publishing again", len(s.jobs), err)
			if err := retry(ctx, reconnectFor, func(ctx context.Context) error {
				_, err := w.js.Publish(ctx, subj, s.payload)
				return err
			}); err != nil {
				// The jobs stay unacknowledged: the server redelivers them.
				w.logf("results of %d jobs not stored: %v", len(s.jobs), err)
				cr.free(len(s.jobs))
				continue
			}
		case <-ctx.Done():
			return
		}
		// Fire and forget: a lost acknowledgement means a redelivery, whose result
		// the runner counts as a duplicate.
		for _, m := range s.jobs {
			_ = m.Ack()
		}
		cr.free(len(s.jobs))
	}
}

// credit counts the jobs a worker may still pull: Prefetch less those it holds.
type credit struct {
	mu   sync.Mutex
	n    int
	wake chan struct{} // has a token when n grew since the fetcher last looked
}

func newCredit(n int) *credit { return &credit{n: n, wake: make(chan struct{}, 1)} }

func (c *credit) free(n int) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take waits until at least want jobs may be pulled and takes up to most of them.
func (c *credit) take(ctx context.Context, want, most int) (int, bool) {
	for {
		c.mu.Lock()
		if c.n >= want {
			n := min(c.n, most)
			c.n -= n
			c.mu.Unlock()
			return n, true
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, false
		case <-c.wake:
		}
	}
}

// fetcher pulls jobs while the worker has credit and hands on each pull whole. A pull
// takes what the server has at once (no wait), up to half the prefetch; when the server
// had nothing, the next pull waits for one job (a paused consumer, an idle cell, a
// server restarting) and then takes what has come with it. It pulls again once half the
// prefetch is free.
func fetcher(ctx context.Context, cons jetstream.Consumer, prefetch int, cr *credit, pulls chan<- []jetstream.Msg) {
	// Pull when at least the smaller half is free, at most the larger half: two pulls
	// fill the window (3 = 2 + 1), and the second arrives while the first runs.
	want, most := max(prefetch/2, 1), (prefetch+1)/2
	idle := true // the last pull found nothing
	for ctx.Err() == nil {
		n, ok := cr.take(ctx, want, most)
		if !ok {
			return
		}
		var pull []jetstream.Msg
		var err error
		if idle {
			pull, err = fetch(cons, 1, false)
			if err == nil && len(pull) == 1 && n > 1 {
				var more []jetstream.Msg
				more, err = fetch(cons, n-1, true)
				pull = append(pull, more...)
			}
		} else {
			pull, err = fetch(cons, n, true)
		}
		if unused := n - len(pull); unused > 0 {
			cr.free(unused)
		}
		idle = len(pull) == 0
		if len(pull) > 0 {
			select {
			case pulls <- pull:
			case <-ctx.Done():
				return
			}
		}
		if err != nil && len(pull) == 0 {
			// The connection is down or the consumer is gone: back off a little.
			t := time.NewTimer(100 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// fetch pulls up to n jobs: those the server has now (noWait), or waiting up to
// fetchWait for n.
func fetch(cons jetstream.Consumer, n int, noWait bool) ([]jetstream.Msg, error) {
	var batch jetstream.MessageBatch
	var err error
	if noWait {
		batch, err = cons.FetchNoWait(n)
	} else {
		batch, err = cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
	}
	if err != nil {
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	return msgs, batch.Error()
}

// answer replies to a control request with the worker's report.
func (w *worker) answer(m *nats.Msg, tasks Tasks, connect time.Duration) {
	r := Report{Worker: w.o.Name, Host: w.host, Pid: os.Getpid(), Connect: connect}
	switch strings.TrimSpace(string(m.Data)) {
	case ctlBegin:
		tasks.ResetStats()
	case ctlEnd:
		r.Metrics = tasks.Metrics()
	}
	r.CPU, r.MaxRSS = selfUsage()
	b, _ := json.Marshal(r)
	_ = m.Respond(b)
}

// selfUsage is this process's CPU time and peak RSS.
func selfUsage() (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, ru.Maxrss * 1024 // Linux reports kilobytes
}

// failedFuture is a PubAckFuture that has already failed.
type failedFuture struct{ err error }

func (f failedFuture) Ok() <-chan *jetstream.PubAck { return nil }
func (f failedFuture) Err() <-chan error {
	c := make(chan error, 1)
	c <- f.err
	return c
}
func (f failedFuture) Msg() *nats.Msg { return nil }
