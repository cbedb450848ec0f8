package mp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Wire format. Every byte mp sends between processes is a frame:
//
//	type    1 byte   (one of the frame* constants)
//	length  4 bytes  little-endian length of body
//	body    length bytes
//
// Item-carrying frames (frameItems, frameReturn) hold a sequence of items,
// each a uvarint length followed by that many bytes of encoded value. One
// frame carries as many items as a writer had buffered, which is what makes
// the transport fast: one write and one read move hundreds of items.
const (
	frameHeaderLen = 5
	maxFrameBody   = 1 << 28 // 256 MiB
	maxItemLen     = maxFrameBody - binary.MaxVarintLen64
	maxWant        = 1 << 20
	maxItemsFrame  = 256 << 10 // a writer starts a new items frame past this many bytes
)

type frameType byte

const (
	frameItems     frameType = 'I' // items put (handle → broker) or granted (broker → handle)
	frameReturn    frameType = 'R' // items a handle gives back to the front of the queue
	frameWant      frameType = 'W' // handle asks for up to N more items; body: uvarint N
	frameCancel    frameType = 'C' // handle withdraws its outstanding want
	frameCancelled frameType = 'c' // broker: nothing more will be granted for earlier wants
	frameFin       frameType = 'F' // handle is closing
	frameFinAck    frameType = 'f' // broker: nothing more will be sent on this connection
	frameAttach    frameType = 'A' // handle passes (SCM_RIGHTS) a new connection for a child
	frameBoot      frameType = 'B' // parent → child on the control descriptor: gob bootstrap
	frameExit      frameType = 'X' // child → parent: uvarint exit code, then a message
	frameShutdown  frameType = 'D' // handle asks the broker to shut the queue down; body: 1 byte, 1 if immediate
	frameShutEmpty frameType = 'S' // broker: shut down and no item left for your wants, which are void
	framePipe      frameType = 'P' // broker → handle, first on the socket, with SCM_RIGHTS: the pipe the broker answers on
)

func (t frameType) known() bool {
	switch t {
	case frameItems, frameReturn, frameWant, frameCancel, frameCancelled,
		frameFin, frameFinAck, frameAttach, frameBoot, frameExit, frameShutdown, frameShutEmpty, framePipe:
		return true
	}
	return false
}

// A frame is one decoded record. Body aliases the decoder's buffer and is
// valid until the next call to Scan.
type frame struct {
	Type   frameType
	Body   []byte
	Offset int64  // stream offset of the frame's first byte
	Items  int    // frameItems, frameReturn: number of items in Body
	N      uint64 // frameWant: the count; frameExit: the exit code
	Msg    []byte // frameExit: the message
}

// A FrameError reports a malformed frame and where it starts in the stream.
type FrameError struct {
	Offset int64  // stream offset of the offending frame
	Msg    string // what is wrong with it
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("mp: frame at offset %d: %s", e.Offset, e.Msg)
}

// A decoder reads frames from a byte stream. It is shaped like
// bufio.Scanner: Scan advances, Record returns the current frame, Err the
// error that stopped scanning (nil at a clean end of stream). A malformed
// frame stops the decoder with a *FrameError; it never panics, and it never
// allocates more than twice the bytes it has actually received, whatever a
// length field claims.
type decoder struct {
	r          io.Reader
	buf        []byte
	start, end int   // buf[start:end] is read but not yet decoded
	off        int64 // stream offset of buf[start]
	eof        bool
	zeroReads  int
	timedOut   bool // the last Scan stopped at a read deadline; Scan may resume
	rec        frame
	err        error
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{r: r, buf: make([]byte, 64<<10)}
}

// Scan advances to the next frame. It returns false at the end of the
// stream or on an error; Err tells which.
func (d *decoder) Scan() bool {
	d.timedOut = false
	if d.err != nil {
		return false
	}
	if !d.fill(frameHeaderLen) {
		return false
	}
	h := d.buf[d.start : d.start+frameHeaderLen]
	t := frameType(h[0])
	n := binary.LittleEndian.Uint32(h[1:])
	if !t.known() {
		return d.fail(d.off, fmt.Sprintf("unknown frame type 0x%02x", byte(t)))
	}
	if n > maxFrameBody {
		return d.fail(d.off, fmt.Sprintf("body length %d exceeds limit %d", n, maxFrameBody))
	}
	total := frameHeaderLen + int(n)
	if !d.fill(total) {
		return false
	}
	rec := frame{
		Type:   t,
		Body:   d.buf[d.start+frameHeaderLen : d.start+total : d.start+total],
		Offset: d.off,
	}
	if msg := rec.parse(); msg != "" {
		return d.fail(d.off, msg)
	}
	d.start += total
	d.off += int64(total)
	d.rec = rec
	return true
}

// buffered reports whether Scan may return without reading: bytes are
// buffered, or the stream has ended or failed.
func (d *decoder) buffered() bool { return d.end > d.start || d.eof || d.err != nil }

