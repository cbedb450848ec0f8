package mp

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
)

// How items of a Queue[T] travel. The choice is made once per queue, from T:
//
//   - raw: T is plain fixed-size data — integers, floats, complex numbers
//     and arrays and structs of them, with no pointers and no bools. Its
//     memory is copied byte for byte. Both ends are the same binary on the
//     same machine, so they agree on the layout (padding included).
//   - bytes, string: the bytes themselves.
//   - binary: T has a fixed size under encoding/binary (for example a
//     struct with bool fields): binary.Append / binary.Decode, little endian.
//   - gob: everything else, one self-describing gob stream per item. Interface
//     values need their concrete types registered with gob.Register.
//     Pointer types too (nil is an item of its own), and every type that
//     says how it is encoded — GobEncoder, BinaryMarshaler or TextMarshaler,
//     itself or in an exported field or array element — whatever its size.
type codecKind uint8

const (
	codecRaw codecKind = iota
	codecBytes
	codecString
	codecBinary
	codecGob
)

func (k codecKind) String() string {
	return [...]string{"raw", "bytes", "string", "binary", "gob"}[k]
}

type codec[T any] struct {
	kind codecKind
	size int       // raw, binary: encoded size
	gob  *gobState // gob: this handle's encoder and decoders
}

func newCodec[T any]() codec[T] {
	t := reflect.TypeFor[T]()
	gobCodec := func() codec[T] {
		return codec[T]{kind: codecGob, gob: &gobState{
			static: !hasInterface(t, map[reflect.Type]bool{}),
			ptr:    t.Kind() == reflect.Pointer,
		}}
	}
	if ownsEncoding(t) {
		// A byte copy would bypass what the type's author wrote.
		return gobCodec()
	}
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return codec[T]{kind: codecBytes}
	case t.Kind() == reflect.String:
		return codec[T]{kind: codecString}
	case isPlain(t, false):
		return codec[T]{kind: codecRaw, size: int(t.Size())}
	}
	var zero T
	if n := binary.Size(zero); n > 0 && t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer {
		return codec[T]{kind: codecBinary, size: n}
	}
	return gobCodec()
}

// Interfaces by which a type says how gob encodes it; gob consults them
// in this order.
var ownEncodings = []reflect.Type{
	reflect.TypeFor[gob.GobEncoder](),
	reflect.TypeFor[gob.GobDecoder](),
	reflect.TypeFor[encoding.BinaryMarshaler](),
	reflect.TypeFor[encoding.BinaryUnmarshaler](),
	reflect.TypeFor[encoding.TextMarshaler](),
	reflect.TypeFor[encoding.TextUnmarshaler](),
}

// ownsEncoding reports whether t, or an array element or exported field
// that a fast path would copy as bytes, implements one of ownEncodings
// (with a value or a pointer receiver). Such types go by gob, which calls
// their methods.
func ownsEncoding(t reflect.Type) bool {
	for _, i := range ownEncodings {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	switch t.Kind() {
	case reflect.Array:
		return ownsEncoding(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && ownsEncoding(f.Type) {
				return true
			}
		}
	}
	return false
}

// isPlain reports whether t holds only fixed-size data without pointers,
// so that a byte copy of a value is a faithful copy. Bools are plain only
// when allowBool: a byte copy could otherwise manufacture a bool that is
// neither true nor false from a corrupt frame.
func isPlain(t reflect.Type, allowBool bool) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Bool:
		return allowBool
	case reflect.Array:
		return isPlain(t.Elem(), allowBool)
	case reflect.Struct:
		for i := range t.NumField() {
			if !isPlain(t.Field(i).Type, allowBool) {
				return false
			}
		}
		return true
	}
	return false
}

