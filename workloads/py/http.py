"""size keep-alive GETs from the loopback HTTP server (2 ms latency); http.client releases the GIL."""

import gilbench

CLASS = "IO"


def task(i, size):
    acc = 0
    for k in range(size):
        acc += gilbench.http_get(i * size + k)
    return acc
