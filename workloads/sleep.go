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
		Source: `
func task i size
	load size
	native sleep        # returns 0
	load i
	add
	return
end
`,
		Natives: func(Params, *Local) ([]*interp.Native, error) {
			return []*interp.Native{{
				Name: "sleep", NArgs: 1, Releases: true,
				Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
					time.Sleep(time.Duration(args[0]) * time.Microsecond)
					return 0, nil
				},
			}}, nil
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
