package workloads_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gilbench/compiler"
	"gilbench/workloads"
)

var updateFT = flag.Bool("update", false, "rewrite workloads/ftasm from workloads/py")

// The free-threading workloads' programs are their Python files compiled: recompile
// each and compare (or rewrite, with -update).
func TestFTProgramsAreCompiled(t *testing.T) {
	for _, name := range workloads.FTWorkloads() {
		src, ok := workloads.PythonSource(name)
		if !ok {
			t.Fatalf("%s: no Python source", name)
		}
		file := workloads.PythonFileName(name)
		u, err := compiler.Compile(file, src, compiler.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join("ftasm", workloads.FTAsmFile(name))
		if *updateFT {
			if err := os.WriteFile(path, []byte(u.Asm), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := workloads.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if w.Source != u.Asm {
			t.Errorf("%s: %s is not %s compiled; run go test ./workloads -run TestFTProgramsAreCompiled -update", name, path, file)
		}
	}
}
