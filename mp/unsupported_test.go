//go:build !linux

package mp

import (
	"errors"
	"testing"
)

func TestMain(m *testing.M) {
	Main() // returns at once: no child is ever started here
	m.Run()
}

func TestUnsupported(t *testing.T) {
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s = %v, want ErrUnsupported", what, err)
		}
	}
	_, err := NewQueue[int](0)
	check("NewQueue", err)
	_, err = NewJoinableQueue[int](0)
	check("NewJoinableQueue", err)
	_, err = NewSimpleQueue[int]()
	check("NewSimpleQueue", err)
	_, err = NewLock()
	check("NewLock", err)
	_, err = NewValue[int64](0)
	check("NewValue", err)
	_, err = NewRawValue[int64](0)
	check("NewRawValue", err)
	check("Start", NewProcess("mp.none").Start())
}
