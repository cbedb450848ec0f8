package mp

import "encoding/binary"

// A store is a FIFO of encoded items kept in their wire form (uvarint
// length, payload) in one byte slice, so that a batch received from a
// socket is appended with one copy and a batch granted to a consumer is cut
// off with one copy: no allocation per item. Its contents are always well
// formed: they come from the local encoder or from a validated frame.
type store struct {
	buf  []byte
	head int // buf[head:] holds the items
	n    int // number of items
}

func (s *store) len() int { return s.n }

// appendItems appends a validated body of n items.
func (s *store) appendItems(body []byte, n int) {
	if n == 0 {
		return
	}
	s.compact()
	s.buf = append(s.buf, body...)
	s.n += n
}

// appendItem appends one item given as payload.
func (s *store) appendItem(payload []byte) {
	s.compact()
	s.buf = appendItem(s.buf, payload)
	s.n++
}

// pop removes the first item and returns its payload, which stays valid
// until the store is next changed.
func (s *store) pop() []byte {
	l, k := binary.Uvarint(s.buf[s.head:])
	p := s.head + k
	s.head = p + int(l)
	s.n--
	item := s.buf[p:s.head:s.head]
	if s.n == 0 {
		s.buf, s.head = s.buf[:0], 0
	}
	return item
}

// take moves up to n items, in wire form, but not (much) more than
// maxBytes, to the end of dst. It returns dst and the number moved.
func (s *store) take(dst []byte, n, maxBytes int) ([]byte, int) {
	p, moved := s.head, 0
	for moved < n && moved < s.n {
		l, k := binary.Uvarint(s.buf[p:])
		p += k + int(l)
		moved++
		if p-s.head >= maxBytes {
			break
		}
	}
	dst = append(dst, s.buf[s.head:p]...)
	s.head = p
	s.n -= moved
	if s.n == 0 {
		s.buf, s.head = s.buf[:0], 0
	}
	return dst, moved
}

// prepend puts a validated body of n items in front of the others.
func (s *store) prepend(body []byte, n int) {
	if n == 0 {
		return
	}
	nb := make([]byte, 0, len(body)+len(s.buf)-s.head)
	nb = append(nb, body...)
	nb = append(nb, s.buf[s.head:]...)
	s.buf, s.head = nb, 0
	s.n += n
}

// compact moves the live items to the front once the consumed prefix is
// large, keeping appends amortised O(1) without unbounded growth.
func (s *store) compact() {
	if s.head >= 64<<10 && s.head >= len(s.buf)/2 {
		m := copy(s.buf, s.buf[s.head:])
		s.buf, s.head = s.buf[:m], 0
	}
}
