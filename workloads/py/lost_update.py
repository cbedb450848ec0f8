"""`counter += 1` size times with no lock; reports the updates lost.

update=global increments a module global (LOAD_GLOBAL, BINARY_OP, STORE_GLOBAL);
update=value does v.value += 1, a call to read and a call to write, on a shared value
(multiprocessing.Value's kind of object). The lost updates are counted, not prevented.
"""

import gilbench
from gilbench import shared

CLASS = "Shared"
SHARED = {"v": "int"}

counter = 0


def task(i, size):
    global counter
    if gilbench.by_value():
        for _ in range(size):
            shared.v.value += 1
    else:
        for _ in range(size):
            counter += 1
    return size


def skip(strategy):
    """Why this workload cannot run faithfully under strategy, or None."""
    if gilbench.param("update", "global") == "global" and strategy in ("process", "subinterp"):
        return "update=global increments a module global, which workers in other processes or interpreters do not share"
    return None


def reset():
    global counter
    counter = 0


def check(tasks, size):
    want = tasks * size
    got = counter if gilbench.param("update", "global") == "global" else shared.v.value
    if got < 0 or got > want:
        raise AssertionError("counter = %d after %d increments: more than were made" % (got, want))
    return {"lost-updates/op": want - got}
