"""gilbench's natives for Python workloads: each is the real thing from the standard library.

A workload file is plain Python that defines task(i, size) and returns an int. What a
task needs from outside -- a sleep, a round trip to the echo server, an HTTP request, a
file written and read back, a hash -- it takes from here, so that every workload uses
the same code as the Go side measures against:

    sleep_us(us)            time.sleep, which releases the GIL
    echo(x)                 an 8-byte round trip to the loopback echo server (socket)
    http_get(x)             a keep-alive GET from the loopback HTTP server (http.client)
    write_read(i, size)     write a file, os.fsync it, read it back
    sha256_big(i, size)     hashlib.sha256 of a large buffer (releases the GIL)
    sha256_small(x)         hashlib.sha256 of 64 bytes (keeps the GIL: too short to drop)
    int64(x)                x wrapped to a signed 64-bit int, as the interpreter's ints wrap
    cs(), batch()           the sweep's settings (counter, pipeline)
    by_value()              1 for lost-update's update=value, else 0
    convoy_open(ms) ...     the convoy's round trips and spinners (see below)

These names, their arguments and their int results are those of the natives that
package workloads gives the emulated interpreter, which runs the same workload file
compiled (package compiler): a call here is a call there.

The cell's parameters (server addresses, a directory, the sweep's settings) are in
`params`; a workload with shared state finds its objects in `shared` (see SHARED in the
workload files): the driver makes them for the strategy -- a threading.Lock and plain
values for threads, multiprocessing.Lock and multiprocessing.Value for processes.

Runs on CPython 2.7 and 3.8+, standard library only.
"""

import hashlib
import os
import socket
import struct
import threading
import time

params = {}   # the cell's parameters, strings by name (the driver fills it)
strategy = "seq"  # how the workers are made: seq, threads, process, subinterp, asyncio


class _Namespace(object):
    pass


shared = _Namespace()  # the cell's shared objects by name (the driver fills it)

MASK = (1 << 64) - 1
IO_TIMEOUT = 10.0  # seconds: a server that went away fails the task, it does not hang it


def param(name, default=None, kind=str):
    """The cell's parameter name as kind, or default when it is not set."""
    if name in params:
        return kind(params[name])
    return default


def int64(x):
    """x as a signed 64-bit integer, the way Go's int64 wraps."""
    x &= MASK
    return x - (1 << 64) if x >> 63 else x


def mix64(x):
    """The SplitMix64 finaliser: the servers and buffers derive their contents from it."""
    x = (x + 0x9e3779b97f4a7c15) & MASK
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & MASK
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & MASK
    return x ^ (x >> 31)


def cs():
    """The critical section's length in units of work (counter, pipeline)."""
    return param("cs", 0, int)


def batch():
    """How many increments a worker makes per critical section (counter, pipeline)."""
    return param("batch", 1, int)


def by_value():
    """1 when lost-update increments shared.v.value (update=value), 0 for the global."""
    return 1 if param("update", "global") == "value" else 0


def countdown(n):
    """`while n > 0: n -= 1`: the unit of pure-Python work."""
    while n > 0:
        n -= 1
    return n


# --- sleeping ------------------------------------------------------------------------

def sleep_us(us):
    """Sleep us microseconds; the GIL is released while asleep."""
    time.sleep(us / 1e6)
    return 0


# --- the echo server -------------------------------------------------------------------

_local = threading.local()  # each thread keeps its own connections


def _address():
    host, port = params["addr"].rsplit(":", 1)
    return host, int(port)


def connect():
    """A new TCP connection to the cell's echo server, Nagle off."""
    c = socket.create_connection(_address(), IO_TIMEOUT)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def recv_exactly(c, n):
    """Read exactly n bytes from socket c."""
    got = b""
    while len(got) < n:
        b = c.recv(n - len(got))
        if not b:
            raise IOError("echo server closed the connection")
        got += b
    return got


def echo(x):
    """Send x as 8 little-endian bytes to the echo server and return what comes back."""
    c = getattr(_local, "echo", None)
    if c is None:
        c = _local.echo = connect()
    try:
        c.sendall(struct.pack("<q", x))
        return struct.unpack("<q", recv_exactly(c, 8))[0]
    except Exception:
        _local.echo = None
        c.close()
        raise


