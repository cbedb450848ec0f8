//go:build linux

package mp

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func init() {
	// test.array.f is _TestArray.f: prefix sums in place.
	Register("test.array.f", func(a Args) error {
		arr, err := Arg[*Array[int32]](a, 0)
		if err != nil {
			return err
		}
		for i := 1; i < arr.Len(); i++ {
			prev, err := arr.Load(i - 1)
			if err != nil {
				return err
			}
			cur, err := arr.Load(i)
			if err != nil {
				return err
			}
			if err := arr.Store(i, cur+prev); err != nil {
				return err
			}
		}
		return nil
	})
	// test.array.add adds 1 to every element, arg 1 times, under the lock.
	Register("test.array.add", func(a Args) error {
		arr, err := Arg[*Array[float64]](a, 0)
		if err != nil {
			return err
		}
		n, err := Arg[int](a, 1)
		if err != nil {
			return err
		}
		for range n {
			if err := arr.Update(func(xs []float64) {
				for i := range xs {
					xs[i]++
				}
			}); err != nil {
				return err
			}
		}
		return nil
	})
	// test.value.set is _TestValue._test: store new values.
	Register("test.value.set", func(a Args) error {
		i, err := Arg[*Value[int32]](a, 0)
		if err != nil {
			return err
		}
		d, err := Arg[*Value[float64]](a, 1)
		if err != nil {
			return err
		}
		h, err := Arg[*Value[int16]](a, 2)
		if err != nil {
			return err
		}
		q, err := Arg[*Value[int64]](a, 3)
		if err != nil {
			return err
		}
		return errors.Join(i.Store(24234), d.Store(-4.25), h.Store(234), q.Store(1<<34))
	})
}

func prefixSums(xs []int32) {
	for i := 1; i < len(xs); i++ {
		xs[i] += xs[i-1]
	}
}

// _TestArray.test_array and test_rawarray.
func TestPortedArray(t *testing.T) {
	for _, raw := range []bool{false, true} {
		checkNoChildren(t)
		seq := []int32{680, 626, 934, 821, 150, 233, 548, 982, 714, 831}
		newArr := NewArrayFrom[int32]
		if raw {
			newArr = NewRawArrayFrom[int32]
		}
		arr := closeLater(t, must[*Array[int32]](t)(newArr(seq)))
		if arr.Len() != len(seq) {
			t.Errorf("Len = %d", arr.Len())
		}
		if x, err := arr.Load(3); x != seq[3] || err != nil {
			t.Errorf("Load(3) = %d, %v", x, err)
		}
		if xs, err := arr.LoadSlice(2, 7); !slices.Equal(xs, seq[2:7]) || err != nil {
			t.Errorf("LoadSlice(2, 7) = %v, %v", xs, err)
		}
		copy(seq[4:8], []int32{1, 2, 3, 4})
		arr.StoreSlice(4, []int32{1, 2, 3, 4})
		if xs, _ := arr.LoadSlice(0, arr.Len()); !slices.Equal(xs, seq) {
			t.Errorf("after StoreSlice: %v; want %v", xs, seq)
		}
		prefixSums(seq)
		p := NewProcess("test.array.f", arr)
		mustStart(t, p)
		joinAll(t, p)
		if xs, _ := arr.LoadSlice(0, arr.Len()); !slices.Equal(xs, seq) {
			t.Errorf("raw=%v: after the child: %v; want %v", raw, xs, seq)
		}
		if (arr.Lock() == nil) != raw {
			t.Errorf("raw=%v: Lock() = %v", raw, arr.Lock())
		}
	}
}

// _TestArray.test_array_from_size.
func TestPortedArrayFromSize(t *testing.T) {
	for range 3 {
		arr := must[*Array[int32]](t)(NewArray[int32](10))
		if xs, _ := arr.LoadSlice(0, 10); arr.Len() != 10 || !slices.Equal(xs, make([]int32, 10)) {
			t.Errorf("new array: %d elements %v; want 10 zeros", arr.Len(), xs)
		}
		want := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		arr.StoreSlice(0, want)
		if xs, _ := arr.LoadSlice(0, 10); !slices.Equal(xs, want) {
			t.Errorf("after StoreSlice: %v", xs)
		}
		arr.Close()
	}
}

// _TestValue.test_value and test_rawvalue.
func TestPortedValue(t *testing.T) {
	for _, raw := range []bool{false, true} {
		checkNoChildren(t)
		i := closeLater(t, must[*Value[int32]](t)(newValue[int32](4343, raw)))
		d := closeLater(t, must[*Value[float64]](t)(newValue(3.625, raw)))
		h := closeLater(t, must[*Value[int16]](t)(newValue[int16](-232, raw)))
		q := closeLater(t, must[*Value[int64]](t)(newValue[int64](1<<33, raw)))
		p := NewProcess("test.value.set", i, d, h, q)
		mustStart(t, p)
		joinAll(t, p)
		vi, _ := i.Load()
		vd, _ := d.Load()
		vh, _ := h.Load()
		vq, _ := q.Load()
		if vi != 24234 || vd != -4.25 || vh != 234 || vq != 1<<34 {
			t.Errorf("raw=%v: values %d %v %d %d after the child", raw, vi, vd, vh, vq)
		}
	}
}

func TestArrayUpdateAcrossProcesses(t *testing.T) {
	checkNoChildren(t)
	const n = 500
	arr := closeLater(t, must[*Array[float64]](t)(NewArray[float64](7)))
	var ps []*Process
	for range 3 {
		p := NewProcess("test.array.add", arr, n)
		mustStart(t, p)
		ps = append(ps, p)
	}
	joinAll(t, ps...)
	xs, _ := arr.LoadSlice(0, arr.Len())
	for i, x := range xs {
		if x != 3*n {
			t.Errorf("element %d = %v; want %d: lost updates", i, x, 3*n)
		}
	}
	raw := closeLater(t, must[*Array[float64]](t)(NewRawArray[float64](1)))
	if err := raw.Update(func([]float64) {}); !errors.Is(err, ErrNoLock) {
		t.Errorf("Update of a raw array = %v; want ErrNoLock", err)
	}
}

// Elements narrower than a word are written with a compare-and-swap of
// their word, so writers of neighbouring elements do not undo each other.
func TestRawArraySubwordElements(t *testing.T) {
	testSubword[int8](t)
	testSubword[uint16](t)
}

func testSubword[T Number](t *testing.T) {
	arr := closeLater(t, must[*Array[T]](t)(NewRawArray[T](8)))
	var wg sync.WaitGroup
	for k := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				arr.Store(k, T(k+j%2))
			}
			arr.Store(k, T(k+1))
		})
	}
	wg.Wait()
	for k := range 8 {
		if x, _ := arr.Load(k); x != T(k+1) {
			t.Errorf("%T element %d = %v; want %d", x, k, x, k+1)
		}
	}
}

func TestArrayErrors(t *testing.T) {
	arr := must[*Array[int64]](t)(NewArray[int64](3))
	if _, err := arr.Load(3); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("Load(3) of 3 = %v", err)
	}
	if err := arr.StoreSlice(2, []int64{1, 2}); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("StoreSlice past the end = %v", err)
	}
	if _, err := NewArray[int64](-1); err == nil {
		t.Error("NewArray(-1) succeeded")
	}
	if _, err := (*Array[int32])(nil).bind(&handleSpec{Kind: handleLock, Type: arr.kind(), Maxsize: 3}, arr.lock.mem); err == nil {
		t.Error("an Array[int64] bound as an Array[int32]")
	}
	arr.Close()
	if _, err := arr.Load(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Load after Close = %v", err)
	}
}
