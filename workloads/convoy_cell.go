package workloads

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"gilbench/vocab"
)

// convoyCell is what the I/O task, the spinners and the runner share in one pool's
// Local: the count of finished I/O tasks and the spinner count live in a small file that
// every process of the cell maps (the process mode's workers are other processes); the
// batch's figures are kept by the Local of the process that ran task 0 (BatchStats).
type convoyCell struct {
	mem      []byte        // the mapping of Params["shm"]
	finished *atomic.Int32 // I/O tasks finished; a spinner stops when it changes
	active   *atomic.Int32 // spinners running
	sink     atomic.Int64  // keeps the twin's spinning from being optimised away

	mu       sync.Mutex
	trips    int64
	duration time.Duration
	lat      []time.Duration
}

// convoyShmLen is the size of the shared file: the two counters of a convoyCell.
const convoyShmLen = 8

// convoyCellFor returns l's cell of p's echo server, mapping its shared words on first
// use.
func convoyCellFor(p Params, l *Local) (*convoyCell, error) {
	addr, path := p["addr"], p["shm"]
	if addr == "" || path == "" {
		return nil, errors.New("convoy: no echo server address or shared file (Params[addr], Params[shm])")
	}
	c, err := localResource(l, "convoy "+addr, func() (*convoyCell, error) {
		mem, err := convoyMap(path, convoyShmLen)
		if err != nil {
			return nil, err
		}
		return &convoyCell{
			mem:      mem,
			finished: (*atomic.Int32)(unsafe.Pointer(&mem[0])),
			active:   (*atomic.Int32)(unsafe.Pointer(&mem[4])),
		}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("convoy: %w", err)
	}
	return c, nil
}

// Close unmaps the shared words (the Local closes once no worker runs).
func (c *convoyCell) Close() error { return convoyUnmap(c.mem) }

// ResetStats starts a batch's figures.
func (c *convoyCell) ResetStats() {
	c.mu.Lock()
	c.trips, c.duration, c.lat = 0, 0, nil
	c.mu.Unlock()
}

// Metrics returns roundtrips/s and the round trips' p50-ns and p99-ns; an empty map if
// no I/O task of the batch ran with this cell (BatchStats).
func (c *convoyCell) Metrics() map[string]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trips == 0 || c.duration <= 0 {
		return map[string]float64{}
	}
	p50, p99 := Percentiles(c.lat)
	return map[string]float64{
		vocab.Roundtrips.Name: float64(c.trips) / c.duration.Seconds(),
		vocab.P50.Name:        float64(p50),
		vocab.P99.Name:        float64(p99),
	}
}

// record adds one I/O task's steady phase to the batch.
func (c *convoyCell) record(trips int64, d time.Duration, lat []time.Duration) {
	c.mu.Lock()
	c.trips += trips
	c.duration += d
	c.lat = append(c.lat, lat...)
	c.mu.Unlock()
}

// spinning reports whether a spinner that began when gen I/O tasks had finished should
// go on: until the next one finishes, or, as a safety net for a spinner whose I/O task
// never comes, until deadline.
func (c *convoyCell) spinning(gen int32, deadline time.Time, turn *int64) bool {
	if c.finished.Load() != gen {
		return false
	}
	*turn++
	return *turn&255 != 0 || time.Now().Before(deadline)
}

// spinDeadline is when a spinner that started at start gives up waiting for task 0.
func spinDeadline(start time.Time, size int64) time.Time {
	return start.Add(2*time.Duration(size)*time.Millisecond + 250*time.Millisecond)
}
