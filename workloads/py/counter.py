"""N workers add size to one shared counter under a lock.

Each increment is 20 units of private work (a unit is one turn of `while n > 0: n -= 1`);
every `batch` increments a worker takes the lock, spends `cs` units inside it -- the
critical section -- and adds them to the counter. After each batch of tasks the counter
must hold every increment: the lock makes the update exact.
"""

import gilbench
from gilbench import shared

CLASS = "Shared"
PRIVATE_WORK = 20
SHARED = {"counter": "int", "mu": "lock"}  # a Lock and an int, made for the strategy


def countdown(n):
    """`while n > 0: n -= 1`: the unit of work."""
    while n > 0:
        n -= 1
    return n


def task(i, size):
    cs = gilbench.cs()
    batch = gilbench.batch()
    left = size
    while left > 0:
        n = min(batch, left)
        countdown(n * PRIVATE_WORK)       # the increments' own work
        with shared.mu:
            countdown(cs)                 # the critical section
            shared.counter.value += n
        left -= n
    return size


def check(tasks, size):
    got, want = shared.counter.value, tasks * size
    if got != want:
        raise AssertionError("counter = %d after %d increments under the lock: %d updates lost" % (got, want, want - got))
    return {}