// Record returns the frame found by the last successful Scan.
func (d *decoder) Record() frame { return d.rec }

// TimedOut reports whether the last Scan stopped because a read deadline
// passed. That is not an error: what was read stays buffered and Scan may
// be called again.
func (d *decoder) TimedOut() bool { return d.timedOut }

// Err returns the error that ended scanning, or nil at a clean end of stream.
func (d *decoder) Err() error { return d.err }

func (d *decoder) fail(off int64, msg string) bool {
	d.err = &FrameError{Offset: off, Msg: msg}
	return false
}

// fill makes sure buf[start:] holds at least n bytes, reading as needed.
func (d *decoder) fill(n int) bool {
	for d.end-d.start < n {
		if d.eof {
			if d.end == d.start && n == frameHeaderLen {
				return false // clean end between frames
			}
			return d.fail(d.off, fmt.Sprintf("truncated frame: stream ends after %d of %d bytes", d.end-d.start, n))
		}
		if d.end == len(d.buf) || len(d.buf)-d.start < n {
			have := d.end - d.start
			if len(d.buf) < n {
				// Grow at most twofold per read: memory follows the bytes
				// that arrive, not what a length field promises.
				size := min(n, max(2*len(d.buf), 64<<10))
				nb := make([]byte, size)
				copy(nb, d.buf[d.start:d.end])
				d.buf = nb
			} else {
				copy(d.buf, d.buf[d.start:d.end])
			}
			d.start, d.end = 0, have
		}
		m, err := d.r.Read(d.buf[d.end:])
		d.end += m
		switch {
		case err == io.EOF:
			d.eof = true
		case errors.Is(err, os.ErrDeadlineExceeded):
			d.timedOut = true
			return false
		case err != nil:
			d.err = fmt.Errorf("mp: read at offset %d: %w", d.off+int64(d.end-d.start), err)
			return false
		case m == 0:
			if d.zeroReads++; d.zeroReads > 100 {
				d.err = fmt.Errorf("mp: read at offset %d: %w", d.off+int64(d.end-d.start), io.ErrNoProgress)
				return false
			}
			continue
		}
		d.zeroReads = 0
	}
	return true
}

// parse validates the body of f for its type and fills the derived fields.
// It returns "" or a description of what is wrong.
func (f *frame) parse() string {
	switch f.Type {
	case frameItems, frameReturn:
		n, msg := countItems(f.Body)
		if msg != "" {
			return msg
		}
		f.Items = n
	case frameWant:
		v, k := binary.Uvarint(f.Body)
		if k <= 0 || k != len(f.Body) {
			return "want: body is not a single uvarint"
		}
		if v == 0 || v > maxWant {
			return fmt.Sprintf("want: count %d out of range [1, %d]", v, maxWant)
		}
		f.N = v
	case frameExit:
		v, k := binary.Uvarint(f.Body)
		if k <= 0 {
			return "exit: missing code"
		}
		if v > 255 {
			return fmt.Sprintf("exit: code %d out of range", v)
		}
		f.N, f.Msg = v, f.Body[k:]
	case frameShutdown:
		if len(f.Body) != 1 || f.Body[0] > 1 {
			return "shutdown: body is not one byte 0 or 1"
		}
		f.N = uint64(f.Body[0])
	case frameCancel, frameCancelled, frameFin, frameFinAck, frameAttach, frameShutEmpty, framePipe:
		if len(f.Body) != 0 {
			return fmt.Sprintf("%q frame: %d unexpected body bytes", byte(f.Type), len(f.Body))
		}
	}
	return ""
}

// countItems checks that body is a well-formed sequence of items and
// counts them.
func countItems(body []byte) (int, string) {
	n := 0
	for p := 0; p < len(body); {
		l, k := binary.Uvarint(body[p:])
		if k <= 0 {
			return 0, fmt.Sprintf("item %d at body offset %d: bad length", n, p)
		}
		if l > uint64(len(body)-p-k) {
			return 0, fmt.Sprintf("item %d at body offset %d: length %d exceeds the %d bytes left", n, p, l, len(body)-p-k)
		}
		p += k + int(l)
		n++
	}
	return n, ""
}

// appendFrame appends a complete frame.
func appendFrame(dst []byte, t frameType, body []byte) []byte {
	dst = append(dst, byte(t), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(dst[len(dst)-4:], uint32(len(body)))
	return append(dst, body...)
}

// appendWant appends a want frame for n items.
func appendWant(dst []byte, n int) []byte {
	var b [binary.MaxVarintLen64]byte
	return appendFrame(dst, frameWant, b[:binary.PutUvarint(b[:], uint64(n))])
}

// appendItem appends one item (uvarint length and payload).
func appendItem(dst, payload []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	return append(dst, payload...)
}

// errItemTooLarge is returned by Put for items past the frame limit.
var errItemTooLarge = errors.New("encoded item exceeds the 256 MiB frame limit")
