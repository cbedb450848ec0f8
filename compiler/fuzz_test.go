package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"gilbench/interp"
)

// FuzzCompile: on any source text the compiler returns a program or an *Error, never
// panics, and every program it returns passes the interpreter's verifier. Seeds are
// the sources in testdata.
//
//	go test -run '^$' -fuzz FuzzCompile -fuzztime 60s ./compiler/
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.py"))
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Add("def f(a, b):\n    return a < b < 3 and not a or b // 2 ** 3\n")
	f.Add("x = 0\ndef f():\n    global x\n    for k in range(3, 0, -1):\n        x += k\n    return x\n")
	natives := []*interp.Native{
		{Name: "cs", Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) { return 1, nil }},
		{Name: "batch", Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) { return 1, nil }},
		{Name: "by_value", Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) { return 0, nil }},
		{Name: "sleep_us", NArgs: 1, Releases: true, Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) { return 0, nil }},
	}
	f.Fuzz(func(t *testing.T, src string) {
		u, err := Compile("fuzz.py", []byte(src), Options{Natives: natives})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		if err := interp.Verify(u.Program); err != nil {
			t.Fatalf("compiled program fails verification: %v\n%s", err, u.Asm)
		}
	})
}
