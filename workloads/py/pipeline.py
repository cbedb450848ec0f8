"""counter's work with nothing shared: each task counts its own increments.

producer -> job queue -> N workers (the private work and the cs units of every batch of
increments, no lock) -> result queue -> aggregator adding up the counts.
"""

import gilbench

CLASS = "Shared"
PRIVATE_WORK = 20


def countdown(n):
    """`while n > 0: n -= 1`: the unit of work."""
    while n > 0:
        n -= 1
    return n


def task(i, size):
    cs = gilbench.cs()
    batch = gilbench.batch()
    count = 0
    left = size
    while left > 0:
        n = min(batch, left)
        countdown(n * PRIVATE_WORK)
        countdown(cs)                     # no lock needed: nothing is shared
        count += n
        left -= n
    return count
