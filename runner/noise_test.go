//go:build linux

package runner

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gilbench/vocab"
)

// TestNoiseGuardSeesABusyLoop: a process outside the run spinning on one core while a
// workload is measured shows in that workload's noise line, and in the probe before.
func TestNoiseGuardSeesABusyLoop(t *testing.T) {
	spin := exec.Command("sh", "-c", "while :; do :; done")
	if err := spin.Start(); err != nil {
		t.Skipf("cannot start a busy loop: %v", err)
	}
	defer func() {
		_ = spin.Process.Kill()
		_ = spin.Wait()
	}()
	// sleep uses next to no CPU of its own, and 15 batches of 16 × 2 ms last long
	// enough for /proc/stat's 10 ms ticks.
	cfg := quickConfig("sleep")
	cfg.Modes = []string{"native"}
	cfg.Workers = []int{1}
	cfg.Count = 15
	var raw bytes.Buffer
	loads := map[string]vocab.Load{}
	opt := Options{Raw: &raw, NoiseProbe: 300 * time.Millisecond, OnLoad: func(w string, l vocab.Load) { loads[w] = l }}
	if err := Run(context.Background(), cfg, opt); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"", "sleep"} {
		if l := loads[w]; l.Other < 0.5 {
			t.Errorf("load %q: other processes used %.2f cores; want ≥ 0.5 (a busy loop ran)", w, l.Other)
		}
	}
	var noise int
	for _, line := range strings.Split(raw.String(), "\n") {
		if w, l, ok := vocab.ParseNoiseLine(line); ok && w == "sleep" && l.Busy() {
			noise++
		}
	}
	if noise != 1 || !strings.Contains(raw.String(), "\nnoise-before: other=") {
		t.Errorf("no busy noise records in raw.txt:\n%s", raw.String())
	}
}
