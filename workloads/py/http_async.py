"""http's task for asyncio: size keep-alive GETs over asyncio streams."""

from gilbench_async import http_get


async def atask(i, size):
    acc = 0
    for k in range(size):
        acc += await http_get(i * size + k)
    return acc
