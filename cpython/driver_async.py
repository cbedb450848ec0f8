"""The asyncio strategy's batch, for gilbench's driver (Python 3 only: async def).

One event loop; N worker coroutines take the jobs from one asyncio.Queue until their
sentinel. A task awaits the workload's atask where it has one, else runs task inline,
blocking the loop, as CPU work does in any asyncio program.
"""

import asyncio

import driver


async def worker(jobs, task, atask, size, results):
    while True:
        i = await jobs.get()
        if i == driver.END:
            return
        t0 = driver.clock()
        try:
            v = await atask(i, size) if atask else task(i, size)
            if not isinstance(v, int):
                raise TypeError("task(%d, %d) returned %s, want an int" % (i, size, type(v).__name__))
            err = None
        except Exception:
            v, err = 0, driver.current_error()
        results.append((i, driver.int64(v), int((driver.clock() - t0) * 1e9), err))


async def batch(task, atask, size, n, tasks, results):
    """Run one batch; returns its wall time and CPU time, in seconds."""
    jobs = asyncio.Queue()
    for i in range(tasks):
        jobs.put_nowait(i)
    for _ in range(n):
        jobs.put_nowait(driver.END)
    workers = [worker(jobs, task, atask, size, results) for _ in range(n)]
    c0, t0 = driver.cpu_seconds(), driver.clock()
    await asyncio.gather(*workers)
    return driver.clock() - t0, driver.cpu_seconds() - c0
