package workloads

import (
	"fmt"

	"gilbench/interp"
)

// The support module's natives. A workload file calls gilbench.NAME(...) — in CPython
// the function of that name in py/gilbench.py, in the emulated modes the interp.Native
// of that name that the workload's Natives bind — with the same arguments, all ints,
// and the same int result. nativeTable is the list of them all with their arities: the
// compiler's view of the support module when no workload binds them (gilbench dis of
// a file, a user's file), checked against gilbench.py by the tests.
var nativeTable = []struct {
	Name  string
	NArgs int
	// User: a user's file may call it in the emulated modes (it needs no server or
	// directory of a workload's Setup).
	User bool
}{
	{"sleep_us", 1, true}, {"sha256_big", 2, true}, {"sha256_small", 1, true}, {"int64", 1, true},
	{"cs", 0, true}, {"batch", 0, true}, {"by_value", 0, true},
	{"echo", 1, false}, {"http_get", 1, false}, {"write_read", 2, false},
	{"convoy_open", 1, false}, {"convoy_send", 1, false}, {"convoy_recv", 1, false}, {"convoy_close", 1, false},
	{"convoy_spin_begin", 1, false}, {"convoy_running", 0, false}, {"convoy_spin_end", 0, false},
}

// NativeStubs are every native of the support module with its arity, each failing if
// called: enough to compile and list a file (gilbench dis), not to run it.
func NativeStubs() []*interp.Native {
	out := make([]*interp.Native, 0, len(nativeTable))
	for _, n := range nativeTable {
		name := n.Name
		out = append(out, &interp.Native{Name: name, NArgs: n.NArgs, Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) {
			return 0, fmt.Errorf("native %s is a stub here: only a workload binds it", name)
		}})
	}
	return out
}

// UserNatives are the natives a user's file may call in the emulated modes, bound to
// p: those that need nothing a built-in workload's Setup makes (sleep_us, the hashes,
// int64, and the settings cs, batch and by_value, from p or their defaults). A call of
// another (echo, http_get ...) in a user's file is a compile error naming it.
func UserNatives(p Params) ([]*interp.Native, error) {
	settings, err := settingsNatives(p, nil)
	if err != nil {
		return nil, err
	}
	return append([]*interp.Native{sleepNative(), sha256BigNative(), sha256SmallNative(), int64Native()}, settings...), nil
}
