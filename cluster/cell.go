package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// CellOptions configure OpenCell. Zero fields take the documented defaults.
type CellOptions struct {
	// Workers is how many workers serve the cell (slots to claim). Required.
	Workers int
	// Prefetch is how many jobs one worker holds unacknowledged; the consumer's
	// MaxAckPending is Prefetch × Workers. Default DefaultPrefetch.
	Prefetch int
	// AckWait is how long a job may stay unacknowledged before the server redelivers
	// it (its worker died). Default DefaultAckWait.
	AckWait time.Duration
	// Body is the executor's description of the cell, handed to every worker.
	Body json.RawMessage
	// Stall fails a batch when no result arrives for this long. Default 2 minutes.
	Stall time.Duration
	// ControlTimeout bounds the wait for the workers' reports. Default 5s.
	ControlTimeout time.Duration
}

// DefaultPrefetch is a worker's jobs in hand unless told otherwise: one, as the
// process mode's workers take one job at a time (and Celery's -O fair).
const DefaultPrefetch = 1

// DefaultAckWait is the consumer's ack wait unless told otherwise: short, so that a
// dead worker's job comes back within a benchmark's patience, and far longer than a
// job stays unacknowledged in a live worker.
const DefaultAckWait = 5 * time.Second

// pausedFor is how long the job consumer is paused between batches (it is resumed at
// the starting gun). A runner that dies leaves it paused: no worker takes its jobs.
const pausedFor = 24 * time.Hour

// Cell is one cell's queue on the server, as the runner sees it: its spec in the cells
// bucket, a paused durable pull consumer on its jobs, a consumer on its results.
type Cell struct {
	ID    string
	opts  CellOptions
	nc    *nats.Conn
	js    jetstream.JetStream
	kv    jetstream.KeyValue
	res   jetstream.ConsumeContext
	resCh chan jetstream.Msg
	done  chan struct{} // closed by Close: the result handler stops waiting
	batch int64
	live  []Slot // workers that answered the last control request
}

// Batch is what one batch of a cell measured.
type Batch struct {
	Elapsed      time.Duration
	Checksum     int64
	Latencies    []time.Duration
	Redeliveries int // deliveries beyond the first of the jobs whose results counted
	Duplicates   int // results of tasks already counted (a redelivered job that had finished)
	Reports      []Report
	CPU          time.Duration // the workers' CPU time during the batch, per process once
	MaxRSS       int64
	// Err is the first task's error (the batch still completed).
	Err error
}

