package workloads

import (
	"slices"
	"time"
)

// Percentiles returns the median and the 99th percentile of lat, the figures written as
// p50-ns and p99-ns (vocab.P50, vocab.P99): the value at index min(n-1, ⌊q·n⌋) of the
// sorted latencies. lat is left as it is; none gives zeros.
//
// The runner's task latencies and the convoy's round trips are both written in these
// units, so both are computed here, one way.
func Percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99)
}
