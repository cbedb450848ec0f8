package workloads

import "context"

func init() {
	Register(&Workload{
		Name:         "countdown",
		Class:        CPU,
		Description:  "the classic `while n > 0: n -= 1` loop, pure bytecode",
		DefaultSize:  200_000,
		DefaultTasks: 16,
		QuickSize:    50_000,
		QuickTasks:   16,
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			n := size
			for n > 0 {
				n--
			}
			return i + n, nil
		},
		Want: func(i, _ int64) int64 { return i },
	})
}
