package workloads

import (
	"context"
	"time"

	"gilbench/interp"
)

func init() {
	Register(&Workload{
		Name:         "sleep",
		Class:        IO,
		Description:  "time.sleep(size µs) in a native that releases the lock: ideal I/O",
		DefaultSize:  8_000, // µs
		DefaultTasks: 16,
		QuickSize:    2_000,
		QuickTasks:   16,
		Natives: func(Params, *Local) ([]*interp.Native, error) {
			return []*interp.Native{sleepNative()}, nil
		},
		Twin: func(ctx context.Context, _ Params, i, size int64) (int64, error) {
			t := time.NewTimer(time.Duration(size) * time.Microsecond)
			defer t.Stop()
			select {
			case <-t.C:
				return i, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		},
		Want: func(i, _ int64) int64 { return i },
	})
}

// sleepNative is sleep_us(us): time.Sleep, releasing the lock; it returns 0.
func sleepNative() *interp.Native {
	return &interp.Native{
		Name: "sleep_us", NArgs: 1, Releases: true,
		Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
			time.Sleep(time.Duration(args[0]) * time.Microsecond)
			return 0, nil
		},
	}
}
