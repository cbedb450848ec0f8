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

// A Result is a task's value, with where and how often its job was delivered: 40 fixed
// bytes, then the worker's id and the task's error text, if any.
type Result struct {
	Batch     int64
	Task      int64
	Value     int64
	Latency   time.Duration // from the worker taking the job to its result
	Delivered int64         // the job's delivery count: 1 unless it was redelivered
	Worker    string
	Err       string
}

const resultFixed = 40

func (r Result) marshal() []byte {
	b := make([]byte, resultFixed, resultFixed+4+len(r.Worker)+len(r.Err))
	binary.LittleEndian.PutUint64(b[0:], uint64(r.Batch))
	binary.LittleEndian.PutUint64(b[8:], uint64(r.Task))
	binary.LittleEndian.PutUint64(b[16:], uint64(r.Value))
	binary.LittleEndian.PutUint64(b[24:], uint64(r.Latency))
	binary.LittleEndian.PutUint64(b[32:], uint64(r.Delivered))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.Worker)))
	b = append(b, r.Worker...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.Err)))
	return append(b, r.Err...)
}

var errShortResult = errors.New("cluster: short result")

func unmarshalResult(b []byte) (Result, error) {
	if len(b) < resultFixed+4 {
		return Result{}, errShortResult
	}
	r := Result{
		Batch:     int64(binary.LittleEndian.Uint64(b[0:])),
		Task:      int64(binary.LittleEndian.Uint64(b[8:])),
		Value:     int64(binary.LittleEndian.Uint64(b[16:])),
		Latency:   time.Duration(binary.LittleEndian.Uint64(b[24:])),
		Delivered: int64(binary.LittleEndian.Uint64(b[32:])),
	}
	rest := b[resultFixed:]
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
	var err error
	if r.Worker, err = str(); err != nil {
		return Result{}, err
	}
	if r.Err, err = str(); err != nil {
		return Result{}, err
	}
	return r, nil
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
