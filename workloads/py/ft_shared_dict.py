"""Free-threading hot spot: every worker writes to one shared dict.

In free-threaded CPython each store takes the dict's own lock (a critical section) and
touches the dict's shared reference count, so writes from several threads to one dict
do not scale (CPython's Tools/ftscalingbench). Under the GIL the GIL protects the dict.
"""

CLASS = "Shared"

shared = {}


def task(i, size):
    total = 0
    for k in range(size):
        key = (i * 31 + k) % 1024
        shared[key] = k
        total += key
    return total
