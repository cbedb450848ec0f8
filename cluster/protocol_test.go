package cluster

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestResultsRoundTrip(t *testing.T) {
	rs := []Result{
		{Batch: 3, Task: 0, Value: -7, Latency: time.Millisecond, Delivered: 1, Worker: "w1"},
		{Batch: 3, Task: 41, Value: 1 << 40, Latency: 5, Delivered: 2, Worker: "w1", Err: "boom"},
		{Batch: 3, Task: 2, Delivered: 1, Worker: "w1", Err: strings.Repeat("x", 2*maxErrLen)},
	}
	b := marshalResults("w1", rs)
	got, err := unmarshalResults(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(rs)
	want[2].Err = want[2].Err[:maxErrLen] // long error texts are cut
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v;\nwant %+v", got, want)
	}
	// Every truncation of the message is an error, and leaves the slice as it was.
	prev := []Result{{Task: 99}}
	for n := range len(b) {
		out, err := unmarshalResults(b[:n], prev)
		if err == nil {
			t.Fatalf("%d of %d bytes decoded without an error", n, len(b))
		}
		if len(out) != 1 || out[0].Task != 99 {
			t.Fatalf("%d bytes: a failed decode changed the slice to %+v", n, out)
		}
	}
	if _, err := unmarshalResults(append(b, 0), nil); err == nil {
		t.Fatal("a message with trailing bytes decoded")
	}
}
