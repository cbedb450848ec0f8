package mp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func items(payloads ...string) []byte {
	var b []byte
	for _, p := range payloads {
		b = appendItem(b, []byte(p))
	}
	return b
}

func validStream() []byte {
	var s []byte
	s = appendFrame(s, frameItems, items("a", "", "hello"))
	s = appendWant(s, 256)
	s = appendFrame(s, frameCancel, nil)
	s = appendFrame(s, frameCancelled, nil)
	s = appendFrame(s, frameReturn, items("x"))
	s = appendFrame(s, frameFin, nil)
	s = appendFrame(s, frameFinAck, nil)
	s = appendFrame(s, frameAttach, nil)
	s = appendFrame(s, frameBoot, []byte("anything"))
	s = appendFrame(s, frameExit, append([]byte{3}, "boom"...))
	s = appendFrame(s, frameItems, nil)
	return s
}

func TestDecoderValid(t *testing.T) {
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one-byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data-eof": iotest.DataErrReader,
	} {
		t.Run(name, func(t *testing.T) {
			d := newDecoder(wrap(bytes.NewReader(validStream())))
			var got []string
			var offsets []int64
			for d.Scan() {
				f := d.Record()
				s := string(f.Type)
				switch f.Type {
				case frameItems, frameReturn:
					s += string(rune('0' + f.Items))
				case frameWant:
					if f.N != 256 {
						t.Errorf("want count %d", f.N)
					}
				case frameExit:
					if f.N != 3 || string(f.Msg) != "boom" {
						t.Errorf("exit %d %q", f.N, f.Msg)
					}
				}
				got = append(got, s)
				offsets = append(offsets, f.Offset)
			}
			if err := d.Err(); err != nil {
				t.Fatal(err)
			}
			if want := "I3 W C c R1 F f A B X I0"; strings.Join(got, " ") != want {
				t.Errorf("frames %q, want %q", strings.Join(got, " "), want)
			}
			if offsets[0] != 0 || offsets[1] != 5+1+0+1+1+6 {
				t.Errorf("offsets %v", offsets)
			}
		})
	}
}

func TestDecoderErrors(t *testing.T) {
	header := func(t frameType, n uint32) []byte {
		b := []byte{byte(t), 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(b[1:], n)
		return b
	}
	prefix := appendFrame(nil, frameFin, nil) // the bad frame starts at offset 5
	for _, tt := range []struct {
		name, stream, msg string
	}{
		{"unknown type", "Z\x00\x00\x00\x00", "unknown frame type 0x5a"},
		{"huge length", string(header(frameBoot, maxFrameBody+1)), "exceeds limit"},
		{"truncated header", "I\x01", "truncated frame: stream ends after 2 of 5 bytes"},
		{"truncated body", string(header(frameBoot, 10)) + "abc", "truncated frame: stream ends after 8 of 15 bytes"},
		{"item past body", string(header(frameItems, 2)) + "\x05a", "item 0 at body offset 0: length 5 exceeds the 1 bytes left"},
		{"bad varint", string(header(frameItems, 1)) + "\x80", "item 0 at body offset 0: bad length"},
		{"second item bad", string(header(frameItems, 4)) + "\x01a\x03b", "item 1 at body offset 2"},
		{"want zero", string(header(frameWant, 1)) + "\x00", "want: count 0 out of range"},
		{"want trailing", string(header(frameWant, 2)) + "\x01\x01", "want: body is not a single uvarint"},
		{"cancel body", string(header(frameCancel, 1)) + "x", "1 unexpected body bytes"},
		{"exit code", string(header(frameExit, 2)) + "\x80\x04", "exit: code 512 out of range"},
		{"exit empty", string(header(frameExit, 0)), "exit: missing code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDecoder(bytes.NewReader(append(append([]byte(nil), prefix...), tt.stream...)))
			if !d.Scan() {
				t.Fatalf("first frame: %v", d.Err())
			}
			if d.Scan() {
				t.Fatalf("scanned a bad frame: %+v", d.Record())
			}
			var fe *FrameError
			if !errors.As(d.Err(), &fe) {
				t.Fatalf("Err() = %v, want a *FrameError", d.Err())
			}
			if fe.Offset != 5 || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("Err() = %v; want offset 5 and %q", fe, tt.msg)
			}
			if !strings.HasPrefix(fe.Error(), "mp: frame at offset 5: ") {
				t.Errorf("message %q", fe.Error())
			}
			if d.Scan() {
				t.Error("Scan after an error succeeded")
			}
		})
	}
}

