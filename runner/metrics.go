package runner

import (
	"gilbench/interp"
	"gilbench/vocab"
)

// interp counts; the runner names. These are the only places where the figures of the
// interpreter's locks and lock objects get their units.

// lockMetrics are an interpreter lock's batch totals by unit.
func lockMetrics(s interp.LockStats) map[string]float64 {
	return map[string]float64{
		vocab.LockAcquisitions.Name: float64(s.Acquisitions),
		vocab.LockSwitches.Name:     float64(s.Switches),
		vocab.LockForcedDrops.Name:  float64(s.ForcedDrops),
		vocab.LockWait.Name:         float64(s.WaitNs),
		vocab.LockHold.Name:         float64(s.HoldNs),
	}
}

// objectMetrics are the lock objects' batch totals by unit; nothing if there are none.
func objectMetrics(s interp.ObjectStats) map[string]float64 {
	if s.Locks == 0 {
		return map[string]float64{}
	}
	return map[string]float64{
		vocab.ObjLockAcquisitions.Name: float64(s.Acquisitions),
		vocab.ObjLockContended.Name:    float64(s.Contended),
		vocab.ObjLockWait.Name:         float64(s.WaitNs),
	}
}

// lockStats is what the interpreter locks keep (interp.GIL, interp.LegacyGIL).
type lockStats interface {
	ResetStats()
	Stats() interp.LockStats
	TraceJSON() []byte
}

// lockSource makes an interpreter lock a statsSource.
type lockSource struct{ lockStats }

func (s lockSource) Metrics() map[string]float64 { return lockMetrics(s.Stats()) }
