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

// serve takes spec's jobs until ctx ends. The jobs come from a fetcher goroutine, one
// pull of up to Prefetch jobs at a time: a worker never holds more jobs than that, and
// it renews the pull only once it has answered every job of the last one. A job is
// acknowledged once its result is stored (the result stream's acknowledgement), so an
// acknowledged job's result survives anything; a job whose worker dies is redelivered
// after the consumer's ack wait.
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
	// A pull's jobs wait here, so that the fetcher hands on a whole pull without a
	// wake-up of this goroutine per job.
	jobs := make(chan jetstream.Msg, prefetch+2)
	want := make(chan struct{}, 1)
	fctx, stopFetch := context.WithCancel(ctx)
	fetchDone := make(chan struct{})
	defer func() { stopFetch(); <-fetchDone }()
	go func() {
		defer close(fetchDone)
		fetcher(fctx, cons, prefetch, want, jobs)
	}()
	want <- struct{}{}
	resultSubj := ResultsSubject(spec.ID)
	type held struct {
		msg jetstream.Msg
		r   Result
		ack jetstream.PubAckFuture
	}
	var pending []held
	// flush waits until every result of the last pull is stored, then acknowledges
	// their jobs. A result whose asynchronous publish failed (the server went away) is
	// published again until it is stored; if the first was stored after all, the
	// runner counts the second as a duplicate.
	flush := func() error {
		for _, h := range pending {
			select {
			case <-h.ack.Ok():
			case err := <-h.ack.Err():
				w.logf("result of task %d: %v; publishing again", h.r.Task, err)
				if err := retry(ctx, reconnectFor, func(ctx context.Context) error {
					_, err := w.js.Publish(ctx, resultSubj, h.r.marshal())
					return err
				}); err != nil {
					return fmt.Errorf("storing the result of task %d: %w", h.r.Task, err)
				}
			case <-ctx.Done():
				return ctx.Err()
			}
			// Fire and forget: a lost acknowledgement means a redelivery, whose result
			// the runner counts as a duplicate.
			_ = h.msg.Ack()
		}
		pending = pending[:0]
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ctl:
			w.answer(m, tasks, connect)
		case msg := <-jobs:
			if msg == nil { // the pull is over
				if err := flush(); err != nil {
					return err
				}
				want <- struct{}{}
				continue
			}
			job, err := unmarshalJob(msg.Data())
			if err != nil {
				_ = msg.Term()
				continue
			}
			if job.Task == gunTask {
				_ = msg.Ack()
				continue
			}
			delivered := int64(1)
			if md, err := msg.Metadata(); err == nil {
				delivered = int64(md.NumDelivered)
			}
			t := time.Now()
			v, err := tasks.Run(job.Task)
			r := Result{Batch: job.Batch, Task: job.Task, Value: v, Latency: time.Since(t), Delivered: delivered, Worker: w.o.Name}
			if err != nil {
				r.Err = err.Error()
			}
			ack, err := w.js.PublishAsync(resultSubj, r.marshal())
			if err != nil {
				// Not even queued in the client: publish it the slow way at the flush.
				ack = failedFuture{err}
			}
			pending = append(pending, held{msg: msg, r: r, ack: ack})
		}
	}
}

// fetcher pulls up to prefetch jobs each time it is asked (want), hands them on and
// ends each pull with a nil message. A pull that finds nothing (a paused consumer, an
// idle cell, a server restarting) is renewed until ctx ends.
func fetcher(ctx context.Context, cons jetstream.Consumer, prefetch int, want <-chan struct{}, jobs chan<- jetstream.Msg) {
	send := func(m jetstream.Msg) bool {
		select {
		case jobs <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-want:
		}
		for got := 0; got == 0; {
			if ctx.Err() != nil {
				return
			}
			batch, err := cons.Fetch(prefetch, jetstream.FetchMaxWait(fetchWait))
			if err != nil {
				// The connection is down or the consumer is gone: back off a little.
				t := time.NewTimer(100 * time.Millisecond)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				continue
			}
			for m := range batch.Messages() {
				got++
				if !send(m) {
					return
				}
			}
		}
		if !send(nil) {
			return
		}
	}
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
