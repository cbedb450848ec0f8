"""tcp's task for asyncio: size round trips over asyncio streams."""

import gilbench
from gilbench_async import echo


async def atask(i, size):
    acc = 0
    for k in range(size):
        acc = gilbench.int64(acc * 31 + await echo(i * size + k))
    return acc
