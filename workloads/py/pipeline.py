"""counter's work with nothing shared: each task counts its own increments.

producer -> job queue -> N workers (the private work and the cs units of every batch of
increments, no lock) -> result queue -> aggregator adding up the counts.
"""

import gilbench
from gilbench import countdown

CLASS = "Shared"
PRIVATE_WORK = 20


def task(i, size):
    cs = gilbench.param("cs", 0, int)
    batch = gilbench.param("batch", 1, int)
    count = 0
    left = size
    while left > 0:
        n = min(batch, left)
        countdown(n * PRIVATE_WORK)
        countdown(cs)                     # no lock needed: nothing is shared
        count += n
        left -= n
    return count
