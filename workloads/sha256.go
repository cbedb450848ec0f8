package workloads

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"

	"gilbench/interp"
)

// sha256Block is the fixed content that large messages repeat: 64 KiB of pseudo-random
// bytes, made once and never written again, so tasks share it without copying.
var sha256Block = sync.OnceValue(func() []byte {
	b := make([]byte, 64<<10)
	for k := 0; k < len(b); k += 8 {
		binary.LittleEndian.PutUint64(b[k:], mix64(uint64(k)))
	}
	return b
})

// sha256Big hashes task i's message: the 8-byte little-endian i, then size bytes of
// sha256Block repeated. It returns the digest's first 8 bytes as a big-endian int64.
func sha256Big(i, size int64) int64 {
	h := sha256.New()
	writeMessage(h, i, size)
	var sum [sha256.Size]byte
	return int64(binary.BigEndian.Uint64(h.Sum(sum[:0])))
}

func writeMessage(h hash.Hash, i, size int64) {
	var head [8]byte
	binary.LittleEndian.PutUint64(head[:], uint64(i))
	h.Write(head[:])
	block := sha256Block()
	for size > 0 {
		n := min(size, int64(len(block)))
		h.Write(block[:n])
		size -= n
	}
}

func init() {
	Register(&Workload{
		Name:         "sha256",
		Class:        CPU,
		Description:  "SHA-256 of a size-byte buffer in native code that releases the lock (hashlib, > 2047 bytes)",
		DefaultSize:  12 << 20,
		DefaultTasks: 16,
		QuickSize:    4 << 20,
		QuickTasks:   16,
		Natives: func(Params, *Local) ([]*interp.Native, error) {
			return []*interp.Native{sha256BigNative()}, nil
		},
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			return sha256Big(i, size), nil
		},
		Want: sha256Big,
	})
}

// sha256BigNative is sha256_big(i, size), which releases the lock while it hashes.
func sha256BigNative() *interp.Native {
	return &interp.Native{
		Name: "sha256_big", NArgs: 2, Releases: true, Computes: true,
		Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
			return interp.Value(sha256Big(int64(args[0]), int64(args[1]))), nil
		},
	}
}
