"""counter: add size to one shared counter under a lock, batch increments at a time."""

import threading

from gilbench_support import batch, cs

PRIVATE_WORK = 20

counter = 0
mu = threading.Lock()


def work(n):
    while n > 0:
        n -= 1
    return n


def task(i, size):
    global counter
    c = cs()
    b = batch()
    left = size
    while left > 0:
        if left < b:
            n = left
        else:
            n = b
        work(n * PRIVATE_WORK)
        with mu:
            if c:
                work(c)
            counter += n
        left -= n
    return size
