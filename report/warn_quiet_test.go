package report

import (
	"strings"
	"testing"

	"gilbench/vocab"
)

// TestVarianceOnAQuietMachine: a run the noise guard watched throughout and saw
// quiet does not blame its spread on a busy machine; a run without the guard's
// records (an older file) or with a busy stretch keeps the general advice.
func TestVarianceOnAQuietMachine(t *testing.T) {
	quiet := RunInfo{NoiseBefore: &vocab.Load{Cores: 2}, Noise: []workloadLoad{{Workload: "primes", Load: vocab.Load{Cores: 2}}}}
	spread := Warning{WarnVariance, "primes", "±18%"}
	cases := []struct {
		name string
		runs []RunInfo
		warn []Warning
		want string
	}{
		{"guarded and quiet", []RunInfo{quiet}, []Warning{spread}, "noise guard saw quiet"},
		{"no guard records", []RunInfo{{}}, []Warning{spread}, "the machine was busy or the cells too short"},
		{"one run unguarded", []RunInfo{quiet, {}}, []Warning{spread}, "the machine was busy or the cells too short"},
		{"a busy stretch", []RunInfo{quiet}, []Warning{{WarnNoise, "x", "busy"}, spread}, "the machine was busy or the cells too short"},
	}
	for _, c := range cases {
		r := &Result{Options: Options{HighVariance: 0.1}, Runs: c.runs, Warnings: c.warn}
		var got string
		for _, s := range r.WarningSummary() {
			if s.Kind == WarnVariance {
				got = s.Text
			}
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: variance summary %q, want it to say %q", c.name, got, c.want)
		}
	}
}