// encode encodes *v as an item: head (its uvarint length, appended to dst)
// and payload, which may alias *v and is valid only until *v changes. The
// binary and gob forms return the whole item in head and no payload.
func (c codec[T]) encode(dst []byte, v *T) (head, payload []byte, err error) {
	switch c.kind {
	case codecRaw:
		return binary.AppendUvarint(dst, uint64(c.size)), unsafe.Slice((*byte)(unsafe.Pointer(v)), c.size), nil
	case codecBytes:
		b := *(*[]byte)(unsafe.Pointer(v))
		if len(b) > maxItemLen {
			return dst, nil, errItemTooLarge
		}
		return binary.AppendUvarint(dst, uint64(len(b))), b, nil
	case codecString:
		s := *(*string)(unsafe.Pointer(v))
		if len(s) > maxItemLen {
			return dst, nil, errItemTooLarge
		}
		return binary.AppendUvarint(dst, uint64(len(s))), unsafe.Slice(unsafe.StringData(s), len(s)), nil
	case codecBinary:
		// Copies, so that neither v nor dst escape on the fast paths.
		x := *v
		enc, err := binary.Append(nil, binary.LittleEndian, &x)
		if err != nil {
			return dst, nil, err
		}
		return appendItem(dst, enc), nil, nil
	}
	head, err = c.encodeGob(dst, *v)
	return head, nil, err
}

// encodeGob is out of line so that the fast paths above do not make their
// arguments escape. The first item a handle encodes is decoded once, so
// that a type gob can encode but not decode fails Put, not every Get.
func (c codec[T]) encodeGob(dst []byte, v T) ([]byte, error) {
	start := len(dst)
	head, err := c.gobEncode(dst, &v)
	if err != nil || c.gob.checked.Load() {
		return head, err
	}
	item := head[start:]
	_, k := binary.Uvarint(item)
	var x T
	if err := c.decode(item[k:], &x); err != nil {
		return dst, fmt.Errorf("it would not decode: %w", err)
	}
	c.gob.checked.Store(true)
	return head, nil
}

// decode sets *v from a payload. The payload is not retained.
func (c codec[T]) decode(b []byte, v *T) error {
	switch c.kind {
	case codecRaw:
		if len(b) != c.size {
			return fmt.Errorf("raw item of %d bytes, want %d", len(b), c.size)
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(v)), c.size), b)
		return nil
	case codecBytes:
		*(*[]byte)(unsafe.Pointer(v)) = append([]byte{}, b...)
		return nil
	case codecString:
		*(*string)(unsafe.Pointer(v)) = string(b)
		return nil
	case codecBinary:
		if len(b) != c.size {
			return fmt.Errorf("binary item of %d bytes, want %d", len(b), c.size)
		}
		var x T
		_, err := binary.Decode(bytes.Clone(b), binary.LittleEndian, &x)
		*v = x
		return err
	}
	x, err := c.decodeGob(bytes.Clone(b))
	*v = x
	return err
}

func (c codec[T]) decodeGob(b []byte) (T, error) {
	var v T
	err := c.gobDecode(b, &v)
	return v, err
}

// Gob items. A gob stream sends each type's definition once, before the
// first value of that type; a fresh encoder per item would send the
// definitions with every item and make every decoder compile them again.
// So, when T holds no interface (its definitions are then all sent with the
// first value, whatever it holds), each handle keeps one encoder, primed
// with T's zero value, and an item is
//
//	uvarint len(prefix) | prefix (definitions and the zero value) | value
//
// — a valid gob stream on its own, whoever gets it. A decoder is kept per
// distinct prefix: it reads the prefix once and then only values. Types with
// interfaces (whose definitions gob sends lazily), and types whose zero value
// gob cannot encode, use a fresh encoder and decoder per item, with an empty
// prefix.
//
// Gob sends what a pointer points to and cannot send a nil pointer as a
// value, so an item of a pointer type starts with a byte of its own: 0 for
// nil (and nothing follows), 1 for the gob item above. Gob flattens the
// pointers below the top one, as it does in struct fields.
type gobState struct {
	static  bool
	ptr     bool        // T is a pointer type
	checked atomic.Bool // an item of this handle has been decoded once

	mu     sync.Mutex
	buf    bytes.Buffer
	enc    *gob.Encoder
	prefix []byte

	decs map[string]*gobDec // by prefix
}

type gobDec struct {
	r   bytes.Reader // an io.ByteReader: the decoder reads exactly one message at a time
	dec *gob.Decoder
}

const maxGobDecoders = 64

// Pointer items' first byte.
const (
	gobNil   = 0
	gobValue = 1
)

