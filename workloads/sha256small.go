package workloads

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"gilbench/interp"
)

// sha256Small hashes the 64-byte buffer of x: x, x+1, ..., x+7 little-endian.
func sha256Small(x int64) int64 {
	var buf [64]byte
	for j := range 8 {
		binary.LittleEndian.PutUint64(buf[8*j:], uint64(x)+uint64(j))
	}
	sum := sha256.Sum256(buf[:])
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// sha256SmallTask is task i of sha256-small: the sum of the hashes of buffers i·size+k.
func sha256SmallTask(i, size int64) int64 {
	var acc int64
	for k := range size {
		acc += sha256Small(i*size + k)
	}
	return acc
}

func init() {
	Register(&Workload{
		Name:         "sha256-small",
		Class:        CPU,
		Description:  "size SHA-256s of 64-byte buffers in native code that holds the lock (hashlib, small inputs)",
		DefaultSize:  49_152,
		DefaultTasks: 32,
		QuickSize:    12_288,
		QuickTasks:   16,
		Natives: func(Params, *Local) ([]*interp.Native, error) {
			return []*interp.Native{sha256SmallNative()}, nil
		},
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			return sha256SmallTask(i, size), nil
		},
		Want: sha256SmallTask,
	})
}

// sha256SmallNative is sha256_small(x), which keeps the lock (too short to drop it).
func sha256SmallNative() *interp.Native {
	return &interp.Native{
		Name: "sha256_small", NArgs: 1, Releases: false,
		Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
			return interp.Value(sha256Small(int64(args[0]))), nil
		},
	}
}