// OpenCell declares the streams and the bucket, creates the cell's consumers and
// publishes its spec; workers then claim its slots (WaitWorkers).
func OpenCell(ctx context.Context, nc *nats.Conn, o CellOptions) (*Cell, error) {
	if o.Workers <= 0 {
		return nil, fmt.Errorf("cluster: a cell needs workers, not %d", o.Workers)
	}
	if o.Prefetch <= 0 {
		o.Prefetch = DefaultPrefetch
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.Stall <= 0 {
		o.Stall = 2 * time.Minute
	}
	if o.ControlTimeout <= 0 {
		o.ControlTimeout = 5 * time.Second
	}
	js, err := newJetStream(nc)
	if err != nil {
		return nil, err
	}
	kv, err := declare(ctx, js)
	if err != nil {
		return nil, err
	}
	c := &Cell{ID: newID(), opts: o, nc: nc, js: js, kv: kv, resCh: make(chan jetstream.Msg, 4096), done: make(chan struct{})}
	paused := time.Now().Add(pausedFor)
	if _, err := js.CreateConsumer(ctx, JobsStream, jetstream.ConsumerConfig{
		Durable:       jobsConsumer(c.ID),
		FilterSubject: JobsSubject(c.ID),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxAckPending: o.Prefetch * o.Workers,
		MaxWaiting:    4 * o.Workers,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// A consumer whose runner and workers are all gone goes away by itself.
		InactiveThreshold: time.Hour,
		PauseUntil:        &paused,
	}); err != nil {
		return nil, fmt.Errorf("cluster: job consumer: %w", err)
	}
	rc, err := js.CreateConsumer(ctx, ResultsStream, jetstream.ConsumerConfig{
		Durable:           resultConsumer(c.ID),
		FilterSubject:     ResultsSubject(c.ID),
		AckPolicy:         jetstream.AckExplicitPolicy,
		MaxAckPending:     -1,
		InactiveThreshold: time.Hour,
	})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: result consumer: %w", err)
	}
	if c.res, err = rc.Consume(func(m jetstream.Msg) {
		select {
		case c.resCh <- m:
		case <-c.done:
		}
	}, jetstream.PullMaxMessages(1024),
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {})); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: consuming results: %w", err)
	}
	spec, _ := json.Marshal(CellSpec{ID: c.ID, Workers: o.Workers, Prefetch: o.Prefetch, Body: o.Body})
	if _, err := kv.Put(ctx, c.ID, spec); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: publishing the cell: %w", err)
	}
	return c, nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WaitWorkers waits until every slot of the cell is claimed (each worker built the
// cell's tasks and stands at its consumer) and returns who claimed them. alive, if not
// nil, is asked now and then whether the workers can still come (the runner's own
// worker processes are alive); its error ends the wait.
func (c *Cell) WaitWorkers(ctx context.Context, alive func() error) ([]Slot, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch, err := c.kv.Watch(wctx, slotPattern(c.ID))
	if err != nil {
		return nil, err
	}
	defer watch.Stop()
	slots := map[string]Slot{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for len(slots) < c.opts.Workers {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster: %d of %d workers ready: %w", len(slots), c.opts.Workers, ctx.Err())
		case <-tick.C:
			if alive != nil {
				if err := alive(); err != nil {
					return nil, err
				}
			}
		case e, ok := <-watch.Updates():
			if !ok {
				return nil, errors.New("cluster: watch of the worker slots ended")
			}
			if e == nil {
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				delete(slots, e.Key())
				continue
			}
			var s Slot
			if err := json.Unmarshal(e.Value(), &s); err != nil {
				return nil, fmt.Errorf("cluster: slot %s: %w", e.Key(), err)
			}
			slots[e.Key()] = s
		}
	}
	c.live = slices.Collect(maps.Values(slots))
	return slices.Clone(c.live), nil
}

// Run runs one batch of tasks tasks. With the timer off it asks the workers to start
// their figures and queues every job (stored in the stream before it goes on); then it
// resumes the consumer — the starting gun — and times the batch to its last new
// result; then it pauses the consumer again and collects the workers' figures. Each
// task counts once: a second result for a task (a redelivered job that had finished
// after all) is a duplicate. alive is as for WaitWorkers.
func (c *Cell) Run(ctx context.Context, tasks int, alive func() error) (Batch, error) {
	var b Batch
	c.batch++
	batch := c.batch
	begin, err := c.control(ctx, ctlBegin)
	if err != nil {
		return b, err
	}
	subj := JobsSubject(c.ID)
	// Jobs carry no message id: a header on every job would cost its parsing at every
	// delivery, in the timed part. A job published twice (its first publish stored
	// after all) is harmless: its second result is a duplicate.
	futs := make([]jetstream.PubAckFuture, tasks)
	for i := range int64(tasks) {
		j := Job{Batch: batch, Task: i, Sent: time.Now().UnixNano()}
		if futs[i], err = c.js.PublishAsync(subj, j.marshal()); err != nil {
			futs[i] = failedFuture{err}
		}
	}
	select {
	case <-c.js.PublishAsyncComplete():
	case <-ctx.Done():
		return b, ctx.Err()
	case <-time.After(time.Minute):
		return b, fmt.Errorf("cluster: the server did not store %d jobs within a minute", c.js.PublishAsyncPending())
	}
	// PublishAsyncComplete closes once every publish has its answer; a job whose
	// answer is an error (a restarting server) is published again, synchronously.
	for i, f := range futs {
		select {
		case <-f.Ok():
			continue
		default:
		}
		j := Job{Batch: batch, Task: int64(i), Sent: time.Now().UnixNano()}
		if err := retry(ctx, time.Minute, func(ctx context.Context) error {
			_, err := c.js.Publish(ctx, subj, j.marshal())
			return err
		}); err != nil {
			return b, fmt.Errorf("cluster: queueing job %d: %w", i, err)
		}
	}

	seen := make([]bool, tasks)
	counted := 0
	b.Latencies = make([]time.Duration, 0, tasks)
	var rs []Result
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	t0 := time.Now()
	if _, err := c.js.ResumeConsumer(ctx, JobsStream, jobsConsumer(c.ID)); err != nil { // the starting gun
		return b, fmt.Errorf("cluster: resuming the job consumer: %w", err)
	}
	// A resumed consumer serves the pulls that wait on it only when a message arrives:
	// the gun is also a message, which workers acknowledge and drop.
	if _, err := c.js.PublishAsync(subj, Job{Batch: batch, Task: gunTask}.marshal()); err != nil {
		return b, fmt.Errorf("cluster: the starting gun: %w", err)
	}
	for counted < tasks {
		select {
		case <-ctx.Done():
			return b, fmt.Errorf("%w; tasks without a result: %s", ctx.Err(), missing(seen))
		case <-tick.C:
			if alive != nil {
				if err := alive(); err != nil {
					return b, fmt.Errorf("%w; tasks without a result: %s", err, missing(seen))
				}
			}
			if time.Since(last) > c.opts.Stall {
				return b, fmt.Errorf("cluster: no result for %v; tasks without a result: %s", c.opts.Stall, missing(seen))
			}
		case m := <-c.resCh:
			_ = m.Ack()
			var err error
			if rs, err = unmarshalResults(m.Data(), rs[:0]); err != nil {
				continue
			}
			for _, r := range rs {
				if r.Batch != batch || r.Task < 0 || r.Task >= int64(tasks) || seen[r.Task] {
					b.Duplicates++
					continue
				}
				last = time.Now()
				seen[r.Task] = true
				counted++
				b.Checksum += r.Value
				b.Latencies = append(b.Latencies, r.Latency)
				b.Redeliveries += int(r.Delivered - 1)
				if r.Err != "" && b.Err == nil {
					b.Err = fmt.Errorf("task %d (worker %s): %s", r.Task, r.Worker, r.Err)
				}
			}
		}
	}
	b.Elapsed = time.Since(t0)
	if err := retry(ctx, 30*time.Second, func(ctx context.Context) error {
		_, err := c.js.PauseConsumer(ctx, JobsStream, jobsConsumer(c.ID), time.Now().Add(pausedFor))
		return err
	}); err != nil {
		return b, fmt.Errorf("cluster: pausing the job consumer: %w", err)
	}
	end, err := c.control(ctx, ctlEnd)
	if err != nil {
		return b, err
	}
	b.Reports = end
	b.CPU, b.MaxRSS = usage(begin, end)
	return b, nil
}

// control asks the cell's workers for their reports and waits for the live ones. A
// worker that does not answer within the control timeout is taken for gone (killed:
// its jobs come back to the others) and not asked to answer again.
func (c *Cell) control(ctx context.Context, req string) ([]Report, error) {
	inbox := c.nc.NewRespInbox()
	// A channel of our own size: SubscribeSync's holds 64k messages, half a MiB.
	replies := make(chan *nats.Msg, 64)
	sub, err := c.nc.ChanSubscribe(inbox, replies)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	if err := c.nc.PublishRequest(ctlSubject(c.ID), inbox, []byte(req)); err != nil {
		return nil, err
	}
	var reports []Report
	want := len(c.live)
	deadline := time.Now().Add(c.opts.ControlTimeout)
	for len(reports) < want {
		wait := time.Until(deadline)
		if wait <= 0 {
			break
		}
		var m *nats.Msg
		t := time.NewTimer(wait)
		select {
		case m = <-replies:
			t.Stop()
		case <-t.C:
			continue
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		var r Report
		if err := json.Unmarshal(m.Data, &r); err != nil {
			return nil, fmt.Errorf("cluster: a worker's report: %w", err)
		}
		reports = append(reports, r)
	}
	if len(reports) == 0 {
		return nil, fmt.Errorf("cluster: none of the cell's %d workers answered within %v", want, c.opts.ControlTimeout)
	}
	if len(reports) < want {
		answered := map[string]bool{}
		for _, r := range reports {
			answered[r.Worker] = true
		}
		c.live = slices.DeleteFunc(c.live, func(s Slot) bool { return !answered[s.Worker] })
	}
	return reports, nil
}

// usage is the CPU the workers' processes used between two rounds of reports, each
// process counted once (several workers may share one), and the largest peak RSS.
func usage(begin, end []Report) (cpu time.Duration, rss int64) {
	key := func(r Report) string { return r.Host + "/" + strconv.Itoa(r.Pid) }
	start := map[string]time.Duration{}
	for _, r := range begin {
		start[key(r)] = r.CPU
	}
	counted := map[string]bool{}
	for _, r := range end {
		k := key(r)
		rss = max(rss, r.MaxRSS)
		if counted[k] {
			continue
		}
		counted[k] = true
		if s, ok := start[k]; ok {
			cpu += r.CPU - s
		}
	}
	return cpu, rss
}

func missing(seen []bool) string {
	var s []string
	left := 0
	for _, ok := range seen {
		if !ok {
			left++
		}
	}
	for i, ok := range seen {
		if ok {
			continue
		}
		if len(s) == 10 {
			s = append(s, fmt.Sprintf("and %d more", left-10))
			break
		}
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ", ")
}

// Close removes the cell: its spec (its workers see it go and stop), its slots, its
// consumers and whatever is left of its jobs and results. Safe to call twice.
func (c *Cell) Close() error {
	if c.done != nil {
		close(c.done)
		c.done = nil
	}
	if c.res != nil {
		c.res.Stop()
		c.res = nil
	}
	if c.js == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if c.kv != nil {
		if err := c.kv.Purge(ctx, c.ID); err != nil {
			errs = append(errs, err)
		}
		for k := range c.opts.Workers {
			_ = c.kv.Purge(ctx, slotKey(c.ID, k))
		}
	}
	for _, sc := range [][2]string{{JobsStream, jobsConsumer(c.ID)}, {ResultsStream, resultConsumer(c.ID)}} {
		if err := c.js.DeleteConsumer(ctx, sc[0], sc[1]); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			errs = append(errs, err)
		}
	}
	for _, ss := range [][2]string{{JobsStream, JobsSubject(c.ID)}, {ResultsStream, ResultsSubject(c.ID)}} {
		if s, err := c.js.Stream(ctx, ss[0]); err == nil {
			_ = s.Purge(ctx, jetstream.WithPurgeSubject(ss[1]))
		}
	}
	c.js = nil
	return errors.Join(errs...)
}
