//go:build linux

package mp

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Item types whose encoding is their own: fixed-size, so that a byte copy
// would carry them, but a byte copy is not what their author wrote.
type (
	// gobStamped sends only V; GobDecode marks the copy with Local = -1.
	gobStamped struct{ V, Local int64 }
	// binStamped (a bool: encoding/binary's size) sends only V;
	// UnmarshalBinary sets Decoded.
	binStamped struct {
		V       int32
		Decoded bool
	}
	// nestedStamped holds a gobStamped: gob calls the field's GobEncode.
	nestedStamped struct {
		S gobStamped
		N int64
	}
	// upperString travels upper-cased.
	upperString string
)

func (s gobStamped) GobEncode() ([]byte, error) { return binary.AppendVarint(nil, s.V), nil }

func (s *gobStamped) GobDecode(b []byte) error {
	v, n := binary.Varint(b)
	if n <= 0 {
		return errors.New("gobStamped: bad varint")
	}
	s.V, s.Local = v, -1
	return nil
}

func (s binStamped) MarshalBinary() ([]byte, error) {
	return binary.LittleEndian.AppendUint32(nil, uint32(s.V)), nil
}

func (s *binStamped) UnmarshalBinary(b []byte) error {
	if len(b) != 4 {
		return errors.New("binStamped: want 4 bytes")
	}
	s.V, s.Decoded = int32(binary.LittleEndian.Uint32(b)), true
	return nil
}

func (s upperString) GobEncode() ([]byte, error) { return []byte(strings.ToUpper(string(s))), nil }

func (s *upperString) GobDecode(b []byte) error {
	*s = upperString(b)
	return nil
}

func init() {
	registerEcho[*string]("test.echo.ptr-string")
	registerEcho[*int]("test.echo.ptr-int")
	registerEcho[*bool]("test.echo.ptr-bool")
	registerEcho[*[]int]("test.echo.ptr-ints")
	registerEcho[*gobItem]("test.echo.ptr-gob")
	registerEcho[gobStamped]("test.echo.gob-stamped")
	registerEcho[binStamped]("test.echo.bin-stamped")
	registerEcho[nestedStamped]("test.echo.nested-stamped")
	registerEcho[upperString]("test.echo.upper")
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
	comesOut(t, ptr(gobStamped{V: 1, Local: -1}), true, ptr(gobStamped{V: 2, Local: -1}))
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

func TestOwnEncodingsNotBypassed(t *testing.T) {
	checkNoChildren(t)
	if got := roundTrip(t, gobStamped{V: 3, Local: 99}); len(got) == 1 && got[0] != (gobStamped{3, -1}) {
		t.Errorf("gobStamped: got %+v, want {3 -1}: GobEncode/GobDecode bypassed", got[0])
	}
	if got := roundTrip(t, binStamped{V: 5}); len(got) == 1 && got[0] != (binStamped{5, true}) {
		t.Errorf("binStamped: got %+v, want {5 true}: MarshalBinary/UnmarshalBinary bypassed", got[0])
	}
	if got := roundTrip(t, nestedStamped{gobStamped{3, 99}, 1}); len(got) == 1 && got[0] != (nestedStamped{gobStamped{3, -1}, 1}) {
		t.Errorf("nestedStamped: got %+v: the field's GobEncode/GobDecode bypassed", got[0])
	}
	if got := roundTrip(t, upperString("ab")); len(got) == 1 && got[0] != "AB" {
		t.Errorf("upperString: got %q, want %q: GobEncode bypassed", got[0], "AB")
	}
	if t.Failed() {
		return
	}
	const n = 5
	echo(t, "test.echo.gob-stamped", n, func(i int) gobStamped { return gobStamped{int64(i), -1} })
	echo(t, "test.echo.bin-stamped", n, func(i int) binStamped { return binStamped{int32(i), true} })
	echo(t, "test.echo.nested-stamped", n, func(i int) nestedStamped { return nestedStamped{gobStamped{int64(i), -1}, int64(i)} })
	echo(t, "test.echo.upper", n, func(i int) upperString { return upperString(strings.Repeat("A", i)) })
}
