package main

import (
	"os"
	"testing"

	"gilbench/mp"
)

// The test binary is also the process mode's worker (mp re-executes it).
func TestMain(m *testing.M) {
	mp.Main()
	os.Exit(m.Run())
}
