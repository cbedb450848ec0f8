//go:build !linux

package runner

import "gilbench/vocab"

// A LoadMeter measures how busy the machine was besides this process; elsewhere than
// on Linux it cannot tell and reports an idle machine.
type LoadMeter struct{}

// StartLoad starts a LoadMeter.
func StartLoad() *LoadMeter { return &LoadMeter{} }

// Load is the machine's load since the meter started: unknown here.
func (m *LoadMeter) Load() vocab.Load { return vocab.Load{} }
