"""Free-threading hot spot: reads of a threading.local.

Each thread reads its own attribute, but every read touches the one shared local
object's reference count; CPython's ftscalingbench measures thread_local_read 2.2x
slower with threads on 3.13t.
"""

import threading

CLASS = "Shared"

tls = threading.local()


def task(i, size):
    tls.base = i % 10
    total = 0
    for k in range(size):
        total += tls.base + k % 3
    return total
