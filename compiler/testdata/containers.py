"""Containers."""
import threading

shared = []
counts = {}
tls = threading.local()


class Tally:
    hits = 0
    step = 0

    def bump(self, k):
        self.hits += 1
        return k % 7 + self.step


tally = Tally()


def total(xs: list) -> int:
    s = 0
    for k in range(len(xs)):
        s += xs[k]
    return s


def task(i, size):
    data = []
    seen = {}
    tls.base = i % 10
    acc = 0
    for k in range(size):
        shared.append(k)
        data.append(k % 5)
        counts[k % 16] = k
        seen[k % 3] = seen.get(k % 3, 0) + 1
        acc += tally.bump(k) + tls.base
    if 3 in counts and 99 not in counts:
        acc += 1
    seen[0] += 2
    return acc + total(data) + seen[0] + data[-1] + len(counts)


if __name__ == "__main__":
    print(task(3, 100))
