//go:build !linux

package mp

import "time"

// pollReader: see pollread_linux.go. Unreachable elsewhere: no child
// process has a handle to read with.
type pollReader struct{}

func newPollReader(int) (*pollReader, error) { return nil, ErrUnsupported }

func (*pollReader) setDeadline(time.Time)    {}
func (*pollReader) interrupt()               {}
func (*pollReader) reset()                   {}
func (*pollReader) Read([]byte) (int, error) { return 0, ErrUnsupported }
func (*pollReader) Close() error             { return nil }
