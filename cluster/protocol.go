package cluster

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The names on the server. One jobs stream and one results stream serve every cell;
// each cell has its own subjects in them and its own consumers, so cells never see each
// other's messages (a work-queue stream wants its consumers' subjects disjoint).
const (
	JobsStream    = "GILBENCH_JOBS"    // work queue of jobs, file-backed
	ResultsStream = "GILBENCH_RESULTS" // work queue of results, file-backed
	CellsBucket   = "gilbench_cells"   // key-value bucket: cell specs and worker slots

	jobsPrefix    = "gilbench.jobs."    // + cell
	resultsPrefix = "gilbench.results." // + cell
	ctlPrefix     = "gilbench.ctl."     // + cell: core request/reply to the cell's workers
)

// JobsSubject is the subject of cell's jobs.
func JobsSubject(cell string) string { return jobsPrefix + cell }

// ResultsSubject is the subject of cell's results.
func ResultsSubject(cell string) string { return resultsPrefix + cell }

func ctlSubject(cell string) string     { return ctlPrefix + cell }
func jobsConsumer(cell string) string   { return "job-" + cell }
func resultConsumer(cell string) string { return "res-" + cell }
func slotKey(cell string, k int) string { return fmt.Sprintf("%s.slot.%d", cell, k) }
func slotPattern(cell string) string    { return cell + ".slot.*" }

// CellSpec is what a worker needs to serve a cell: published in the cells bucket under
// the cell's id, read by every worker that watches the bucket.
type CellSpec struct {
	ID       string          `json:"id"`
	Workers  int             `json:"workers"`  // how many workers may claim a slot
	Prefetch int             `json:"prefetch"` // jobs a worker holds unacknowledged
	Body     json.RawMessage `json:"body"`     // the executor's own description (workload, size, settings)
}

// A Job is one task of one batch of one cell: 24 bytes on the wire.
type Job struct {
	Batch int64
	Task  int64
	Sent  int64 // unix ns when the runner queued it (diagnostics only)
}

const jobLen = 24

// gunTask is the task of the starting gun's message (see Cell.Run).
const gunTask = -1

func (j Job) marshal() []byte {
	b := make([]byte, jobLen)
	binary.LittleEndian.PutUint64(b[0:], uint64(j.Batch))
	binary.LittleEndian.PutUint64(b[8:], uint64(j.Task))
	binary.LittleEndian.PutUint64(b[16:], uint64(j.Sent))
	return b
}

func unmarshalJob(b []byte) (Job, error) {
	if len(b) != jobLen {
		return Job{}, fmt.Errorf("cluster: job of %d bytes, want %d", len(b), jobLen)
	}
	return Job{
		Batch: int64(binary.LittleEndian.Uint64(b[0:])),
		Task:  int64(binary.LittleEndian.Uint64(b[8:])),
		Sent:  int64(binary.LittleEndian.Uint64(b[16:])),
	}, nil
}

// A Result is a task's value, with where and how often its job was delivered.
type Result struct {
	Batch     int64
	Task      int64
	Value     int64
	Latency   time.Duration // from the worker taking the job to its result
	Delivered int64         // the job's delivery count: 1 unless it was redelivered
	Worker    string
	Err       string
}

// A result message carries the results of one worker's pull (up to maxResults of
// them), so that a pull of many jobs costs one stored message, one acknowledgement
// from the stream and one delivery to the runner, not one of each per task. Its
// layout, little-endian: a version byte, the worker's id (uint16 length, bytes), the
// count (uint32), then per result 40 fixed bytes (batch, task, value, latency,
// delivered) and the task's error text (uint16 length, bytes; usually empty).
const (
	resultsVersion = 1
	resultFixed    = 40
	// maxResults bounds a result message: far below the server's 1 MiB payload limit
	// even with error texts (each is cut to maxErrLen).
	maxResults = 1024
	maxErrLen  = 256
)

var errShortResult = errors.New("cluster: short result message")

// marshalResults encodes rs, all from one worker, as one result message.
func marshalResults(worker string, rs []Result) []byte {
	n := 1 + 2 + len(worker) + 4
	for _, r := range rs {
		n += resultFixed + 2 + min(len(r.Err), maxErrLen)
	}
	b := make([]byte, 0, n)
	b = append(b, resultsVersion)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(worker)))
	b = append(b, worker...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rs)))
	for _, r := range rs {
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Batch))
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Task))
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Value))
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Latency))
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Delivered))
		e := r.Err[:min(len(r.Err), maxErrLen)]
		b = binary.LittleEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

// unmarshalResults decodes a result message, appending its results to rs; a malformed
// message leaves rs as it was.
func unmarshalResults(b []byte, rs []Result) ([]Result, error) {
	out, err := decodeResults(b, rs)
	if err != nil {
		return rs, err
	}
	return out, nil
}

func decodeResults(b []byte, rs []Result) ([]Result, error) {
	if len(b) < 1 {
		return rs, errShortResult
	}
	if b[0] != resultsVersion {
		return rs, fmt.Errorf("cluster: result message of version %d, want %d", b[0], resultsVersion)
	}
	rest := b[1:]
	str := func() (string, error) {
		if len(rest) < 2 {
			return "", errShortResult
		}
		n := int(binary.LittleEndian.Uint16(rest))
		if len(rest) < 2+n {
			return "", errShortResult
		}
		s := string(rest[2 : 2+n])
		rest = rest[2+n:]
		return s, nil
	}
	worker, err := str()
	if err != nil {
		return rs, err
	}
	if len(rest) < 4 {
		return rs, errShortResult
	}
	count := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	if count > len(rest)/(resultFixed+2) {
		return rs, errShortResult
	}
	for range count {
		if len(rest) < resultFixed {
			return rs, errShortResult
		}
		r := Result{
			Batch:     int64(binary.LittleEndian.Uint64(rest[0:])),
			Task:      int64(binary.LittleEndian.Uint64(rest[8:])),
			Value:     int64(binary.LittleEndian.Uint64(rest[16:])),
			Latency:   time.Duration(binary.LittleEndian.Uint64(rest[24:])),
			Delivered: int64(binary.LittleEndian.Uint64(rest[32:])),
			Worker:    worker,
		}
		rest = rest[resultFixed:]
		if r.Err, err = str(); err != nil {
			return rs, err
		}
		rs = append(rs, r)
	}
	if len(rest) != 0 {
		return rs, fmt.Errorf("cluster: %d bytes after the last result", len(rest))
	}
	return rs, nil
}

// Control requests, sent on the cell's control subject between batches (the consumer
// is paused then, so a worker answers at once).
const (
	ctlBegin = "begin" // reset your batch figures
	ctlEnd   = "end"   // send your batch figures
)

// A Report is a worker's answer to a control request.
type Report struct {
	Worker  string             `json:"worker"`
	Host    string             `json:"host"`
	Pid     int                `json:"pid"`
	CPU     time.Duration      `json:"cpu"`     // the worker process's CPU time so far
	MaxRSS  int64              `json:"max_rss"` // its peak resident set, bytes
	Connect time.Duration      `json:"connect"` // its start-up: connect, consumer ready
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// Slot is what a worker writes under the slot it claims: who it is.
type Slot struct {
	Worker  string        `json:"worker"`
	Host    string        `json:"host"`
	Pid     int           `json:"pid"`
	Connect time.Duration `json:"connect"`
}
