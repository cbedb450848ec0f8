"""sleep's task for asyncio: await asyncio.sleep, and the loop runs the other tasks."""

from gilbench_async import sleep_us


async def atask(i, size):
    await sleep_us(size)
    return i
