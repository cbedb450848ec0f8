package workloads

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"

	"gilbench/interp"
)

func init() {
	Register(&Workload{
		Name:         "file",
		Class:        IO,
		Description:  "write size bytes to a new file, fsync, read them back, FNV-1a; the native releases the lock",
		DefaultSize:  64 << 10,
		DefaultTasks: 384,
		QuickSize:    16 << 10,
		QuickTasks:   32,
		Natives: func(p Params, _ *Local) ([]*interp.Native, error) {
			dir := p["dir"]
			if dir == "" {
				return nil, errors.New(`file: Params have no "dir"`)
			}
			return []*interp.Native{{
				Name: "write_read", NArgs: 2, Releases: true,
				Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
					v, err := fileRoundTrip(dir, int64(args[0]), int64(args[1]))
					return interp.Value(v), err
				},
			}}, nil
		},
		Twin: func(ctx context.Context, p Params, i, size int64) (int64, error) {
			dir := p["dir"]
			if dir == "" {
				return 0, errors.New(`file: Params have no "dir"`)
			}
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			return fileRoundTrip(dir, i, size)
		},
		Want: func(i, size int64) int64 { return fileSum(fileContent(i, size)) },
		Setup: func(context.Context, int64) (*Env, error) {
			dir, err := os.MkdirTemp("", "gilbench-file-*")
			if err != nil {
				return nil, fmt.Errorf("file: %w", err)
			}
			env := &Env{Params: Params{"dir": dir}}
			env.OnClose(func() error { return os.RemoveAll(dir) })
			return env, nil
		},
	})
}

// fileContent is task i's data: size bytes that differ from task to task.
func fileContent(i, size int64) []byte {
	b := make([]byte, size)
	seed := mix64(uint64(i))
	var w [8]byte
	for k := int64(0); k < size; k += 8 {
		binary.LittleEndian.PutUint64(w[:], seed^uint64(k)*0x9e3779b97f4a7c15)
		copy(b[k:], w[:])
	}
	return b
}

func fileSum(b []byte) int64 {
	h := fnv.New64a()
	h.Write(b)
	return int64(h.Sum64())
}

// fileRoundTrip writes task i's data to a new file in dir, fsyncs and closes it, reads
// it back and removes it; it returns the checksum of what it read.
func fileRoundTrip(dir string, i, size int64) (int64, error) {
	f, err := os.CreateTemp(dir, fmt.Sprintf("task%d-*", i))
	if err != nil {
		return 0, fmt.Errorf("file: %w", err)
	}
	name := f.Name()
	defer os.Remove(name)
	_, err = f.Write(fileContent(i, size))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("file: %w", err)
	}
	back, err := os.ReadFile(name)
	if err != nil {
		return 0, fmt.Errorf("file: %w", err)
	}
	return fileSum(back), nil
}