func (c codec[T]) gobEncode(dst []byte, v *T) ([]byte, error) {
	g := c.gob
	if g.ptr {
		if *(*unsafe.Pointer)(unsafe.Pointer(v)) == nil {
			return append(dst, 1, gobNil), nil
		}
		for p, level := reflect.ValueOf(*v).Elem(), 1; p.Kind() == reflect.Pointer; p, level = p.Elem(), level+1 {
			if p.IsNil() {
				return dst, fmt.Errorf("gob cannot send a nil pointer %d levels down", level)
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.buf.Reset()
	if g.static && g.enc == nil {
		g.enc = gob.NewEncoder(&g.buf)
		zero := allocZero[T]()
		if err := g.enc.Encode(&zero); err != nil {
			// Then every item carries its own definitions.
			g.enc, g.static = nil, false
		} else {
			g.prefix = bytes.Clone(g.buf.Bytes())
		}
		g.buf.Reset()
	}
	var prefix []byte
	if g.static {
		prefix = g.prefix
		// A pointer to the value makes gob send interface values with
		// their concrete type, and plain values as themselves.
		if err := g.enc.Encode(v); err != nil {
			g.enc = nil // it may have recorded definitions it did not send
			return dst, err
		}
	} else if err := gob.NewEncoder(&g.buf).Encode(v); err != nil {
		return dst, err
	}
	var hdr [1 + binary.MaxVarintLen64]byte
	h := 0
	if g.ptr {
		hdr[0] = gobValue
		h++
	}
	h += binary.PutUvarint(hdr[h:], uint64(len(prefix)))
	n := h + len(prefix) + g.buf.Len()
	if n > maxItemLen {
		return dst, errItemTooLarge
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = append(dst, hdr[:h]...)
	dst = append(dst, prefix...)
	return append(dst, g.buf.Bytes()...), nil
}

// allocZero returns T's zero value, except that a pointer type's points to
// a zero value (through every level): what a decoder fills in.
func allocZero[T any]() T {
	var zero T
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Pointer {
		return zero
	}
	var alloc func(t reflect.Type) reflect.Value
	alloc = func(t reflect.Type) reflect.Value {
		p := reflect.New(t.Elem())
		if t.Elem().Kind() == reflect.Pointer {
			p.Elem().Set(alloc(t.Elem()))
		}
		return p
	}
	return alloc(t).Interface().(T)
}

func (c codec[T]) gobDecode(b []byte, v *T) error {
	g := c.gob
	if g.ptr {
		switch {
		case len(b) == 1 && b[0] == gobNil:
			var zero T
			*v = zero
			return nil
		case len(b) > 1 && b[0] == gobValue:
			b = b[1:]
		default:
			return errors.New("malformed pointer item")
		}
	}
	pl, k := binary.Uvarint(b)
	if k <= 0 || pl > uint64(len(b)-k) {
		return errors.New("malformed gob item")
	}
	rest := b[k:]
	prefix, val := rest[:pl], rest[pl:]
	if pl == 0 {
		return gob.NewDecoder(bytes.NewReader(val)).Decode(v)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := g.decs[string(prefix)]; d != nil {
		d.r.Reset(val)
		if err := d.dec.Decode(v); err != nil {
			delete(g.decs, string(prefix))
			return err
		}
		return nil
	}
	d := &gobDec{}
	d.r.Reset(rest)
	d.dec = gob.NewDecoder(&d.r)
	// The zero value in the prefix sets nothing: gob omits zero fields.
	if err := d.dec.Decode(v); err != nil {
		return err
	}
	if err := d.dec.Decode(v); err != nil {
		return err
	}
	if len(g.decs) >= maxGobDecoders || g.decs == nil {
		g.decs = map[string]*gobDec{}
	}
	g.decs[string(prefix)] = d
	return nil
}

// hasInterface reports whether t holds an interface anywhere.
func hasInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		return hasInterface(t.Elem(), seen)
	case reflect.Map:
		return hasInterface(t.Key(), seen) || hasInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if hasInterface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// typeName names T for handle type checks across processes.
func typeName[T any]() string {
	t := reflect.TypeFor[T]()
	if t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}
