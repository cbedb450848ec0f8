"""Free-threading hot spot: method calls on one shared object.

Every call touches the object's shared reference count and, on 3.13t, the function's
(cpython #123619: 32 threads ran 70x slower before deferred reference counting).
"""

CLASS = "Shared"


class Tally:
    step = 0

    def bump(self, k):
        return k % 7 + self.step


tally = Tally()


def task(i, size):
    total = 0
    for k in range(size):
        total += tally.bump(k)
    return total + i