# --- the HTTP server -------------------------------------------------------------------

def http_get(x):
    """GET url?x=x from the cell's HTTP server on a kept-alive connection; the body is an int."""
    try:
        import http.client as httplib
        from urllib.parse import urlparse
    except ImportError:  # Python 2
        import httplib
        from urlparse import urlparse
    u = urlparse(params["url"])
    c = getattr(_local, "http", None)
    if c is None:
        c = _local.http = httplib.HTTPConnection(u.hostname, u.port, timeout=IO_TIMEOUT)
    try:
        c.request("GET", "%s?x=%d" % (u.path, x))
        r = c.getresponse()
        body = r.read()
    except Exception:
        _local.http = None
        c.close()
        raise
    if r.status != 200:
        raise IOError("GET %s?x=%d: HTTP %d: %s" % (u.path, x, r.status, body.strip()))
    return int(body)


# --- files -----------------------------------------------------------------------------

_file_cache = {}


def file_content(i, size):
    """The bytes task i writes: 8-byte words seed ^ k*0x9e3779b97f4a7c15, seed = mix64(i)."""
    seed = mix64(i)
    words = [seed ^ ((k * 0x9e3779b97f4a7c15) & MASK) for k in range(0, size, 8)]
    return struct.pack("<%dQ" % len(words), *words)[:size]


def fnv1a(data):
    """FNV-1a, 64 bits, as a signed int."""
    h = 0xcbf29ce484222325
    for b in bytearray(data):
        h = ((h ^ b) * 0x100000001b3) & MASK
    return int64(h)


def write_read(i, size):
    """Write task i's bytes to a new file in params["dir"], fsync, read them back.

    Returns their FNV-1a. The bytes and their digest are computed once per process and
    (i, size) -- in Python the digest alone costs more than the I/O -- the file is written,
    synced and read back every time, and what is read must be what was written.
    """
    key = (i, size)
    if key not in _file_cache:
        data = file_content(i, size)
        _file_cache[key] = (data, fnv1a(data))
    data, digest = _file_cache[key]
    import tempfile
    fd, name = tempfile.mkstemp(prefix="task%d-" % i, dir=params["dir"])
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        with open(name, "rb") as f:
            back = f.read()
    finally:
        if fd >= 0:
            os.close(fd)
        os.remove(name)
    if back != data:
        raise IOError("%s: read back %d bytes that differ from the %d written" % (name, len(back), len(data)))
    return digest


# --- hashes ----------------------------------------------------------------------------

_block = []


def _sha_block():
    if not _block:
        _block.append(struct.pack("<8192Q", *[mix64(k) for k in range(0, 64 << 10, 8)]))
    return _block[0]


def sha256_big(i, size):
    """SHA-256 of 8 bytes of i then size bytes of a fixed 64 KiB block, repeated.

    hashlib releases the GIL while it hashes a buffer of more than 2047 bytes. Returns
    the digest's first 8 bytes, big-endian, as a signed int.
    """
    h = hashlib.sha256(struct.pack("<Q", i & MASK))
    block = _sha_block()
    view = memoryview(block)
    while size > 0:
        n = min(size, len(block))
        h.update(view[:n])
        size -= n
    return struct.unpack(">q", h.digest()[:8])[0]


def sha256_small(x):
    """SHA-256 of the 64 bytes x, x+1, ..., x+7 (8-byte little-endian words).

    Too short for hashlib to release the GIL. Returns the first 8 bytes, big-endian.
    """
    buf = struct.pack("<8Q", *[(x + j) & MASK for j in range(8)])
    return struct.unpack(">q", hashlib.sha256(buf).digest()[:8])[0]


# --- batch figures ---------------------------------------------------------------------

_metrics = {}
_metrics_lock = threading.Lock()


def record(unit, value):
    """Add value to the batch's figure unit (convoy: its round trips)."""
    with _metrics_lock:
        _metrics[unit] = value


