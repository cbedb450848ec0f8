"""The classic `while n > 0: n -= 1` loop, pure bytecode."""

CLASS = "CPU"


def task(i, size):
    n = size
    while n > 0:
        n -= 1
    return i + n
