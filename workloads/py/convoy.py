"""The convoy effect: task 0 makes loopback round trips for size ms while the others spin.

Each send and each receive releases the GIL; under the new GIL the I/O thread then waits
up to a switch interval to get it back from a spinner, and its round trips collapse.
One task per worker: workers=1 is the I/O task alone, workers=K+1 puts it beside K
spinners. Every task returns its index; the figures are roundtrips/s and the round
trips' p50-ns and p99-ns, counted once every spinner runs (the steady phase).
"""

import struct
import time

import gilbench
from gilbench import shared

CLASS = "Mixed"
ONE_TASK_PER_WORKER = True
SPIN_WORK = 200
SHARED = {"finished": "int", "active": "int", "mu": "lock"}


def spin(i, size):
    """Spin in bytecode until the I/O task of this batch has finished."""
    gen = shared.finished.value
    with shared.mu:
        shared.active.value += 1
    give_up = time.time() + 2 * size / 1000.0 + 1   # if task 0 never comes
    turn = 0
    while shared.finished.value == gen:
        n = SPIN_WORK
        while n > 0:
            n -= 1
        turn += 1
        if turn % 256 == 0 and time.time() > give_up:
            break
    with shared.mu:
        shared.active.value -= 1
    return i


def round_trips(size):
    """Send 16-byte requests (sequence number, send time) and read the echoes for size ms."""
    c = gilbench.connect()
    start = gilbench.now_ns()
    end = start + size * 1000000
    ends, lats, active = [], [], []
    seq = 0
    try:
        while True:
            seq += 1
            sent = gilbench.now_ns()
            msg = struct.pack("<QQ", seq, sent - start)
            c.sendall(msg)
            if gilbench.recv_exactly(c, 16) != msg:
                raise IOError("echo does not match request %d" % seq)
            now = gilbench.now_ns()
            ends.append(now - start)
            lats.append(now - sent)
            active.append(shared.active.value)
            if now >= end:
                break
    finally:
        c.close()
    # The steady phase: from the first round trip that ended with the most spinners running.
    k = active.index(max(active))
    since = ends[k - 1] if k > 0 else 0
    steady = sorted(lats[k:])
    elapsed = (ends[-1] - since) / 1e9
    if steady and elapsed > 0:
        gilbench.record("roundtrips/s", len(steady) / elapsed)
        gilbench.record("p50-ns", steady[min(len(steady) - 1, int(0.50 * len(steady)))])
        gilbench.record("p99-ns", steady[min(len(steady) - 1, int(0.99 * len(steady)))])
    shared.finished.value += 1


def skip(strategy):
    """Why the convoy cannot run faithfully under strategy, or None."""
    if strategy == "asyncio":
        return "the spinners would block the event loop, so the I/O task could never run beside them"
    return None


def task(i, size):
    if i != 0:
        return spin(i, size)
    round_trips(size)
    return 0
