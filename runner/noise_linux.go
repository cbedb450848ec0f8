//go:build linux

package runner

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gilbench/vocab"
)

// cpuTimes reads the machine's busy and stolen time and its number of cores from
// /proc/stat (in USER_HZ ticks, summed over the cores).
func cpuTimes() (busy, steal int64, cores int, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "cpu") {
			continue
		}
		fields := strings.Fields(line)
		if fields[0] != "cpu" {
			cores++
			continue
		}
		// user nice system idle iowait irq softirq steal guest guest_nice; guest time
		// is already counted in user.
		var v [8]int64
		for i := range v {
			if i+1 < len(fields) {
				v[i], _ = strconv.ParseInt(fields[i+1], 10, 64)
			}
		}
		busy = v[0] + v[1] + v[2] + v[5] + v[6]
		steal = v[7]
		ok = true
	}
	return busy, steal, cores, ok
}

// ownCPU is the CPU time of this process and of its children that have been waited
// for (which include their own waited-for descendants).
func ownCPU() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
}

// A LoadMeter measures how busy the machine was, besides this process and the
// children it has waited for, since it was started: pyperf's "system show" check. Read
// it when every child that ran since has been waited for (a workload's end), or its
// children's time counts as other processes'.
type LoadMeter struct {
	t           time.Time
	busy, steal int64
	own         time.Duration
	ok          bool
}

// StartLoad starts a LoadMeter.
func StartLoad() *LoadMeter {
	m := &LoadMeter{t: time.Now(), own: ownCPU()}
	m.busy, m.steal, _, m.ok = cpuTimes()
	return m
}

// Load is the machine's load since the meter started; zero if it cannot be read.
func (m *LoadMeter) Load() vocab.Load {
	busy, steal, cores, ok := cpuTimes()
	wall := time.Since(m.t).Seconds()
	if !ok || !m.ok || wall <= 0 {
		return vocab.Load{Cores: cores}
	}
	own := (ownCPU() - m.own).Seconds()
	other := float64(busy-m.busy)/clockTick/wall - own/wall
	return vocab.Load{
		Other: max(other, 0),
		Steal: float64(steal-m.steal) / clockTick / wall,
		Cores: cores,
	}
}
