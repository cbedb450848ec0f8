package interp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
)

// DefaultTraceLimit is the most events one lock records per batch; later events are
// dropped and the trace says so in its metadata.
const DefaultTraceLimit = 200_000

// Names of trace events.
const (
	evHold        = "hold"         // span: the thread holds the lock
	evWait        = "wait"         // span: the thread waits in take
	evHandoff     = "hand-off"     // span: a forced dropper waits until another thread takes
	evBlocking    = "blocking"     // span: a native call (or a queue wait) with the lock released
	evDropRequest = "drop request" // instant, on the holder: a waiter asks it to drop
	evForcedDrop  = "forced drop"  // instant, on the dropper: it drops because it was asked
)

type traceEvent struct {
	name string
	ph   byte // 'X' span, 'i' instant
	tid  int
	ts   int64 // ns since the trace's base
	dur  int64
	argK string // optional integer argument
	argV int64
}

// tracer records a lock's events, for the Chrome/Perfetto trace-event JSON format.
type tracer struct {
	mu      sync.Mutex
	limit   int
	base    int64
	events  []traceEvent
	dropped int64
	tids    map[int]bool
	meta    [][2]string // name of the lock, its settings
}

func newTracer(limit int, meta ...[2]string) *tracer {
	if limit <= 0 {
		limit = DefaultTraceLimit
	}
	return &tracer{limit: limit, tids: map[int]bool{}, meta: meta}
}

func (tr *tracer) thread(tid int) {
	tr.mu.Lock()
	tr.tids[tid] = true
	tr.mu.Unlock()
}

func (tr *tracer) reset(now int64) {
	tr.mu.Lock()
	tr.base = now
	tr.events = tr.events[:0]
	tr.dropped = 0
	tr.mu.Unlock()
}

func (tr *tracer) add(e traceEvent) {
	tr.mu.Lock()
	if len(tr.events) >= tr.limit {
		tr.dropped++
	} else {
		if e.ts < tr.base { // a span that began before the batch
			if e.ph == 'X' {
				e.dur -= tr.base - e.ts
			}
			e.ts = tr.base
		}
		e.ts -= tr.base
		if e.dur >= 0 {
			tr.events = append(tr.events, e)
		}
	}
	tr.mu.Unlock()
}

func (tr *tracer) span(name string, tid int, start, end int64) {
	tr.add(traceEvent{name: name, ph: 'X', tid: tid, ts: start, dur: end - start})
}

func (tr *tracer) instant(name string, tid int, ts int64, argK string, argV int64) {
	tr.add(traceEvent{name: name, ph: 'i', tid: tid, ts: ts, argK: argK, argV: argV})
}

// micros formats ns as the format's microseconds.
func micros(b []byte, ns int64) []byte {
	return strconv.AppendFloat(b, float64(ns)/1e3, 'f', 3, 64)
}

// json writes the recorded events as a trace-event JSON object: one process (the
// interpreter), one track per thread; the per-thread statistics go in its metadata.
func (tr *tracer) json(threads []ThreadLockStats) []byte {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	evs := append([]traceEvent(nil), tr.events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].ts < evs[j].ts })
	var tids []int
	for tid := range tr.tids {
		tids = append(tids, tid)
	}
	sort.Ints(tids)

	var b bytes.Buffer
	b.WriteString(`{"displayTimeUnit":"ns","traceEvents":[`)
	name := "interpreter"
	for _, kv := range tr.meta {
		if kv[0] == "lock" {
			name = "interpreter (" + kv[1] + ")"
		}
	}
	fmt.Fprintf(&b, "\n"+`{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":%q}}`, name)
	for _, tid := range tids {
		fmt.Fprintf(&b, ",\n"+`{"name":"thread_name","ph":"M","pid":1,"tid":%d,"args":{"name":"thread %d"}}`, tid, tid)
		fmt.Fprintf(&b, ",\n"+`{"name":"thread_sort_index","ph":"M","pid":1,"tid":%d,"args":{"sort_index":%d}}`, tid, tid)
	}
	var buf []byte
	for _, e := range evs {
		buf = buf[:0]
		buf = append(buf, ",\n{\"name\":"...)
		buf = strconv.AppendQuote(buf, e.name)
		buf = append(buf, `,"cat":"lock","ph":"`...)
		buf = append(buf, e.ph)
		buf = append(buf, `","pid":1,"tid":`...)
		buf = strconv.AppendInt(buf, int64(e.tid), 10)
		buf = append(buf, `,"ts":`...)
		buf = micros(buf, e.ts)
		if e.ph == 'X' {
			buf = append(buf, `,"dur":`...)
			buf = micros(buf, e.dur)
		} else {
			buf = append(buf, `,"s":"t"`...)
		}
		if e.argK != "" {
			buf = append(buf, `,"args":{`...)
			buf = strconv.AppendQuote(buf, e.argK)
			buf = append(buf, ':')
			buf = strconv.AppendInt(buf, e.argV, 10)
			buf = append(buf, '}')
		}
		buf = append(buf, '}')
		b.Write(buf)
	}
	if tr.dropped > 0 && len(evs) > 0 {
		last := evs[len(evs)-1].ts
		fmt.Fprintf(&b, ",\n"+`{"name":"trace capped: %d later events dropped","ph":"i","s":"g","pid":1,"tid":0,"ts":%s}`,
			tr.dropped, micros(nil, last))
	}
	b.WriteString("\n],\"otherData\":{")
	for _, kv := range tr.meta {
		fmt.Fprintf(&b, "%q:%q,", kv[0], kv[1])
	}
	b.WriteString(`"threads":[`)
	for i, t := range threads {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"acquisitions":%d,"switches":%d,"forced_drops":%d,"wait_ns":%d,"hold_ns":%d}`,
			t.ID, t.Acquisitions, t.Switches, t.ForcedDrops, t.WaitNs, t.HoldNs)
	}
	fmt.Fprintf(&b, `],"events":%d,"max_events":%d,"capped":%t,"dropped_events":%d}}`,
		len(evs), tr.limit, tr.dropped > 0, tr.dropped)
	b.WriteByte('\n')
	return b.Bytes()
}

// MergeTraces combines the trace-event JSON of several interpreters' locks (one
// subinterp cell) into one trace: interpreter k becomes process k+1. Nil parts are
// skipped; with no parts it returns nil.
func MergeTraces(parts ...[]byte) ([]byte, error) {
	type doc struct {
		TraceEvents []map[string]any `json:"traceEvents"`
		OtherData   map[string]any   `json:"otherData"`
	}
	out := doc{OtherData: map[string]any{}}
	var others []map[string]any
	k := 0
	for _, p := range parts {
		if p == nil {
			continue
		}
		k++
		var d doc
		if err := json.Unmarshal(p, &d); err != nil {
			return nil, fmt.Errorf("interp: merging trace %d: %w", k, err)
		}
		for _, e := range d.TraceEvents {
			e["pid"] = k
			if e["name"] == "process_name" {
				if args, ok := e["args"].(map[string]any); ok {
					args["name"] = fmt.Sprintf("%v %d", args["name"], k)
				}
			}
			out.TraceEvents = append(out.TraceEvents, e)
		}
		others = append(others, d.OtherData)
	}
	if k == 0 {
		return nil, nil
	}
	out.OtherData["interpreters"] = others
	b, err := json.Marshal(map[string]any{
		"displayTimeUnit": "ns",
		"traceEvents":     out.TraceEvents,
		"otherData":       out.OtherData,
	})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
