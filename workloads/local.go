package workloads

import (
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// ioTimeout bounds every network round trip of a native or a twin, so that a server that
// went away fails the task instead of hanging it.
const ioTimeout = 10 * time.Second

// clients holds, per server address, the client state (connections, an HTTP transport)
// that this process keeps for a workload's local server.
//
// Natives are bound to Params only, so they cannot reach the Env that started the server.
// When the Env lives in this process, its Setup registers a close hook here and
// Env.Close closes the client state with the server; in a worker process, which has no
// Env, the client state lives as long as the process.
var clients = clientRegistry{m: map[string]io.Closer{}}

type clientRegistry struct {
	mu sync.Mutex
	m  map[string]io.Closer
}

// get returns the client state for key, making it with mk on first use.
func get[T io.Closer](r *clientRegistry, key string, mk func() T) T {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.m[key]; ok {
		if c, ok := c.(T); ok {
			return c
		}
	}
	c := mk()
	r.m[key] = c
	return c
}

// release closes and forgets the client state for key, if any.
func (r *clientRegistry) release(key string) error {
	r.mu.Lock()
	c, ok := r.m[key]
	delete(r.m, key)
	r.mu.Unlock()
	if !ok {
		return nil
	}
	return c.Close()
}

var errClosed = errors.New("client closed with its Env")

// mix64 is the SplitMix64 finaliser: a cheap, well-spread function of x that servers and
// buffers derive their contents from.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// sumOfCalls is the program of a workload whose task i is
//
//	acc = 0
//	for k in range(size): acc += native(i*size + k)
//	return acc
//
// with the native's name filled in.
func sumOfCalls(native string) string {
	return strings.ReplaceAll(`
func task i size
	var k acc base
	load i              # base = i * size
	load size
	mul
	store base
loop:                   # for k < size: acc += NATIVE(base + k)
	load k
	load size
	lt
	jump_if_false done
	load base
	load k
	add
	native NATIVE
	load acc
	add
	store acc
	load k
	const 1
	add
	store k
	jump loop
done:
	load acc
	return
end
`, "NATIVE", native)
}
