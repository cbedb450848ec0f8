"""convoy's task for asyncio: the round trips awaited on the loop, the spinners inline.

The I/O task awaits each send and receive, letting the loop run the other tasks; a
spinner is CPU work on the loop's one thread, so once it starts nothing else runs until
it gives up (it never sees the I/O task finish, which cannot run): the round trips wait
for the whole CPU task — the blocked event loop.
"""

import gilbench
from gilbench_async import convoy_round_trips

SPIN_WORK = 200


async def atask(i, size):
    if i == 0:
        return await convoy_round_trips(size)
    gilbench.convoy_spin_begin(size)
    while gilbench.convoy_running():      # until the I/O task has finished, or gives up
        n = SPIN_WORK
        while n > 0:
            n -= 1
    gilbench.convoy_spin_end()
    return i
