"""The awaitable forms of gilbench's I/O natives, for the asyncio strategy (Python 3).

One event loop runs every task; a task that awaits one of these lets the others run,
and CPU work between the awaits blocks the loop, as it does in any asyncio program.

    await sleep_us(us)      asyncio.sleep
    await echo(x)           an 8-byte round trip over asyncio.open_connection
    await http_get(x)       a keep-alive HTTP/1.1 GET over asyncio streams
    await convoy_round_trips(ms)   the convoy's task 0: ms of round trips, awaited
"""

import asyncio
import struct

import gilbench

_echo_idle = []   # idle (reader, writer) pairs: one loop, so no lock
_http_idle = []


async def sleep_us(us):
    """Sleep us microseconds without blocking the loop."""
    await asyncio.sleep(us / 1e6)


async def _open(addr):
    host, port = addr.rsplit(":", 1)
    return await asyncio.wait_for(asyncio.open_connection(host, int(port)), gilbench.IO_TIMEOUT)


async def echo(x):
    """Send x as 8 little-endian bytes to the echo server and return what comes back."""
    conn = _echo_idle.pop() if _echo_idle else await _open(gilbench.params["addr"])
    reader, writer = conn
    try:
        writer.write(struct.pack("<q", x))
        data = await asyncio.wait_for(reader.readexactly(8), gilbench.IO_TIMEOUT)
    except BaseException:
        writer.close()
        raise
    _echo_idle.append(conn)
    return struct.unpack("<q", data)[0]


async def http_get(x):
    """GET url?x=x on a kept-alive connection; the body is an int."""
    try:
        from urllib.parse import urlparse
    except ImportError:
        raise
    u = urlparse(gilbench.params["url"])
    conn = _http_idle.pop() if _http_idle else await _open("%s:%d" % (u.hostname, u.port))
    reader, writer = conn
    try:
        writer.write(("GET %s?x=%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (u.path, x, u.netloc)).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), gilbench.IO_TIMEOUT)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        body = await asyncio.wait_for(reader.readexactly(length), gilbench.IO_TIMEOUT)
    except BaseException:
        writer.close()
        raise
    _http_idle.append(conn)
    if status != 200:
        raise IOError("GET %s?x=%d: HTTP %d: %s" % (u.path, x, status, body.strip()))
    return int(body)


def close_all():
    """Close the idle connections (the driver calls it at the end)."""
    for _, writer in _echo_idle + _http_idle:
        writer.close()
    del _echo_idle[:], _http_idle[:]


async def convoy_round_trips(ms):
    """The convoy's I/O task under asyncio: ms milliseconds of 16-byte round trips, each
    send and receive awaited on the loop, recorded as gilbench's convoy_* record them."""
    h = gilbench.convoy_open(ms)
    st = gilbench._local.convoy
    sock = st["c"]
    sock.setblocking(False)
    loop = asyncio.get_event_loop()
    try:
        more = 1
        while more:
            await loop.sock_sendall(sock, gilbench._convoy_message(st))
            got = b""
            while len(got) < 16:
                got += await _recv(loop, sock, 16 - len(got))
            more = gilbench._convoy_record(st, got)
    except BaseException:
        sock.close()
        raise
    gilbench.convoy_close(h)
    return 0


async def _recv(loop, sock, n):
    """Up to n bytes from sock, or IOError after IO_TIMEOUT. Not wait_for: since 3.12 it
    cancels a receive that completed in the same loop pass as its timeout (a spinner
    that blocked the loop for longer than the timeout) and the bytes are lost."""
    f = asyncio.ensure_future(loop.sock_recv(sock, n))
    done, _ = await asyncio.wait([f], timeout=gilbench.IO_TIMEOUT)
    if f not in done:
        f.cancel()
        raise IOError("convoy: no echo within %g s" % gilbench.IO_TIMEOUT)
    chunk = f.result()
    if not chunk:
        raise IOError("the echo server closed the connection")
    return chunk
