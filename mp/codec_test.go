package mp

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func init() {
	registerEcho[*string]("test.echo.ptr-string")
	registerEcho[*int]("test.echo.ptr-int")
	registerEcho[*bool]("test.echo.ptr-bool")
	registerEcho[*[]int]("test.echo.ptr-ints")
	registerEcho[*gobItem]("test.echo.ptr-gob")
}

func ptr[T any](v T) *T { return &v }

// roundTrip puts each of items on a new queue in this process and gets it
// back.
func roundTrip[T any](t *testing.T, items ...T) []T {
	t.Helper()
	q := mustQueue[T](t, 0)
	var got []T
	for _, v := range items {
		if err := q.Put(v); err != nil {
			t.Errorf("Queue[%s]: Put(%#v): %v", reflect.TypeFor[T](), v, err)
			continue
		}
		w, err := q.GetTimeout(10 * time.Second)
		if err != nil {
			t.Errorf("Queue[%s]: Put(%#v) succeeded, Get failed: %v", reflect.TypeFor[T](), v, err)
			continue
		}
		got = append(got, w)
	}
	return got
}

func checkRoundTrip[T any](t *testing.T, items ...T) {
	t.Helper()
	got := roundTrip(t, items...)
	if !t.Failed() && !reflect.DeepEqual(got, items) {
		t.Errorf("Queue[%s]: got %#v, want %#v", reflect.TypeFor[T](), got, items)
	}
}

func TestPointerItems(t *testing.T) {
	checkNoChildren(t)
	checkRoundTrip(t, ptr("x"), ptr(""), nil)
	checkRoundTrip(t, ptr(7), ptr(0), nil)
	checkRoundTrip(t, ptr(true), ptr(false), nil)
	checkRoundTrip(t, ptr([]int{1, 2}), nil)
	checkRoundTrip(t, &gobItem{Name: "a", Next: &gobItem{Name: "b"}}, &gobItem{}, nil)
	if t.Failed() {
		return
	}
	const n = 10
	echo(t, "test.echo.ptr-string", n, func(i int) *string {
		if i%3 == 2 {
			return nil
		}
		return ptr(strings.Repeat("p", i))
	})
	echo(t, "test.echo.ptr-int", n, func(i int) *int {
		if i%3 == 2 {
			return nil
		}
		return ptr(i)
	})
	echo(t, "test.echo.ptr-bool", n, func(i int) *bool {
		if i%3 == 2 {
			return nil
		}
		return ptr(i%2 == 0)
	})
	echo(t, "test.echo.ptr-ints", n, func(i int) *[]int {
		if i%3 == 2 {
			return nil
		}
		return ptr([]int{i, -i})
	})
	echo(t, "test.echo.ptr-gob", n, func(i int) *gobItem {
		if i%3 == 2 {
			return nil
		}
		return &gobItem{Name: strings.Repeat("g", i)}
	})
}

// Whatever a queue accepts comes out as it went in: an item gob cannot
// carry fails its Put, never the Get of every process.
func TestAcceptedItemsComeOut(t *testing.T) {
	var nilInt *int
	comesOut(t, ptr(ptr(1)), true, ptr(ptr(3)), nil)
	comesOut(t, ptr(ptr(1)), false, &nilInt)
	comesOut(t, [2]*int{ptr(1), ptr(2)}, true, [2]*int{ptr(3), ptr(4)})
	comesOut(t, [2]*int{ptr(1), ptr(2)}, false, [2]*int{ptr(1), nil})
	comesOut[any](t, 1, false, nilInt)
}

// comesOut puts warm and each item on a queue and gets them back: a Put may
// fail (not if accept), but an item put comes out equal. The warm item
// makes the items later ones, which the queue does not check as it checks
// a first.
func comesOut[T any](t *testing.T, warm T, accept bool, items ...T) {
	t.Helper()
	q := mustQueue[T](t, 0)
	if err := q.Put(warm); err != nil {
		t.Fatalf("Queue[%s]: Put(%#v): %v", reflect.TypeFor[T](), warm, err)
	}
	if _, err := q.Get(); err != nil {
		t.Fatalf("Queue[%s]: Get: %v", reflect.TypeFor[T](), err)
	}
	for _, v := range items {
		if err := q.Put(v); err != nil {
			if accept {
				t.Errorf("Queue[%s]: Put(%#v): %v", reflect.TypeFor[T](), v, err)
			}
			continue
		}
		if !accept {
			t.Errorf("Queue[%s]: Put(%#v) succeeded", reflect.TypeFor[T](), v)
		}
		got, err := q.GetTimeout(10 * time.Second)
		if err != nil {
			t.Errorf("Queue[%s]: Put(%#v) succeeded, Get failed: %v", reflect.TypeFor[T](), v, err)
		} else if !reflect.DeepEqual(got, v) {
			t.Errorf("Queue[%s]: Put(%#v), got %#v", reflect.TypeFor[T](), v, got)
		}
	}
}