def take_metrics():
    """The batch's figures, emptied for the next batch (the driver calls it)."""
    with _metrics_lock:
        m = dict(_metrics)
        _metrics.clear()
    return m


def now_ns():
    """A monotonic clock in nanoseconds."""
    return int(_clock() * 1e9)


_clock = getattr(time, "perf_counter", time.time)


# --- the convoy ------------------------------------------------------------------------
#
# Task 0 of the convoy: convoy_open(ms), then convoy_send(h) and convoy_recv(h) while
# convoy_recv says the time is not up, then convoy_close(h). The other tasks:
# convoy_spin_begin(ms), spin while convoy_running(), convoy_spin_end(). They use the
# workload's SHARED objects finished, active and mu.

def convoy_open(ms):
    """Connect to the echo server for ms milliseconds of 16-byte round trips; a handle."""
    c = connect()
    start = now_ns()
    _local.convoy = {"c": c, "start": start, "end": start + ms * 1000000, "seq": 0, "msg": b"",
                     "ends": [], "lats": [], "active": []}
    return c.fileno()


def _convoy(h):
    st = getattr(_local, "convoy", None)
    if st is None or st["c"].fileno() != h:
        raise IOError("convoy: no connection %d in this thread" % h)
    return st


def convoy_send(h):
    """Send the next request: its sequence number and the time it leaves."""
    st = _convoy(h)
    st["c"].sendall(_convoy_message(st))
    return 0


def _convoy_message(st):
    """The next request of the convoy's state st: its sequence number and the time it leaves."""
    st["seq"] += 1
    st["sent"] = now_ns()
    st["msg"] = struct.pack("<QQ", st["seq"], st["sent"] - st["start"])
    return st["msg"]


def convoy_recv(h):
    """Read the echo, check and record it; 1 while the time for round trips is not up."""
    st = _convoy(h)
    return _convoy_record(st, recv_exactly(st["c"], 16))


def _convoy_record(st, got):
    """Check and record the echo got of the convoy's state st; 1 while the time is not up."""
    if got != st["msg"]:
        raise IOError("echo does not match request %d" % st["seq"])
    now = now_ns()
    st["ends"].append(now - st["start"])
    st["lats"].append(now - st["sent"])
    st["active"].append(shared.active.value)
    return 1 if now < st["end"] else 0


def convoy_close(h):
    """Close, record the steady phase's figures and let the spinners stop."""
    st = _convoy(h)
    _local.convoy = None
    st["c"].close()
    ends, lats, active = st["ends"], st["lats"], st["active"]
    if ends:
        # The steady phase: from the first round trip that ended with the most spinners running.
        k = active.index(max(active))
        since = ends[k - 1] if k > 0 else 0
        steady = sorted(lats[k:])
        elapsed = (ends[-1] - since) / 1e9
        if steady and elapsed > 0:
            record("roundtrips/s", len(steady) / elapsed)
            record("p50-ns", steady[min(len(steady) - 1, int(0.50 * len(steady)))])
            record("p99-ns", steady[min(len(steady) - 1, int(0.99 * len(steady)))])
    shared.finished.value += 1
    return 0


def convoy_spin_begin(ms):
    """A spinner starts: it spins until the I/O task finishes, or gives up after 2 ms + 0.25 s."""
    _local.spin = [shared.finished.value, time.time() + 2 * ms / 1000.0 + 0.25, 0]
    with shared.mu:
        shared.active.value += 1
    return 0


def convoy_running():
    """1 while the I/O task of this spinner's batch has not finished."""
    st = _local.spin
    if shared.finished.value != st[0]:
        return 0
    st[2] += 1
    if st[2] % 256 == 0 and time.time() > st[1]:
        return 0
    return 1


def convoy_spin_end():
    """A spinner stops."""
    with shared.mu:
        shared.active.value -= 1
    return 0


# --- shared state ----------------------------------------------------------------------

class Value(object):
    """An int behind a property, as multiprocessing.Value's is: reading and writing
    .value are calls, so `v.value += 1` is a read, a call, a write -- not atomic."""

    def __init__(self, value=0):
        self._value = value

    def _get(self):
        return self._value

    def _set(self, value):
        self._value = value

    value = property(_get, _set)
