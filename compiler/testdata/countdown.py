"""countdown: the classic while n > 0: n -= 1."""


def task(i, size):
    n = size
    while n > 0:
        n -= 1
    return i + n
