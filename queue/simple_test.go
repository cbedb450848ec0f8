package queue

import (
	"context"
	"testing"
	"time"
)

func TestSimpleQueue(t *testing.T) {
	for name, s := range map[string]*SimpleQueue[int]{"NewSimple": NewSimple[int](), "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if !s.Empty() || s.Size() != 0 {
				t.Errorf("new queue: Empty %v, Size %d", s.Empty(), s.Size())
			}
			for i := range 100 { // unbounded
				s.Put(i)
			}
			if s.Empty() || s.Size() != 100 {
				t.Errorf("after 100 Puts: Empty %v, Size %d", s.Empty(), s.Size())
			}
			for i := range 100 {
				if x := s.Get(); x != i {
					t.Fatalf("Get #%d = %d; want %d (FIFO)", i, x, i)
				}
			}
		})
	}
}

func TestSimpleQueueNonBlocking(t *testing.T) {
	s := NewSimple[string]()
	if _, err := s.GetNowait(); err != ErrEmpty {
		t.Errorf("GetNowait on empty queue: %v; want ErrEmpty", err)
	}
	if _, err := s.GetTimeout(0); err != ErrEmpty {
		t.Errorf("GetTimeout(0) on empty queue: %v; want ErrEmpty", err)
	}
	if _, err := s.GetTimeout(time.Millisecond); err != ErrEmpty {
		t.Errorf("GetTimeout(1ms) on empty queue: %v; want ErrEmpty", err)
	}
	if _, err := s.GetTimeout(-time.Millisecond); err != ErrNegativeTimeout {
		t.Errorf("GetTimeout(-1ms): %v; want ErrNegativeTimeout", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GetContext(ctx); err != context.Canceled {
		t.Errorf("GetContext with done context on empty queue: %v; want context.Canceled", err)
	}
	s.Put("a")
	s.Put("b")
	if x, err := s.GetNowait(); x != "a" || err != nil {
		t.Errorf("GetNowait = %q, %v; want a, nil", x, err)
	}
	if x, err := s.GetContext(ctx); x != "b" || err != nil {
		t.Errorf("GetContext with done context and an item = %q, %v; want b, nil", x, err)
	}
	if g, p, j := s.q.waiters(); g+p+j != 0 {
		t.Errorf("waiters left: %d getters, %d putters, %d joiners", g, p, j)
	}
}

func TestSimpleQueueBlockedGet(t *testing.T) {
	gets := map[string]func(*SimpleQueue[int]) (int, error){
		"Get":        func(s *SimpleQueue[int]) (int, error) { return s.Get(), nil },
		"GetTimeout": func(s *SimpleQueue[int]) (int, error) { return s.GetTimeout(forever) },
		"GetContext": func(s *SimpleQueue[int]) (int, error) { return s.GetContext(t.Context()) },
	}
	for name, get := range gets {
		t.Run(name, func(t *testing.T) {
			s := NewSimple[int]()
			res := goGet(func() (int, error) { return get(s) })
			waitWaiters(&s.q, 1, 0, 0)
			s.Put(1)
			if r := <-res; r.item != 1 || r.err != nil {
				t.Errorf("got %v, %v; want 1, nil", r.item, r.err)
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		s := NewSimple[int]()
		ctx, cancel := context.WithCancel(t.Context())
		res := goGet(func() (int, error) { return s.GetContext(ctx) })
		waitWaiters(&s.q, 1, 0, 0)
		cancel()
		if r := <-res; r.err != context.Canceled {
			t.Errorf("GetContext after cancel: %v; want context.Canceled", r.err)
		}
		waitWaiters(&s.q, 0, 0, 0)
	})
}
