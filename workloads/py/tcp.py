"""size round trips to the loopback echo server (1 ms latency); the socket calls release the GIL."""

import gilbench

CLASS = "IO"


def task(i, size):
    acc = 0
    for k in range(size):
        acc = gilbench.int64(acc * 31 + gilbench.echo(i * size + k))
    return acc
