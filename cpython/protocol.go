package cpython

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Protocol is the version of the driver protocol this package speaks.
const Protocol = 1

// The protocol: JSON lines. Commands (this side to the driver, descriptor 3):
//
//	{"strategy": ..., "workers": N, "path": ..., ...}  the first line: the cell (Config)
//	{"op": "batch", "tasks": T}                        run one timed batch
//	{"op": "quit"}                                     stop the workers and exit
//
// Events (the driver to this side, descriptor 4), by their "ev":
//
//	hello   protocol, pid, version: the driver runs
//	ready   pids (of worker processes), start (the start method used), startup_ns (the
//	        making of the workers), rss0 (the driver's RSS before them): workers wait
//	skip    reason: the cell cannot run faithfully under this strategy
//	error   msg: the cell failed; the driver exits
//	batch   elapsed_ns, checksum, cpu_ns, maxrss, lat_ns, metrics, error (a task's)
//	bye     the driver stopped its workers and exits

// Event is one event of the driver.
type Event struct {
	Ev       string             `json:"ev"`
	Protocol int                `json:"protocol,omitempty"`
	Pid      int                `json:"pid,omitempty"`
	Version  string             `json:"version,omitempty"`
	Pids     []int              `json:"pids,omitempty"`
	Start    string             `json:"start,omitempty"`
	Startup  int64              `json:"startup_ns,omitempty"`
	RSS0     int64              `json:"rss0,omitempty"`
	Reason   string             `json:"reason,omitempty"`
	Msg      string             `json:"msg,omitempty"`
	Elapsed  int64              `json:"elapsed_ns,omitempty"`
	Checksum int64              `json:"checksum,omitempty"`
	CPU      int64              `json:"cpu_ns,omitempty"`
	MaxRSS   int64              `json:"maxrss,omitempty"`
	Lat      []int64            `json:"lat_ns,omitempty"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
	Error    string             `json:"error,omitempty"`
}

// The events' names.
const (
	EvHello = "hello"
	EvReady = "ready"
	EvSkip  = "skip"
	EvError = "error"
	EvBatch = "batch"
	EvBye   = "bye"
)

var knownEvents = map[string]bool{EvHello: true, EvReady: true, EvSkip: true, EvError: true, EvBatch: true, EvBye: true}

// maxFrame bounds one event line (a batch's latencies are its largest part).
const maxFrame = 64 << 20

// Reader decodes the driver's events, one per line.
type Reader struct {
	sc   *bufio.Scanner
	line int
	ev   Event
	err  error
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxFrame)
	return &Reader{sc: sc}
}

// FrameError is a malformed event: where it is and what is wrong.
type FrameError struct {
	Line int
	Err  error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("cpython: driver event %d: %v", e.Line, e.Err)
}
func (e *FrameError) Unwrap() error { return e.Err }

// Scan reads the next event; false at the end of the stream or on an error (Err).
func (r *Reader) Scan() bool {
	if r.err != nil {
		return false
	}
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			r.err = &FrameError{Line: r.line, Err: err}
			return false
		}
		if !knownEvents[ev.Ev] {
			r.err = &FrameError{Line: r.line, Err: fmt.Errorf("unknown event %q", ev.Ev)}
			return false
		}
		r.ev = ev
		return true
	}
	if err := r.sc.Err(); err != nil {
		r.err = &FrameError{Line: r.line + 1, Err: err}
	}
	return false
}

// Event is the event Scan read.
func (r *Reader) Event() Event { return r.ev }

// Err is the error that stopped Scan; nil at a clean end of the stream.
func (r *Reader) Err() error { return r.err }
