"""Free-threading hot spot: every worker appends to one shared list.

Each append takes the list's own lock and touches its shared reference count; compare
with ft-private-data, the same loop on a list each task makes for itself.
"""

CLASS = "Shared"

shared = []


def task(i, size):
    total = 0
    for k in range(size):
        shared.append(k)
        total += k % 7
    return total + i
