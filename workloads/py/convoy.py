"""The convoy effect: task 0 makes loopback round trips for size ms while the others spin.

Each send and each receive releases the GIL; under the new GIL the I/O thread then waits
up to a switch interval to get it back from a spinner, and its round trips collapse.
One task per worker: workers=1 is the I/O task alone, workers=K+1 puts it beside K
spinners. Every task returns its index; the figures are roundtrips/s and the round
trips' p50-ns and p99-ns, counted once every spinner runs (the steady phase).
"""

import gilbench

CLASS = "Mixed"
ONE_TASK_PER_WORKER = True
SPIN_WORK = 200
SHARED = {"finished": "int", "active": "int", "mu": "lock"}  # the support's convoy_* use them


def task(i, size):
    if i == 0:
        # Round trips for size ms: each send and each receive releases the GIL.
        h = gilbench.convoy_open(size)
        gilbench.convoy_send(h)
        while gilbench.convoy_recv(h):    # true while the time is not up
            gilbench.convoy_send(h)
        gilbench.convoy_close(h)          # records the figures, lets the spinners stop
        return 0
    gilbench.convoy_spin_begin(size)
    while gilbench.convoy_running():      # until the I/O task of this batch has finished
        n = SPIN_WORK
        while n > 0:
            n -= 1
    gilbench.convoy_spin_end()
    return i
