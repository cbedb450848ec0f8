"""time.sleep(size microseconds), which releases the GIL: ideal I/O."""

import gilbench

CLASS = "IO"


def task(i, size):
    gilbench.sleep_us(size)
    return i
