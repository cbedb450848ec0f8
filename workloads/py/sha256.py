"""SHA-256 of a size-byte buffer in hashlib, which releases the GIL (> 2047 bytes)."""

import gilbench

CLASS = "CPU"


def task(i, size):
    return gilbench.sha256_big(i, size)
