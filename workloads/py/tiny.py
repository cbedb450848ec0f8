"""Many tasks of a few microseconds: a sum of size integers. The cost of IPC per task."""

CLASS = "CPU"


def task(i, size):
    s = 0
    n = 1
    while n <= size:
        s += n
        n += 1
    return s + i
