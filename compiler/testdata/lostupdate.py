"""lost-update: counter += 1 size times with no lock, on a global or through v.value."""

from multiprocessing import Value

from gilbench_support import by_value

counter = 0
v = Value("q", 0)


def task(i, size):
    global counter
    if by_value():
        for _ in range(size):
            v.value += 1
    else:
        for _ in range(size):
            counter += 1
    return size