func TestDecoderReadError(t *testing.T) {
	boom := errors.New("boom")
	d := newDecoder(io.MultiReader(bytes.NewReader(appendFrame(nil, frameFin, nil)), iotest.ErrReader(boom)))
	for d.Scan() {
	}
	if !errors.Is(d.Err(), boom) || !strings.Contains(d.Err().Error(), "read at offset 5") {
		t.Errorf("Err() = %v", d.Err())
	}
	d = newDecoder(zeroReader{})
	if d.Scan() || !errors.Is(d.Err(), io.ErrNoProgress) {
		t.Errorf("a reader that never progresses: %v", d.Err())
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestDecoderLargeFrame(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 3<<20)
	s := appendFrame(nil, frameItems, appendItem(nil, big))
	d := newDecoder(iotest.HalfReader(bytes.NewReader(s)))
	if !d.Scan() || d.Record().Items != 1 || len(d.Record().Body) != len(s)-5 {
		t.Fatalf("large frame: %v", d.Err())
	}
	// A header that promises 200 MiB and delivers 10 bytes must not
	// allocate 200 MiB.
	h := []byte{byte(frameBoot), 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(h[1:], 200<<20)
	d = newDecoder(bytes.NewReader(append(h, "0123456789"...)))
	if d.Scan() {
		t.Fatal("scanned a truncated frame")
	}
	if len(d.buf) > 1<<20 {
		t.Errorf("decoder grew to %d bytes for a 15-byte stream", len(d.buf))
	}
}

func TestStore(t *testing.T) {
	var s store
	for i := range 100000 {
		s.appendItem([]byte{byte(i), byte(i >> 8)})
	}
	out, n := s.take(nil, 10, 1<<20)
	if n != 10 || len(out) != 30 {
		t.Fatalf("take 10: %d items, %d bytes", n, len(out))
	}
	if _, n := s.take(nil, 1000, 9); n != 3 {
		t.Fatalf("take with a 9-byte limit moved %d items, want 3", n)
	} else {
		s.prepend(items("\x0a\x00", "\x0b\x00", "\x0c\x00"), 3)
	}
	s.prepend(out, n)
	// Interleave appends and pops against a model; compaction must keep
	// the order.
	next, tail := 0, 100000
	for s.len() > 0 {
		p := s.pop()
		if len(p) != 2 || int(p[0])|int(p[1])<<8 != next&0xffff {
			t.Fatalf("item %d = %v", next, p)
		}
		next++
		if next%3 == 0 && tail < 150000 {
			s.appendItem([]byte{byte(tail), byte(tail >> 8)})
			tail++
		}
	}
	if next != tail {
		t.Fatalf("popped %d items, appended %d", next, tail)
	}
}

// FuzzDecoder feeds arbitrary bytes to the decoder: it must never panic,
// report every malformed frame as a *FrameError at an offset inside the
// input, and decode exactly the frames that re-encode to a prefix of it.
func FuzzDecoder(f *testing.F) {
	f.Add(validStream())
	f.Add([]byte{})
	f.Add([]byte("I\x03\x00\x00\x00\x01a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDecoder(iotest.HalfReader(bytes.NewReader(data)))
		var re []byte
		last := int64(-1)
		for d.Scan() {
			fr := d.Record()
			if fr.Offset <= last || fr.Offset != int64(len(re)) {
				t.Fatalf("frame at offset %d after %d, re-encoded %d", fr.Offset, last, len(re))
			}
			last = fr.Offset
			if fr.Type == frameItems || fr.Type == frameReturn {
				n, msg := countItems(fr.Body)
				if msg != "" || n != fr.Items {
					t.Fatalf("accepted items frame: %d items, %q", n, msg)
				}
			}
			re = appendFrame(re, fr.Type, fr.Body)
		}
		if !bytes.HasPrefix(data, re) {
			t.Fatal("decoded frames do not re-encode to a prefix of the input")
		}
		err := d.Err()
		if err == nil {
			if len(re) != len(data) {
				t.Fatalf("clean end after %d of %d bytes", len(re), len(data))
			}
			return
		}
		var fe *FrameError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *FrameError", err)
		}
		if fe.Offset != int64(len(re)) || fe.Offset > int64(len(data)) {
			t.Fatalf("error at offset %d, frames ended at %d, input %d bytes", fe.Offset, len(re), len(data))
		}
	})
}
