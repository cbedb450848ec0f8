package interp

import (
	"encoding/json"
	"testing"
)

type traceDoc struct {
	TraceEvents []struct {
		Name string         `json:"name"`
		Ph   string         `json:"ph"`
		Pid  int            `json:"pid"`
		Tid  int            `json:"tid"`
		Ts   float64        `json:"ts"`
		Dur  float64        `json:"dur"`
		Args map[string]any `json:"args"`
	} `json:"traceEvents"`
	OtherData map[string]any `json:"otherData"`
}

func decodeTrace(t *testing.T, b []byte) traceDoc {
	t.Helper()
	var d traceDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("trace is not JSON: %v\n%s", err, b)
	}
	return d
}

func TestTraceShowsTheConvoy(t *testing.T) {
	// The scenario of TestGILStatisticsAddUp, traced: holds, waits, the drop request,
	// the forced drop and a blocking call, on a track per thread.
	h, cond, _ := newHarness(t)
	h.g.EnableTrace(0)
	in := New(MustAssemble(countdownSrc), h.g)
	a, b := newActor(t, in), newActor(t, in)
	h.g.ResetStats()
	a.do(h.g.Take)
	h.clock.Store(1000)
	b.start(h.g.Take)
	h.expectWait("cond", b.th)
	cond.timeout(b.th, 5_000_000)
	h.expectWait("cond", b.th)
	a.start(h.g.Yield)
	b.finish()
	h.drainUntil("cond", a.th)
	b.do(h.g.BeginBlocking)
	a.finish()
	h.clock.Add(2000)
	a.do(h.g.Drop)
	b.do(h.g.EndBlocking)
	b.do(h.g.Drop)

	d := decodeTrace(t, h.g.TraceJSON())
	count := map[string]int{}
	for _, e := range d.TraceEvents {
		count[e.Name+"/"+e.Ph]++
		switch {
		case e.Name == "wait" && e.Tid == b.th.ID && e.Ts == 1 && e.Dur == 5000:
			count["B waited 5 ms from t=1µs"]++
		case e.Name == "drop request" && e.Tid == a.th.ID:
			if by, _ := e.Args["by"].(float64); int(by) == b.th.ID {
				count["request on A by B"]++
			}
		case e.Name == "blocking" && e.Tid == b.th.ID && e.Dur == 2:
			count["B blocked 2µs"]++
		}
	}
	for _, k := range []string{"hold/X", "wait/X", "drop request/i", "forced drop/i", "blocking/X",
		"thread_name/M", "B waited 5 ms from t=1µs", "request on A by B", "B blocked 2µs"} {
		if count[k] == 0 {
			t.Errorf("no %s in the trace: %v", k, count)
		}
	}
	if d.OtherData["capped"] != false || d.OtherData["lock"] != "gil" {
		t.Errorf("otherData = %v", d.OtherData)
	}
	if NewGIL(testInterval).TraceJSON() != nil {
		t.Error("trace recorded without EnableTrace")
	}
}

func TestTraceIsCapped(t *testing.T) {
	l := NewLegacyGIL(DefaultCheckInterval)
	l.EnableTrace(10)
	th := New(MustAssemble(countdownSrc), l).NewThread()
	l.ResetStats()
	th.Attach()
	for range 20 {
		th.Blocking(func() {})
	}
	th.Detach()
	d := decodeTrace(t, l.TraceJSON())
	n := 0
	for _, e := range d.TraceEvents {
		if e.Ph == "X" {
			n++
		}
	}
	if n != 10 {
		t.Errorf("%d events; want the cap, 10", n)
	}
	if d.OtherData["capped"] != true || d.OtherData["dropped_events"].(float64) != 31 {
		t.Errorf("otherData = %v; want capped with 31 dropped", d.OtherData)
	}
	// A new batch starts empty.
	l.ResetStats()
	if d := decodeTrace(t, l.TraceJSON()); d.OtherData["capped"] != false {
		t.Errorf("after ResetStats: %v", d.OtherData)
	}
}

func TestMergeTraces(t *testing.T) {
	var parts [][]byte
	for range 2 {
		g := NewGIL(testInterval)
		g.EnableTrace(0)
		th := New(MustAssemble(countdownSrc), g).NewThread()
		g.ResetStats()
		th.Attach()
		th.Detach()
		parts = append(parts, g.TraceJSON())
	}
	b, err := MergeTraces(parts[0], nil, parts[1])
	if err != nil {
		t.Fatal(err)
	}
	d := decodeTrace(t, b)
	pids := map[int]bool{}
	for _, e := range d.TraceEvents {
		pids[e.Pid] = true
	}
	if !pids[1] || !pids[2] || len(pids) != 2 {
		t.Errorf("pids %v; want 1 and 2", pids)
	}
	if b, err := MergeTraces(nil); b != nil || err != nil {
		t.Errorf("MergeTraces(nil) = %q, %v", b, err)
	}
}

func TestTraceCarriesThreadStatistics(t *testing.T) {
	g := NewGIL(testInterval)
	g.EnableTrace(0)
	in := New(MustAssemble(countdownSrc), g)
	a, b := in.NewThread(), in.NewThread()
	g.ResetStats()
	a.Attach()
	a.Detach()
	b.Attach()
	b.Detach()
	d := decodeTrace(t, g.TraceJSON())
	threads, _ := d.OtherData["threads"].([]any)
	if len(threads) != 2 {
		t.Fatalf("otherData.threads = %v; want two threads", d.OtherData["threads"])
	}
	for i, th := range threads {
		m := th.(map[string]any)
		if m["id"].(float64) != float64(i) || m["acquisitions"].(float64) != 1 {
			t.Errorf("thread %d: %v", i, m)
		}
	}
}
