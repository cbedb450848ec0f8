"""Free-threading control: the loop of ft-shared-list on a list each task makes itself.

The list is owned by the thread that made it, so biased reference counting costs it
plain additions and its lock is never contended: this scales with threads.
"""

CLASS = "Shared"


def task(i, size):
    data = []
    total = 0
    for k in range(size):
        data.append(k)
        total += k % 7
    return total + i + len(data) - size
